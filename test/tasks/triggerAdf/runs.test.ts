/**
 * TriggerADFPipeline, built and run as the agent runs it, against the emulator: run outcomes,
 * pipeline cancellation, timeout, throttling, wrong names and bad parameters.
 */
import assert from "node:assert/strict";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { assertNoSecrets, details, PIPELINE, runAdfTask, startedRun } from "./run";

describe("TriggerADFPipeline task: runs", function () {
  this.timeout(60_000);
  let emu: Emulator;
  const createRuns = () => emu.requests.filter("POST", /\/createRun$/i);

  before(async () => {
    emu = await startEmulator({ timeScale: 100, azurite: false });
  });
  beforeEach(async () => {
    await emu.reset();
  });
  after(async () => {
    await emu?.stop();
  });

  it("succeeds, sets the outputs, logs the activity table and uploads the summary", async () => {
    const r = await runAdfTask(emu);
    assert.equal(r.result, "Succeeded", details(r));
    const run = startedRun(emu, r);
    assert.equal(run.status, "Succeeded");
    assert.equal(r.variables["RunStatus"].value, "Succeeded");
    const factoryId = `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.DataFactory/factories/mlops-adf`;
    assert.equal(r.variables["RunUrl"].value, `https://adf.azure.com/en/monitoring/pipelineruns/${run.runId}?factory=${encodeURIComponent(factoryId)}`);
    assert.match(r.stdout, /Activity\s+Type\s+Status\s+Duration\s+Error/);
    assert.match(r.stdout, /CleanAndFeaturize\s+DatabricksNotebook\s+Succeeded\s+\d+s/);
    const statusLines = r.stdout.split("\n").filter((l) => l.startsWith(`Run ${run.runId} is `));
    assert.equal(statusLines.filter((l) => l.includes("is Succeeded")).length, 1, statusLines.join("\n"));
    assert.equal(new Set(statusLines.map((l) => /is (\w+)/.exec(l)?.[1])).size, statusLines.length, "one line per status");
    assert.equal(r.summaries.length, 1);
    assert.match(r.summaries[0].content, /\| PublishDataset \| Copy \| Succeeded \|/);
    assert.match(r.summaries[0].content, new RegExp(run.runId));
    assert.equal(createRuns().length, 1);
    assertNoSecrets(emu, r);
  });

  it("fails a failed run with the failing activity's message", async () => {
    emu.datafactory.scriptRun(PIPELINE, { failActivity: "CleanAndFeaturize", error: { errorCode: "3204", message: "Notebook raised ValueError: bad column" } });
    const r = await runAdfTask(emu);
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /run \S+ failed: CleanAndFeaturize \(DatabricksNotebook\): 3204: Notebook raised ValueError: bad column/);
    assert.equal(r.variables["RunStatus"].value, "Failed");
    assert.equal(startedRun(emu, r).status, "Failed");
    assert.match(r.summaries[0]?.content ?? "", /\| CleanAndFeaturize \| DatabricksNotebook \| Failed \|/);
  });

  it("fails a run cancelled in Data Factory", async () => {
    emu.datafactory.scriptRun(PIPELINE, { cancelAfterMs: 3000, defaultActivityMs: 600_000 });
    const r = await runAdfTask(emu);
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /was cancelled in Data Factory/);
    assert.equal(r.variables["RunStatus"].value, "Cancelled");
  });

  it("cancels the remote run when the pipeline is cancelled (SIGINT)", async () => {
    emu.datafactory.scriptRun(PIPELINE, { defaultActivityMs: 3_600_000 });
    const r = await runAdfTask(emu, { interrupt: { signal: "SIGINT", when: /is InProgress/ } });
    assert.equal(r.result, "Cancelled", details(r));
    assert.ok(r.durationMs < 15_000, `took ${r.durationMs} ms`);
    const run = startedRun(emu, r);
    assert.ok(["Canceling", "Cancelled"].includes(run.status), run.status);
    assert.equal(emu.requests.filter("POST", new RegExp(`/pipelineruns/${run.runId}/cancel$`, "i")).length, 1);
    assert.ok(["Canceling", "Cancelled"].includes(r.variables["RunStatus"].value));
  });

  it("leaves the run alone on SIGINT when cancelOnStop is off", async () => {
    emu.datafactory.scriptRun(PIPELINE, { defaultActivityMs: 3_600_000 });
    const r = await runAdfTask(emu, { inputs: { cancelOnStop: "false" }, interrupt: { signal: "SIGINT", when: /is InProgress/ } });
    assert.equal(r.result, "Cancelled", details(r));
    assert.equal(startedRun(emu, r).status, "InProgress");
    assert.equal(emu.requests.filter("POST", /\/cancel$/i).length, 0);
  });

  it("fails at its wait limit and, with cancelOnTimeout, cancels the remote run", async () => {
    emu.datafactory.scriptRun(PIPELINE, { defaultActivityMs: 3_600_000 });
    const r = await runAdfTask(emu, { inputs: { timeoutInMinutes: "0.03", cancelOnTimeout: "true" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /did not finish within waitTimeoutInMinutes/);
    const run = startedRun(emu, r);
    assert.ok(["Canceling", "Cancelled"].includes(run.status), run.status);
  });

  it("completes through a storm of throttled status requests", async () => {
    emu.faults.add({ method: "GET", path: /\/pipelineruns\/[^/]+$/i, kind: "throttle", count: 6, retryAfterSeconds: 1 });
    const r = await runAdfTask(emu);
    assert.equal(r.result, "Succeeded", details(r));
    const gets = emu.requests.filter("GET", /\/pipelineruns\/[^/]+$/i);
    assert.equal(gets.filter((g) => g.status === 429).length, 6);
    assert.equal(startedRun(emu, r).status, "Succeeded");
    assert.equal(createRuns().length, 1);
  });

  it("names a missing factory and its resource group", async () => {
    const r = await runAdfTask(emu, { inputs: { factoryName: "no-such-adf" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /no-such-adf/);
    assert.match(r.resultMessage ?? "", /ml_rg/);
    assert.equal(createRuns().length, 0);
  });

  it("names a missing pipeline, its factory and resource group", async () => {
    const r = await runAdfTask(emu, { inputs: { pipelineName: "no-such-pipeline" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /pipeline 'no-such-pipeline' of data factory 'mlops-adf'/);
    assert.match(r.resultMessage ?? "", /ml_rg/);
  });

  it("fails on bad parameters before starting a run", async () => {
    const r = await runAdfTask(emu, { inputs: { parameters: '{"sampleFraction": "half", "outputFolder": "x", "colour": "blue"}' } });
    assert.equal(r.result, "Failed", details(r));
    const message = r.resultMessage ?? "";
    assert.match(message, /Input 'parameters' does not fit pipeline 'prepare-training-data'/);
    assert.match(message, /'colour' is not a parameter of the pipeline/);
    assert.match(message, /'sampleFraction' must be of type Float/);
    assert.match(message, /'sourceContainer' \(String\) has no default value/);
    assert.equal(createRuns().length, 0);
    assert.equal(r.variables["RunId"], undefined);
  });

  it("does not wait when waitForCompletion is off", async () => {
    emu.datafactory.scriptRun(PIPELINE, { defaultActivityMs: 3_600_000 });
    const r = await runAdfTask(emu, { inputs: { waitForCompletion: "false" } });
    assert.equal(r.result, "Succeeded", details(r));
    assert.ok(["Queued", "InProgress"].includes(r.variables["RunStatus"].value));
    assert.equal(startedRun(emu, r).status === "Succeeded", false);
  });
});
