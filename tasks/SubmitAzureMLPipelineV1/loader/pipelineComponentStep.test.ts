/**
 * `type: pipeline` steps (pipeline components): the component registrations and the node dict compared field
 * by field with what the CLI sends, and the refusals with file, line and key.
 *
 * Expected shapes: Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/
 * test_pipeline_job.pyTestPipelineJobtest_pipeline_with_pipeline_component.json — the pipeline component PUT
 * (componentSpec with `$schema`, display_name, stringified input defaults, `type: pipeline`, `jobs` without
 * node names, `_source: "YAML.COMPONENT"`, `sourceJobId: null`) after the PUTs of its inner components, and
 * the job's `type: pipeline` node `{name, type, inputs, _source, componentId}`.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { JobDefinitionError, loadJob as loadWith, type JobDefinitionErrorCode, type JobPlan, type ResolvedJobDependencies } from "./index";
import { loaderLoc } from "./loaderLoc.testing";
import { useJobFolder } from "./jobFolder.testing";

/** The loader with the task's own messages (task.json), as the entry passes them. */
const loadJob = (file: string) => loadWith(file, { loc: loaderLoc() });

const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
const TRAIN = [
  "type: command",
  "inputs:",
  "  data: {type: uri_folder}",
  "  lr: {type: number}",
  "outputs:",
  "  model: {type: uri_folder}",
  "command: python train.py ${{inputs.data}} ${{inputs.lr}} ${{outputs.model}}",
  "environment: azureml:env:1",
  "",
].join("\n");
const SUB = [
  "$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json", // 1
  "type: pipeline",
  "name: train_and_check",
  "display_name: Train and check",
  "description: trains then checks",
  "inputs:",
  "  data: {type: uri_folder}",
  "  lr: {type: number, default: 1}",
  "  epochs: {type: integer, optional: true}",
  "outputs:", // 10
  "  model: {type: uri_folder}",
  "jobs:",
  "  train:",
  "    component: ./train.yml",
  "    inputs:",
  "      data: ${{parent.inputs.data}}",
  "      lr: ${{parent.inputs.lr}}",
  "    outputs:",
  "      model: ${{parent.outputs.model}}",
  "  check:", // 20
  "    command: echo ${{inputs.m}}",
  "    environment: azureml:env:1",
  "    inputs:",
  "      m: ${{parent.jobs.train.outputs.model}}",
  "",
].join("\n");

function resolved(plan: JobPlan): ResolvedJobDependencies {
  const referenceIds: Record<string, string> = {};
  for (const r of plan.references) if (r.resolution === "latest") referenceIds[r.key] = `${WS}/${r.kind}/${r.name}/versions/9`;
  return { workspaceId: WS, codeIds: {}, referenceIds };
}

describe("loader: pipeline component steps", () => {
  const folder = useJobFolder("pcomp-");
  const write = folder.write;

  async function rejects(files: Record<string, string>, fileWithError: string, code: JobDefinitionErrorCode, line: number, ...parts: string[]) {
    const job = await write({ "sub/train.yml": TRAIN, ...files });
    await assert.rejects(loadJob(job), (e: unknown) => {
      assert.ok(e instanceof JobDefinitionError, `expected a JobDefinitionError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      assert.equal(e.line, line, e.message);
      assert.ok(e.message.includes(`${path.join(folder.dir, fileWithError)}:${line}`), e.message);
      for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
      return true;
    });
  }

  const JOB = [
    "type: pipeline", // 1
    "settings: {default_compute: azureml:cpu}",
    "inputs:",
    "  raw: {type: uri_folder, path: azureml://datastores/workspaceblobstore/paths/raw/}",
    "outputs:",
    "  best: {type: uri_folder}",
    "jobs:",
    "  first:",
    "    type: pipeline",
    "    component: ./sub/pipeline.yml", // 10
    "    inputs:",
    "      data: ${{parent.inputs.raw}}",
    "      epochs: 20",
    "  second:",
    "    type: pipeline",
    "    component: ./sub/pipeline.yml",
    "    display_name: Second",
    "    inputs:",
    "      data: ${{parent.inputs.raw}}",
    "      lr: 0.01", // 20
    "    outputs:",
    "      model: ${{parent.outputs.best}}",
    "  check:", // the name of an inline step inside the component, with another command: another component
    "    command: echo best ${{inputs.m}}",
    "    environment: azureml:env:1",
    "    inputs:",
    "      m: ${{parent.jobs.first.outputs.model}}",
    "",
  ];

  it("a local pipeline component: inner components first, then the component, then two nodes using it", async () => {
    const plan = await loadJob(await write({ "sub/train.yml": TRAIN, "sub/pipeline.yml": SUB, "job.yml": JOB.join("\n") }));
    const deps = resolved(plan);
    const components = plan.componentVersions(deps);
    const id = (v: string) => `${WS}/components/azureml_anonymous/versions/${v}`;
    assert.deepEqual(
      components.map((c) => [c.body.properties.componentSpec.type, c.body.properties.componentSpec._source]),
      [
        ["command", "YAML.COMPONENT"], // train.yml
        ["command", "YAML.JOB"], // the component's inline 'check' step
        ["pipeline", "YAML.COMPONENT"], // pipeline.yml, registered once for both nodes
        ["command", "YAML.JOB"], // the job's own inline 'check' step
      ],
    );
    const [train, check, pipeline, outerCheck] = components;
    assert.notEqual(outerCheck.version, check.version);
    assert.equal(outerCheck.body.properties.componentSpec.command, "echo best ${{inputs.m}}");
    assert.deepEqual(pipeline.body, {
      properties: {
        componentSpec: {
          $schema: "https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json",
          name: "azureml_anonymous",
          version: pipeline.version,
          display_name: "Train and check",
          description: "trains then checks",
          type: "pipeline",
          inputs: {
            data: { type: "uri_folder" },
            lr: { type: "number", default: "1" },
            epochs: { type: "integer", optional: true },
          },
          outputs: { model: { type: "uri_folder" } },
          jobs: {
            train: {
              type: "command",
              _source: "YAML.COMPONENT",
              componentId: id(train.version),
              inputs: {
                data: { job_input_type: "literal", value: "${{parent.inputs.data}}" },
                lr: { job_input_type: "literal", value: "${{parent.inputs.lr}}" },
              },
              outputs: { model: { value: "${{parent.outputs.model}}", type: "literal" } },
            },
            check: {
              type: "command",
              _source: "YAML.JOB",
              componentId: id(check.version),
              inputs: { m: { job_input_type: "literal", value: "${{parent.jobs.train.outputs.model}}" } },
            },
          },
          _source: "YAML.COMPONENT",
          sourceJobId: null,
        },
        isAnonymous: true,
        description: "trains then checks",
        tags: {},
        properties: {},
      },
    });
    const jobs = (plan.buildJobBody(deps, { jobName: "j" }).properties as unknown as { jobs: Record<string, unknown> }).jobs;
    assert.deepEqual(jobs.first, {
      name: "first",
      type: "pipeline",
      _source: "YAML.COMPONENT",
      componentId: id(pipeline.version),
      inputs: {
        data: { job_input_type: "literal", value: "${{parent.inputs.raw}}" },
        epochs: { job_input_type: "literal", value: "20" },
      },
    });
    assert.deepEqual(jobs.second, {
      name: "second",
      type: "pipeline",
      display_name: "Second",
      _source: "YAML.COMPONENT",
      componentId: id(pipeline.version),
      inputs: {
        data: { job_input_type: "literal", value: "${{parent.inputs.raw}}" },
        lr: { job_input_type: "literal", value: "0.01" },
      },
      outputs: { model: { value: "${{parent.outputs.best}}", type: "literal" } },
    });
  });

  it("a sweep step inside a pipeline component: its node in the component's jobs, without name", async () => {
    const sweepSub = [
      "type: pipeline",
      "inputs:",
      "  data: {type: uri_folder}",
      "jobs:",
      "  tune:",
      "    type: sweep",
      "    trial: ./train.yml",
      "    inputs:",
      "      data: ${{parent.inputs.data}}",
      "    search_space: {lr: {type: uniform, min_value: 0.01, max_value: 0.1}}",
      "    sampling_algorithm: random",
      "    objective: {goal: maximize, primary_metric: acc}",
      "    limits: {max_total_trials: 4}",
      "",
    ].join("\n");
    const job = [
      "type: pipeline",
      "compute: azureml:cpu",
      "jobs:",
      "  outer:",
      "    type: pipeline",
      "    component: ./sub/sweep.yml",
      "    inputs: {data: azureml:d:1}",
      "",
    ];
    const plan = await loadJob(await write({ "sub/train.yml": TRAIN, "sub/sweep.yml": sweepSub, "job.yml": job.join("\n") }));
    const [train, pipeline] = plan.componentVersions(resolved(plan));
    assert.deepEqual(pipeline.body.properties.componentSpec.jobs, {
      tune: {
        limits: { max_total_trials: 4 },
        sampling_algorithm: "random",
        objective: { goal: "maximize", primary_metric: "acc" },
        search_space: { lr: { type: "uniform", min_value: 0.01, max_value: 0.1 } },
        type: "sweep",
        _source: "YAML.COMPONENT",
        trial: { componentId: `${WS}/components/azureml_anonymous/versions/${train.version}` },
        inputs: { data: { job_input_type: "literal", value: "${{parent.inputs.data}}" } },
      },
    });
  });

  it("workspace and registry pipeline components are referenced, nothing registered", async () => {
    const plan = await loadJob(
      await write({
        "job.yml": [
          "type: pipeline",
          "compute: azureml:cpu",
          "jobs:",
          "  a:",
          "    type: pipeline",
          "    component: azureml:tc:2",
          "  b:",
          "    type: pipeline",
          "    component: azureml:tc@latest",
          "  c:",
          "    type: pipeline",
          "    component: azureml://registries/reg/components/tc/versions/1",
          "",
        ].join("\n"),
      }),
    );
    const deps = resolved(plan);
    assert.deepEqual(plan.componentVersions(deps), []);
    const jobs = (plan.buildJobBody(deps, { jobName: "j" }).properties as unknown as { jobs: Record<string, unknown> }).jobs;
    assert.deepEqual(jobs, {
      a: { name: "a", type: "pipeline", _source: "REMOTE.WORKSPACE.COMPONENT", componentId: `${WS}/components/tc/versions/2` },
      b: { name: "b", type: "pipeline", _source: "REMOTE.WORKSPACE.COMPONENT", componentId: `${WS}/components/tc/versions/9` },
      c: { name: "c", type: "pipeline", _source: "REMOTE.REGISTRY", componentId: "azureml://registries/reg/components/tc/versions/1" },
    });
  });

  describe("refusals name the file, the line and the key", () => {
    const head = ["type: pipeline", "compute: azureml:cpu", "jobs:", "  p:", "    type: pipeline"]; // step at line 4

    it("in the job", async () => {
      await rejects({ "job.yml": [...head, ""].join("\n") }, "job.yml", "MissingKey", 4, "needs 'component'");
      await rejects({ "job.yml": [...head, "    component: ./nope.yml", ""].join("\n") }, "job.yml", "FileNotFound", 6, "Pipeline component file not found");
      await rejects(
        { "job.yml": [...head, "    component: {type: pipeline, jobs: {}}", ""].join("\n") },
        "job.yml",
        "Unsupported",
        6,
        "inline pipeline component at line 6 is not supported",
        "in its own file",
      );
      await rejects({ "job.yml": [...head, "    component: ./sub/pipeline.yml", "    jobs: {}", ""].join("\n") }, "job.yml", "Unsupported", 7, "jobs");
      const withInputs = (inputs: string[]) => ({
        "sub/pipeline.yml": SUB,
        "job.yml": [...head, "    component: ./sub/pipeline.yml", ...inputs, ""].join("\n"),
      });
      await rejects(withInputs([]), "job.yml", "MissingKey", 4, "Required input 'data' of pipeline component");
      await rejects(withInputs(["    inputs: {data: x, nope: 1}"]), "job.yml", "UnknownBinding", 7, "sets input 'nope' at line 7");
      await rejects(withInputs(["    inputs: {data: x}", "    outputs: {other: {type: uri_folder}}"]), "job.yml", "UnknownBinding", 8, "sets output 'other'");
    });

    it("a pipeline job whose top level names a component is pointed to a pipeline step", async () => {
      await rejects(
        { "sub/pipeline.yml": SUB, "job.yml": ["type: pipeline", "compute: azureml:cpu", "component: ./sub/pipeline.yml", ""].join("\n") },
        "job.yml",
        "Unsupported",
        3,
        "'component'",
        "use the pipeline component as a step (jobs: {<name>: {type: pipeline, component:",
      );
    });

    it("in the component file", async () => {
      const job = { "job.yml": [...head, "    component: ./sub/pipeline.yml", "    inputs: {data: x}", ""].join("\n") };
      await rejects(
        { ...job, "sub/pipeline.yml": SUB.replace("type: pipeline", "type: command") },
        "sub/pipeline.yml",
        "InvalidValue",
        2,
        "so its type must be 'pipeline', not 'command' (line 2)",
      );
      await rejects(
        { ...job, "sub/pipeline.yml": SUB.replace("      lr: ${{parent.inputs.lr}}", "      lr: ${{parent.inputs.rate}}") },
        "sub/pipeline.yml",
        "UnknownBinding",
        17,
        "the pipeline has no input 'rate'",
      );
      await rejects(
        { ...job, "sub/pipeline.yml": SUB.replace("./train.yml", "./missing.yml") },
        "sub/pipeline.yml",
        "FileNotFound",
        14,
        "Component file not found",
      );
      await rejects({ ...job, "sub/pipeline.yml": `${SUB}settings: {}\n` }, "sub/pipeline.yml", "Unsupported", 25, "settings");
      await rejects(
        {
          ...job,
          "sub/pipeline.yml": `${SUB.replace("jobs:\n", "jobs:\n  again:\n    type: pipeline\n    component: ./pipeline.yml\n    inputs: {data: x}\n")}`,
        },
        "sub/pipeline.yml",
        "InvalidValue",
        15,
        "includes itself (pipeline.yml → pipeline.yml)",
      );
    });
  });
});
