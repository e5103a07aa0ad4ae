/**
 * `type: parallel` steps: the anonymous parallel component and the node compared field by field with
 * what the CLI builds (azure-ai-ml entities/_job/parallel/parallel_job.py `_to_component`/`_to_node`,
 * entities/_builders/parallel.py `Parallel.__init__`/`_to_rest_object`, _schema/component/
 * parallel_component.py; the recorded node of test_pipeline_job.pyTestPipelineJobtest_pipeline_job_with_parallel_job.json,
 * see parallelStep.ts), and every refusal made while loading (before any upload),
 * naming file, line and key.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loaderLoc } from "./loaderLoc.testing";
import { JobDefinitionError, loadJob as loadWith, type JobDefinitionErrorCode, type JobPlan, type ResolvedJobDependencies } from "./index";
import { useJobFolder } from "./jobFolder.testing";

const loadJob = (file: string) => loadWith(file, { loc: loaderLoc() });
const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

const INLINE = `type: pipeline
settings:
  default_compute: azureml:cpu-cluster
inputs:
  images:
    type: uri_folder
    path: azureml:digits:3
outputs:
  scores:
    type: uri_folder
jobs:
  score:
    type: parallel
    display_name: Score digits
    inputs:
      data:
        type: uri_folder
        path: \${{parent.inputs.images}}
        mode: ro_mount
      threshold: 0.5
    outputs:
      scored: \${{parent.outputs.scores}}
    input_data: \${{inputs.data}}
    mini_batch_size: "10kb"
    mini_batch_error_threshold: 5
    error_threshold: -1
    max_concurrency_per_instance: 2
    logging_level: DEBUG
    retry_settings:
      max_retries: 3
      timeout: 60
    resources:
      instance_count: 2
    environment_variables:
      AZUREML_PRS_VERBOSE: "true"
    task:
      type: run_function
      code: ./score
      entry_script: score.py
      program_arguments: --threshold \${{inputs.threshold}} --out \${{outputs.scored}}
      append_row_to: \${{outputs.scored}}
      environment: azureml:sklearn-env:4
`;

const COMPONENT_FILE = `$schema: https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json
type: parallel
name: batch_score
version: "2"
description: Scores files in batches
inputs:
  data:
    type: uri_folder
outputs:
  scored:
    type: uri_folder
input_data: \${{inputs.data}}
mini_batch_size: "1mb"
mini_batch_error_threshold: 1
max_concurrency_per_instance: 4
error_threshold: 10
logging_level: WARNING
retry_settings:
  max_retries: 2
resources:
  instance_count: 3
task:
  type: run_function
  code: ./score
  entry_script: score.py
  environment:
    image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
`;

describe("loader: parallel steps", () => {
  const folder = useJobFolder("parallel-yaml-");
  const write = folder.write;

  function resolve(plan: JobPlan): ResolvedJobDependencies {
    const codeIds: Record<string, string> = {};
    plan.codeVersions.forEach((c, i) => (codeIds[c.key] = `${WS}/codes/code-${i}/versions/1`));
    return { workspaceId: WS, codeIds };
  }

  async function rejects(file: string, code: JobDefinitionErrorCode, line: number, keyPath: string, ...parts: string[]) {
    await assert.rejects(loadJob(file), (e: unknown) => {
      assert.ok(e instanceof JobDefinitionError, String(e));
      assert.deepEqual([e.code, e.line, e.keyPath], [code, line, keyPath], e.message);
      for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
      return true;
    });
  }

  it("an inline parallel step: code uploaded, an anonymous parallel component and the node as the CLI builds them", async () => {
    const file = await write({ "job.yml": INLINE, "score/score.py": "def run(batch):\n    return batch\n" });
    const plan = await loadJob(file);
    assert.deepEqual(
      plan.uploads.map((u) => [u.kind, u.files.map((f) => f.relativePath)]),
      [["code", ["score.py"]]],
    );
    assert.ok(
      plan.warnings.some((w) => w.includes("display_name") && w.includes("line 14")),
      plan.warnings.join("\n"),
    );
    const resolved = resolve(plan);
    const [component] = plan.componentVersions(resolved);
    const code = `azureml:${WS}/codes/code-0/versions/1`;
    const environment = `azureml:${WS}/environments/sklearn-env/versions/4`;
    const task = {
      type: "run_function",
      code,
      entry_script: "score.py",
      program_arguments: "--threshold ${{inputs.threshold}} --out ${{outputs.scored}}",
      append_row_to: "${{outputs.scored}}",
      environment,
    };
    // ParallelJob._to_component: task, inputs/outputs (types inferred as for command steps), input_data and the
    // settings; mini_batch_size "10kb" → 10240 (Parallel/ParallelComponent __init__), dumped by a string field.
    assert.deepEqual(JSON.parse(JSON.stringify(component.body.properties.componentSpec)), {
      name: "azureml_anonymous",
      version: component.version,
      type: "parallel",
      inputs: { data: { type: "uri_folder", mode: "ro_mount" }, threshold: { type: "number", default: "0.5" } },
      outputs: { scored: { type: "uri_folder" } },
      task,
      input_data: "${{inputs.data}}",
      mini_batch_size: "10240",
      logging_level: "DEBUG",
      max_concurrency_per_instance: 2,
      error_threshold: -1,
      mini_batch_error_threshold: 5,
      retry_settings: { timeout: 60, max_retries: 3 },
      resources: { instance_count: 2 },
      tags: {},
      is_deterministic: true,
      _source: "YAML.JOB",
    });
    const body = plan.buildJobBody(resolved, { jobName: "j1" }) as { properties: Record<string, any> };
    // Parallel._to_rest_object: the picked fields, componentId, retry_settings, logging_level, mini_batch_size
    // (the integer); no display_name (ParallelJob._to_node does not pass it).
    assert.deepEqual(JSON.parse(JSON.stringify(body.properties.jobs.score)), {
      type: "parallel",
      name: "score",
      tags: {},
      properties: {},
      _source: "YAML.JOB",
      componentId: `${WS}/components/azureml_anonymous/versions/${component.version}`,
      inputs: {
        data: { job_input_type: "literal", value: "${{parent.inputs.images}}", mode: "ReadOnlyMount" },
        threshold: { job_input_type: "literal", value: "0.5" },
      },
      outputs: { scored: { value: "${{parent.outputs.scores}}", type: "literal" } },
      environment_variables: { AZUREML_PRS_VERBOSE: "true" },
      task,
      input_data: "${{inputs.data}}",
      mini_batch_size: 10240,
      logging_level: "DEBUG",
      max_concurrency_per_instance: 2,
      error_threshold: -1,
      mini_batch_error_threshold: 5,
      retry_settings: { timeout: 60, max_retries: 3 },
      resources: { instance_count: 2 },
    });
  });

  it("a parallel component file: its spec normalised, and the node takes what Parallel.__init__ copies from it", async () => {
    const file = await write({
      "job.yml": `type: pipeline
compute: azureml:cpu-cluster
jobs:
  score:
    type: parallel
    component: ./batch_score.yml
    inputs:
      data:
        type: uri_folder
        path: azureml:digits:3
    max_concurrency_per_instance: 8
`,
      "batch_score.yml": COMPONENT_FILE,
      "score/score.py": "def run(batch):\n    return batch\n",
    });
    const plan = await loadJob(file);
    assert.deepEqual(
      plan.environmentVersions.map((e) => e.body.properties.image),
      ["mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest"],
    );
    const resolved = resolve(plan);
    const [component] = plan.componentVersions(resolved);
    const spec = JSON.parse(JSON.stringify(component.body.properties.componentSpec));
    const task = {
      type: "run_function",
      code: `azureml:${WS}/codes/code-0/versions/1`,
      entry_script: "score.py",
      environment: `azureml:${WS}/environments/CliV2AnonymousEnvironment/versions/${plan.environmentVersions[0].version}`,
    };
    assert.deepEqual(spec.task, task);
    assert.deepEqual(
      [spec.name, spec.version, spec.type, spec.mini_batch_size, spec.logging_level, spec._source, spec.is_deterministic, spec.$schema],
      ["azureml_anonymous", component.version, "parallel", "1048576", "WARNING", "YAML.COMPONENT", true, undefined],
    );
    const node = JSON.parse(JSON.stringify(plan.buildJobBody(resolved, { jobName: "j1" }).properties)).jobs.score;
    // Inherited: task, input_data, mini_batch_size, mini_batch_error_threshold, retry_settings, resources;
    // the node's own max_concurrency_per_instance wins; error_threshold and logging_level are not inherited.
    assert.deepEqual(node, {
      type: "parallel",
      name: "score",
      tags: {},
      properties: {},
      _source: "YAML.COMPONENT",
      componentId: `${WS}/components/azureml_anonymous/versions/${component.version}`,
      inputs: { data: { job_input_type: "uri_folder", uri: `${WS}/data/digits/versions/3` } },
      outputs: {},
      environment_variables: {},
      task,
      input_data: "${{inputs.data}}",
      mini_batch_size: 1048576,
      max_concurrency_per_instance: 8,
      mini_batch_error_threshold: 1,
      retry_settings: { max_retries: 2 },
      resources: { instance_count: 3 },
    });
  });

  it("a registered parallel component: nothing registered, the node carries only its own settings", async () => {
    const file = await write({
      "job.yml": `type: pipeline
compute: azureml:cpu-cluster
inputs:
  size: "20"
jobs:
  score:
    type: parallel
    component: azureml:batch_score:2
    mini_batch_size: \${{parent.inputs.size}}
    logging_level: INFO
`,
    });
    const plan = await loadJob(file);
    const resolved = resolve(plan);
    assert.deepEqual(plan.componentVersions(resolved), []);
    const node = JSON.parse(JSON.stringify(plan.buildJobBody(resolved, { jobName: "j1" }).properties)).jobs.score;
    assert.deepEqual(node, {
      type: "parallel",
      name: "score",
      tags: {},
      properties: {},
      _source: "REMOTE.WORKSPACE.COMPONENT",
      componentId: `${WS}/components/batch_score/versions/2`,
      inputs: {},
      outputs: {},
      environment_variables: {},
      mini_batch_size: "${{parent.inputs.size}}",
      logging_level: "INFO",
    });
  });

  describe("refused while loading, naming file, line and key", () => {
    const step = (extra: string, task = "    task:\n      type: run_function\n      environment: azureml:env:1\n") =>
      `type: pipeline\ncompute: azureml:cpu\njobs:\n  score:\n    type: parallel\n${task}${extra}`;

    it("mini_batch_size written as a number (the CLI's string field refuses it)", async () => {
      await rejects(await write({ "job.yml": step("    mini_batch_size: 10\n") }), "InvalidValue", 9, "jobs.score.mini_batch_size", "'10' (quoted)");
    });
    it("mini_batch_size that is not <n>[kb|mb|gb]", async () => {
      await rejects(await write({ "job.yml": step('    mini_batch_size: "10tb"\n') }), "InvalidValue", 9, "jobs.score.mini_batch_size", "'10tb'");
    });
    it("a logging_level the CLI does not know", async () => {
      await rejects(await write({ "job.yml": step("    logging_level: info\n") }), "InvalidValue", 9, "jobs.score.logging_level", "DEBUG, INFO, WARNING");
    });
    it("a task type that is not a parallel task", async () => {
      const task = "    task:\n      type: command\n      environment: azureml:env:1\n";
      await rejects(await write({ "job.yml": step("", task) }), "InvalidValue", 7, "jobs.score.task.type", "run_function, model, function");
    });
    it("task.model", async () => {
      const task = "    task:\n      type: model\n      model: azureml:m:1\n      environment: azureml:env:1\n";
      await rejects(await write({ "job.yml": step("", task) }), "Unsupported", 8, "jobs.score.task.model", "register the model");
    });
    it("task.environment missing", async () => {
      await rejects(await write({ "job.yml": step("", "    task:\n      type: run_function\n") }), "MissingKey", 6, "jobs.score.task.environment");
    });
    it("neither task nor component", async () => {
      await rejects(await write({ "job.yml": step("    compute: azureml:cpu\n", "") }), "MissingKey", 4, "jobs.score", "needs either 'task'");
    });
    for (const [key, value, hint] of [
      ["partition_keys", "[a]", "mini_batch_size instead"],
      ["identity", "{type: managed}", "remove identity"],
      ["command", "python x.py", "task.entry_script"],
      ["code", "./src", "task.code"],
      ["distribution", "{type: mpi}", "Unknown key"],
    ]) {
      it(`step key ${key}`, async () => {
        await rejects(
          await write({ "job.yml": step(`    ${key}: ${value}\n`) }),
          key === "distribution" ? "UnknownKey" : "Unsupported",
          9,
          `jobs.score.${key}`,
          hint,
        );
      });
    }
    it("a placeholder in program_arguments that names no input", async () => {
      const task = "    task:\n      type: run_function\n      program_arguments: --x ${{inputs.nope}}\n      environment: azureml:env:1\n";
      await rejects(await write({ "job.yml": step("", task) }), "UnknownBinding", 8, "jobs.score.task.program_arguments", "nope");
    });
    it("task on a step that uses a component", async () => {
      const file = await write({ "job.yml": step("    component: azureml:c:1\n") });
      await rejects(file, "Unsupported", 6, "jobs.score.task", "set task in the component file");
    });
    it("a command component file used by a parallel step", async () => {
      const file = await write({
        "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  score:\n    type: parallel\n    component: ./c.yml\n",
        "c.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\n",
      });
      await assert.rejects(loadJob(file), (e: unknown) => {
        assert.ok(e instanceof JobDefinitionError);
        assert.deepEqual([e.code, e.filePath, e.line, e.keyPath], ["Unsupported", path.join(folder.dir, "c.yml"), 1, "type"], e.message);
        assert.ok(e.message.includes("type: parallel"), e.message);
        return true;
      });
    });
    it("a parallel component file used by a step without type: parallel", async () => {
      const file = await write({
        "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  score:\n    component: ./c.yml\n",
        "c.yml": "type: parallel\ntask:\n  type: run_function\n  environment: azureml:env:1\n",
      });
      await assert.rejects(loadJob(file), (e: unknown) => {
        assert.ok(e instanceof JobDefinitionError);
        assert.deepEqual([e.code, e.filePath, e.line, e.keyPath], ["Unsupported", path.join(folder.dir, "c.yml"), 1, "type"], e.message);
        assert.ok(e.message.includes("set type: parallel on the step"), e.message);
        return true;
      });
    });
    it("a parallel component file binding mini_batch_size (component settings cannot be bindings)", async () => {
      const file = await write({
        "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  score:\n    type: parallel\n    component: ./c.yml\n",
        "c.yml": 'type: parallel\nmini_batch_size: "${{parent.inputs.x}}"\ntask:\n  type: run_function\n  environment: azureml:env:1\n',
      });
      await assert.rejects(loadJob(file), (e: unknown) => e instanceof JobDefinitionError && e.line === 2 && e.keyPath === "mini_batch_size");
    });
  });
});
