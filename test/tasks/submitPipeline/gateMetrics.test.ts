/**
 * SubmitAzureMLPipeline reads the MLflow metrics of the job and of its steps when the job ends
 * (tasks/common/azureml/mlflow.ts through the workspace's tracking URI), run as the agent runs it
 * against the emulator: the `Metrics` and `Metric_<step>_<name>` outputs, the log table and the
 * summary; a job that logged nothing, and metrics that cannot be read, leave the job's verdict alone.
 */
import assert from "node:assert/strict";
import { details, runSubmitTask, useSubmitSuite } from "./run";

describe("SubmitAzureMLPipeline task: MLflow metrics of the job and its steps", function () {
  this.timeout(60_000);
  const suite = useSubmitSuite();

  it("outputs the evaluate step's accuracy=0.91 (Metrics JSON, Metric_evaluate_accuracy) and shows it in the log and the summary", async () => {
    suite.emu.ml.scriptJobs({ metrics: { steps: { evaluate: { accuracy: 0.91 }, train: { loss: [0.7, 0.4, 0.25], "val/acc": 0.9 } } } });
    const r = await runSubmitTask(suite.emu, {
      sources: suite.sources,
      jobFile: "pipelines/best-model-output.yml",
      inputs: { metricsHistory: "loss\n\nnever-logged" },
    });
    assert.equal(r.result, "Succeeded", details(r));
    assert.deepEqual(JSON.parse(r.variables["Metrics"].value), { train: { loss: 0.25, "val/acc": 0.9 }, evaluate: { accuracy: 0.91 } });
    // metricsHistory: every value of `loss` the train step logged, in order; a name nobody logged has no entry.
    const history = JSON.parse(r.variables["MetricsHistory"].value);
    assert.deepEqual(Object.keys(history), ["train/loss"]);
    assert.deepEqual(
      history["train/loss"].map((m: { value: number; step: number }) => [m.step, m.value]),
      [
        [0, 0.7],
        [1, 0.4],
        [2, 0.25],
      ],
    );
    assert.equal(r.variables["Metrics"].isOutput, true);
    assert.equal(r.variables["Metric_evaluate_accuracy"].value, "0.91");
    assert.equal(r.variables["Metric_evaluate_accuracy"].isOutput, true);
    assert.equal(r.variables["Metric_train_val_acc"].value, "0.9");
    assert.match(
      r.stdout,
      /MLflow metrics of job \S+\nStep\s+Metric\s+Value\n[-\s]+\ntrain\s+loss\s+0\.25\ntrain\s+val\/acc\s+0\.9\nevaluate\s+accuracy\s+0\.91/,
    );
    const summary = r.summaries.map((s) => s.content).join("\n");
    assert.match(summary, /#### MLflow metrics of job/);
    assert.match(summary, /\| evaluate \| accuracy \| 0\.91 \|/);
    // Read through the workspace's tracking URI (v1.0 path kept), for the job and each step.
    const jobName = r.variables["JobName"].value;
    const reads = suite.emu.requests.filter("GET", /\/mlflow\/v1\.0\/subscriptions\/.+\/api\/2\.0\/mlflow\/runs\/get$/).map((q) => q.query["run_id"]);
    // Steps are read by their run ids (GUIDs from run history), not by node name.
    const children = suite.emu.ml.job(jobName)!.children;
    assert.deepEqual(reads.sort(), [jobName, children["evaluate"], children["train"]].sort());
  });

  it("says so when nothing was logged, and sets no Metric_ variables", async () => {
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/best-model-output.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    assert.match(r.stdout, /Job \S+ and its steps logged no MLflow metrics\./);
    assert.equal(r.variables["Metrics"].value, "{}");
    assert.deepEqual(
      Object.keys(r.variables).filter((n) => n.startsWith("Metric_")),
      [],
    );
  });

  it("warns and still succeeds when the identity may not read the metrics", async () => {
    suite.emu.ml.scriptJobs({ metrics: { steps: { evaluate: { accuracy: 0.91 } } } });
    suite.emu.ml.setMlflowReadDenied(suite.emu.identities.secret.clientId);
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/best-model-output.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    assert.match(
      r.issues.map((i) => i.message).join("\n"),
      /Could not read the MLflow metrics of job \S+: The service connection's identity may not read run '\S+' from the MLflow tracking server of workspace 'ml_workspace' \(AuthorizationFailed: The client '\S+' with object id '\S+' does not have authorization to perform action 'Microsoft\.MachineLearningServices\/workspaces\/experiments\/runs\/read'.*\)\. Assign it a role/,
    );
    assert.equal(r.variables["Metrics"], undefined);
  });
});
