/**
 * Issue 16: CLI v2 files read the way `az ml job create` reads them. Each case is a minimal file of our
 * own; the expected bodies follow the SDK code cited next to each case.
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadJob, type JobPlan } from "./index";

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

  const body = (plan: JobPlan) => plan.buildJobBody({ workspaceId: WS, codeIds: {}, referenceIds: {} }, { jobName: "j" }).properties as unknown as Record<string, any>;

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
    assert.deepEqual(plan.warnings, [`${path.join(dir, "job.yml")}: key 'inputs.flag' is given at line 6 and again at line 7; the value at line 7 is used, as the CLI (PyYAML) does.`]);
  });
});
