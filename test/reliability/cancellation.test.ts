/**
 * Cancellation: SIGINT and SIGTERM (how the agent stops a step when the pipeline is cancelled)
 * while each waiting task waits — a Data Factory run, an Azure ML job, a DeployToAKS deployment
 * (long-running operation) — end the process within 10 s with the Cancelled result, and cancel
 * the remote run when cancelOnStop is true (and only then). DeployToAKS has no cancelOnStop:
 * Azure has no cancel for a deployment operation, so the task stops following it and changes
 * nothing else (no rollback, no delete).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Emulator } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import { markRequest, type RequestMark } from "./requestWatch";
import { describeRun, runScenario } from "./scenarioRun";
import { ADF, DEPLOY, SUBMIT, type TaskScenario } from "./scenarios";
import { esc, makeSources, seedWorld, type World } from "./worlds";

const EXIT_WITHIN_MS = 10_000;
/** DeployToAKS prints nothing while it polls its operation: the signal is sent this long after start. */
const DEPLOY_SIGNAL_AFTER_MS = 9000;

type Signal = "SIGINT" | "SIGTERM";

interface Case {
  title: string;
  scenario: TaskScenario;
  signal: Signal;
  cancelOnStop?: boolean;
  /** Stdout that shows the task is waiting (the signal goes then). */
  waiting?: RegExp;
  /** The request after which the task is in its waiting loop. */
  waitingAfter: (w: World) => { method: string; path: RegExp };
}

interface Outcome {
  r: AgentRunResult;
  world: World;
  /** Epoch ms the signal was sent and the process had exited. */
  signalledAt: number;
  exitedAt: number;
  waitingSince: RequestMark;
}

const cases: Case[] = [];
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const cancelOnStop of [true, false]) {
    cases.push({
      title: `TriggerADFPipeline, ${signal} while the run is InProgress, cancelOnStop ${cancelOnStop}`,
      scenario: ADF,
      signal,
      cancelOnStop,
      waiting: /is InProgress/,
      waitingAfter: (w) => ({ method: "POST", path: new RegExp(`^${esc(w.factoryPath)}/pipelines/[^/]+/createRun$`) }),
    });
    cases.push({
      title: `SubmitAzureMLPipeline, ${signal} while the job is Running, cancelOnStop ${cancelOnStop}`,
      scenario: SUBMIT,
      signal,
      cancelOnStop,
      waiting: /: Running/,
      waitingAfter: (w) => ({ method: "PUT", path: new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`) }),
    });
  }
  cases.push({
    title: `DeployToAKS, ${signal} while the deployment operation runs`,
    scenario: DEPLOY,
    signal,
    waitingAfter: (w) => ({ method: "PUT", path: new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}/deployments/blue$`) }),
  });
}

/** A pattern that also records when it first matched (runTask sends the signal right then). */
function timedPattern(re: RegExp, onMatch: () => void): RegExp {
  const timed = new RegExp(re.source, re.flags);
  const test = timed.test.bind(timed);
  timed.test = (s: string) => {
    const ok = test(s);
    if (ok) onMatch();
    return ok;
  };
  return timed;
}

async function runCase(emu: Emulator, c: Case, w: World, sources: string): Promise<Outcome> {
  const waitingSince = markRequest(emu, c.waitingAfter(w), 120_000);
  let signalledAt = 0;
  const started = Date.now();
  const interrupt = c.waiting
    ? { signal: c.signal, when: timedPattern(c.waiting, () => (signalledAt ||= Date.now())) }
    : { signal: c.signal, afterMs: DEPLOY_SIGNAL_AFTER_MS };
  const inputs: Record<string, string> = c.cancelOnStop === undefined ? {} : { cancelOnStop: String(c.cancelOnStop) };
  const r = await runScenario(emu, c.scenario, w, { sources, inputs: { ...inputs, timeoutInMinutes: "30" }, interrupt, timeoutInMs: 60_000 });
  const exitedAt = Date.now();
  waitingSince.cancel();
  if (!c.waiting && r.interrupted) signalledAt = started + DEPLOY_SIGNAL_AFTER_MS;
  return { r, world: w, signalledAt, exitedAt, waitingSince };
}

describe("Reliability: cancellation (SIGINT / SIGTERM while waiting)", function () {
  this.timeout(120_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  const outcomes = new Map<string, Promise<Outcome>>();

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: 50 });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    // Remote runs that would go on for an hour.
    emu.datafactory.scriptRuns({ defaultActivityMs: 3_600_000 });
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 3_600_000 } });
    emu.ml.scriptDeployments({ durationMs: 3_600_000 });
    const worlds = await Promise.all(cases.map((_, i) => seedWorld(emu, i + 1)));
    cases.forEach((c, i) => {
      const o = runCase(emu, c, worlds[i], sources);
      o.catch(() => undefined);
      outcomes.set(c.title, o);
    });
  });

  after(async () => {
    await Promise.all([...outcomes.values()].map((p) => p.catch(() => undefined)));
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  for (const c of cases) {
    const remote =
      c.cancelOnStop === undefined ? "the deployment is left to Azure" : c.cancelOnStop ? "the remote run is cancelled" : "the remote run keeps running";
    it(`${c.title} → Cancelled within ${EXIT_WITHIN_MS / 1000} s, ${remote}`, async () => {
      const o = await outcomes.get(c.title)!;
      const { r, world: w } = o;
      assert.equal(r.interrupted, true, `the signal was never sent\n${describeRun(r)}`);
      assert.ok(o.waitingSince.time !== undefined && o.waitingSince.time < o.signalledAt, `the signal came before the task was waiting\n${describeRun(r)}`);
      assert.equal(r.result, "Cancelled", describeRun(r));
      assert.equal(r.reportedResult, "Cancelled", "the task itself reported Cancelled");
      assert.equal(r.exitCode !== null || r.signal !== null, true);
      assert.ok(o.exitedAt - o.signalledAt < EXIT_WITHIN_MS, `exited ${o.exitedAt - o.signalledAt} ms after ${c.signal}`);
      const mutations = emu.requests.all().filter((e) => e.path.startsWith(w.factoryPath) || e.path.startsWith(w.workspacePath));
      const cancels = mutations.filter((e) => e.method === "POST" && /\/cancel$/i.test(e.path));
      if (c.scenario === ADF) {
        const run = emu.datafactory.runs({ subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, factoryName: w.factory })[0];
        if (c.cancelOnStop) {
          assert.equal(cancels.length, 1, "one cancel request");
          assert.ok(["Canceling", "Cancelled"].includes(run.status), `run is ${run.status}`);
        } else {
          assert.equal(cancels.length, 0, "no cancel request");
          assert.equal(run.status, "InProgress");
        }
      } else if (c.scenario === SUBMIT) {
        const job = emu.ml.job(w.job, { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace });
        if (c.cancelOnStop) {
          assert.equal(cancels.filter((e) => e.path.endsWith(`/jobs/${w.job}/cancel`)).length, 1, "one cancel request for the job");
          assert.ok(["CancelRequested", "Canceled"].includes(job?.status ?? ""), `job is ${job?.status}`);
        } else {
          assert.equal(cancels.length, 0, "no cancel request");
          assert.equal(job?.status, "Running");
        }
      } else {
        assert.deepEqual(
          mutations.filter((e) => e.method === "DELETE").map((e) => e.path),
          [],
          "nothing deleted",
        );
        const d = emu.ml.endpoint(w.endpoint)?.deployments.find((x) => x.name === "blue");
        assert.ok(d && d.provisioningState !== "Failed", `deployment is ${d?.provisioningState}`);
      }
    });
  }
});
