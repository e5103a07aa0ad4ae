/** The loader refuses what it cannot send faithfully, naming the file, key and line; and its defaults. */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Loc } from "../../common/loc";
import { loaderLoc } from "./loaderLoc.testing";
import { JobDefinitionError, loadJob as loadWith, type JobDefinitionErrorCode, type LoadJobOptions } from "./index";
import { useJobFolder } from "./jobFolder.testing";

/** The loader with the task's own messages (task.json), as the entry passes them. */
const loadJob = (file: string, options: Omit<LoadJobOptions, "loc"> = {}) => loadWith(file, { loc: loaderLoc(), ...options });

const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

const INLINE_PIPELINE = `type: pipeline
compute: azureml:cpu
inputs:
  lr: 0.01
  raw:
    type: uri_folder
    path: azureml:raw@latest
outputs:
  model:
    type: uri_folder
jobs:
  prep:
    command: echo \${{inputs.data}} > \${{outputs.out}}/x
    environment: azureml:env:1
    inputs:
      data: \${{parent.inputs.raw}}
    outputs:
      out:
        type: uri_folder
  train:
    command: echo \${{inputs.data}} \${{inputs.lr}} \${{outputs.model}}
    environment: azureml:env:1
    inputs:
      data: \${{parent.jobs.prep.outputs.out}}
      lr: \${{parent.inputs.lr}}
    outputs:
      model: \${{parent.outputs.model}}
`;

describe("loader: errors and defaults", () => {
  const folder = useJobFolder("job-yaml-");
  const write = folder.write;

  /** Asserts a JobDefinitionError with this code, line (of `file`, default job.yml) and message parts. */
  async function rejects(promise: Promise<unknown>, code: JobDefinitionErrorCode, line: number | undefined, ...parts: (string | RegExp)[]) {
    await assert.rejects(promise, (e: unknown) => {
      assert.ok(e instanceof JobDefinitionError, `expected a JobDefinitionError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      assert.equal(e.line, line, e.message);
      for (const part of parts) {
        if (typeof part === "string") assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
        else assert.match(e.message, part);
      }
      return true;
    });
  }

  it("loads the inline fixture (the base of the error cases below)", async () => {
    const plan = await loadJob(await write({ "job.yml": INLINE_PIPELINE }));
    assert.equal(plan.componentVersions({ workspaceId: WS, codeIds: {}, referenceIds: { "data:raw@latest": `${WS}/data/raw/versions/2` } }).length, 2);
  });

  describe("YAML and file errors", () => {
    it("reports a YAML syntax error with its line and column", async () => {
      const file = await write({ "job.yml": "type: pipeline\njobs:\n  train:\n    command: [echo\n    compute: cpu\n" });
      await assert.rejects(
        loadJob(file),
        (e: unknown) =>
          e instanceof JobDefinitionError && e.code === "YamlSyntax" && e.line === 5 && e.column !== undefined && e.message.includes(`${file}:5:`),
      );
    });

    it("refuses a missing, empty or non-mapping job file", async () => {
      await rejects(loadJob(path.join(folder.dir, "nope.yml")), "FileNotFound", undefined, "Job file not found", path.join(folder.dir, "nope.yml"));
      await rejects(loadJob(await write({ "job.yml": "  \n" })), "NotAMapping", undefined, "is empty");
      await rejects(loadJob(await write({ "job.yml": "- a\n- b\n" })), "NotAMapping", 1, "not a list");
    });

    it("names the missing component file and the line that refers to it", async () => {
      const file = await write({ "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  train:\n    component: ./components/train.yml\n" });
      await rejects(
        loadJob(file),
        "FileNotFound",
        5,
        `Component file not found: ${path.join(folder.dir, "components", "train.yml")}`,
        "step 'train'",
        "line 5",
      );
    });

    it("names a missing code folder and a missing local data path", async () => {
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: python a.py\ncode: ./src\nenvironment: azureml:env:1\n" })),
        "FileNotFound",
        3,
        `No such file or directory: ${path.join(folder.dir, "src")}`,
        "code './src' at line 3",
      );
      await rejects(
        loadJob(
          await write({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  d:\n    type: uri_file\n    path: ./data/x.csv\n" }),
        ),
        "FileNotFound",
        7,
        "path './data/x.csv' at line 7",
      );
    });

    it("refuses a file given as uri_folder and a folder given as uri_file", async () => {
      await write({ "data/x.csv": "a\n1\n" });
      await rejects(
        loadJob(
          await write({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  d:\n    type: uri_folder\n    path: ./data/x.csv\n" }),
        ),
        "InvalidValue",
        7,
        "There is no dir on target path",
      );
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  d:\n    type: uri_file\n    path: ./data\n" })),
        "InvalidValue",
        7,
        "There is no file on target path",
      );
    });

    it("refuses a missing conda file", async () => {
      const file = await write({ "job.yml": "type: command\ncommand: echo\nenvironment:\n  image: python:3.8\n  conda_file: ./conda.yml\n" });
      await rejects(loadJob(file), "FileNotFound", 5, `Conda file not found: ${path.join(folder.dir, "conda.yml")}`);
    });
  });

  describe("keys", () => {
    it("refuses unknown top-level keys with the key and line", async () => {
      await rejects(
        loadJob(await write({ "job.yml": `${INLINE_PIPELINE}jobz: {}\n` })),
        "UnknownKey",
        28,
        "Unknown key 'jobz' at line 28 in the pipeline job (allowed:",
      );
    });

    it("refuses keys the CLI knows but this task does not support, saying why", async () => {
      await rejects(
        loadJob(await write({ "job.yml": `services:\n  ssh: {}\n${INLINE_PIPELINE}` })),
        "Unsupported",
        1,
        "Key 'services' at line 1",
        "not supported by this task",
      );
      const step = INLINE_PIPELINE.replace("  train:\n", "  train:\n    services:\n      ssh: {}\n");
      await rejects(loadJob(await write({ "job.yml": step })), "Unsupported", 21, "Key 'services' at line 21 in command step 'jobs.train'");
      const env = "type: command\ncommand: echo\nenvironment:\n  image: python:3.8\n  build:\n    path: ./ctx\n";
      await rejects(loadJob(await write({ "job.yml": env })), "Unsupported", 5, "Key 'build' at line 5 in inline environment");
    });

    it("refuses unknown keys inside steps, inputs, resources and settings values", async () => {
      const step = INLINE_PIPELINE.replace("  train:\n", "  train:\n    retries: 3\n");
      await rejects(loadJob(await write({ "job.yml": step })), "UnknownKey", 21, "Unknown key 'retries' at line 21 in command step 'jobs.train'");
      const input = INLINE_PIPELINE.replace("    path: azureml:raw@latest\n", "    path: azureml:raw@latest\n    cache: true\n");
      await rejects(loadJob(await write({ "job.yml": input })), "UnknownKey", 8, "Unknown key 'cache' at line 8 in input 'inputs.raw'");
      const resources = "type: command\ncommand: echo\nenvironment: azureml:env:1\nresources:\n  gpus: 2\n";
      await rejects(loadJob(await write({ "job.yml": resources })), "UnknownKey", 5, "Unknown key 'gpus' at line 5 in resources");
    });

    it("refuses unsupported step and job types", async () => {
      const spark = INLINE_PIPELINE.replace("  train:\n", "  train:\n    type: spark\n");
      await rejects(
        loadJob(await write({ "job.yml": spark })),
        "Unsupported",
        21,
        "jobs.train.type 'spark' at line 21 is not supported by this task",
        "submit the Spark job on its own",
      );
      await rejects(loadJob(await write({ "job.yml": "type: automl\n" })), "Unsupported", 1, "Unsupported job type: 'automl' at line 1");
    });

    it("refuses node names that are not lowercase identifiers", async () => {
      const bad = INLINE_PIPELINE.replace("  train:\n", "  Train-Step:\n");
      await rejects(loadJob(await write({ "job.yml": bad })), "InvalidValue", 20, "Pipeline node name should be a valid python identifier: 'Train-Step'");
    });

    it("refuses invalid parameter names", async () => {
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  learning-rate: 1\n" })),
        "InvalidValue",
        5,
        "'learning-rate' is not a valid parameter name",
      );
    });
  });

  describe("inputs and outputs", () => {
    it("refuses an unknown input type, naming it and the line", async () => {
      const bad = INLINE_PIPELINE.replace("    type: uri_folder\n    path: azureml:raw@latest", "    type: uri_foldr\n    path: azureml:raw@latest");
      await rejects(loadJob(await write({ "job.yml": bad })), "InvalidValue", 6, "Unknown input type 'uri_foldr' at line 6", "uri_file, uri_folder, mltable");
    });

    it("refuses literal types in input mappings and bad modes", async () => {
      const literal = "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  lr:\n    type: number\n    path: x\n";
      await rejects(loadJob(await write({ "job.yml": literal })), "InvalidValue", 6, "literal type");
      const mode = INLINE_PIPELINE.replace("    path: azureml:raw@latest\n", "    path: azureml:raw@latest\n    mode: rw_mount\n");
      await rejects(loadJob(await write({ "job.yml": mode })), "InvalidValue", 8, "Input mode 'rw_mount' at line 8 is not valid for inputs");
      const direct = INLINE_PIPELINE.replace("  model:\n    type: uri_folder\n", "  model:\n    type: uri_folder\n    mode: direct\n");
      await rejects(loadJob(await write({ "job.yml": direct })), "InvalidValue", 11, "'direct' outputs are not sent by this task");
    });

    it("refuses an output path that is a local path", async () => {
      const local = INLINE_PIPELINE.replace("  model:\n    type: uri_folder\n", "  model:\n    type: uri_folder\n    path: ./out\n");
      await rejects(loadJob(await write({ "job.yml": local })), "InvalidValue", 11, "must be a datastore or storage URI");
    });

    it("refuses asset references without a version", async () => {
      const bad = INLINE_PIPELINE.replace("azureml:raw@latest", "azureml:raw");
      await rejects(loadJob(await write({ "job.yml": bad })), "InvalidValue", 7, "'azureml:raw' names no version");
    });
  });

  describe("bindings", () => {
    const cases: [string, string, string, number, string][] = [
      [
        "a missing pipeline input",
        "lr: ${{parent.inputs.lr}}",
        "lr: ${{parent.inputs.learning_rate}}",
        25,
        "Step 'train' input 'lr' at line 25 binds to ${{parent.inputs.learning_rate}}, but the pipeline has no input 'learning_rate' (inputs: lr, raw)",
      ],
      [
        "a missing step",
        "data: ${{parent.jobs.prep.outputs.out}}",
        "data: ${{parent.jobs.prepare.outputs.out}}",
        24,
        "there is no step 'prepare' (steps: prep, train)",
      ],
      [
        "a missing step output",
        "data: ${{parent.jobs.prep.outputs.out}}",
        "data: ${{parent.jobs.prep.outputs.result}}",
        24,
        "step 'prep' has no output 'result' (outputs: out)",
      ],
      ["the step itself", "data: ${{parent.jobs.prep.outputs.out}}", "data: ${{parent.jobs.train.outputs.model}}", 24, "there is no other step 'train'"],
      [
        "a missing pipeline output",
        "model: ${{parent.outputs.model}}",
        "model: ${{parent.outputs.best_model}}",
        27,
        "the pipeline has no output 'best_model' (outputs: model)",
      ],
      ["the legacy ${{inputs.x}} form", "lr: ${{parent.inputs.lr}}", "lr: ${{inputs.lr}}", 25, "has changed to ${{parent.inputs.lr}}"],
      ["an input bound to a pipeline output", "lr: ${{parent.inputs.lr}}", "lr: ${{parent.outputs.model}}", 25, "can bind only to a job output"],
      [
        "a command placeholder with no input",
        "echo ${{inputs.data}} ${{inputs.lr}}",
        "echo ${{inputs.data}} ${{inputs.epochs}}",
        21,
        "The command of step 'train' at line 21 refers to ${{inputs.epochs}}, but step 'train' declares no input 'epochs' (declared: data, lr)",
      ],
      ["a command placeholder with no output", "${{outputs.out}}/x", "${{outputs.result}}/x", 13, "declares no output 'result' (declared: out)"],
    ];
    for (const [what, from, to, line, message] of cases) {
      it(`refuses a binding to ${what}`, async () => {
        assert.ok(INLINE_PIPELINE.includes(from), from);
        await rejects(loadJob(await write({ "job.yml": INLINE_PIPELINE.replace(from, to) })), "UnknownBinding", line, message);
      });
    }

    it("accepts undeclared inputs inside $[[...]] optional sections", async () => {
      const optional = INLINE_PIPELINE.replace("echo ${{inputs.data}} ${{inputs.lr}}", "echo ${{inputs.data}} $[[--seed ${{inputs.seed}}]] ${{inputs.lr}}");
      await loadJob(await write({ "job.yml": optional }));
    });

    it("refuses settings.on_init naming no step", async () => {
      const init = INLINE_PIPELINE.replace("compute: azureml:cpu\n", "compute: azureml:cpu\nsettings:\n  on_init: setup\n");
      await rejects(loadJob(await write({ "job.yml": init })), "UnknownBinding", 4, "settings.on_init at line 4 names step 'setup'");
    });
  });

  describe("components", () => {
    const COMPONENT = `type: command
name: train
inputs:
  data:
    type: uri_folder
  lr:
    type: number
    default: 0.1
outputs:
  model:
    type: uri_folder
environment: azureml:env:1
command: python train.py \${{inputs.data}} \${{inputs.lr}} \${{outputs.model}}
`;
    const PIPELINE = "type: pipeline\ncompute: azureml:cpu\njobs:\n  train:\n    component: ./train.yml\n    inputs:\n      data: azureml:d:1\n";

    it("loads a valid component step", async () => {
      await write({ "train.yml": COMPONENT });
      const plan = await loadJob(await write({ "job.yml": PIPELINE.replace("azureml:d:1", "\n        type: uri_folder\n        path: azureml:d:1") }));
      const [component] = plan.componentVersions({ workspaceId: WS, codeIds: {} });
      assert.equal(component.body.properties.componentSpec.environment, `azureml:${WS}/environments/env/versions/1`);
      assert.deepEqual((component.body.properties.componentSpec.inputs as Record<string, unknown>).lr, { type: "number", default: 0.1 });
    });

    it("refuses an input the component does not declare, and a required input left out", async () => {
      await write({ "train.yml": COMPONENT });
      await rejects(
        loadJob(await write({ "job.yml": `${PIPELINE}      epochs: 3\n` })),
        "UnknownBinding",
        8,
        "Step 'train' sets input 'epochs' at line 8, which component",
        "(inputs: data, lr)",
      );
      await rejects(
        loadJob(await write({ "job.yml": PIPELINE.replace("      data: azureml:d:1\n", "      lr: 0.5\n") })),
        "MissingKey",
        6,
        "Required input 'data' for component 'train' not provided",
      );
    });

    it("reports errors inside the component file with that file's lines", async () => {
      await write({ "train.yml": COMPONENT.replace("name: train\n", "name: train\nretries: 2\n") });
      await assert.rejects(
        loadJob(await write({ "job.yml": PIPELINE })),
        (e: unknown) => e instanceof JobDefinitionError && e.code === "UnknownKey" && e.filePath === path.join(folder.dir, "train.yml") && e.line === 3,
      );
      await write({ "train.yml": COMPONENT.replace("type: number", "type: float") });
      await rejects(loadJob(await write({ "job.yml": PIPELINE })), "InvalidValue", 7, "Unknown input type 'float' at line 7");
      await write({ "train.yml": COMPONENT.replace("${{outputs.model}}", "${{outputs.best}}") });
      await rejects(loadJob(await write({ "job.yml": PIPELINE })), "UnknownBinding", 13, "declares no output 'best'");
    });

    it("refuses command/code/environment on a component step", async () => {
      await write({ "train.yml": COMPONENT });
      await rejects(
        loadJob(await write({ "job.yml": `${PIPELINE}    environment: azureml:other:1\n` })),
        "Unsupported",
        8,
        "takes its environment from the component",
      );
    });
  });

  describe("compute", () => {
    it("refuses a step with no compute anywhere", async () => {
      await rejects(
        loadJob(await write({ "job.yml": INLINE_PIPELINE.replace("compute: azureml:cpu\n", "") })),
        "MissingKey",
        11,
        "Compute not set for step 'prep' at line 11",
      );
    });

    it("refuses local compute", async () => {
      await rejects(loadJob(await write({ "job.yml": INLINE_PIPELINE.replace("compute: azureml:cpu", "compute: local") })), "Unsupported", 2, "does not do");
    });
  });

  describe("overrides", () => {
    it("refuses a malformed override line, an unknown root key and a path through a scalar", async () => {
      const file = await write({ "job.yml": INLINE_PIPELINE });
      await rejects(
        loadJob(file, { overrides: "inputs.lr=0.1\nlr 0.2" }),
        "BadOverride",
        undefined,
        "Override line 2 'lr 0.2' is not of the form key.path=value",
      );
      await rejects(
        loadJob(file, { overrides: "learning_rate=0.1" }),
        "BadOverride",
        undefined,
        "Override line 1 'learning_rate=0.1' sets 'learning_rate', which is not a key of a pipeline job",
      );
      await rejects(loadJob(file, { overrides: "inputs.lr.value=0.1" }), "BadOverride", undefined, "'inputs.lr': it is a number (0.01)");
      await rejects(loadJob(file, { overrides: "jobs.prep.environment.image=x" }), "BadOverride", undefined, "defined by a reference string ('azureml:env:1')");
    });

    it("names the override line when an overridden value is invalid", async () => {
      const file = await write({ "job.yml": INLINE_PIPELINE });
      await rejects(
        loadJob(file, { overrides: "\nsettings.continue_on_step_failure=maybe" }),
        "InvalidValue",
        undefined,
        "must be true or false",
        "set by override line 2 'settings.continue_on_step_failure=maybe'",
      );
      await rejects(loadJob(file, { overrides: "jobs.train.retries=2" }), "UnknownKey", undefined, "Unknown key 'retries'", "set by override line 1");
    });

    it("allows overriding the job type's keys only after reading the overridden type", async () => {
      const file = await write({ "job.yml": INLINE_PIPELINE });
      await rejects(loadJob(file, { overrides: "type=command" }), "UnknownKey", 11, "Unknown key 'jobs'");
    });
  });

  describe("defaults and pass-through", () => {
    it("uses the job name as displayName and the caller's fallback, else 'Default', as experimentName", async () => {
      const plan = await loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\n" }));
      const resolved = { workspaceId: WS, codeIds: {} };
      const withFallback = plan.buildJobBody(resolved, { jobName: "happy_owl_0123456789", defaultExperimentName: "mlops" }).properties;
      assert.equal(withFallback.displayName, "happy_owl_0123456789");
      assert.equal(withFallback.experimentName, "mlops");
      assert.equal(plan.buildJobBody(resolved, { jobName: "j" }).properties.experimentName, "Default");
      assert.equal(withFallback.computeId, undefined);
      assert.equal((withFallback as { environmentId: string }).environmentId, `${WS}/environments/env/versions/1`);
    });

    it("forwards unknown settings with a warning, as the CLI does", async () => {
      const plan = await loadJob(
        await write({ "job.yml": INLINE_PIPELINE.replace("compute: azureml:cpu\n", "compute: azureml:cpu\nsettings:\n  priority: high\n") }),
      );
      assert.deepEqual(plan.warnings, ["Unknown setting 'settings.priority' (line 4) is forwarded to the service as is, as the CLI does."]);
      const body = plan.buildJobBody({ workspaceId: WS, codeIds: {}, referenceIds: { "data:raw@latest": `${WS}/data/raw/versions/2` } }, { jobName: "j" });
      assert.deepEqual((body.properties as { settings: unknown }).settings, { priority: "high", _source: "YAML.JOB" });
    });

    it("sends distribution and limits in each spelling the CLI uses", async () => {
      const step = INLINE_PIPELINE.replace(
        "  train:\n",
        "  train:\n    distribution:\n      type: pytorch\n      process_count_per_instance: 2\n    limits:\n      timeout: 90\n",
      );
      const plan = await loadJob(await write({ "job.yml": step }));
      const resolved = { workspaceId: WS, codeIds: {}, referenceIds: { "data:raw@latest": `${WS}/data/raw/versions/2` } };
      const node = (plan.buildJobBody(resolved, { jobName: "j" }).properties as { jobs: Record<string, Record<string, unknown>> }).jobs.train;
      assert.deepEqual(node.distribution, { distribution_type: "PyTorch", process_count_per_instance: 2 });
      assert.deepEqual(node.limits, { job_limits_type: "Command", timeout: "PT1M30S" });
      const spec = plan.componentVersions(resolved)[1].body.properties.componentSpec;
      assert.deepEqual(spec.distribution, { type: "pytorch", process_count_per_instance: 2 });
      assert.equal(spec.limits, undefined, "limits stay on the node");
      const bad = INLINE_PIPELINE.replace("  train:\n", "  train:\n    distribution:\n      type: horovod\n");
      await rejects(loadJob(await write({ "job.yml": bad })), "InvalidValue", 22, "Distribution type 'horovod' at line 22");
    });

    it("infers anonymous component input types from literals and bindings", async () => {
      const step = INLINE_PIPELINE.replace(
        "      lr: ${{parent.inputs.lr}}\n",
        "      lr: ${{parent.inputs.lr}}\n      flag: true\n      ratio: 1.0\n      tag: v1\n",
      );
      const plan = await loadJob(await write({ "job.yml": step }));
      const resolved = { workspaceId: WS, codeIds: {}, referenceIds: { "data:raw@latest": `${WS}/data/raw/versions/2` } };
      const spec = plan.componentVersions(resolved)[1].body.properties.componentSpec;
      assert.deepEqual(spec.inputs, {
        data: { type: "uri_folder" },
        lr: { type: "number" },
        flag: { type: "boolean", default: "True" },
        ratio: { type: "number", default: "1.0" },
        tag: { type: "string", default: "v1" },
      });
      assert.deepEqual(spec.outputs, { model: { type: "uri_folder" } });
    });
  });
  describe("more refusals", () => {
    const COMMAND = "type: command\ncommand: echo\nenvironment: azureml:env:1\n";

    it("refuses git, registry and unknown-scheme code, and takes registered code by reference", async () => {
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}code: git+https://github.com/x/y\n` })), "Unsupported", 4, "Git paths are not supported");
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}code: azureml://registries/r/codes/c/versions/1\n` })),
        "Unsupported",
        4,
        "registry code ids cannot be used for jobs",
      );
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}code: s3://bucket/src\n` })),
        "Unsupported",
        4,
        "neither a local path nor an azureml: reference",
      );
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}code: azureml:mycode\n` })), "InvalidValue", 4, "'azureml:mycode' names no version");
      const plan = await loadJob(await write({ "job.yml": `${COMMAND}code: azureml:mycode:2\n` }));
      assert.deepEqual(plan.codeVersions, []);
      assert.equal(
        (plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }).properties as { codeId: string }).codeId,
        `${WS}/codes/mycode/versions/2`,
      );
    });

    it("refuses an empty data folder (everything ignored) as an invalid value", async () => {
      await write({ "data/.amlignore": "*\n" });
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}inputs:\n  d:\n    type: uri_folder\n    path: ./data\n` })),
        "InvalidValue",
        7,
        `Directory ${path.join(folder.dir, "data")} is empty`,
      );
    });

    it("refuses environments without an image, malformed references and a missing environment", async () => {
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment:\n  conda_file: ./c.yml\n" })),
        "MissingKey",
        3,
        "Docker image or Dockerfile is required",
      );
      await rejects(loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment: my-env\n" })), "InvalidValue", 3, "prefix it with 'azureml:'");
      await rejects(loadJob(await write({ "job.yml": "type: command\ncommand: echo\n" })), "MissingKey", 1, "Missing required key 'environment'");
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: echo\nenvironment:\n  image: python:3.8\n  conda_file: [a]\n" })),
        "InvalidValue",
        5,
        "must be a path to a conda file or a mapping",
      );
    });

    it("registers an inline environment with an inline conda mapping, OS type and tags", async () => {
      const plan = await loadJob(
        await write({
          "job.yml":
            "type: command\ncommand: echo\nenvironment:\n  image: python:3.8\n  os_type: windows\n  tags: {team: ml}\n  conda_file:\n    dependencies: [python=3.8]\n",
        }),
      );
      assert.deepEqual(plan.environmentVersions[0].body.properties, {
        image: "python:3.8",
        condaFile: "dependencies:\n- python=3.8\n",
        isAnonymous: true,
        osType: "Windows",
        description: undefined,
        tags: { team: "ml" },
      });
      const body = plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }).properties as { environmentId: string };
      assert.equal(body.environmentId, `${WS}/environments/CliV2AnonymousEnvironment/versions/${plan.environmentVersions[0].version}`);
    });

    it("refuses steps with neither command nor component, inline component definitions and unversioned components", async () => {
      const base = "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n";
      await rejects(loadJob(await write({ "job.yml": `${base}    compute: azureml:cpu\n` })), "MissingKey", 4, "needs either 'command'");
      await rejects(
        loadJob(await write({ "job.yml": `${base}    component:\n      type: command\n` })),
        "Unsupported",
        5,
        "inline component definitions are not supported",
      );
      await rejects(loadJob(await write({ "job.yml": `${base}    component: azureml:train\n` })), "InvalidValue", 5, "'azureml:train' names no version");
      await rejects(loadJob(await write({ "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs: {}\n" })), "MissingKey", 3, "at least one step");
    });

    it("sends registry and ARM-id components as they are", async () => {
      const registry = "azureml://registries/azureml/components/train/versions/2";
      const plan = await loadJob(
        await write({
          "job.yml": `type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    component: ${registry}\n  b:\n    component: azureml:${WS}/components/x/versions/3\n`,
        }),
      );
      const jobs = (plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }).properties as { jobs: Record<string, Record<string, unknown>> }).jobs;
      assert.deepEqual([jobs.a.componentId, jobs.a._source], [registry, "REMOTE.REGISTRY"]);
      assert.deepEqual([jobs.b.componentId, jobs.b._source], [`${WS}/components/x/versions/3`, "REMOTE.WORKSPACE.COMPONENT"]);
    });

    it("refuses bad settings values, job-level output bindings and outputs given as plain strings", async () => {
      const pipeline = "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    component: azureml:c:1\n";
      await rejects(
        loadJob(await write({ "job.yml": `${pipeline}settings:\n  default_datastore: my-store\n` })),
        "InvalidValue",
        7,
        "not a valid datastore name",
      );
      await rejects(loadJob(await write({ "job.yml": `${pipeline}settings: [a]\n` })), "InvalidValue", 6, "'settings' must be a mapping");
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}outputs:\n  m: \${{parent.outputs.x}}\n` })),
        "InvalidValue",
        5,
        "cannot be a binding at job level",
      );
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}outputs:\n  m: somewhere\n` })), "InvalidValue", 5, "must be a mapping (type, mode, path)");
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}inputs:\n  m: [1, 2]\n` })), "InvalidValue", 5, "must be a value or a mapping, not a list");
    });

    it("refuses values of the wrong type", async () => {
      await rejects(
        loadJob(await write({ "job.yml": "type: command\ncommand: {a: 1}\nenvironment: azureml:env:1\n" })),
        "InvalidValue",
        2,
        "'command' must be a string, not a mapping",
      );
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}resources:\n  instance_count: two\n` })),
        "InvalidValue",
        5,
        "'resources.instance_count' must be an integer",
      );
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}resources:\n  instance_count: 0\n` })), "InvalidValue", 5, "must be at least 1");
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}limits:\n  timeout: soon\n` })), "InvalidValue", 5, "'limits.timeout' must be a number");
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}tags:\n  a: {b: 1}\n` })), "InvalidValue", 5, "'tags.a' must be a string");
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}compute: azureml:bad name\n` })), "Unsupported", 4, "not a valid compute name");
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}distribution:\n  type: tensorflow\n  process_count_per_instance: 2\n` })),
        "UnknownKey",
        6,
        "Unknown key 'process_count_per_instance' at line 6 in tensorflow distribution",
      );
    });

    it("coerces overridden numbers and booleans, and reads numbers where strings are expected", async () => {
      const plan = await loadJob(await write({ "job.yml": `${COMMAND}name: 42\ntags:\n  version: 1.10\nresources:\n  instance_count: 1\n` }), {
        overrides: "resources.instance_count=3",
      });
      assert.equal(plan.name, "42");
      const body = plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }).properties as { tags: unknown; resources: unknown };
      assert.deepEqual(body.tags, { version: "1.10" });
      assert.deepEqual(body.resources, { instanceCount: 3 });
    });

    it("refuses component files that are not command components or not mappings, and undeclared outputs", async () => {
      const pipeline = "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    component: ./c.yml\n";
      await write({ "c.yml": "type: pipeline\n" });
      await rejects(loadJob(await write({ "job.yml": pipeline })), "Unsupported", 1, "Component type 'pipeline'");
      await write({ "c.yml": "- a\n" });
      await rejects(loadJob(await write({ "job.yml": pipeline })), "NotAMapping", 1, "must contain a mapping");
      await write({ "c.yml": "command: echo ${{outputs.o}}\nenvironment: azureml:e:1\noutputs:\n  o:\n    type: number\n" });
      await rejects(loadJob(await write({ "job.yml": pipeline })), "InvalidValue", 5, "Unknown output type 'number' at line 5");
      await write({ "c.yml": "command: echo ${{outputs.o}}\nenvironment: azureml:e:1\noutputs:\n  o:\n    mode: download\n" });
      await rejects(loadJob(await write({ "job.yml": pipeline })), "InvalidValue", 5, "Output mode 'download' at line 5");
      await write({ "c.yml": "command: echo\nenvironment: azureml:e:1\ninputs:\n  bad-name:\n    type: string\n" });
      await rejects(loadJob(await write({ "job.yml": pipeline })), "InvalidValue", 4, "'bad-name' is not a valid parameter name");
      await write({ "c.yml": "command: echo ${{outputs.o}}\nenvironment: azureml:e:1\noutputs:\n  o: {}\n" });
      await rejects(
        loadJob(await write({ "job.yml": `${pipeline}    outputs:\n      p: {type: uri_folder}\n` })),
        "UnknownBinding",
        7,
        "sets output 'p' at line 7, which component",
      );
    });

    it("reuses one anonymous component for a file used by two steps", async () => {
      await write({ "c.yml": "command: echo ${{inputs.x}}\nenvironment: azureml:e:1\ninputs:\n  x: {type: integer}\n" });
      const plan = await loadJob(
        await write({
          "job.yml":
            "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    component: ./c.yml\n    inputs: {x: 1}\n  b:\n    component: ./c.yml\n    inputs: {x: 2}\n",
        }),
      );
      const components = plan.componentVersions({ workspaceId: WS, codeIds: {} });
      assert.equal(components.length, 1);
      const jobs = (plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }).properties as { jobs: Record<string, Record<string, unknown>> }).jobs;
      assert.equal(jobs.a.componentId, jobs.b.componentId);
    });

    it("throws a programming error when the caller did not register code", async () => {
      await write({ "src/a.py": "print(1)\n" });
      const plan = await loadJob(await write({ "job.yml": `${COMMAND}code: ./src\n` }));
      assert.throws(() => plan.buildJobBody({ workspaceId: WS, codeIds: {} }, { jobName: "j" }), /was not registered: pass its id in codeIds/);
    });

    it("refuses non-numeric list indexes in overrides", async () => {
      const file = await write({ "job.yml": `${COMMAND}tags: {a: b}\nproperties: {}\n` });
      await rejects(loadJob(file, { overrides: "tags.a.b=1" }), "BadOverride", undefined, "defined by a reference string ('b')");
    });
  });

  describe("messages (task.json)", () => {
    /** A Loc that shows which message was used with which parameters. */
    const keysLoc: Loc = (key, ...params) => `<${key}${params.map((p) => `|${String(p)}`).join("")}>`;
    const COMMAND = "type: command\ncommand: echo\nenvironment: azureml:env:1\n";

    it("takes every text of a refusal from the Loc it is given, fragments included", async () => {
      await rejects(
        loadWith(await write({ "job.yml": "type: automl\n" }), { loc: keysLoc }),
        "Unsupported",
        1,
        "<LoaderUnsupportedJobType|automl|1|pipeline, command>",
      );
      await rejects(
        loadWith(await write({ "job.yml": `${COMMAND}services: {}\n` }), { loc: keysLoc }),
        "Unsupported",
        4,
        /^<LoaderUnsupportedKey\|services\|4\|<LoaderOwnerDocument\|<LoaderKindCommandJob>>\|<LoaderNoJobServices>> \(/,
      );
      await rejects(
        loadWith(await write({ "job.yml": COMMAND }), { loc: keysLoc, overrides: "resources.instance_count=0" }),
        "InvalidValue",
        undefined,
        "<LoaderMustBeAtLeast|resources.instance_count|1|0> <LoaderSetByOverride|1|resources.instance_count=0>",
      );
    });

    it("the tests' Loc refuses a key task.json lacks and a parameter count its placeholders do not take", () => {
      const loc = loaderLoc();
      assert.equal(loc("LoaderMissingKey", "jobs"), "Missing required key 'jobs'.");
      assert.throws(() => loc("LoaderNoSuchMessage"), /loc key LoaderNoSuchMessage is not in the messages of SubmitAzureMLPipelineV1/);
      assert.throws(() => loc("LoaderMissingKey"), /1 placeholder\(s\) but was given 0/);
      assert.throws(() => loc("LoaderMissingKey", "a", "b"), /1 placeholder\(s\) but was given 2/);
    });

    it("refusals no other case here reaches, each with its whole text", async () => {
      const cases: [string, JobDefinitionErrorCode, number, string][] = [
        ["hello\n", "NotAMapping", 1, `Job file ${path.join(folder.dir, "job.yml")} must contain a mapping (type, jobs, ...), not a scalar.`],
        [`${COMMAND}resources: 5\n`, "InvalidValue", 4, "'resources' must be a mapping (a resources), not number 5."],
        [
          `${COMMAND}queue_settings:\n  job_tier: gold\n`,
          "InvalidValue",
          5,
          "queue_settings.job_tier 'gold' at line 5 is not valid (allowed: spot, basic, standard, premium).",
        ],
        [`${COMMAND}inputs:\n  a: {value: null}\n`, "InvalidValue", 5, "'inputs.a.value' at line 5 must be a string, a number or true/false, not nothing."],
        [
          `${COMMAND}outputs:\n  o: {type: string}\n`,
          "InvalidValue",
          5,
          "Type 'string' at line 5 is a literal type: give the output's value directly (e.g. 'learning_rate: 0.01').",
        ],
        [
          `${COMMAND.replace("echo", "echo ${{inputs.x}}")}`,
          "UnknownBinding",
          2,
          "The command of the job at line 2 refers to ${{inputs.x}}, but the job declares no input 'x' (declared: none).",
        ],
        [
          `${COMMAND}inputs:\n  d: {type: uri_folder, path: "azureml://datastores/bad-name/paths/x"}\n`,
          "InvalidValue",
          5,
          "Datastore at line 5: 'bad-name' is not a valid datastore name.",
        ],
        [
          "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    command: echo\n    environment: azureml:e:1\n    outputs:\n      o: ${{parent.inputs.x}}\n",
          "UnknownBinding",
          8,
          "Binding '${{parent.inputs.x}}' at line 8: a step output can bind only to a pipeline output (${{parent.outputs.<name>}}).",
        ],
        [
          "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    command: echo\n    environment: azureml:e:1\n    inputs:\n      i: ${{parent.jobs.b}}\n",
          "UnknownBinding",
          8,
          "Step 'a' input 'i' at line 8 binds to ${{parent.jobs.b}}: use ${{parent.jobs.<step>.outputs.<name>}} or ${{parent.inputs.<name>}}.",
        ],
      ];
      for (const [yaml, code, line, message] of cases) {
        await rejects(loadJob(await write({ "job.yml": yaml })), code, line, `${message} (${path.join(folder.dir, "job.yml")}:${line}`);
      }
      await rejects(
        loadJob(
          await write({ "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    command: echo\n    environment: azureml:e:1\n    list: [x]\n" }),
          {
            overrides: "jobs.a.list.3.y=1",
          },
        ),
        "BadOverride",
        undefined,
        "Override line 1 'jobs.a.list.3.y=1' indexes 'jobs.a.list.3' beyond the end of its list.",
      );
    });

    it("warns that a step's experiment_name is ignored", async () => {
      const plan = await loadJob(
        await write({
          "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    command: echo\n    environment: azureml:e:1\n    experiment_name: x\n",
        }),
      );
      assert.deepEqual(plan.warnings, ["Step 'a': experiment_name is ignored inside a pipeline step (line 7)."]);
    });

    it("refuses local paths outside the working folders, naming a link's target", async () => {
      const inside = path.join(folder.dir, "work");
      await write({ "work/job.yml": `${COMMAND}code: ../src\n`, "src/a.py": "print(1)\n", "work/link.yml": `${COMMAND}code: ./to-src\n` });
      await fs.symlink(path.join(folder.dir, "src"), path.join(inside, "to-src"));
      const src = path.join(folder.dir, "src");
      await rejects(
        loadJob(path.join(inside, "job.yml"), { workFolders: [inside] }),
        "InvalidValue",
        4,
        `'code' names ${src} which is outside the pipeline's working folders. Keep the files the job uses under ${inside}, with links that stay inside it.`,
      );
      // The real path first: a promise made before an await of the test's own would reject unhandled.
      const realSrc = await fs.realpath(src);
      await rejects(
        loadJob(path.join(inside, "link.yml"), { workFolders: [inside] }),
        "InvalidValue",
        4,
        `'code' names ${path.join(inside, "to-src")}, a link to ${realSrc}, which is outside the pipeline's working folders.`,
      );
    });

    it("names like Object's members (constructor, toString) are not taken for known keys, modes or types", async () => {
      await rejects(loadJob(await write({ "job.yml": `${COMMAND}constructor: 1\n` })), "UnknownKey", 4, "Unknown key 'constructor' at line 4");
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}inputs:\n  d:\n    type: uri_folder\n    path: azureml:d:1\n    mode: constructor\n` })),
        "InvalidValue",
        8,
        "Input mode 'constructor' at line 8 is not valid for inputs",
      );
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}outputs:\n  o:\n    mode: toString\n` })),
        "InvalidValue",
        6,
        "Output mode 'toString' at line 6 is not valid for outputs",
      );
      await rejects(
        loadJob(await write({ "job.yml": `${COMMAND}distribution:\n  type: constructor\n` })),
        "InvalidValue",
        5,
        "Distribution type 'constructor' at line 5 is not supported",
      );
      await rejects(
        loadJob(await write({ "job.yml": "type: pipeline\ncompute: azureml:cpu\njobs:\n  a:\n    type: constructor\n    command: echo\n" })),
        "Unsupported",
        5,
        "jobs.a.type 'constructor' at line 5 is not a step type (supported: command, parallel, sweep, pipeline).",
      );
    });
  });
});
