/**
 * Route-level tests of the Data Factory emulator, driven through the framework Router (no HTTPS
 * server) with a high time scale.
 */
import assert from "node:assert/strict";
import { DataFactoryEmulator } from "./datafactory";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000df";
const RG = "ml_rg";
const F = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DataFactory/factories/mlops-adf`;
const P = `${F}/pipelines/prepare-training-data`;
const V = "2018-06-01";

describe("Data Factory emulator routes", () => {
  let h: RouterHarness;
  let adf: DataFactoryEmulator;

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    adf = new DataFactoryEmulator();
    h.use(adf);
    adf.seedDefaults(SUB, RG);
  });
  afterEach(() => {
    adf.dispose();
    h.dispose();
  });

  const call = (method: string, path: string, body?: unknown, query?: Record<string, string>) =>
    h.call(method, path, { apiVersion: V, ...(body !== undefined ? { body } : {}), ...(query ? { query } : {}) });
  const window = () => ({ lastUpdatedAfter: new Date(Date.now() - 60_000).toISOString(), lastUpdatedBefore: new Date(Date.now() + 60_000).toISOString() });
  const runOf = (runId: string) => call("GET", `${F}/pipelineruns/${runId}`);
  const untilStatus = (runId: string, pred: (s: string) => boolean) =>
    h.until(
      () => runOf(runId),
      (r) => pred(r.body.status),
    );

  describe("factories and pipelines", () => {
    it("gets the factory and lists it by resource group and subscription; 404 names a missing factory", async () => {
      const r = await call("GET", F);
      assert.equal(r.status, 200);
      assert.equal(r.body.name, "mlops-adf");
      assert.equal(r.body.type, "Microsoft.DataFactory/factories");
      assert.equal(r.body.properties.provisioningState, "Succeeded");
      assert.equal(r.body.location, "westeurope");
      assert.equal((await call("GET", `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DataFactory/factories`)).body.value.length, 1);
      assert.equal((await call("GET", `/subscriptions/${SUB}/providers/Microsoft.DataFactory/factories`)).body.value.length, 1);
      const missing = await call("GET", F.replace("mlops-adf", "nope-adf"));
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, "ResourceNotFound");
      assert.match(missing.body.error.message, /Microsoft\.DataFactory\/factories\/nope-adf' under resource group 'ml_rg'/);
      const wrongVersion = await h.call("GET", F, { apiVersion: "2017-09-01-preview" });
      assert.equal(wrongVersion.status, 400);
    });

    it("gets the default pipeline with its parameters and activity chain; 404 names a missing pipeline", async () => {
      const r = await call("GET", P);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.properties.parameters, {
        sourceContainer: { type: "String" },
        outputFolder: { type: "String", defaultValue: "prepared" },
        sampleFraction: { type: "Float", defaultValue: 1 },
      });
      assert.deepEqual(
        r.body.properties.activities.map((a: any) => [a.name, a.type, a.dependsOn.map((d: any) => d.activity)]),
        [
          ["CopyRawData", "Copy", []],
          ["CleanAndFeaturize", "DatabricksNotebook", ["CopyRawData"]],
          ["PublishDataset", "Copy", ["CleanAndFeaturize"]],
        ],
      );
      const missing = await call("GET", `${F}/pipelines/nope`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /factories\/mlops-adf\/pipelines\/nope'/);
    });

    it("pages the pipeline list with nextLink", async () => {
      for (const n of ["a", "b"]) adf.addPipeline(SUB, RG, "mlops-adf", `extra-${n}`, { activities: [{ name: "Wait1", type: "Wait" }] });
      adf.setPageSize(2);
      const first = await call("GET", `${F}/pipelines`);
      assert.equal(first.body.value.length, 2);
      assert.match(first.body.nextLink, /\$skiptoken=2/);
      const second = await h.call("GET", first.body.nextLink, { apiVersion: null });
      assert.deepEqual(
        second.body.value.map((p: any) => p.name),
        ["extra-b"],
      );
      assert.equal(second.body.nextLink, undefined);
      assert.equal((await h.call("GET", `${F}/pipelines`, { apiVersion: V, query: { $skiptoken: "x" } })).status, 400);
    });

    it("refuses pipeline definitions ADF would not publish", () => {
      assert.throws(
        () => adf.addPipeline(SUB, RG, "mlops-adf", "bad", { activities: [{ name: "A", type: "Wait", dependsOn: ["Missing"] }] }),
        /unknown activity 'Missing'/,
      );
      assert.throws(
        () =>
          adf.addPipeline(SUB, RG, "mlops-adf", "cyc", {
            activities: [
              { name: "A", type: "Wait", dependsOn: ["B"] },
              { name: "B", type: "Wait", dependsOn: ["A"] },
            ],
          }),
        /cycle/,
      );
      assert.throws(() => adf.addPipeline(SUB, RG, "mlops-adf", "def", { parameters: { n: { type: "Int", defaultValue: "x" } }, activities: [] }), /not a Int/);
    });
  });

  describe("createRun parameters", () => {
    it("answers 400 naming a missing required, an undeclared or a mistyped parameter, and for a non-object body", async () => {
      const missing = await call("POST", `${P}/createRun`, {});
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.code, "BadRequest");
      assert.match(missing.body.error.message, /'sourceContainer'/);
      assert.equal(missing.body.error.target, "pipeline/prepare-training-data/");
      const undeclared = await call("POST", `${P}/createRun`, { sourceContainer: "raw", colour: "blue" });
      assert.equal(undeclared.status, 400);
      assert.match(undeclared.body.error.message, /'colour' is not defined in pipeline 'prepare-training-data'/);
      const mistyped = await call("POST", `${P}/createRun`, { sourceContainer: "raw", sampleFraction: "a lot" });
      assert.equal(mistyped.status, 400);
      assert.match(mistyped.body.error.message, /'sampleFraction'.*Float/);
      assert.equal((await call("POST", `${P}/createRun`, { sourceContainer: 5 })).status, 400);
      const array = await call("POST", `${P}/createRun`, ["raw"]);
      assert.equal(array.status, 400);
      assert.equal(array.body.error.code, "InvalidRequestContent");
      assert.equal(adf.runs().length, 0);
      assert.equal((await call("POST", `${F}/pipelines/nope/createRun`, {})).status, 404);
    });

    it("fills defaults, converts string forms and reports parameters as strings", async () => {
      const r = await call("POST", `${P}/createRun`, { sourceContainer: "raw", sampleFraction: "0.25" });
      assert.equal(r.status, 200);
      assert.match(r.body.runId, /^[0-9a-f-]{36}$/);
      const run = await runOf(r.body.runId);
      assert.deepEqual(run.body.parameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: "0.25" });
      assert.deepEqual(adf.run(r.body.runId)!.parameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: 0.25 });
    });
  });

  describe("run state machine", () => {
    it("goes Queued → InProgress → Succeeded with one activity run per activity, in order", async () => {
      adf.scriptRuns({ queuedMs: 2000 });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      const first = await runOf(runId);
      assert.equal(first.body.status, "Queued");
      assert.equal(first.body.runEnd, null);
      assert.equal(first.body.isLatest, true);
      assert.equal(first.body.runGroupId, runId);
      const done = await untilStatus(runId, (s) => s === "Succeeded");
      assert.ok(done.body.durationInMs >= 11_000, `virtual duration ${done.body.durationInMs}`);
      assert.equal(done.body.message, "");
      assert.deepEqual(
        adf.run(runId)!.history.map((x) => x.status),
        ["Queued", "InProgress", "Succeeded"],
      );
      const acts = await call("POST", `${F}/pipelineruns/${runId}/queryActivityruns`, window());
      assert.deepEqual(
        acts.body.value.map((a: any) => [a.activityName, a.activityType, a.status]),
        [
          ["CopyRawData", "Copy", "Succeeded"],
          ["CleanAndFeaturize", "DatabricksNotebook", "Succeeded"],
          ["PublishDataset", "Copy", "Succeeded"],
        ],
      );
      const copy = acts.body.value[0];
      assert.equal(copy.pipelineRunId, runId);
      assert.equal(copy.output.filesWritten, 4);
      assert.deepEqual(copy.error, { errorCode: "", message: "", failureType: "", target: "CopyRawData" });
      assert.ok(copy.durationInMs >= 3000);
      assert.deepEqual(acts.body.value[1].input.baseParameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: "1" });
      assert.equal(acts.body.continuationToken, undefined);
    });

    it("fails the run on a scripted activity failure, with the activity error and the rest skipped", async () => {
      adf.scriptRun("prepare-training-data", {
        failActivity: "CleanAndFeaturize",
        error: { errorCode: "3204", message: "Notebook raised ValueError: bad column" },
      });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      const done = await untilStatus(runId, (s) => s === "Failed");
      assert.equal(done.body.message, "Operation on target CleanAndFeaturize failed: Notebook raised ValueError: bad column");
      const acts = (await call("POST", `${F}/pipelineruns/${runId}/queryActivityruns`, window())).body.value;
      assert.deepEqual(
        acts.map((a: any) => a.status),
        ["Succeeded", "Failed", "Skipped"],
      );
      assert.deepEqual(acts[1].error, {
        errorCode: "3204",
        message: "Notebook raised ValueError: bad column",
        failureType: "UserError",
        target: "CleanAndFeaturize",
      });
      const failedOnly = await call("POST", `${F}/pipelineruns/${runId}/queryActivityruns`, {
        ...window(),
        filters: [{ operand: "Status", operator: "Equals", values: ["Failed"] }],
      });
      assert.deepEqual(
        failedOnly.body.value.map((a: any) => a.activityName),
        ["CleanAndFeaturize"],
      );
    });

    it("lets a failure path handle a failed activity (the run succeeds)", async () => {
      adf.addPipeline(SUB, RG, "mlops-adf", "handled", {
        activities: [
          { name: "Try", type: "WebActivity" },
          { name: "OnFail", type: "WebActivity", dependsOn: [{ activity: "Try", dependencyConditions: ["Failed"] }] },
        ],
      });
      adf.scriptRun("handled", { failActivity: "Try" });
      const { runId } = (await call("POST", `${F}/pipelines/handled/createRun`)).body;
      await untilStatus(runId, (s) => s === "Succeeded");
      assert.deepEqual(
        adf.run(runId)!.activities.map((a) => a.status),
        ["Failed", "Succeeded"],
      );
    });

    it("cancels: Canceling → Cancelled, running activity Cancelled; cancelling an ended run is refused", async () => {
      adf.scriptRuns({ activityDurationsMs: { CopyRawData: 600_000 }, cancelDurationMs: 500 });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      await untilStatus(runId, (s) => s === "InProgress");
      const c = await call("POST", `${F}/pipelineruns/${runId}/cancel`, undefined, { isRecursive: "true" });
      assert.equal(c.status, 200);
      assert.equal((await runOf(runId)).body.status, "Canceling");
      const done = await untilStatus(runId, (s) => s === "Cancelled");
      assert.ok(done.body.runEnd);
      assert.equal(adf.run(runId)!.cancelRecursive, true);
      assert.deepEqual(
        adf.run(runId)!.activities.map((a) => [a.name, a.status]),
        [["CopyRawData", "Cancelled"]],
      );
      const again = await call("POST", `${F}/pipelineruns/${runId}/cancel`);
      assert.equal(again.status, 400);
      assert.match(again.body.error.message, /already ended with status Cancelled/);
      assert.equal((await call("POST", `${F}/pipelineruns/00000000-0000-0000-0000-000000000000/cancel`)).status, 404);
    });

    it("cancels itself after cancelAfterMs (scripted portal cancel)", async () => {
      adf.scriptRuns({ cancelAfterMs: 3000, cancelDurationMs: 100 });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      await untilStatus(runId, (s) => s === "Cancelled");
      assert.deepEqual(
        adf.run(runId)!.history.map((x) => x.status),
        ["Queued", "InProgress", "Canceling", "Cancelled"],
      );
    });

    it("setRunStatus / finishRun end a run at a chosen moment and record terminalAt", async () => {
      adf.scriptRuns({ activityDurationsMs: { CopyRawData: 600_000 } });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      await untilStatus(runId, (s) => s === "InProgress");
      assert.equal(adf.run(runId)!.terminalAt, undefined);
      const before = Date.now();
      const v = adf.finishRun(runId);
      assert.equal(v.status, "Succeeded");
      assert.ok(v.terminalAt! >= before && v.terminalAt! <= Date.now());
      assert.deepEqual(
        v.activities.map((a) => a.status),
        ["Succeeded", "Succeeded", "Succeeded"],
      );
      assert.throws(() => adf.setRunStatus(runId, "Failed"), /already ended/);

      const second = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body.runId;
      await untilStatus(second, (s) => s === "InProgress");
      adf.setRunStatus(second, "Failed", { error: { errorCode: "2200", message: "disk full" } });
      const failed = await runOf(second);
      assert.equal(failed.body.status, "Failed");
      assert.equal(failed.body.message, "Operation on target CopyRawData failed: disk full");
    });
  });

  describe("reruns", () => {
    async function failedRun(): Promise<string> {
      adf.scriptRun("prepare-training-data", { failActivity: "CleanAndFeaturize" });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw", outputFolder: "v1" })).body;
      await untilStatus(runId, (s) => s === "Failed");
      adf.scriptRun("prepare-training-data", undefined);
      return runId;
    }

    it("startFromFailure reruns from the failed activity in the same run group, with the reference run's parameters", async () => {
      const ref = await failedRun();
      const r = await call(
        "POST",
        `${P}/createRun`,
        { sourceContainer: "ignored" },
        { referencePipelineRunId: ref, isRecovery: "true", startFromFailure: "true" },
      );
      assert.equal(r.status, 200);
      const done = await untilStatus(r.body.runId, (s) => s === "Succeeded");
      assert.equal(done.body.runGroupId, ref);
      assert.equal(done.body.isLatest, true);
      assert.equal(done.body.parameters.sourceContainer, "raw");
      assert.equal(done.body.parameters.outputFolder, "v1");
      assert.equal((await runOf(ref)).body.isLatest, false);
      const acts = (await call("POST", `${F}/pipelineruns/${r.body.runId}/queryActivityruns`, window())).body.value;
      assert.deepEqual(
        acts.map((a: any) => a.activityName),
        ["CleanAndFeaturize", "PublishDataset"],
      );
      assert.deepEqual(adf.run(r.body.runId)!.carriedOver, ["CopyRawData"]);
      const latest = await call("POST", `${F}/queryPipelineRuns`, { ...window(), filters: [{ operand: "LatestOnly", operator: "Equals", values: ["true"] }] });
      assert.deepEqual(
        latest.body.value.map((x: any) => x.runId),
        [r.body.runId],
      );
    });

    it("startActivityName reruns from that activity; a full recovery reruns everything", async () => {
      const ref = await failedRun();
      const from = await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref, isRecovery: "true", startActivityName: "PublishDataset" });
      await untilStatus(from.body.runId, (s) => s === "Succeeded");
      assert.deepEqual(
        adf.run(from.body.runId)!.activities.map((a) => a.name),
        ["PublishDataset"],
      );
      const full = await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref, isRecovery: "true" });
      await untilStatus(full.body.runId, (s) => s === "Succeeded");
      assert.equal(adf.run(full.body.runId)!.activities.length, 3);
      assert.equal(adf.run(full.body.runId)!.runGroupId, ref);
      const plain = await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref });
      assert.equal(adf.run(plain.body.runId)!.runGroupId, plain.body.runId);
    });

    it("refuses invalid rerun requests", async () => {
      const ref = await failedRun();
      const unknown = await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: "not-a-run", isRecovery: "true" });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, "ReferencedPipelineRunNotValid");
      assert.match(unknown.body.error.message, /Referenced pipeline run id not-a-run is not a valid run id/);
      const noActivity = await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref, isRecovery: "true", startActivityName: "Nope" });
      assert.equal(noActivity.status, 400);
      assert.match(noActivity.body.error.message, /Activity 'Nope'/);
      assert.equal((await call("POST", `${P}/createRun`, { sourceContainer: "raw" }, { startFromFailure: "true" })).status, 400);
      assert.equal((await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref, startFromFailure: "true" })).status, 400);
      assert.equal((await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: ref, isRecovery: "maybe" })).status, 400);
      adf.scriptRuns({ activityDurationsMs: { CopyRawData: 600_000 } });
      const running = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body.runId;
      assert.equal((await call("POST", `${P}/createRun`, undefined, { referencePipelineRunId: running, isRecovery: "true" })).status, 400);
    });
  });

  describe("queryPipelineRuns", () => {
    it("filters, orders and pages with continuationToken", async () => {
      adf.addPipeline(SUB, RG, "mlops-adf", "other", { activities: [{ name: "W", type: "Wait" }] });
      adf.scriptRuns({ queuedMs: 0, defaultActivityMs: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await call("POST", `${P}/createRun`, { sourceContainer: `c${i}` })).body.runId);
      const otherId = (await call("POST", `${F}/pipelines/other/createRun`)).body.runId;
      for (const id of [...ids, otherId]) await untilStatus(id, (s) => s === "Succeeded");
      adf.setPageSize(2);
      const q = {
        ...window(),
        filters: [{ operand: "PipelineName", operator: "Equals", values: ["prepare-training-data"] }],
        orderBy: [{ orderBy: "RunStart", order: "ASC" }],
      };
      const p1 = await call("POST", `${F}/queryPipelineRuns`, q);
      assert.equal(p1.status, 200);
      assert.deepEqual(
        p1.body.value.map((r: any) => r.runId),
        ids.slice(0, 2),
      );
      assert.ok(p1.body.continuationToken);
      const p2 = await call("POST", `${F}/queryPipelineRuns`, { ...q, continuationToken: p1.body.continuationToken });
      assert.deepEqual(
        p2.body.value.map((r: any) => r.runId),
        ids.slice(2),
      );
      assert.equal(p2.body.continuationToken, undefined);
      const stale = await call("POST", `${F}/queryPipelineRuns`, {
        ...q,
        orderBy: [{ orderBy: "RunStart", order: "DESC" }],
        continuationToken: p1.body.continuationToken,
      });
      assert.equal(stale.status, 400);
      adf.setPageSize(100);
      const byId = await call("POST", `${F}/queryPipelineRuns`, { ...window(), filters: [{ operand: "RunId", operator: "In", values: [otherId, ids[0]] }] });
      assert.equal(byId.body.value.length, 2);
      const notOther = await call("POST", `${F}/queryPipelineRuns`, {
        ...window(),
        filters: [
          { operand: "PipelineName", operator: "NotEquals", values: ["other"] },
          { operand: "Status", operator: "In", values: ["Succeeded", "Failed"] },
        ],
      });
      assert.equal(notOther.body.value.length, 3);
      const desc = await call("POST", `${F}/queryPipelineRuns`, window());
      assert.equal(desc.body.value[0].runId, otherId, "default order is newest first");
      const past = await call("POST", `${F}/queryPipelineRuns`, { lastUpdatedAfter: "2020-01-01T00:00:00Z", lastUpdatedBefore: "2020-01-02T00:00:00Z" });
      assert.deepEqual(past.body.value, []);
    });

    it("refuses malformed queries", async () => {
      const noWindow = await call("POST", `${F}/queryPipelineRuns`, {});
      assert.equal(noWindow.status, 400);
      assert.equal(noWindow.body.error.code, "InvalidRequestContent");
      assert.equal((await call("POST", `${F}/queryPipelineRuns`, { lastUpdatedAfter: "yesterday", lastUpdatedBefore: new Date().toISOString() })).status, 400);
      assert.equal(
        (await call("POST", `${F}/queryPipelineRuns`, { ...window(), filters: [{ operand: "Colour", operator: "Equals", values: ["x"] }] })).status,
        400,
      );
      assert.equal(
        (await call("POST", `${F}/queryPipelineRuns`, { ...window(), filters: [{ operand: "Status", operator: "Equals", values: ["Failed", "Succeeded"] }] }))
          .status,
        400,
      );
      assert.equal(
        (await call("POST", `${F}/queryPipelineRuns`, { ...window(), filters: [{ operand: "Status", operator: "Like", values: ["F"] }] })).status,
        400,
      );
      assert.equal((await call("POST", `${F}/queryPipelineRuns`, { ...window(), orderBy: [{ orderBy: "Colour", order: "ASC" }] })).status, 400);
      assert.equal((await call("POST", `${F}/queryPipelineRuns`, { ...window(), continuationToken: "garbage" })).status, 400);
    });

    it("pages activity runs", async () => {
      adf.scriptRuns({ queuedMs: 0, defaultActivityMs: 10 });
      const { runId } = (await call("POST", `${P}/createRun`, { sourceContainer: "raw" })).body;
      await untilStatus(runId, (s) => s === "Succeeded");
      adf.setPageSize(1);
      const names: string[] = [];
      const w = window();
      let token: string | undefined;
      do {
        const r = await call("POST", `${F}/pipelineruns/${runId}/queryActivityruns`, { ...w, ...(token ? { continuationToken: token } : {}) });
        assert.equal(r.body.value.length, 1);
        names.push(r.body.value[0].activityName);
        token = r.body.continuationToken;
      } while (token);
      assert.deepEqual(names, ["CopyRawData", "CleanAndFeaturize", "PublishDataset"]);
      assert.equal((await call("POST", `${F}/pipelineruns/nope/queryActivityruns`, window())).status, 404);
    });
  });

  it("reset forgets runs and re-seeding restores the default scenario", async () => {
    adf.scriptRuns({ activityDurationsMs: { CopyRawData: 600_000 } });
    await call("POST", `${P}/createRun`, { sourceContainer: "raw" });
    adf.reset();
    assert.equal((await call("GET", F)).status, 404);
    adf.seedDefaults(SUB, RG);
    assert.equal(adf.runs().length, 0);
    assert.equal((await call("GET", P)).status, 200);
  });
});
