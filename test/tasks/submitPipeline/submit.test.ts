/**
 * SubmitAzureMLPipeline, built and run as the agent runs it, against the emulator: the sample pipelines
 * (inline steps, local components with code, registered components, local data, outputs bound to the
 * pipeline, overrides, a command job) submitted with the body the CLI v2 would send (cli-v2-jobs-to-rest.md),
 * a retried run re-attaching, and unchanged code not uploaded twice.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { hashLocalArtifact } from "../../../tasks/common/contentHash";
import { COMPONENT_CODE_ALWAYS_IGNORED } from "../../../tasks/common/ignoreRules";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { leakedSecrets } from "../../../devkit/harness/secretScan";
import { containerOfCodeUri, details, jobPut, puts, runSubmitTask, sourcesWithSamples, uploadedBlobs, workspaceId } from "./run";

const COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b"; // Build.SourceVersion of the agent runner
const GIT = {
  "mlflow.source.git.repoURL": "https://dev.azure.com/org/mlops/_git/mlops-project",
  "mlflow.source.git.branch": "main",
  "mlflow.source.git.commit": COMMIT,
};

describe("SubmitAzureMLPipeline task: submitting the sample pipelines", function () {
  this.timeout(60_000);
  let emu: Emulator;
  let sources: string;
  let WS: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
    sources = await sourcesWithSamples();
  });
  after(async () => {
    await emu?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.reset();
    await emu.ml.blobContainerReady();
    WS = workspaceId(emu);
  });

  const codeOf = (folder: string) =>
    hashLocalArtifact(path.join(sources, "pipelines", "src", folder), { extraIgnorePatterns: COMPONENT_CODE_ALWAYS_IGNORED, computeContentHash: true });
  /** Registered anonymous components: version → spec, checking each version is the spec's hash key. */
  const anonymousComponents = () =>
    new Map(puts(emu, /\/components\/azureml_anonymous\/versions\/[^/]+$/).map((p) => [p.path.split("/").pop()!, p.body.properties]));

  describe("inline steps, a retried run, and resubmitting unchanged code", () => {
    it("submits inline-steps.yml as the CLI does, re-attaches on a retry, and uploads nothing the second time", async () => {
      const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml" });
      assert.equal(r.result, "Succeeded", details(r));
      const jobName = r.variables["JobName"].value;
      assert.match(jobName, /^azdo_b42_[0-9a-f]{12}$/, "named after the build and the step");
      assert.equal(r.variables["JobName"].isOutput, true);
      assert.equal(r.variables["JobStatus"].value, "Completed");
      assert.equal(r.variables["StudioUrl"].value, `https://ml.azure.com/runs/${jobName}?wsid=${WS}`);

      // Code: uploaded under LocalUpload/<md5>/<folder>, registered as anonymous code versions.
      const prep = await codeOf("prep");
      const train = await codeOf("train");
      const codes = puts(emu, /\/codes\/[^/]+\/versions\/1$/);
      assert.equal(codes.length, 2);
      const codeUris = codes.map((c) => c.body.properties.codeUri as string);
      assert.ok(codeUris[0].endsWith(`/LocalUpload/${prep.uploadHash}/prep`), codeUris[0]);
      assert.ok(codeUris[1].endsWith(`/LocalUpload/${train.uploadHash}/train`), codeUris[1]);
      assert.deepEqual(
        codes.map((c) => [c.body.properties.isAnonymous, c.body.properties.properties]),
        [
          [true, { hash_sha256: prep.contentHash, hash_version: "202208" }],
          [true, { hash_sha256: train.contentHash, hash_version: "202208" }],
        ],
      );
      const container = containerOfCodeUri(emu, codeUris[0]);
      const blobs = await uploadedBlobs(container);
      assert.deepEqual([...blobs.keys()].sort(), [...prep.files, ...train.files].map((f) => f.blobName).sort(), ".amlignore'd files stay local");
      assert.equal(blobs.get(prep.indicatorBlobName)?.metadata.upload_status, "completed");
      const codeIds = codes.map((c) => `${WS}/codes/${c.path.split("/")[c.path.split("/").length - 3]}/versions/1`);

      // Components: one anonymous component per inline step, its code and environment resolved.
      const components = anonymousComponents();
      assert.equal(components.size, 2);
      const specs = [...components.values()].map((c) => c.componentSpec);
      assert.deepEqual(
        specs.map((s) => [s.type, s.code, s.environment, s._source, s.is_deterministic]),
        [
          ["command", `azureml:${codeIds[0]}`, "azureml:AzureML-TensorFlow-2.4-GPU@latest", "YAML.JOB", true],
          ["command", `azureml:${codeIds[1]}`, "azureml:AzureML-TensorFlow-2.4-GPU@latest", "YAML.JOB", true],
        ],
      );
      const [prepVersion, trainVersion] = [...components.keys()];

      // The job: field by field what the CLI sends for this file.
      assert.deepEqual(jobPut(emu, jobName), {
        jobType: "Pipeline",
        description: "Trains the churn model on the data prepared by the Data Factory pipeline.",
        displayName: "Churn training (inline steps)",
        experimentName: "train_pipeline",
        tags: { project: "churn" },
        properties: { ...GIT, "azdo.stepRun": jobName },
        computeId: `${WS}/computes/gpu-cluster`,
        settings: { _source: "YAML.JOB" },
        inputs: {
          training_data: { jobInputType: "uri_folder", uri: `${WS}/data/training_data/versions/1`, mode: "ReadOnlyMount" },
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
            componentId: `${WS}/components/azureml_anonymous/versions/${prepVersion}`,
            inputs: { raw_data: { job_input_type: "literal", value: "${{parent.inputs.training_data}}" } },
            outputs: { prepared_data: { job_output_type: "uri_folder" } },
          },
          train: {
            type: "command",
            name: "train",
            tags: {},
            properties: {},
            _source: "YAML.JOB",
            componentId: `${WS}/components/azureml_anonymous/versions/${trainVersion}`,
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
      });
      assert.equal(emu.ml.job(jobName)?.status, "Completed");
      // The log: a table of the steps, the Studio link, a build summary.
      assert.match(r.stdout, /Step\s+Status\s+Duration/);
      assert.match(r.stdout, /prep\s+Completed/);
      assert.match(r.stdout, /train\s+Completed/);
      assert.equal(r.summaries.length, 1);
      assert.match(r.summaries[0].content, /\| train \| Completed \|/);
      assert.ok(r.summaries[0].content.includes(r.variables["StudioUrl"].value));
      const output = r.stdout + r.stderr + r.summaries.map((x) => x.content).join("");
      // Secrets reach the output only in the setsecret commands that hand them to the agent.
      for (const secret of leakedSecrets(output, emu.secrets())) assert.fail(`a secret (${secret.slice(0, 4)}…) appears in the task output`);

      // A retried run of the same step (attempt 2): attaches, submits nothing.
      const before = emu.requests.filter("PUT", /./).length;
      const retry = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", attempt: 2 });
      assert.equal(retry.result, "Succeeded", details(retry));
      assert.equal(retry.variables["JobName"].value, jobName);
      assert.match(retry.stdout, new RegExp(`Job '${jobName}' already exists`));
      assert.equal(emu.requests.filter("PUT", /./).length, before, "no upload registration or job PUT on re-attach");

      // The next build submits a new job; its code is unchanged, so no blob is written again.
      const next = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", buildId: "43" });
      assert.equal(next.result, "Succeeded", details(next));
      assert.notEqual(next.variables["JobName"].value, jobName);
      assert.deepEqual(await uploadedBlobs(container), blobs, "same blobs, same etags: nothing was uploaded");
      assert.match(next.stdout, /already uploaded .* nothing to upload/);
      const secondCodes = puts(emu, /\/codes\/[^/]+\/versions\/1$/).slice(2);
      assert.deepEqual(
        secondCodes.map((c) => c.path),
        codes.map((c) => c.path),
        "the same code versions (idempotent PUT)",
      );
      assert.deepEqual(jobPut(emu, next.variables["JobName"].value).jobs.train.componentId, `${WS}/components/azureml_anonymous/versions/${trainVersion}`);
    });
  });

  it("local component files with code and an inline environment (local-components.yml)", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/local-components.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const jobName = r.variables["JobName"].value;
    const envs = puts(emu, /\/environments\/CliV2AnonymousEnvironment\/versions\/[^/]+$/);
    assert.equal(envs.length, 1);
    assert.equal(envs[0].body.properties.image, "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest");
    assert.equal(envs[0].body.properties.isAnonymous, true);
    const components = anonymousComponents();
    // Registered anonymously, the files' own name/version are replaced inside the spec too (SDK
    // entities/_component/component.py _set_is_anonymous, _update_anonymous_hash); told apart by their script.
    for (const [v, c] of components) assert.deepEqual([c.componentSpec.name, c.componentSpec.version], ["azureml_anonymous", v]);
    const script = (spec: Record<string, unknown>) => /python (\w+)\.py/.exec(String(spec.command))![1];
    const byName = new Map([...components.entries()].map(([v, c]) => [script(c.componentSpec), { version: v, spec: c.componentSpec }]));
    assert.deepEqual([...byName.keys()].sort(), ["evaluate", "prep", "train"]);
    assert.equal(byName.get("evaluate")!.spec.environment, `azureml:${WS}/environments/CliV2AnonymousEnvironment/versions/${envs[0].path.split("/").pop()}`);
    assert.equal(byName.get("train")!.spec._source, "YAML.COMPONENT");
    const body = jobPut(emu, jobName);
    assert.deepEqual(body.settings, {
      default_compute: `${WS}/computes/gpu-cluster`,
      default_datastore: `${WS}/datastores/workspaceblobstore`,
      continue_on_step_failure: false,
      _source: "YAML.JOB",
    });
    assert.equal(body.computeId, undefined);
    assert.deepEqual(body.outputs, { best_model: { jobOutputType: "custom_model" } });
    assert.deepEqual(body.jobs.prep, {
      type: "command",
      name: "prep",
      tags: {},
      properties: {},
      _source: "YAML.COMPONENT",
      componentId: `${WS}/components/azureml_anonymous/versions/${byName.get("prep")!.version}`,
      inputs: { raw_data: { job_input_type: "literal", value: "${{parent.inputs.training_data}}" }, seed: { job_input_type: "literal", value: "7" } },
      outputs: {},
    });
    assert.equal(body.jobs.evaluate.componentId, `${WS}/components/azureml_anonymous/versions/${byName.get("evaluate")!.version}`);
    assert.equal(puts(emu, /\/codes\/[^/]+\/versions\/1$/).length, 3);
  });

  it("registered components: @latest resolved to the newest version, nothing uploaded or registered", async () => {
    const spec = (name: string) => ({
      componentSpec: {
        name,
        type: "command",
        command: "python run.py",
        environment: "azureml:AzureML-sklearn-1.5:1",
        outputs: { prepared_data: { type: "uri_folder" } },
      },
      description: name,
      tags: {},
    });
    emu.ml.seedAsset("components", "prep_data", "1", spec("prep_data"));
    emu.ml.seedAsset("components", "prep_data", "2", spec("prep_data"));
    emu.ml.seedAsset("components", "train_model", "1", spec("train_model"));
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/registered-components.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const body = jobPut(emu, r.variables["JobName"].value);
    assert.equal(body.jobs.prep.componentId, `${WS}/components/prep_data/versions/2`);
    assert.equal(body.jobs.prep._source, "REMOTE.WORKSPACE.COMPONENT");
    assert.equal(body.jobs.train.componentId, `${WS}/components/train_model/versions/1`);
    assert.equal(body.jobs.train.computeId, `${WS}/computes/gpu-cluster`);
    assert.deepEqual(body.jobs.train.inputs.learning_rate, { job_input_type: "literal", value: "0.05" });
    assert.deepEqual(body.inputs.training_data, { jobInputType: "uri_folder", uri: `${WS}/data/training_data/versions/1` });
    assert.deepEqual(emu.requests.filter("PUT", /\/(codes|components|environments)\//), [], "nothing registered");
    const latest = emu.requests.filter("GET", /\/components\/prep_data\/versions$/);
    assert.equal(latest.length, 1);
    assert.deepEqual([latest[0].query["$orderBy"], latest[0].query["$top"]], ["createdtime desc", "1"]);
  });

  it("local data: the CSV uploaded to LocalUpload/<md5>/training.csv and sent as a datastore URI", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/local-data.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const data = await hashLocalArtifact(path.join(sources, "pipelines", "data", "training.csv"));
    const body = jobPut(emu, r.variables["JobName"].value);
    assert.deepEqual(body.inputs.sample_data, {
      jobInputType: "uri_file",
      uri: `azureml://datastores/workspaceblobstore/paths/LocalUpload/${data.uploadHash}/training.csv`,
      mode: "Download",
    });
    const code = puts(emu, /\/codes\/[^/]+\/versions\/1$/)[0].body.properties.codeUri as string;
    const blobs = await uploadedBlobs(containerOfCodeUri(emu, code));
    assert.equal(blobs.get(`LocalUpload/${data.uploadHash}/training.csv`)?.metadata.upload_status, "completed");
    const uploaded = await containerOfCodeUri(emu, code).getBlobClient(`LocalUpload/${data.uploadHash}/training.csv`).downloadToBuffer();
    assert.deepEqual(uploaded, await fs.promises.readFile(path.join(sources, "pipelines", "data", "training.csv")));
  });

  it("outputs bound to the pipeline: the service reports uri null, so Output_best_model is the job-output URI", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/best-model-output.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const jobName = r.variables["JobName"].value;
    const body = jobPut(emu, jobName);
    assert.deepEqual(body.outputs, { best_model: { jobOutputType: "custom_model", mode: "Upload" } });
    assert.deepEqual(body.jobs.evaluate.outputs, { best_model: { value: "${{parent.outputs.best_model}}", type: "literal" } });
    assert.equal((emu.ml.job(jobName)!.outputs.best_model as { uri: unknown }).uri, null, "a completed pipeline reports no uri (recorded)");
    assert.equal(r.variables["Output_best_model"].value, `azureml://jobs/${jobName}/outputs/best_model`);
    assert.equal(r.variables["Output_best_model"].isOutput, true);
  });

  it("an output with a path: Output_<name> is the uri the service reports", async () => {
    const r = await runSubmitTask(emu, {
      sources,
      jobFile: "pipelines/best-model-output.yml",
      inputs: { overrides: "outputs.best_model.path=azureml://datastores/workspaceblobstore/paths/models/best/" },
    });
    assert.equal(r.result, "Succeeded", details(r));
    const jobName = r.variables["JobName"].value;
    assert.equal((emu.ml.job(jobName)!.outputs.best_model as { uri: unknown }).uri, "azureml://datastores/workspaceblobstore/paths/models/best/");
    assert.equal(r.variables["Output_best_model"].value, "azureml://datastores/workspaceblobstore/paths/models/best/");
  });

  it("overrides (--set) change inputs and settings; experimentName, displayName and tags inputs win", async () => {
    const r = await runSubmitTask(emu, {
      sources,
      jobFile: "pipelines/train-with-overrides.yml",
      inputs: {
        overrides: "inputs.learning_rate=0.1\n# a comment\ninputs.epochs=50\nsettings.continue_on_step_failure=true",
        experimentName: "nightly",
        displayName: "Nightly churn training",
        tags: "owner=mlops\nrun=nightly",
      },
    });
    assert.equal(r.result, "Succeeded", details(r));
    const body = jobPut(emu, r.variables["JobName"].value);
    assert.deepEqual(body.inputs.learning_rate, { jobInputType: "literal", value: "0.1" });
    assert.deepEqual(body.inputs.epochs, { jobInputType: "literal", value: "50" });
    assert.equal(body.settings.continue_on_step_failure, true);
    assert.equal(body.experimentName, "nightly");
    assert.equal(body.displayName, "Nightly churn training");
    assert.deepEqual(body.tags, { owner: "mlops", run: "nightly" });
  });

  it("a command job: CommandJob with codeId and environmentId, no component", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/command-job.yml", inputs: { jobName: "train-churn-1" } });
    assert.equal(r.result, "Succeeded", details(r));
    assert.equal(r.variables["JobName"].value, "train-churn-1");
    const code = puts(emu, /\/codes\/[^/]+\/versions\/1$/)[0];
    const body = jobPut(emu, "train-churn-1");
    assert.equal(body.jobType, "Command");
    assert.equal(body.codeId, `${WS}/codes/${code.path.split("/").slice(-3)[0]}/versions/1`);
    assert.equal(body.environmentId, "azureml:AzureML-TensorFlow-2.4-GPU@latest");
    assert.equal(body.computeId, `${WS}/computes/gpu-cluster`);
    assert.deepEqual(body.limits, { jobLimitsType: "Command", timeout: "PT1H" });
    const { "azdo.stepRun": stepRun, ...git } = body.properties as Record<string, string>;
    assert.deepEqual(git, GIT);
    assert.match(stepRun, /^azdo_b42_[0-9a-f]{12}$/, "the step that submitted the job");
    assert.deepEqual(emu.requests.filter("PUT", /\/components\//), []);
    // Command jobs: the declared output (uri null → the job-output URI) and the service's `default` output (its uri).
    assert.equal(r.variables["Output_model_output"].value, "azureml://jobs/train-churn-1/outputs/model_output");
    assert.equal(r.variables["Output_default"].value, (emu.ml.job("train-churn-1")!.outputs.default as { uri: string }).uri);
  });
});
