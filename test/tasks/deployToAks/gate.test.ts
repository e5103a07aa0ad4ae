/**
 * DeployToAKS's quality gate, run as the agent runs it against the emulator: the metrics RegisterModel
 * recorded on the model versions (`metric.<name>` properties) against the model behind the deployment
 * that takes the most traffic. A worse model is refused (fail) or skipped (skip) before anything changes.
 */
import assert from "node:assert/strict";
import { ENDPOINT, baseInputs, runDeploy, useDeploySuite } from "./fixture";

describe("DeployToAKS task: quality gate on the model's recorded metrics", function () {
  this.timeout(120_000);
  // As RegisterModel records them: 1 → 0.91, 2 → 0.88 (worse), 3 → 0.93 (better).
  const suite = useDeploySuite((emu) => {
    for (const [v, accuracy] of [
      ["1", "0.91"],
      ["2", "0.88"],
      ["3", "0.93"],
    ]) {
      emu.ml.seedAsset("models", "best_model", v, {
        modelType: "custom_model",
        modelUri: `azureml://datastores/workspaceblobstore/paths/models/best_model/${v}/`,
        tags: {},
        properties: { "metric.accuracy": accuracy },
      });
    }
  });

  const gate = { qualityGate: "accuracy >= 0.8\naccuracy >= champion" };

  it("deploys the first model (no champion yet), then refuses a worse one and deploys a better one", async () => {
    const first = await runDeploy(suite.emu, baseInputs("blue", gate), { workDir: suite.workDir });
    assert.equal(first.result, "Succeeded", first.stdout);
    assert.equal(first.variables.GatePassed?.value, "true");
    assert.match(
      first.stdout,
      /Quality gate: best_model:1\n.*\n.*\naccuracy >= 0\.8\s+0\.91\s+-\s+0\.8\s+pass\naccuracy >= champion\s+0\.91\s+-\s+-\s+pass \(nothing to compare with\)/,
    );

    const worse = await runDeploy(suite.emu, baseInputs("green", { ...gate, model: "best_model:2", trafficPercent: "10" }), { workDir: suite.workDir });
    assert.equal(worse.result, "Failed", worse.stdout);
    assert.equal(
      worse.resultMessage,
      "Quality gate failed: best_model:2 was refused because accuracy >= champion (0.88 vs 0.91). Set onGateFailure to skip to end the step with issues instead.",
    );
    assert.match(
      worse.stdout,
      /Quality gate: best_model:2 vs best_model:1\n.*\n.*\naccuracy >= 0\.8\s+0\.88\s+0\.91\s+0\.8\s+pass\naccuracy >= champion\s+0\.88\s+0\.91\s+0\.91\s+FAIL/,
    );
    assert.match(worse.summaries.map((s) => s.content).join("\n"), /\| `accuracy >= champion` \| 0\.88 \| 0\.91 \| 0\.91 \| FAIL \|/);
    assert.deepEqual(
      suite.emu.ml.endpoint(ENDPOINT)!.deployments.map((d) => d.name),
      ["blue"],
      "nothing deployed",
    );
    assert.equal(suite.emu.requests.filter("PUT", /onlineEndpoints\/[^/]+\/deployments\/green$/).length, 0);

    const skipped = await runDeploy(suite.emu, baseInputs("green", { ...gate, model: "best_model:2", onGateFailure: "skip" }), { workDir: suite.workDir });
    assert.equal(skipped.result, "SucceededWithIssues", skipped.stdout);
    assert.equal(skipped.variables.GatePassed?.value, "false");
    assert.equal(skipped.resultMessage, "Quality gate failed: model best_model:2 was not deployed to endpoint 'model-service' (onGateFailure: skip).");
    assert.deepEqual(
      suite.emu.ml.endpoint(ENDPOINT)!.deployments.map((d) => d.name),
      ["blue"],
    );

    const better = await runDeploy(suite.emu, baseInputs("green", { ...gate, model: "azureml:best_model:3", trafficPercent: "10" }), {
      workDir: suite.workDir,
    });
    assert.equal(better.result, "Succeeded", better.stdout);
    assert.match(better.stdout, /accuracy >= champion\s+0\.93\s+0\.91\s+0\.91\s+pass/);
    assert.deepEqual(suite.emu.ml.endpoint(ENDPOINT)!.traffic, { blue: 90, green: 10 });
  });

  it("compares with the deployment taking the most traffic", async () => {
    assert.equal((await runDeploy(suite.emu, baseInputs("blue", { model: "best_model:3" }), { workDir: suite.workDir })).result, "Succeeded");
    assert.equal(
      (await runDeploy(suite.emu, baseInputs("green", { model: "best_model:2", trafficPercent: "10" }), { workDir: suite.workDir })).result,
      "Succeeded",
    );
    // blue (0.93) takes 90%: 0.91 is worse than it, though better than green's 0.88.
    const r = await runDeploy(suite.emu, baseInputs("green", { ...gate, model: "best_model:1", trafficPercent: "10" }), { workDir: suite.workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage!, /accuracy >= champion \(0\.91 vs 0\.93\)/);
  });

  it("a model without recorded metrics, and a malformed gate, are refused with the input named", async () => {
    suite.emu.ml.seedAsset("models", "plain", "1", {
      modelType: "custom_model",
      modelUri: "azureml://datastores/workspaceblobstore/paths/models/plain/",
      tags: {},
    });
    const none = await runDeploy(suite.emu, baseInputs("blue", { ...gate, model: "plain:1" }), { workDir: suite.workDir });
    assert.equal(none.result, "Failed");
    assert.match(none.resultMessage!, /^Input 'qualityGate', line 1: the metric 'accuracy' was never logged\. The metrics logged are: none/);
    suite.emu.requests.clear();
    const bad = await runDeploy(suite.emu, baseInputs("blue", { qualityGate: "accuracy >= best" }), { workDir: suite.workDir });
    assert.equal(bad.result, "Failed");
    assert.match(bad.resultMessage!, /^Input 'qualityGate', line 1: 'accuracy >= best' is not a condition\./);
    assert.deepEqual(suite.emu.requests.filter(undefined, /\/subscriptions\//), []);
  });
});
