/**
 * DeployToAKS safe rollout (issue 19, findings 3 and 4; issue 14 "Online endpoints"), run as the
 * agent runs the task: the new deployment is smoke-tested by name before it takes live traffic;
 * a failed smoke test, a pipeline cancel and the task's timeout each leave the traffic exactly as
 * before and the new deployment gone, while a live client of the endpoint never reaches the untested
 * deployment; two runs on one endpoint both keep their traffic change; an unchanged endpoint or
 * deployment gets no PUT and no PUT ever carries the endpoint's keys.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ENDPOINT, baseInputs, liveClient, liveTrafficByDeployment, runDeploy, useDeploySuite } from "./fixture";

describe("DeployToAKS task: safe rollout", function () {
  this.timeout(180_000);
  const suite = useDeploySuite();
  let scoringUri: string;
  /** Scoring requests the test holds open; released after each test. */
  let release: () => void;
  let held: Promise<void>;

  beforeEach(async () => {
    held = new Promise((resolve) => (release = resolve));
    const blue = await runDeploy(suite.emu, baseInputs("blue"), { workDir: suite.workDir });
    assert.equal(blue.result, "Succeeded", blue.stdout);
    scoringUri = blue.variables.ScoringUri!.value;
    suite.emu.requests.clear();
  });
  afterEach(() => release());

  /** PUTs of the endpoint itself (not of its deployments). */
  const endpointPuts = () => suite.emu.requests.filter("PUT", new RegExp(`/onlineEndpoints/${ENDPOINT}$`));

  it("a failed smoke test: the new deployment never took live traffic, traffic untouched, deployment deleted", async () => {
    suite.emu.ml.setScoringRule(ENDPOINT, { kind: "error", status: 500, message: "model file is corrupt" }, { deployment: "green" });
    const live = liveClient(suite.emu, ENDPOINT, scoringUri);
    const r = await runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "10", smokeTestFile: "sample-request.json" }), {
      workDir: suite.workDir,
    });
    assert.ok((await live.stop()) > 0);
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /smoke test of deployment 'green' failed: HTTP 500: model file is corrupt.*rolled back/i);
    assert.doesNotMatch(r.stdout, /Setting the traffic/);
    assert.match(r.stdout, /Deployment 'green' deleted\./);
    const e = suite.emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.traffic, { blue: 100 });
    assert.deepEqual(
      e.deployments.map((d) => d.name),
      ["blue"],
    );
    assert.deepEqual(endpointPuts(), [], "the traffic was never changed");
    assert.ok(
      suite.emu.ml.scoringLog().some((s) => s.routedBy === "header" && s.deployment === "green"),
      "the smoke test reached green by its name",
    );
    assert.deepEqual(Object.keys(liveTrafficByDeployment(suite.emu, ENDPOINT)), ["blue"]);
  });

  it("a pipeline cancel during the smoke test: rolled back within the grace period, Cancelled", async () => {
    suite.emu.ml.setScoringRule(ENDPOINT, async () => (await held, { body: [1] }), { deployment: "green" });
    const live = liveClient(suite.emu, ENDPOINT, scoringUri);
    const r = await runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "50", smokeTestFile: "sample-request.json" }), {
      workDir: suite.workDir,
      interrupt: { signal: "SIGINT", when: /Smoke test: POST/ },
    });
    await live.stop();
    assert.equal(r.interrupted, true);
    assert.equal(r.result, "Cancelled", r.stdout);
    assert.equal(r.reportedResult, "Cancelled");
    assert.match(r.stdout, /Rolling back deployment 'green'[\s\S]*Deployment 'green' deleted\./);
    assert.ok(r.durationMs < 30_000, `took ${r.durationMs} ms`);
    const e = suite.emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.traffic, { blue: 100 });
    assert.deepEqual(
      e.deployments.map((d) => d.name),
      ["blue"],
    );
    assert.deepEqual(Object.keys(liveTrafficByDeployment(suite.emu, ENDPOINT)), ["blue"]);
  });

  it("the task's timeout during the smoke test: rolled back, the message says so", async () => {
    suite.emu.ml.setScoringRule(ENDPOINT, async () => (await held, { body: [1] }), { deployment: "green" });
    const live = liveClient(suite.emu, ENDPOINT, scoringUri);
    const r = await runDeploy(
      suite.emu,
      baseInputs("green", { model: "best_model:2", trafficPercent: "50", smokeTestFile: "sample-request.json", timeoutInMinutes: "0.1" }),
      { workDir: suite.workDir },
    );
    await live.stop();
    assert.equal(r.result, "Failed", r.stdout);
    assert.equal(r.resultMessage, "The deployment did not finish within 0.1 minute(s) (waitTimeoutInMinutes). The deployment was rolled back.");
    const e = suite.emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.traffic, { blue: 100 });
    assert.deepEqual(
      e.deployments.map((d) => d.name),
      ["blue"],
    );
    assert.deepEqual(Object.keys(liveTrafficByDeployment(suite.emu, ENDPOINT)), ["blue"]);
  });

  it("a passed smoke test comes before the traffic change; then live traffic reaches the new deployment", async () => {
    const r = await runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "50", smokeTestFile: "sample-request.json" }), {
      workDir: suite.workDir,
    });
    assert.equal(r.result, "Succeeded", r.stdout);
    assert.match(r.stdout, /Smoke test of deployment 'green' passed[\s\S]*Traffic of endpoint 'model-service': blue=100 -> blue=50 green=50/);
    const live = liveClient(suite.emu, ENDPOINT, scoringUri, 5);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await live.stop();
    assert.deepEqual(Object.keys(liveTrafficByDeployment(suite.emu, ENDPOINT)).sort(), ["blue", "green"]);
  });

  it("two runs on one endpoint at once: both keep their traffic change (If-Match, retried)", async () => {
    // Both smoke tests are answered together, so both runs read the endpoint at once; endpoint
    // updates end at once, so the later PUT is not refused as "busy": only If-Match can tell it is stale.
    suite.emu.ml.scriptEndpoints({ durationMs: 0 });
    // The first traffic write is held until the other run's write has landed, so it is always stale
    // (without this, the runs may simply take turns and no write is ever refused).
    const endpointPath = new RegExp(`/onlineEndpoints/${ENDPOINT}$`);
    let releaseFirstWrite!: () => void;
    const firstWriteHeld = new Promise<void>((resolve) => (releaseFirstWrite = resolve));
    suite.emu.faults.add({ method: "PUT", path: endpointPath, kind: "delay", until: firstWriteHeld });
    // Landed = its PUT succeeded and that run has read the endpoint back (so its update has ended
    // and the held write is refused as stale, 412, not as busy, 409).
    const landed = () => {
      const log = suite.emu.requests.filter(undefined, endpointPath);
      const put = log.findIndex((q) => q.method === "PUT" && q.status < 300);
      return put >= 0 && log.slice(put + 1).some((q) => q.method === "GET");
    };
    const otherWriteLanded = (async () => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !landed(); ) await sleep(50);
      releaseFirstWrite();
    })();
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => (bothArrived = resolve));
    suite.emu.ml.setScoringRule(ENDPOINT, async () => {
      if (++arrived === 2) bothArrived();
      await barrier;
      return { body: [1] };
    });
    const [green, red] = await Promise.all([
      runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "20", smokeTestFile: "sample-request.json" }), {
        workDir: suite.workDir,
      }),
      runDeploy(suite.emu, baseInputs("red", { model: "best_model:1", trafficPercent: "30", smokeTestFile: "sample-request.json" }), {
        workDir: suite.workDir,
      }),
    ]);
    await otherWriteLanded;
    assert.equal(green.result, "Succeeded", green.stdout);
    assert.equal(red.result, "Succeeded", red.stdout);
    const t = suite.emu.ml.endpoint(ENDPOINT)!.traffic;
    assert.ok(t.green > 0 && t.red > 0, `both changes kept: ${JSON.stringify(t)}`);
    assert.equal(t.blue + t.green + t.red, 100);
    assert.ok(t.green === 20 || t.red === 30, `the later run's share is exact: ${JSON.stringify(t)}`);
    assert.ok(
      endpointPuts().some((q) => q.status === 412),
      "the stale write was refused (If-Match) and redone",
    );
    assert.match(green.stdout + red.stdout, /Endpoint 'model-service' was changed by another operation meanwhile/);
  });

  it("re-deploying an unchanged endpoint and deployment sends no PUT, and no PUT ever carries the keys", async () => {
    const again = await runDeploy(suite.emu, baseInputs("blue"), { workDir: suite.workDir });
    assert.equal(again.result, "Succeeded", again.stdout);
    assert.match(again.stdout, /Endpoint 'model-service' exists and is up to date/);
    assert.deepEqual(endpointPuts(), []);
    assert.match(again.stdout, /Deployment 'blue' on endpoint 'model-service' is up to date/);
    assert.deepEqual(suite.emu.requests.filter("PUT", /\/deployments\/blue$/), [], "an unchanged deployment is not PUT either");
    const green = await runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "10" }), { workDir: suite.workDir });
    assert.equal(green.result, "Succeeded", green.stdout);
    const puts = endpointPuts();
    assert.equal(puts.length, 1, "one PUT: the traffic change");
    const e = suite.emu.ml.endpoint(ENDPOINT)!;
    for (const q of puts) {
      const text = JSON.stringify(q.body);
      assert.ok(!text.includes(e.primaryKey) && !text.includes(e.secondaryKey) && !/"keys"/.test(text), text);
    }
  });
});
