/**
 * The MLflow routes of the Machine Learning emulator (arm/ml/mlflow.ts), and the tasks' reader
 * (tasks/common/azureml/mlflow.ts) driven through the real arm-machinelearning client's pipeline,
 * in-process: runs are jobs, metrics scripted per job/step or per run, latest values and history,
 * child runs by `mlflow.parentRunId`, and the error answers.
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import {
  childRuns,
  flattenMetrics,
  metricVariables,
  MlflowError,
  readJobMetrics,
  trackingBaseUrl,
  workspaceMlflowClient,
} from "../../../tasks/common/azureml/mlflow";
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import { MachineLearningEmulator } from "./machinelearning";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000cc";
const RG = "ml_rg";
const WSN = "ml_workspace";
const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WSN}`;
const ENV = `${WS}/environments/AzureML-sklearn-1.5/versions/1`;
const COMMON = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "..", "tasks", "common", "messages.json"), "utf8")) as Record<
  string,
  string
>;
const loc = (key: string, ...params: unknown[]) => format(COMMON[key] ?? assert.fail(`no message ${key}`), ...params);
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };

describe("Machine Learning emulator: MLflow tracking routes and the tasks' metrics reader", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;
  let client: AzureMachineLearningWorkspaces;
  let mlflowBase: string;

  beforeEach(async () => {
    h = new RouterHarness({ timeScale: 1000 });
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, RG);
    client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: h.baseUrl, httpClient: h.httpClient(), retryOptions: { maxRetries: 0 } });
    const ws = await h.call("GET", WS);
    mlflowBase = `${trackingBaseUrl(ws.body.properties.mlFlowTrackingUri)}/api/2.0/mlflow`;
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  async function component(name: string): Promise<string> {
    const spec = { type: "command", command: "python run.py", environment: `azureml:${ENV}`, outputs: { out: { type: "uri_folder" } } };
    await h.call("PUT", `${WS}/components/${name}/versions/1`, { body: { properties: { componentSpec: spec, isAnonymous: true } } });
    return `${WS}/components/${name}/versions/1`;
  }

  async function runPipeline(name: string): Promise<void> {
    const body = {
      properties: {
        jobType: "Pipeline",
        experimentName: "gate",
        settings: { default_compute: `${WS}/computes/gpu-cluster` },
        jobs: { train: { type: "command", componentId: await component("train") }, evaluate: { type: "command", componentId: await component("evaluate") } },
      },
    };
    // A pipeline PUT carries x-azureml-token for https://ml.azure.com (see ml.routes.test.ts).
    const amlToken = `e30.${Buffer.from(JSON.stringify({ aud: "https://ml.azure.com" })).toString("base64url")}.x`;
    assert.equal((await h.call("PUT", `${WS}/jobs/${name}`, { body, headers: { "x-azureml-token": amlToken } })).status, 201);
    await h.until(
      () => ml.job(name)!.status,
      (s) => s === "Completed",
      10_000,
    );
  }

  it("keeps the workspace's tracking URI and serves runs/get under it: latest values, run info, tags", async () => {
    assert.match(mlflowBase, /^https:\/\/127\.0\.0\.1:4443\/mlflow\/v1\.0\/subscriptions\/.+\/workspaces\/ml_workspace\/api\/2\.0\/mlflow$/);
    ml.scriptJobs({ metrics: { job: { pipeline_seconds: 12 }, steps: { train: { loss: [0.9, 0.5, 0.3] }, evaluate: { accuracy: 0.91 } } } });
    await runPipeline("pipe_a");
    // Steps are runs of their own, named by GUID (run history); the node name is their run name.
    const train = ml.job("pipe_a")!.children["train"]!;
    const run = await h.call("GET", `${mlflowBase}/runs/get?run_id=${train}`);
    assert.equal(run.status, 200);
    assert.deepEqual(
      run.body.run.data.metrics.map((m: any) => [m.key, m.value, m.step]),
      [["loss", 0.3, 2]],
    );
    assert.equal(run.body.run.info.run_id, train);
    assert.equal(run.body.run.info.status, "FINISHED");
    assert.deepEqual(
      run.body.run.data.tags.find((t: any) => t.key === "mlflow.parentRunId"),
      { key: "mlflow.parentRunId", value: "pipe_a" },
    );
    const v2 = await h.call("GET", `${mlflowBase.replace("/mlflow/v1.0/", "/mlflow/v2.0/")}/runs/get?run_id=pipe_a`);
    assert.deepEqual(
      v2.body.run.data.metrics.map((m: any) => [m.key, m.value]),
      [["pipeline_seconds", 12]],
    );
    const history = await h.call("GET", `${mlflowBase}/metrics/get-history?run_id=${train}&metric_key=loss`);
    assert.deepEqual(
      history.body.metrics.map((m: any) => m.value),
      [0.9, 0.5, 0.3],
    );
  });

  it("answers errors as MLflow does: missing run 404 RESOURCE_DOES_NOT_EXIST, missing parameters 400", async () => {
    const missing = await h.call("GET", `${mlflowBase}/runs/get?run_id=nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error_code, "RESOURCE_DOES_NOT_EXIST");
    assert.equal((await h.call("GET", `${mlflowBase}/runs/get`)).body.error_code, "INVALID_PARAMETER_VALUE");
    assert.equal((await h.call("GET", `${mlflowBase}/metrics/get-history?run_id=x`)).status, 400);
    assert.equal((await h.call("POST", `${mlflowBase}/runs/search`, { body: { filter: "" } })).status, 400);
    const otherWs = await h.call("GET", `${mlflowBase.replace("ml_workspace", "other_ws")}/runs/get?run_id=x`);
    assert.equal(otherWs.status, 404);
    assert.equal(otherWs.body.error.code, "ResourceNotFound");
  });

  it("reads a job's and its steps' metrics with the reader (runs/get, get-history, runs/search for children)", async () => {
    ml.scriptJobs({ metrics: { steps: { train: { loss: [0.9, 0.3] }, evaluate: { accuracy: 0.91, loss: 0.35 } } } });
    await runPipeline("pipe_b");
    ml.scriptRunMetrics("pipe_b", { duration: 5 });
    const mlflow = await workspaceMlflowClient(client, { resourceGroupName: RG, workspaceName: WSN }, { abortSignal: new AbortController().signal, loc });
    const steps = await childRuns(mlflow, await mlflow.getRun("pipe_b"), "pipe_b");
    const children = ml.job("pipe_b")!.children;
    assert.deepEqual(steps.map((s) => s.runId).sort(), [children["evaluate"], children["train"]].sort());
    const metrics = await readJobMetrics(mlflow, {
      runId: "pipe_b",
      steps: [...steps, { stepName: "never", runId: "00000000-0000-0000-0000-00000000dead" }],
      historyOf: ["loss"],
    });
    assert.deepEqual(metrics.byStep, { job: { duration: 5 }, train: { loss: 0.3 }, evaluate: { accuracy: 0.91, loss: 0.35 } });
    assert.deepEqual(metrics.missingRuns, ["00000000-0000-0000-0000-00000000dead"]);
    assert.deepEqual(
      metrics.history["train/loss"].map((m) => m.value),
      [0.9, 0.3],
    );
    assert.deepEqual(flattenMetrics(metrics.byStep), { duration: 5, "train.loss": 0.3, "evaluate.accuracy": 0.91, "evaluate.loss": 0.35, accuracy: 0.91 });
    assert.deepEqual(metricVariables({ "my step": { "val/acc.top-1": 0.5 } }), { Metric_my_step_val_acc_top_1: "0.5" });
    await assert.rejects(mlflow.getRun("unknown"), (err: unknown) => err instanceof MlflowError && err.notFound && /RESOURCE_DOES_NOT_EXIST/.test(err.message));
  });

  it("shows no metrics before a run has started", async () => {
    ml.scriptJobs({ phaseDurationsMs: { NotStarted: 3_600_000 }, metrics: { job: { accuracy: 0.5 } } });
    const body = { properties: { jobType: "Command", command: "python x.py", environmentId: ENV, computeId: `${WS}/computes/gpu-cluster` } };
    assert.equal((await h.call("PUT", `${WS}/jobs/waiting`, { body })).status, 201);
    const run = await h.call("GET", `${mlflowBase}/runs/get?run_id=waiting`);
    assert.deepEqual(run.body.run.data.metrics, []);
    assert.equal(run.body.run.info.status, "SCHEDULED");
  });
});
