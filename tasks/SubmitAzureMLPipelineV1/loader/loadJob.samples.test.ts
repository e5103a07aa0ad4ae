/**
 * Every sample under samples/pipelines loads, and the plan and REST bodies are what the CLI would
 * upload, register and send (cli-v2-jobs-to-rest.md sections 1–6, 9).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { hashLocalArtifact } from "../../common/contentHash";
import { COMPONENT_CODE_ALWAYS_IGNORED } from "../../common/ignoreRules";
import { hashDictAsUuid } from "./pythonValues";
import { loaderLoc } from "./loaderLoc.testing";
import { loadJob as loadWith, type JobPlan, type LoadJobOptions, type ResolvedJobDependencies } from "./index";

/** The loader with the task's own messages (task.json), as the entry passes them. */
const loadJob = (file: string, options: Omit<LoadJobOptions, "loc"> = {}) => loadWith(file, { loc: loaderLoc(), ...options });

const SAMPLES = path.resolve(__dirname, "..", "..", "..", "..", "samples", "pipelines");
const WS = "/subscriptions/sub/resourceGroups/ml_rg/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace";

/** What the task entry would pass after uploading, registering and looking things up. */
function resolve(plan: JobPlan): ResolvedJobDependencies {
  const codeIds: Record<string, string> = {};
  plan.codeVersions.forEach((c, i) => (codeIds[c.key] = `${WS}/codes/code-${i}/versions/1`));
  const referenceIds: Record<string, string> = {};
  for (const r of plan.references) if (r.resolution === "latest") referenceIds[r.key] = `${WS}/${r.kind}/${r.name}/versions/5`;
  return { workspaceId: WS, codeIds, referenceIds };
}

async function codeHash(folder: string) {
  return hashLocalArtifact(path.join(SAMPLES, folder), { extraIgnorePatterns: COMPONENT_CODE_ALWAYS_IGNORED, computeContentHash: true });
}

function specVersion(spec: Record<string, unknown>): string {
  const { name: _n, version: _v, ...rest } = spec;
  return hashDictAsUuid(rest);
}

describe("loader: samples/pipelines", () => {
  it("(a) inline command steps → anonymous components, bindings and pipeline inputs as the CLI sends them", async () => {
    const plan = await loadJob(path.join(SAMPLES, "inline-steps.yml"));
    const prep = await codeHash("src/prep");
    const train = await codeHash("src/train");
    assert.equal(plan.kind, "pipeline");
    assert.equal(plan.experimentName, "train_pipeline");
    assert.deepEqual(
      plan.uploads.map((u) => [u.kind, u.blobPrefix, u.datastoreName]),
      [
        ["code", `LocalUpload/${prep.uploadHash}/prep`, "workspaceblobstore"],
        ["code", `LocalUpload/${train.uploadHash}/train`, "workspaceblobstore"],
      ],
    );
    // .amlignore in src/train keeps tests/ out of the upload.
    assert.deepEqual(
      plan.uploads[1].files.map((f) => f.relativePath),
      [".amlignore", "train.py"],
    );
    assert.equal(plan.uploads[1].indicatorBlobName, `LocalUpload/${train.uploadHash}/train/.amlignore`);
    assert.equal(plan.uploads[0].declaredAt.line, 21);

    assert.deepEqual(
      plan.codeVersions.map((c) => c.codeUriPath),
      [`LocalUpload/${prep.uploadHash}/prep`, `LocalUpload/${train.uploadHash}/train`],
    );
    assert.deepEqual(plan.codeVersions[1].buildBody(`https://acct.blob.core.windows.net/azureml/LocalUpload/${train.uploadHash}/train`), {
      properties: {
        codeUri: `https://acct.blob.core.windows.net/azureml/LocalUpload/${train.uploadHash}/train`,
        isAnonymous: true,
        properties: { hash_sha256: train.contentHash, hash_version: "202208" },
      },
    });
    assert.deepEqual(plan.environmentVersions, []);
    assert.deepEqual(
      plan.references.map((r) => [r.key, r.resolution, r.usedAt.map((u) => u.line)]),
      [
        ["data:training_data@latest", "latest", [14]],
        ["computes:gpu-cluster", "get", [10]],
        ["datastores:workspaceblobstore", "static", [21, 31]], // where the code uploads go, checked before any upload
      ],
    );

    const resolved = resolve(plan);
    const components = plan.componentVersions(resolved);
    assert.equal(components.length, 2);
    const trainSpec = components[1].body.properties.componentSpec;
    assert.deepEqual(trainSpec, {
      name: "azureml_anonymous",
      version: components[1].version,
      type: "command",
      command:
        "python train.py --training_data ${{inputs.training_data}} --learning_rate ${{inputs.learning_rate}} --epochs ${{inputs.epochs}} --model_output ${{outputs.model_output}}",
      code: `azureml:${WS}/codes/code-1/versions/1`,
      environment: "azureml:AzureML-TensorFlow-2.4-GPU@latest",
      inputs: { training_data: { type: "uri_folder" }, learning_rate: { type: "number" }, epochs: { type: "integer" } },
      outputs: { model_output: { type: "uri_folder", mode: "rw_mount" } },
      resources: { instance_count: 1 },
      tags: {},
      is_deterministic: true,
      _source: "YAML.JOB",
    });
    assert.equal(components[1].name, "azureml_anonymous");
    assert.equal(components[1].version, specVersion(trainSpec));
    assert.equal(components[1].body.properties.isAnonymous, true);

    const body = plan.buildJobBody(resolved, { jobName: "frosty_kite_7y3h0bx3kv" });
    assert.deepEqual(body, {
      properties: {
        jobType: "Pipeline",
        description: "Trains the churn model on the data prepared by the Data Factory pipeline.",
        displayName: "Churn training (inline steps)",
        experimentName: "train_pipeline",
        tags: { project: "churn" },
        properties: {},
        computeId: `${WS}/computes/gpu-cluster`,
        settings: { _source: "YAML.JOB" },
        inputs: {
          training_data: { jobInputType: "uri_folder", uri: `${WS}/data/training_data/versions/5`, mode: "ReadOnlyMount" },
          learning_rate: { jobInputType: "literal", value: "0.01" },
          epochs: { jobInputType: "literal", value: "20" },
        },
        outputs: {},
        jobs: {
          prep: {
            type: "command",
            name: "prep",
            tags: {},
            properties: {},
            _source: "YAML.JOB",
            componentId: `${WS}/components/azureml_anonymous/versions/${components[0].version}`,
            inputs: { raw_data: { job_input_type: "literal", value: "${{parent.inputs.training_data}}" } },
            outputs: { prepared_data: { job_output_type: "uri_folder" } },
          },
          train: {
            type: "command",
            name: "train",
            tags: {},
            properties: {},
            _source: "YAML.JOB",
            componentId: `${WS}/components/azureml_anonymous/versions/${components[1].version}`,
            inputs: {
              training_data: { job_input_type: "literal", value: "${{parent.jobs.prep.outputs.prepared_data}}" },
              learning_rate: { job_input_type: "literal", value: "${{parent.inputs.learning_rate}}" },
              epochs: { job_input_type: "literal", value: "${{parent.inputs.epochs}}" },
            },
            outputs: { model_output: { job_output_type: "uri_folder", mode: "ReadWriteMount" } },
            environment_variables: { TF_CPP_MIN_LOG_LEVEL: "2" },
            resources: { instance_count: 1 },
          },
        },
      },
    });
  });

  it("(b) local component files with code folders and an inline environment", async () => {
    const plan = await loadJob(path.join(SAMPLES, "local-components.yml"));
    const evaluate = await codeHash("src/evaluate");
    assert.deepEqual(
      plan.uploads.map((u) => path.basename(u.localPath)),
      ["prep", "train", "evaluate"],
    );
    assert.equal(plan.uploads[2].blobPrefix, `LocalUpload/${evaluate.uploadHash}/evaluate`);
    assert.deepEqual(
      plan.environmentVersions.map((e) => [e.name, e.version]),
      [["CliV2AnonymousEnvironment", "1621dcc48e4777cac3ea196c1463ea41"]],
    );
    assert.deepEqual(plan.environmentVersions[0].body, {
      properties: {
        image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
        condaFile: "channels:\n- conda-forge\ndependencies:\n- python=3.8\n- pip\n- pip:\n  - mlflow==2.9.2\n  - azureml-mlflow==1.55.0\nname: evaluate-env\n",
        isAnonymous: true,
        osType: undefined,
        description: undefined,
        tags: undefined,
      },
    });
    assert.deepEqual(
      plan.references.map((r) => [r.key, r.resolution]),
      [
        ["data:training_data@latest", "latest"],
        ["computes:gpu-cluster", "get"],
        ["datastores:workspaceblobstore", "static"],
      ],
    );

    const resolved = resolve(plan);
    const components = plan.componentVersions(resolved);
    assert.deepEqual(
      components.map((c) => path.basename(c.key)),
      ["prep.yml", "train.yml", "evaluate.yml"],
    );
    const evaluateSpec = components[2].body.properties.componentSpec;
    // Registered anonymously: the SDK replaces the file's name/version inside the spec too
    // (entities/_component/component.py _set_is_anonymous, _update_anonymous_hash).
    assert.equal(evaluateSpec.name, "azureml_anonymous");
    assert.equal(evaluateSpec.version, components[2].version);
    assert.equal(evaluateSpec.code, `azureml:${WS}/codes/code-2/versions/1`);
    assert.equal(evaluateSpec.environment, `azureml:${WS}/environments/CliV2AnonymousEnvironment/versions/1621dcc48e4777cac3ea196c1463ea41`);
    assert.equal(evaluateSpec._source, "YAML.COMPONENT");
    assert.equal(evaluateSpec.is_deterministic, true);
    assert.equal(evaluateSpec.$schema, undefined);
    assert.deepEqual(evaluateSpec.outputs, { best_model: { type: "custom_model" } });
    assert.equal(components[2].name, "azureml_anonymous");
    assert.equal(components[2].version, specVersion(evaluateSpec));

    const { properties } = plan.buildJobBody(resolved, { jobName: "job1", defaultExperimentName: "ignored" }) as { properties: Record<string, any> };
    assert.deepEqual(properties.settings, {
      default_compute: `${WS}/computes/gpu-cluster`,
      default_datastore: `${WS}/datastores/workspaceblobstore`,
      continue_on_step_failure: false,
      _source: "YAML.JOB",
    });
    assert.equal(properties.computeId, undefined);
    assert.deepEqual(properties.outputs, { best_model: { jobOutputType: "custom_model" } });
    assert.deepEqual(properties.jobs.prep, {
      type: "command",
      name: "prep",
      tags: {},
      properties: {},
      _source: "YAML.COMPONENT",
      componentId: `${WS}/components/azureml_anonymous/versions/${components[0].version}`,
      inputs: {
        raw_data: { job_input_type: "literal", value: "${{parent.inputs.training_data}}" },
        seed: { job_input_type: "literal", value: "7" },
      },
      outputs: {},
    });
    assert.deepEqual(properties.jobs.evaluate.outputs, { best_model: { value: "${{parent.outputs.best_model}}", type: "literal" } });
  });

  it("(c) registered components: @latest looked up, pinned versions static, nothing uploaded", async () => {
    const plan = await loadJob(path.join(SAMPLES, "registered-components.yml"));
    assert.deepEqual(plan.uploads, []);
    assert.deepEqual(plan.codeVersions, []);
    assert.deepEqual(
      plan.references.map((r) => [r.key, r.kind, r.name, r.version, r.label, r.resolution]),
      [
        ["data:training_data:1", "data", "training_data", "1", undefined, "static"],
        ["computes:gpu-cluster", "computes", "gpu-cluster", undefined, undefined, "get"],
        ["components:prep_data@latest", "components", "prep_data", undefined, "latest", "latest"],
        ["components:train_model:1", "components", "train_model", "1", undefined, "static"],
      ],
    );
    assert.equal(plan.references[1].usedAt.length, 2, "settings.default_compute and jobs.train.compute");
    assert.equal(plan.staticReferenceId(plan.references[3], WS), `${WS}/components/train_model/versions/1`);
    assert.equal(plan.staticReferenceId(plan.references[2], WS), undefined);
    const resolved = resolve(plan);
    assert.deepEqual(plan.componentVersions(resolved), []);
    const { properties } = plan.buildJobBody(resolved, { jobName: "job1" }) as { properties: Record<string, any> };
    assert.equal(properties.jobs.prep.componentId, `${WS}/components/prep_data/versions/5`);
    assert.equal(properties.jobs.prep._source, "REMOTE.WORKSPACE.COMPONENT");
    assert.equal(properties.jobs.train.componentId, `${WS}/components/train_model/versions/1`);
    assert.equal(properties.jobs.train.computeId, `${WS}/computes/gpu-cluster`);
    assert.deepEqual(properties.jobs.train.inputs.learning_rate, { job_input_type: "literal", value: "0.05" });
    assert.deepEqual(properties.inputs.training_data, { jobInputType: "uri_folder", uri: `${WS}/data/training_data/versions/1` });
    assert.throws(() => plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "job1" }), /components 'prep_data'/);
  });

  it("(d) local data: uploaded under LocalUpload/<md5>/<file> and sent as a datastore URI", async () => {
    const plan = await loadJob(path.join(SAMPLES, "local-data.yml"));
    const data = await hashLocalArtifact(path.join(SAMPLES, "data", "training.csv"));
    const upload = plan.uploads.find((u) => u.kind === "data")!;
    assert.equal(upload.hash, data.uploadHash);
    assert.equal(upload.isDirectory, false);
    assert.equal(upload.blobPrefix, `LocalUpload/${data.uploadHash}/training.csv`);
    assert.deepEqual(
      upload.files.map((f) => f.blobName),
      [`LocalUpload/${data.uploadHash}/training.csv`],
    );
    assert.equal(upload.contentHash, undefined, "no content hash for data");
    const { properties } = plan.buildJobBody(resolve(plan), { jobName: "job1" }) as { properties: Record<string, any> };
    assert.deepEqual(properties.inputs.sample_data, {
      jobInputType: "uri_file",
      uri: `azureml://datastores/workspaceblobstore/paths/LocalUpload/${data.uploadHash}/training.csv`,
      mode: "Download",
    });
    const spec = plan.componentVersions(resolve(plan))[0].body.properties.componentSpec;
    assert.deepEqual(spec.inputs, { training_data: { type: "uri_file" } }, "a binding takes its type from the pipeline input");
  });

  it("(e) a step output bound to the pipeline's best_model output", async () => {
    const plan = await loadJob(path.join(SAMPLES, "best-model-output.yml"));
    const { properties } = plan.buildJobBody(resolve(plan), { jobName: "job1" }) as { properties: Record<string, any> };
    assert.deepEqual(properties.outputs, { best_model: { jobOutputType: "custom_model", mode: "Upload" } });
    assert.deepEqual(properties.jobs.evaluate.outputs, { best_model: { value: "${{parent.outputs.best_model}}", type: "literal" } });
    assert.deepEqual(properties.jobs.evaluate.inputs.min_accuracy, { job_input_type: "literal", value: "0.6" });
    assert.deepEqual(Object.keys(properties.jobs), ["train", "evaluate"]);
  });

  it("(f) overrides change inputs and settings before the file is read, as --set does", async () => {
    const plain = await loadJob(path.join(SAMPLES, "train-with-overrides.yml"));
    const plan = await loadJob(path.join(SAMPLES, "train-with-overrides.yml"), {
      overrides:
        "inputs.learning_rate=0.1\ninputs.epochs=50\nsettings.continue_on_step_failure=true\njobs.train.compute=azureml:gpu-cluster\nexperiment_name=tuning",
    });
    const base = plain.buildJobBody(resolve(plain), { jobName: "job1" }).properties as Record<string, any>;
    const { properties } = plan.buildJobBody(resolve(plan), { jobName: "job1" }) as { properties: Record<string, any> };
    assert.deepEqual(base.inputs.learning_rate, { jobInputType: "literal", value: "0.01" });
    assert.deepEqual(properties.inputs.learning_rate, { jobInputType: "literal", value: "0.1" });
    assert.deepEqual(properties.inputs.epochs, { jobInputType: "literal", value: "50" });
    assert.equal(properties.settings.continue_on_step_failure, true, "coerced to a boolean like the CLI's schema");
    assert.equal(properties.jobs.train.computeId, `${WS}/computes/gpu-cluster`);
    assert.equal(properties.experimentName, "tuning");
    assert.equal(plan.experimentName, "tuning");
  });

  it("a plain command job → CommandJob with codeId, environmentId and camelCase fields, no component", async () => {
    const plan = await loadJob(path.join(SAMPLES, "command-job.yml"));
    const train = await codeHash("src/train");
    const data = await hashLocalArtifact(path.join(SAMPLES, "data", "training.csv"));
    assert.equal(plan.kind, "command");
    assert.deepEqual(
      plan.references.map((r) => [r.key, r.resolution]),
      [
        ["datastores:workspaceblobstore", "static"],
        ["computes:gpu-cluster", "static"],
      ],
    );
    const resolved = resolve(plan);
    assert.deepEqual(plan.componentVersions(resolved), []);
    assert.equal(plan.codeVersions[0].upload.hash, train.uploadHash);
    const body = plan.buildJobBody(resolved, { jobName: "frosty_kite_7y3h0bx3kv", defaultProperties: { "mlflow.source.git.commit": "abc" } });
    assert.deepEqual(body, {
      properties: {
        jobType: "Command",
        command:
          "python train.py --training_data ${{inputs.training_data}} --learning_rate ${{inputs.learning_rate}} --epochs ${{inputs.epochs}} --model_output ${{outputs.model_output}}",
        codeId: `${WS}/codes/code-0/versions/1`,
        environmentId: "azureml:AzureML-TensorFlow-2.4-GPU@latest",
        computeId: `${WS}/computes/gpu-cluster`,
        inputs: {
          training_data: { jobInputType: "uri_file", uri: `azureml://datastores/workspaceblobstore/paths/LocalUpload/${data.uploadHash}/training.csv` },
          learning_rate: { jobInputType: "literal", value: "0.01" },
          epochs: { jobInputType: "literal", value: "20" },
        },
        outputs: { model_output: { jobOutputType: "uri_folder", mode: "Upload" } },
        resources: { instanceCount: 1 },
        limits: { jobLimitsType: "Command", timeout: "PT1H" },
        displayName: "Train churn model",
        experimentName: "train_pipeline",
        tags: { project: "churn" },
        properties: { "mlflow.source.git.commit": "abc" },
      },
    });
  });
});
