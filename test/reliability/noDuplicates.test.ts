/**
 * No duplicates: a create call whose answer is lost (the connection drops after Azure carried it
 * out, through a proxy that cuts the answer; or before, by the emulator's reset fault) and a step
 * run again by a retried job attempt must never start a second pipeline run, submit a job twice,
 * register a second model version or create a second deployment. The task re-attaches to what it
 * created, or fails with a message that says what to check.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Emulator } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { DUPLICATE_BUGS } from "./knownBugs";
import { startLossyProxy } from "./lossyProxy";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import type { RequestMatch } from "./requestWatch";
import { describeRun, runScenario, type ScenarioRunOptions } from "./scenarioRun";
import { ADF, DEPLOY, REGISTER, SUBMIT, type TaskScenario } from "./scenarios";
import { esc, makeSources, seedWorld, type World } from "./worlds";

/** The variables that identify one step of one build; a retried job attempt changes only the attempt and the job instance. */
function stepVariables(buildId: string, attempt: number): Record<string, string> {
  return {
    "Build.BuildId": buildId,
    "System.JobAttempt": String(attempt),
    "System.JobId": `7c0d9e8f-1a2b-4c3d-8e9f-${String(attempt).padStart(12, "0")}`,
    "System.StageName": "train",
    "System.PhaseName": "submit",
    "System.JobName": "submit",
    "System.TaskInstanceId": "3b1f2e4d-5c6a-4b7e-8f90-a1b2c3d4e5f6",
    "System.TaskInstanceName": "SubmitAzureMLPipeline1",
  };
}

/** Runs `scenario` in `w` with the answer to the first successful `drop` request cut by a proxy. */
async function runWithLostAnswer(
  emu: Emulator,
  scenario: TaskScenario,
  w: World,
  drop: RequestMatch,
  options: ScenarioRunOptions,
): Promise<{ r: AgentRunResult; dropped: number }> {
  const proxy = await startLossyProxy(emu, drop);
  try {
    const r = await runScenario(emu, scenario, w, { ...options, variables: { ...options.variables, "Agent.ProxyUrl": proxy.url } });
    return { r, dropped: proxy.dropped };
  } finally {
    await proxy.close();
  }
}

/** The known bug for a case, if its owner could not fix it yet (the case is then pending). */
function bug(title: string): string | undefined {
  return DUPLICATE_BUGS[title];
}

function successfulPuts(emu: Emulator, path: RegExp): number {
  return emu.requests.filter("PUT", path).filter((e) => e.status >= 200 && e.status < 300).length;
}

describe("Reliability: no duplicates", function () {
  this.timeout(120_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  let worlds: World[];
  const launched = new Map<string, Promise<unknown>>();
  /** Runs every case at once (each in its own world); each test awaits its own. */
  const launch = <T>(name: string, fn: () => Promise<T>) => {
    const p = fn();
    p.catch(() => undefined);
    launched.set(name, p);
  };
  const result = <T>(name: string) => launched.get(name) as Promise<T>;

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: 50 });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    worlds = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => seedWorld(emu, n)));
    // Jobs run long enough (5 s) for a first attempt to be stopped while its job runs.
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 250_000 } });
    const [adfLost, adfReset, submitRetry, submitLost, registerLost, deployLost] = worlds;

    launch("adf lost", () =>
      runWithLostAnswer(emu, ADF, adfLost, { method: "POST", path: new RegExp(`^${esc(adfLost.factoryPath)}/pipelines/[^/]+/createRun$`) }, { sources }),
    );
    launch("adf reset", () => {
      emu.faults.add({ method: "POST", path: new RegExp(`^${esc(adfReset.factoryPath)}/pipelines/[^/]+/createRun$`), kind: "reset", count: 1 });
      return runScenario(emu, ADF, adfReset, { sources });
    });
    launch("submit retry", async () => {
      const inputs = { jobName: "", cancelOnStop: "false" };
      const first = await runScenario(emu, SUBMIT, submitRetry, {
        sources,
        inputs,
        variables: stepVariables("901", 1),
        interrupt: { signal: "SIGTERM", when: /: Running/ },
      });
      const second = await runScenario(emu, SUBMIT, submitRetry, { sources, inputs, variables: stepVariables("901", 2) });
      return { first, second };
    });
    launch("submit lost", () =>
      runWithLostAnswer(
        emu,
        SUBMIT,
        submitLost,
        { method: "PUT", path: new RegExp(`^${esc(submitLost.workspacePath)}/jobs/${esc(submitLost.job)}$`) },
        { sources },
      ),
    );
    if (!bug("RegisterModel: the version PUT answer is lost"))
      launch("register lost", () =>
        runWithLostAnswer(
          emu,
          REGISTER,
          registerLost,
          { method: "PUT", path: new RegExp(`^${esc(registerLost.workspacePath)}/models/${esc(registerLost.model)}/versions/[^/]+$`) },
          { sources },
        ),
      );
    launch("deploy lost", () =>
      runWithLostAnswer(
        emu,
        DEPLOY,
        deployLost,
        { method: "PUT", path: new RegExp(`^${esc(deployLost.workspacePath)}/onlineEndpoints/${esc(deployLost.endpoint)}/deployments/blue$`) },
        { sources },
      ),
    );
  });

  after(async () => {
    await Promise.all([...launched.values()].map((p) => p.catch(() => undefined)));
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  it("ADF: the createRun answer is lost after the run started → exactly one run, followed to its end (or a clear failure)", async () => {
    const w = worlds[0];
    const { r, dropped } = await result<{ r: AgentRunResult; dropped: number }>("adf lost");
    assert.equal(dropped, 1, "the proxy cut the createRun answer");
    const runs = emu.datafactory.runs({ subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, factoryName: w.factory });
    assert.equal(runs.length, 1, `runs started: ${runs.map((x) => x.runId).join(", ")}\n${describeRun(r)}`);
    if (r.result === "Succeeded") {
      assert.equal(r.variables["RunId"]?.value, runs[0].runId, "the task follows the run it started");
      assert.equal(runs[0].status, "Succeeded");
    } else {
      assert.equal(r.result, "Failed", describeRun(r));
      assert.match(r.resultMessage ?? "", /run|Data Factory/i);
    }
  });

  it("ADF: the createRun connection is reset before Data Factory saw it → no second run; success only with exactly one", async () => {
    const w = worlds[1];
    const r = await result<AgentRunResult>("adf reset");
    const runs = emu.datafactory.runs({ subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, factoryName: w.factory });
    assert.ok(runs.length <= 1, `${runs.length} runs started\n${describeRun(r)}`);
    if (r.result === "Succeeded") assert.equal(r.variables["RunId"]?.value, runs[0]?.runId);
    else {
      assert.equal(runs.length, 0, describeRun(r));
      assert.match(r.resultMessage ?? "", /Check .*before running the task again|no run/i, describeRun(r));
    }
  });

  it("SubmitAzureMLPipeline: a retried attempt of the same step (same build variables) re-attaches → one job, one PUT", async () => {
    const w = worlds[2];
    const { first, second } = await result<{ first: AgentRunResult; second: AgentRunResult }>("submit retry");
    assert.equal(first.result, "Cancelled", describeRun(first));
    const jobName = first.variables["JobName"]?.value;
    assert.match(jobName ?? "", /^azdo_b901_[0-9a-f]{12}$/, describeRun(first));
    assert.equal(second.result, "Succeeded", describeRun(second));
    assert.equal(second.variables["JobName"]?.value, jobName, "the retry names the same job");
    assert.match(second.stdout, new RegExp(`Job '${jobName}' already exists`));
    const ref = { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace };
    const topLevel = emu.ml.jobs(ref).filter((j) => !j.parentJobName);
    assert.deepEqual(
      topLevel.map((j) => j.name),
      [jobName],
    );
    assert.equal(topLevel[0].status, "Completed");
    assert.equal(emu.requests.filter("PUT", new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(jobName!)}$`)).length, 1, "one PUT of the job");
  });

  it("SubmitAzureMLPipeline: the job PUT answer is lost → one job, followed to its end", async () => {
    const w = worlds[3];
    const { r, dropped } = await result<{ r: AgentRunResult; dropped: number }>("submit lost");
    assert.equal(dropped, 1, "the proxy cut the PUT answer");
    assert.equal(r.result, "Succeeded", describeRun(r));
    const ref = { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace };
    assert.deepEqual(
      emu.ml
        .jobs(ref)
        .filter((j) => !j.parentJobName)
        .map((j) => j.name),
      [w.job],
    );
    assert.equal(emu.ml.job(w.job, ref)?.status, "Completed");
  });

  // BUG: see knownBugs.ts DUPLICATE_BUGS — a lost PUT answer registers the model twice (versions 1 and 2).
  (bug("RegisterModel: the version PUT answer is lost") ? it.skip : it)(
    "RegisterModel: the version PUT answer is lost → one model version (the task recognises its own registration)",
    async () => {
      const w = worlds[4];
      const { r, dropped } = await result<{ r: AgentRunResult; dropped: number }>("register lost");
      assert.equal(dropped, 1, "the proxy cut the PUT answer");
      const created = successfulPuts(emu, new RegExp(`^${esc(w.workspacePath)}/models/${esc(w.model)}/versions/[^/]+$`));
      assert.equal(created, 1, `${created} versions registered for one model\n${describeRun(r)}`);
      assert.equal(r.result, "Succeeded", describeRun(r));
      assert.equal(r.variables["ModelVersion"]?.value, "1");
    },
  );

  it("DeployToAKS: the deployment PUT answer is lost → one deployment, deployed and given the traffic", async () => {
    const w = worlds[5];
    const { r, dropped } = await result<{ r: AgentRunResult; dropped: number }>("deploy lost");
    assert.equal(dropped, 1, "the proxy cut the PUT answer");
    assert.equal(r.result, "Succeeded", describeRun(r));
    const e = emu.ml.endpoint(w.endpoint);
    assert.deepEqual(
      e?.deployments.map((d) => [d.name, d.provisioningState]),
      [["blue", "Succeeded"]],
    );
    assert.deepEqual(e?.traffic, { blue: 100 });
  });
});
