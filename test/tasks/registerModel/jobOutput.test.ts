/**
 * RegisterModel from a job output, run as the agent runs it against the emulator: a completed
 * job's output is registered by its `azureml://jobs/<job>/outputs/<name>` URI with the job as
 * lineage; a job that is not completed, an unknown job or output fail with a clear message.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { armCall, modelVersionPuts, outputs, runRegister, workspacePath } from "./fixture";

describe("RegisterModel task: job output", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let workDir: string;

  before(async () => {
    emu = await startEmulator({ azurite: false });
    workDir = mkdtempSync(join(tmpdir(), "register-job-"));
  });
  after(async () => {
    await emu?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  beforeEach(() => emu.reset());

  async function submitJob(name: string): Promise<void> {
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 3_600_000 } });
    const res = await armCall(emu, "PUT", `${workspacePath(emu)}/jobs/${name}`, {
      properties: {
        jobType: "Command",
        command: "python train.py",
        environmentId: "azureml:AzureML-sklearn-1.5:1",
        computeId: `${workspacePath(emu)}/computes/gpu-cluster`,
        outputs: { model: { jobOutputType: "mlflow_model", mode: "ReadWriteMount" } },
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  it("registers a completed job's output by its job URI, with the job in the lineage", async () => {
    await submitJob("train_job_1");
    emu.ml.setJobStatus("train_job_1", "Completed");
    const r = await runRegister(
      emu,
      { modelName: "from-job", modelSource: "jobOutput", jobName: "train_job_1", outputName: "model", modelType: "mlflow_model" },
      { workDir },
    );
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const out = outputs(r);
    assert.equal(out.ModelUri, "azureml://jobs/train_job_1/outputs/model");
    assert.equal(out.ModelId, "azureml:from-job:1");
    const v = await armCall(emu, "GET", `${workspacePath(emu)}/models/from-job/versions/1`);
    assert.equal(v.body.properties.modelUri, "azureml://jobs/train_job_1/outputs/model");
    assert.equal(v.body.properties.jobName, "train_job_1");
    assert.equal(v.body.properties.properties["mlops.jobName"], "train_job_1");
    assert.equal(v.body.properties.properties["mlops.jobOutput"], "model");
    assert.equal(v.body.properties.properties["devops.buildId"], "42");
  });

  it("an empty jobName fails naming the input, even with a plain JobName variable (the agent never sets one)", async () => {
    await submitJob("train_job_var");
    emu.ml.setJobStatus("train_job_var", "Completed");
    const r = await runRegister(
      emu,
      { modelName: "from-var", modelSource: "jobOutput", outputName: "model" },
      { workDir, variables: { JobName: "train_job_var" } },
    );
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage!, /Input 'jobName' is required when modelSource is jobOutput.*\$\(<step name>\.JobName\)/);
    assert.deepEqual(
      emu.requests.filter("PUT", /\/models\/from-var/).map((e) => e.path),
      [],
    );
  });

  it("skipIfUnchanged: the same job output is not registered twice", async () => {
    await submitJob("train_job_same");
    emu.ml.setJobStatus("train_job_same", "Completed");
    const inputs = { modelName: "same-job", modelSource: "jobOutput", jobName: "train_job_same", outputName: "model", skipIfUnchanged: "true" };
    assert.equal((await runRegister(emu, inputs, { workDir })).result, "Succeeded");
    const again = await runRegister(emu, inputs, { workDir });
    assert.equal(again.result, "Succeeded");
    assert.equal(outputs(again).ModelVersion, "1");
    assert.equal(modelVersionPuts(emu, "same-job").length, 1);
  });

  it("fails clearly when the job is still running, does not exist, or lacks the output", async () => {
    await submitJob("train_job_running");
    const running = await runRegister(emu, { modelName: "m", modelSource: "jobOutput", jobName: "train_job_running", outputName: "model" }, { workDir });
    assert.equal(running.result, "Failed");
    assert.match(
      running.resultMessage!,
      /job 'train_job_running' is (NotStarted|Queued|Preparing|Running); a model can only be registered from the output of a completed job/,
    );

    const missing = await runRegister(emu, { modelName: "m", modelSource: "jobOutput", jobName: "no_such_job", outputName: "model" }, { workDir });
    assert.equal(missing.result, "Failed");
    assert.match(missing.resultMessage!, /job 'no_such_job' was not found in workspace 'ml_workspace'/);

    emu.ml.setJobStatus("train_job_running", "Completed");
    const noOutput = await runRegister(emu, { modelName: "m", modelSource: "jobOutput", jobName: "train_job_running", outputName: "weights" }, { workDir });
    assert.equal(noOutput.result, "Failed");
    assert.match(
      noOutput.resultMessage!,
      /Input 'outputName': job 'train_job_running' has no output named 'weights'. Its outputs are: model, default, artifacts/,
    ); // `default`: the output the service adds to a command job
    assert.equal(modelVersionPuts(emu, "m").length, 0);
  });
});
