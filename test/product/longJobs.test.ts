/**
 * Long remote runs and the task's own wait limit (issue 17), against the time-scaled emulator:
 * - a two-hour run (scripted time) with no wait input set ends Succeeded: the tasks have no limit of
 *   their own by default (waitTimeoutInMinutes 0), the step's timeout (here the harness's, above the
 *   run) governs;
 * - when the task's own limit passes, the task fails and the remote run keeps going (asserted on the
 *   emulator); cancelOnTimeout: true is what cancels it (test/tasks/*: runs/failures tests);
 * - the agentless wait documented in overview.md ("Waiting without an agent": an Invoke REST API check
 *   on the ARM job URL): its URL and success criteria, read from the page, hold for the emulator's
 *   answer about a completed job and not for a running one.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";
import type { Emulator } from "../../devkit/emulator";
import { armToken, credential, raw } from "../../devkit/emulator/testing";
import { startReliabilityEmulator, type ReliabilityEmulator } from "../reliability/reliabilityEmulator";
import { describeRun, runScenario } from "../reliability/scenarioRun";
import { ADF, SUBMIT } from "../reliability/scenarios";
import { makeSources, seedWorlds, type World } from "../reliability/worlds";

/** 2 scripted hours last 10 s of real time. */
const TIME_SCALE = 720;
const TWO_HOURS_MS = 2 * 60 * 60 * 1000;
/** The step's timeout (the harness kills the task then): above the run's 10 s of real time. */
const STEP_TIMEOUT_MS = 60_000;

describe("Long jobs: the step's timeout governs, the task's own limit leaves the run alone", function () {
  this.timeout(120_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  let worlds: World[];

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: TIME_SCALE });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    // ADF: 1 s queued + three activities = 2 h.
    emu.datafactory.scriptRuns({ queuedMs: 1000, activityDurationsMs: { CopyRawData: 2_400_000, CleanAndFeaturize: 3_600_000, PublishDataset: 1_199_000 } });
    // inline-steps.yml: 1 s NotStarted + 2 steps × (2 + 3 + Running + 1 s) + 1 s Finalizing = 2 h.
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: (TWO_HOURS_MS - 2000) / 2 - 6000 } });
    worlds = await seedWorlds(emu, 1, 4);
  });

  after(async () => {
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  const noWaitInputs = { timeoutInMinutes: "", pollingIntervalSeconds: "" };

  it("a two-hour Data Factory run and a two-hour Azure ML job, no wait input set, run to completion", async () => {
    const [adf, ml] = await Promise.all([
      runScenario(emu, ADF, worlds[0], { sources, inputs: noWaitInputs, timeoutInMs: STEP_TIMEOUT_MS }),
      runScenario(emu, SUBMIT, worlds[1], { sources, inputs: { ...noWaitInputs, pollingIntervalSeconds: "1" }, timeoutInMs: STEP_TIMEOUT_MS }),
    ]);
    assert.equal(adf.result, "Succeeded", describeRun(adf));
    assert.deepEqual(ADF.verifySucceeded(emu, worlds[0], adf), []);
    assert.equal(ml.result, "Succeeded", describeRun(ml));
    assert.deepEqual(SUBMIT.verifySucceeded(emu, worlds[1], ml), []);
    // The run's own duration, in the emulator's (scripted) time, as Data Factory reports it.
    assert.match(adf.stdout, /run [0-9a-f-]+ succeeded \((1h 59m \d\ds|2h 0\dm \d\ds)\)/);
  });

  it("the task's own limit (alias timeoutInMinutes) fails the step and leaves both remote runs running", async () => {
    const limit = { timeoutInMinutes: "0.05", pollingIntervalSeconds: "1" };
    const [adf, ml] = await Promise.all([
      runScenario(emu, ADF, worlds[2], { sources, inputs: limit, timeoutInMs: STEP_TIMEOUT_MS }),
      runScenario(emu, SUBMIT, worlds[3], { sources, inputs: limit, timeoutInMs: STEP_TIMEOUT_MS }),
    ]);
    assert.equal(adf.result, "Failed", describeRun(adf));
    assert.match(adf.resultMessage ?? "", /did not finish within waitTimeoutInMinutes/);
    assert.match(adf.stdout, /cancelOnTimeout is off: pipeline run .* keeps running/);
    const run = emu.datafactory.runs({ subscriptionId: emu.subscriptionId, resourceGroupName: worlds[2].resourceGroupName, factoryName: worlds[2].factory })[0];
    assert.equal(run.status, "InProgress");
    assert.equal(ml.result, "Failed", describeRun(ml));
    assert.match(ml.resultMessage ?? "", /did not end within waitTimeoutInMinutes/);
    assert.equal(
      emu.ml.job(worlds[3].job, { subscriptionId: emu.subscriptionId, resourceGroupName: worlds[3].resourceGroupName, workspaceName: worlds[3].workspace })
        ?.status,
      "Running",
    );
    assert.equal(emu.requests.filter("POST", /\/cancel$/i).length, 0, "nothing was cancelled");
  });

  it("the Invoke REST API check in overview.md passes for the emulator's completed job, not for a running one", async () => {
    const overview = fs.readFileSync(path.join(findRepoRoot(__dirname), "overview.md"), "utf8");
    const row = (name: string) => new RegExp(`^\\| ${name} \\| \`([^\`]+)\` \\|$`, "m").exec(overview)?.[1];
    const suffix = row("URL suffix and parameters");
    const criteria = row("Success criteria");
    assert.ok(suffix && criteria, "overview.md documents the check's URL suffix and success criteria");
    const token = await armToken(emu, credential(emu, "secret"));
    const answer = async (w: World) => {
      const url = suffix
        .replace("<subscription id>", emu.subscriptionId)
        .replace("<resource group>", w.resourceGroupName)
        .replace("<workspace>", w.workspace)
        .replace("<job name>", w.job);
      const r = await raw(emu, "GET", `/${url}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200, r.text);
      return r.json as unknown;
    };
    assert.equal(checkPasses(criteria, await answer(worlds[1])), true, "the completed job (first test) meets the criteria");
    assert.equal(checkPasses(criteria, await answer(worlds[3])), false, "the running job (second test) does not");
  });
});

/**
 * The one form of success criteria overview.md documents, `eq(root['a']['b'], 'value')`, evaluated on a
 * JSON answer (https://learn.microsoft.com/azure/devops/pipelines/process/approvals#invoke-rest-api:
 * `root` is the response body). Any other form fails the test, so the page cannot drift from it.
 */
function checkPasses(criteria: string, body: unknown): boolean {
  const m = /^eq\(root((?:\['[^']+'\])+), '([^']*)'\)$/.exec(criteria);
  assert.ok(m, `unexpected success criteria form: ${criteria}`);
  let value: unknown = body;
  for (const [, key] of m[1].matchAll(/\['([^']+)'\]/g)) value = (value as Record<string, unknown> | undefined)?.[key];
  // Expression functions compare strings case-insensitively (https://learn.microsoft.com/azure/devops/pipelines/process/expressions#eq).
  return typeof value === "string" && value.toLowerCase() === m[2].toLowerCase();
}
