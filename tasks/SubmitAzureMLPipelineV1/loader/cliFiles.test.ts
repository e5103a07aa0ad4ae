/**
 * Issue 16: CLI v2 files read the way `az ml job create` reads them. Each case is a minimal file of our
 * own; the expected bodies follow the SDK code cited next to each case.
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loaderLoc } from "./loaderLoc.testing";
import { loadJob as loadWith, type JobPlan, type LoadJobOptions } from "./index";

/** The loader with the task's own messages (task.json), as the entry passes them. */
const loadJob = (file: string, options: Omit<LoadJobOptions, "loc"> = {}) => loadWith(file, { loc: loaderLoc(), ...options });

const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

describe("loader: CLI files read as the CLI reads them", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "cli-files-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function load(files: Record<string, string>): Promise<JobPlan> {
    for (const [rel, content] of Object.entries(files)) {
      const full = path.join(dir, ...rel.split("/"));
      await fs.mkdir(path.dirname(full), { recursive: true });
      await fs.writeFile(full, content);
    }
    return loadJob(path.join(dir, "job.yml"));
  }

  const body = (plan: JobPlan) =>
    plan.buildJobBody({ workspaceId: WS, codeIds: {}, referenceIds: {} }, { jobName: "j" }).properties as unknown as Record<string, any>;

  it("keeps y/n as strings and reads yes/on as booleans (PyYAML), a duplicate key keeping the last with a warning", async () => {
    const plan = await load({
      "job.yml": [
        "type: pipeline", // 1
        "compute: azureml:cpu", // 2
        "inputs:", // 3
        "  y: 1", // 4
        "  n: 2", // 5
        "  flag: y", // 6
        "  flag: n", // 7
        "jobs:", // 8
        "  step:", // 9
        "    command: echo ${{inputs.y}} ${{inputs.n}} ${{inputs.flag}} ${{inputs.on_off}}", // 10
        "    environment: azureml:env:1", // 11
        "    inputs:", // 12
        "      y: ${{parent.inputs.y}}", // 13
        "      n: ${{parent.inputs.n}}", // 14
        "      flag: ${{parent.inputs.flag}}", // 15
        "      on_off: on", // 16
        "",
      ].join("\n"),
    });
    // Literal inputs are sent as str(value) (azure-ai-ml entities/_job/_input_output_helpers.py
    // to_rest_dataset_literal_inputs, `LiteralJobInput(value=str(input_value))`): 'n' from line 7, not "False".
    assert.deepEqual(body(plan).inputs, {
      y: { jobInputType: "literal", value: "1" },
      n: { jobInputType: "literal", value: "2" },
      flag: { jobInputType: "literal", value: "n" },
    });
    assert.deepEqual(body(plan).jobs.step.inputs.on_off, { job_input_type: "literal", value: "True" });
    assert.deepEqual(plan.warnings, [
      `${path.join(dir, "job.yml")}: key 'inputs.flag' is given at line 6 and again at line 7; the value at line 7 is used, as the CLI (PyYAML) does.`,
    ]);
  });

  it("reads the literal form {value: ...} as marshmallow's InputLiteralValueSchema does", async () => {
    const plan = await load({
      "job.yml": [
        "type: pipeline",
        "compute: azureml:cpu",
        "inputs:",
        "  n: {value: 15}",
        "  one: {value: 1}",
        "  half: {value: 2.5}",
        "  word: {value: y}",
        "jobs:",
        "  step:",
        "    command: echo ${{inputs.n}} ${{inputs.k}}",
        "    environment: azureml:env:1",
        "    inputs:",
        "      n: {value: '${{parent.inputs.n}}'}",
        "      k: {value: 7}",
        "",
      ].join("\n"),
    });
    const props = body(plan);
    assert.deepEqual(props.inputs, {
      n: { jobInputType: "literal", value: "15" },
      one: { jobInputType: "literal", value: "True" },
      half: { jobInputType: "literal", value: "2" },
      word: { jobInputType: "literal", value: "y" },
    });
    assert.deepEqual(props.jobs.step.inputs, { n: { job_input_type: "literal", value: "${{parent.inputs.n}}" }, k: { job_input_type: "literal", value: "7" } });
    await assert.rejects(
      load({ "job.yml": "type: command\ncommand: echo\nenvironment: azureml:env:1\ninputs:\n  n:\n    value: 1\n    mode: download\n" }),
      (e: Error) =>
        e.message.includes("Unknown key 'mode' at line 7 in literal input ({value: ...}) 'inputs.n'") && e.message.includes(`${path.join(dir, "job.yml")}:7`),
    );
  });

  it("sends identity, queue_settings and resources.shm_size as the CLI does, in a job body and inside a pipeline node", async () => {
    const command = await load({
      "job.yml": [
        "type: command",
        "compute: azureml:gpu",
        "command: python train.py",
        "environment: azureml:env:1",
        "identity:",
        "  type: managed",
        "  client_id: 00000000-0000-0000-0000-000000000001",
        "queue_settings:",
        "  job_tier: Spot",
        "resources:",
        "  instance_count: 2",
        "  shm_size: 8g",
        "",
      ].join("\n"),
    });
    // CommandJob at api-version 2024-04-01: identity (ManagedIdentity: identityType, clientId), queueSettings.jobTier,
    // resources.shmSize (entities/_credentials.py _to_job_rest_object, entities/_job/queue_settings.py, JobResourceConfiguration).
    const c = body(command);
    assert.deepEqual(c.identity, { identityType: "Managed", clientId: "00000000-0000-0000-0000-000000000001" });
    assert.deepEqual(c.queueSettings, { jobTier: "Spot" });
    assert.deepEqual(c.resources, { instanceCount: 2, shmSize: "8g" });

    const pipeline = await load({
      "job.yml": [
        "type: pipeline",
        "compute: azureml:cpu",
        "identity: {type: user_identity}",
        "jobs:",
        "  step:",
        "    command: echo",
        "    environment: azureml:env:1",
        "    identity: {type: aml_token}",
        "    queue_settings: {job_tier: basic}",
        "    resources: {shm_size: 2g}",
        "",
      ].join("\n"),
    });
    const p = body(pipeline);
    assert.deepEqual(p.identity, { identityType: "UserIdentity" });
    // Inside a node: the msrest attribute names (get_rest_dict_for_node_attrs → _to_job_rest_object().__dict__).
    assert.deepEqual(p.jobs.step.identity, { identity_type: "AMLToken" });
    assert.deepEqual(p.jobs.step.queue_settings, { job_tier: "Basic" });
    assert.deepEqual(p.jobs.step.resources, { shm_size: "2g" });
  });

  it("refuses what the GA api-version cannot carry, naming key and line, before anything is uploaded", async () => {
    const refuses = async (lines: string[], needle: string, line: number) =>
      assert.rejects(
        load({ "job.yml": `${lines.join("\n")}\n`, "data/x.csv": "a\n" }),
        (e: Error) => e.message.includes(needle) && e.message.includes(`${path.join(dir, "job.yml")}:${line}`),
      );
    const head = ["type: command", "command: echo ${{inputs.d}}", "environment: azureml:env:1", "inputs:", "  d: {type: uri_folder, path: ./data}"];
    await refuses(
      [...head, "outputs:", "  model:", "    type: uri_folder", "    name: best_model"],
      "Key 'name' at line 9 in output 'outputs.model' is not supported by this task: registering a job output as a named data asset",
      9,
    );
    await refuses([...head, "queue_settings:", "  priority: high"], "Key 'priority' at line 7 in queue_settings 'queue_settings' is not supported", 7);
    await refuses(
      [...head, "identity:", "  type: system"],
      "Identity type 'system' at line 7 is not valid (allowed: aml_token, managed, managed_identity, user_identity)",
      7,
    );
  });

  it("refuses the step types it does not send (spark, import, data_transfer) at load time, naming key, line and what to do instead", async () => {
    for (const [type, instead] of [
      ["spark", "submit the Spark job on its own"],
      ["import", "import the data beforehand (az ml data import)"],
      ["data_transfer", "copy the data beforehand"],
    ]) {
      await assert.rejects(
        load({
          "src/train.py": "print(1)\n",
          "job.yml": [
            "type: pipeline",
            "compute: azureml:cpu",
            "jobs:",
            "  prep:",
            "    command: python train.py",
            "    code: ./src",
            "    environment: azureml:env:1",
            "  tune:",
            `    type: ${type}`,
            "    component: ./tune.yml",
            "",
          ].join("\n"),
        }),
        (e: Error) =>
          e.message.includes(`jobs.tune.type '${type}' at line 9 is not supported by this task`) &&
          e.message.includes(instead) &&
          e.message.includes(`${path.join(dir, "job.yml")}:9`),
      );
    }
  });
});
