/**
 * The Data Factory emulator driven by the real `@azure/arm-datafactory` client (its serializers,
 * mappers and error handling run unchanged), in-process through the router harness.
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { DataFactoryManagementClient } from "@azure/arm-datafactory";
import type { ActivityRun, PipelineResource, RunFilterParameters } from "@azure/arm-datafactory";
import { DataFactoryEmulator } from "./datafactory";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000d5";
const RG = "ml_rg";
const FAC = "mlops-adf";
const PIPE = "prepare-training-data";

const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };

describe("Data Factory emulator with the arm-datafactory SDK (in-process)", () => {
  let h: RouterHarness;
  let adf: DataFactoryEmulator;
  let client: DataFactoryManagementClient;

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    adf = new DataFactoryEmulator();
    h.use(adf);
    adf.seedDefaults(SUB, RG);
    client = new DataFactoryManagementClient(credential, SUB, { endpoint: h.baseUrl, httpClient: h.httpClient(), retryOptions: { maxRetries: 0 } });
  });
  afterEach(() => {
    adf.dispose();
    h.dispose();
  });

  const window = (): RunFilterParameters => ({ lastUpdatedAfter: new Date(Date.now() - 60_000), lastUpdatedBefore: new Date(Date.now() + 60_000) });
  const untilRun = (runId: string, pred: (s?: string) => boolean) =>
    h.until(
      () => client.pipelineRuns.get(RG, FAC, runId),
      (r) => pred(r.status),
    );

  it("reads the factory and the pipeline with its typed activities and parameters", async () => {
    const f = await client.factories.get(RG, FAC);
    assert.equal(f?.name, FAC);
    assert.equal(f?.provisioningState, "Succeeded");
    assert.ok(f?.createTime instanceof Date);
    const all = [];
    for await (const x of client.factories.listByResourceGroup(RG)) all.push(x.name);
    for await (const x of client.factories.list()) all.push(x.name);
    assert.deepEqual(all, [FAC, FAC]);
    const p: PipelineResource | undefined = await client.pipelines.get(RG, FAC, PIPE);
    assert.equal(p?.activities?.length, 3);
    assert.equal(p?.activities?.[1].type, "DatabricksNotebook");
    assert.equal(p?.parameters?.sourceContainer.type, "String");
    assert.equal(p?.parameters?.sampleFraction.defaultValue, 1);
    await assert.rejects(
      client.factories.get(RG, "no-such-factory"),
      (e: { statusCode?: number; code?: string; message: string }) =>
        e.statusCode === 404 && e.code === "ResourceNotFound" && /no-such-factory/.test(e.message),
    );
  });

  it("lists pipelines across pages", async () => {
    for (const n of ["one", "two", "three"]) adf.addPipeline(SUB, RG, FAC, n, { activities: [{ name: "W", type: "Wait" }] });
    adf.setPageSize(2);
    const names = [];
    for await (const p of client.pipelines.listByFactory(RG, FAC)) names.push(p.name);
    assert.deepEqual(names, [PIPE, "one", "two", "three"]);
  });

  it("creates a run with parameters and follows it to Succeeded; activity runs page by page", async () => {
    const { runId } = await client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "raw", sampleFraction: 0.5 } });
    const run = await untilRun(runId, (s) => s === "Succeeded");
    assert.deepEqual(run.parameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: "0.5" });
    assert.ok(run.runEnd instanceof Date && run.runStart instanceof Date);
    assert.equal(run.invokedBy?.name, "Manual");
    assert.equal(run.isLatest, true);
    adf.setPageSize(2);
    const filter = window();
    const acts: ActivityRun[] = [];
    let pages = 0;
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await client.activityRuns.queryByPipelineRun(RG, FAC, runId, { ...filter, continuationToken: token });
      acts.push(...page.value);
      token = page.continuationToken;
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(
      acts.map((a) => [a.activityName, a.status]),
      [
        ["CopyRawData", "Succeeded"],
        ["CleanAndFeaturize", "Succeeded"],
        ["PublishDataset", "Succeeded"],
      ],
    );
    assert.ok(acts[0].activityRunEnd instanceof Date);
    assert.equal(typeof acts[0].durationInMs, "number");
  });

  it("surfaces parameter problems as BadRequest RestErrors", async () => {
    await assert.rejects(
      client.pipelines.createRun(RG, FAC, PIPE, { parameters: { outputFolder: "x" } }),
      (e: { statusCode?: number; code?: string; message: string }) => {
        return e.statusCode === 400 && e.code === "BadRequest" && /sourceContainer/.test(e.message);
      },
    );
    await assert.rejects(client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "raw", extra: 1 } }), /'extra' is not defined/);
    await assert.rejects(client.pipelines.createRun(RG, FAC, "missing-pipeline", {}), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it("fails a scripted run with the activity error, then reruns from the failure in the same group", async () => {
    adf.scriptRun(PIPE, { failActivity: "PublishDataset", error: { errorCode: "2200", message: "Sink container 'prepared' not found" } });
    const { runId } = await client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "raw" } });
    const failed = await untilRun(runId, (s) => s === "Failed");
    assert.equal(failed.message, "Operation on target PublishDataset failed: Sink container 'prepared' not found");
    const acts = (await client.activityRuns.queryByPipelineRun(RG, FAC, runId, window())).value;
    const bad = acts.find((a) => a.status === "Failed");
    assert.deepEqual(bad?.error, { errorCode: "2200", message: "Sink container 'prepared' not found", failureType: "UserError", target: "PublishDataset" });

    adf.scriptRun(PIPE, undefined);
    const rerun = await client.pipelines.createRun(RG, FAC, PIPE, { referencePipelineRunId: runId, isRecovery: true, startFromFailure: true });
    const ok = await untilRun(rerun.runId, (s) => s === "Succeeded");
    assert.equal(ok.runGroupId, runId);
    const rerunActs = (await client.activityRuns.queryByPipelineRun(RG, FAC, rerun.runId, window())).value;
    assert.deepEqual(
      rerunActs.map((a) => a.activityName),
      ["PublishDataset"],
    );
    assert.equal((await client.pipelineRuns.get(RG, FAC, runId)).isLatest, false);

    const from = await client.pipelines.createRun(RG, FAC, PIPE, { referencePipelineRunId: runId, isRecovery: true, startActivityName: "CleanAndFeaturize" });
    await untilRun(from.runId, (s) => s === "Succeeded");
    assert.deepEqual(
      adf.run(from.runId)!.activities.map((a) => a.name),
      ["CleanAndFeaturize", "PublishDataset"],
    );
  });

  it("cancels a run (Canceling → Cancelled) with isRecursive", async () => {
    adf.scriptRuns({ activityDurationsMs: { CleanAndFeaturize: 3_600_000 } });
    const { runId } = await client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "raw" } });
    await h.until(
      () => adf.run(runId)!.activities.length,
      (n) => n === 2,
    );
    await client.pipelineRuns.cancel(RG, FAC, runId, { isRecursive: true });
    const r = await untilRun(runId, (s) => s === "Cancelled");
    assert.ok(r.runEnd instanceof Date);
    assert.deepEqual(
      adf.run(runId)!.activities.map((a) => a.status),
      ["Succeeded", "Cancelled"],
    );
  });

  it("queries runs by factory with filters, order and continuation tokens", async () => {
    adf.scriptRuns({ queuedMs: 0, defaultActivityMs: 5 });
    adf.scriptRun("flaky", { failActivity: "W" });
    adf.addPipeline(SUB, RG, FAC, "flaky", { activities: [{ name: "W", type: "Wait" }] });
    const ok1 = (await client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "a" } })).runId;
    const bad = (await client.pipelines.createRun(RG, FAC, "flaky")).runId;
    const ok2 = (await client.pipelines.createRun(RG, FAC, PIPE, { parameters: { sourceContainer: "b" } })).runId;
    for (const id of [ok1, bad, ok2]) await untilRun(id, (s) => s === "Succeeded" || s === "Failed");
    const failed = await client.pipelineRuns.queryByFactory(RG, FAC, { ...window(), filters: [{ operand: "Status", operator: "Equals", values: ["Failed"] }] });
    assert.deepEqual(
      failed.value.map((r) => r.runId),
      [bad],
    );
    adf.setPageSize(1);
    const filter: RunFilterParameters = {
      ...window(),
      filters: [{ operand: "PipelineName", operator: "In", values: [PIPE] }],
      orderBy: [{ orderBy: "RunStart", order: "ASC" }],
    };
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.pipelineRuns.queryByFactory(RG, FAC, { ...filter, continuationToken: token });
      seen.push(...page.value.map((r) => r.runId!));
      token = page.continuationToken;
    } while (token);
    assert.deepEqual(seen, [ok1, ok2]);
  });
});
