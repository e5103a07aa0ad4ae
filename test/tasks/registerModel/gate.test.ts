/**
 * RegisterModel's quality gate, run as the agent runs it against the emulator, on jobs submitted by
 * SubmitAzureMLPipeline (the sample best-model-output.yml, whose evaluate step logs `accuracy`):
 * the first model (0.91) passes `accuracy >= 0.9`, is registered with its metrics and becomes champion;
 * a worse one (0.88) is refused by `accuracy >= champion` (fail) or skipped (skip); a better one (0.93)
 * is registered and takes the champion tag. Bad gates are refused before any Azure call.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { details as submitDetails, runSubmitTask, sourcesWithSamples } from "../submitPipeline/run";
import { armCall, modelVersionPuts, runRegister, workspacePath } from "./fixture";

describe("RegisterModel task: quality gate on the job's MLflow metrics", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let sources: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
    sources = await sourcesWithSamples();
    await emu.ml.blobContainerReady();
  });
  after(async () => {
    await emu?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  /** Runs the sample pipeline with the evaluate step logging `accuracy`; returns the job's name. */
  async function trainedJob(buildId: string, accuracy: number): Promise<string> {
    emu.ml.scriptJobs({ metrics: { steps: { evaluate: { accuracy } } } });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/best-model-output.yml", buildId });
    assert.equal(r.result, "Succeeded", submitDetails(r));
    return r.variables["JobName"].value;
  }

  const register = (jobName: string, inputs: Record<string, string>) =>
    runRegister(emu, { modelName: "churn", modelSource: "jobOutput", jobName, outputName: "best_model", ...inputs }, { workDir: sources });
  const details = (r: { result?: string; resultMessage?: string; stdout: string }) => `${r.result}: ${r.resultMessage}\n${r.stdout}`;
  const version = async (v: string) => (await armCall(emu, "GET", `${workspacePath(emu)}/models/churn/versions/${v}`)).body.properties;
  const log = (r: { stdout: string }) =>
    r.stdout
      .split("\n")
      .filter((l) => !l.startsWith("##"))
      .join("\n");

  it("registers 0.91, refuses 0.88 against the champion (fail, then skip), and promotes 0.93", async () => {
    // 1. accuracy 0.91 passes accuracy >= 0.9: registered with its metrics, and becomes champion.
    const first = await register(await trainedJob("101", 0.91), { qualityGate: "accuracy >= 0.9\naccuracy >= champion", promote: "true" });
    assert.equal(first.result, "Succeeded", details(first));
    assert.equal(first.variables["GatePassed"].value, "true");
    assert.equal(first.variables["ModelVersion"].value, "1");
    assert.match(
      log(first),
      /Quality gate: the new version of model 'churn'\nCondition\s+Candidate\s+Champion\s+Threshold\s+Verdict\n[-\s]+\naccuracy >= 0\.9\s+0\.91\s+-\s+0\.9\s+pass\naccuracy >= champion\s+0\.91\s+-\s+-\s+pass \(nothing to compare with\)\nQuality gate passed \(2 condition\(s\)\)/,
    );
    assert.match(first.summaries.map((s) => s.content).join("\n"), /\| `accuracy >= 0\.9` \| 0\.91 \| - \| 0\.9 \| pass \|/);
    const v1 = await version("1");
    assert.equal(v1.properties["metric.accuracy"], "0.91");
    assert.equal(v1.properties["metric.evaluate.accuracy"], "0.91");
    assert.equal(v1.tags.champion, "true");
    assert.match(log(first), /Tag 'champion' moved to azureml:churn:1 \(was on: -\)/);

    // 2. accuracy 0.88 is worse than the champion: refused (fail) with the table, nothing registered.
    const job2 = await trainedJob("102", 0.88);
    const refused = await register(job2, { qualityGate: "accuracy >= champion" });
    assert.equal(refused.result, "Failed", details(refused));
    assert.equal(
      refused.resultMessage,
      "Quality gate failed: the new version of model 'churn' was refused because accuracy >= champion (0.88 vs 0.91). Set onGateFailure to skip to end the step with issues instead.",
    );
    assert.match(
      log(refused),
      /Quality gate: the new version of model 'churn' vs azureml:churn:1\n.*\n.*\naccuracy >= champion\s+0\.88\s+0\.91\s+0\.91\s+FAIL/,
    );
    assert.equal(refused.variables["ModelVersion"], undefined);
    // ... or skipped: succeeded with issues, GatePassed=false.
    const skipped = await register(job2, { qualityGate: "accuracy >= champion", onGateFailure: "skip" });
    assert.equal(skipped.result, "SucceededWithIssues", details(skipped));
    assert.equal(skipped.variables["GatePassed"].value, "false");
    assert.equal(skipped.resultMessage, "Quality gate failed: model 'churn' was not registered (onGateFailure: skip).");
    assert.match(log(skipped), /accuracy >= champion\s+0\.88\s+0\.91\s+0\.91\s+FAIL/);
    assert.equal(modelVersionPuts(emu, "churn").filter((p) => p.status === 201).length, 1, "only version 1 was ever created");

    // 3. accuracy 0.93 beats the champion: registered as version 2, which takes the champion tag.
    const third = await register(await trainedJob("103", 0.93), { qualityGate: "accuracy >= champion", promote: "true" });
    assert.equal(third.result, "Succeeded", details(third));
    assert.equal(third.variables["ModelVersion"].value, "2");
    assert.match(log(third), /accuracy >= champion\s+0\.93\s+0\.91\s+0\.91\s+pass/);
    assert.equal((await version("2")).tags.champion, "true");
    assert.equal((await version("1")).tags.champion, undefined);
    assert.equal((await version("2")).properties["metric.accuracy"], "0.93");
  });

  it("names the metrics the job logged when a condition names another", async () => {
    const r = await register(await trainedJob("104", 0.9), { qualityGate: "accuracy >= 0.5\nf1 >= 0.8" });
    assert.equal(r.result, "Failed", details(r));
    assert.equal(
      r.resultMessage,
      "Input 'qualityGate', line 2: the metric 'f1' was never logged. The metrics logged are: accuracy, evaluate.accuracy. Fix the metric's name, or log it with mlflow.log_metric in the job.",
    );
  });

  it("fails with the role to assign when the identity may not read the job's metrics (and only warns without a gate)", async () => {
    const job = await trainedJob("105", 0.9);
    emu.ml.setMlflowReadDenied(emu.identities.secret.clientId);
    try {
      const gated = await register(job, { modelName: "denied", qualityGate: "accuracy >= 0.5" });
      assert.equal(gated.result, "Failed", details(gated));
      assert.match(
        gated.resultMessage!,
        /^The service connection's identity may not read run '\S+' from the MLflow tracking server of workspace 'ml_workspace' \(AuthorizationFailed: .*\)\. Assign it a role that reads the workspace's runs \(e\.g\. AzureML Data Scientist\) on the workspace\.$/,
      );
      const plain = await register(job, { modelName: "denied" });
      assert.equal(plain.result, "Succeeded", details(plain));
      assert.match(
        plain.issues.map((i) => i.message).join("\n"),
        /Could not read the MLflow metrics of job \S+: .*The model is registered without metric properties\./,
      );
    } finally {
      emu.ml.setMlflowReadDenied(emu.identities.secret.clientId, false);
    }
  });

  it("rides out 429, 500 and dropped connections on the MLflow reads (runs/get, runs/search)", async () => {
    const job = await trainedJob("106", 0.92);
    emu.faults.add({ method: "GET", path: /\/api\/2\.0\/mlflow\/runs\/get$/, kind: "throttle", retryAfterSeconds: 1, count: 2 });
    emu.faults.add({ method: "POST", path: /\/api\/2\.0\/mlflow\/runs\/search$/, kind: "500", count: 2 });
    emu.faults.add({ method: "GET", path: /\/api\/2\.0\/mlflow\/runs\/get$/, kind: "reset", count: 1 });
    try {
      const r = await register(job, { modelName: "faulted", qualityGate: "accuracy >= 0.9" });
      assert.equal(r.result, "Succeeded", details(r));
      assert.equal((await armCall(emu, "GET", `${workspacePath(emu)}/models/faulted/versions/1`)).body.properties.properties["metric.accuracy"], "0.92");
      assert.ok(emu.requests.filter(undefined, /\/api\/2\.0\/mlflow\//).filter((q) => q.fault).length >= 4, "the faults were delivered");
    } finally {
      emu.faults.clear();
    }
  });

  it("refuses a malformed gate, or a gate on local files, before any Azure call", async () => {
    emu.requests.clear();
    const bad = await register("some_job", { qualityGate: "accuracy >= 0.8\naccuracy => champion" });
    assert.equal(bad.result, "Failed");
    assert.match(bad.resultMessage!, /^Input 'qualityGate', line 2: 'accuracy => champion' is not a condition\./);
    const local = await runRegister(
      emu,
      { modelName: "churn", modelSource: "local", modelPath: "pipelines", qualityGate: "accuracy >= 0.8" },
      { workDir: sources },
    );
    assert.equal(local.result, "Failed");
    assert.match(local.resultMessage!, /^Input 'qualityGate' needs the job's metrics: set modelSource to jobOutput/);
    const skip = await register("some_job", { qualityGate: "accuracy >= 0.8", onGateFailure: "maybe" });
    assert.match(skip.resultMessage!, /Input 'onGateFailure' is 'maybe'; it must be one of: fail, skip\./);
    assert.deepEqual(emu.requests.filter(undefined, /\/(subscriptions|mlflow)\//), []);
  });
});
