/**
 * DeployToAKS failure modes, run as the agent runs the task: what it reports, and that nothing
 * changed when the check before any change fails.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { ENDPOINT, baseInputs, changes, runDeploy, seedModels, workFolder } from "./fixture";

describe("DeployToAKS task: failures", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let workDir: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
    seedModels(emu);
    assert.ok(await emu.ml.blobContainerReady());
    emu.requests.clear();
    workDir = workFolder();
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  it("fails with the cluster's name when the AKS cluster does not exist, before changing anything", async () => {
    const r = await runDeploy(emu, baseInputs("blue", { aksClusterName: "aks-missing" }), { workDir });
    assert.equal(r.result, "Failed");
    assert.equal(
      r.resultMessage,
      "AKS cluster 'aks-missing' was not found in resource group 'ml_rg'. Check the aksClusterName and aksResourceGroupName inputs, and that the service connection can read the cluster.",
    );
    assert.deepEqual(changes(emu), []);
    assert.equal(emu.ml.endpoint(ENDPOINT), undefined);
  });

  it("fails when the cluster is stopped, naming it and the fix", async () => {
    emu.aks.setPowerState(emu.subscriptionId, "ml_rg", "aks-cluster", "Stopped");
    const r = await runDeploy(emu, baseInputs("blue"), { workDir });
    assert.equal(r.result, "Failed");
    assert.equal(
      r.resultMessage,
      "AKS cluster 'aks-cluster' in resource group 'ml_rg' is not running (power state Stopped). Start it (az aks start) and re-run.",
    );
    assert.deepEqual(changes(emu), []);
  });

  it("fails when the model version does not exist, before changing anything", async () => {
    const r = await runDeploy(emu, baseInputs("blue", { model: "best_model:99" }), { workDir });
    assert.equal(r.result, "Failed");
    assert.equal(
      r.resultMessage,
      "Model 'best_model' version '99' was not found in workspace 'ml_workspace'. Check the model input (name:version, name@latest or a model id).",
    );
    assert.deepEqual(changes(emu), []);
  });

  it("reports a Failed deployment with its container logs, and removes it (rollbackOnFailure)", async () => {
    emu.ml.scriptDeployments({
      durationMs: 2000,
      fail: {
        code: "ResourceNotReady",
        message: "User container has crashed or terminated: Liveness probe failed: HTTP probe failed with statuscode: 502",
        logs: [
          "2025-01-01T00:00:00Z | ERROR | Traceback (most recent call last):",
          "2025-01-01T00:00:00Z | ERROR | FileNotFoundError: model.json not found under /var/azureml-app/azureml-models",
        ],
      },
    });
    const r = await runDeploy(emu, baseInputs("blue"), { workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /^Deployment 'blue' of endpoint 'model-service' failed: .*User container has crashed or terminated.*rolled back\.$/);
    assert.match(r.stdout, /##\[group\]Logs of deployment 'blue' \(InferenceServer\)[\s\S]*FileNotFoundError: model\.json not found[\s\S]*##\[endgroup\]/);
    assert.match(r.stdout, /##\[group\]Logs of deployment 'blue' \(StorageInitializer\)[\s\S]*Downloading model/);
    assert.match(r.stdout, /Deployment 'blue' deleted\./);
    const e = emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.deployments, []);
    assert.deepEqual(e.traffic, {});
  });

  it("keeps a Failed deployment for inspection when rollbackOnFailure is false", async () => {
    emu.ml.scriptDeployments({ durationMs: 2000, fail: { code: "ImagePullLoopBackOff", message: "Back-off pulling image" } });
    const r = await runDeploy(emu, baseInputs("blue", { rollbackOnFailure: "false" }), { workDir });
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage ?? "", /Deployment 'blue' of endpoint 'model-service' failed: .*Back-off pulling image/);
    assert.deepEqual(
      emu.ml.endpoint(ENDPOINT)!.deployments.map((d) => [d.name, d.provisioningState]),
      [["blue", "Failed"]],
    );
  });

  it("stops waiting at timeoutInMinutes (alias of waitTimeoutInMinutes); a deployment still being created cannot be deleted yet, and the message says so", async () => {
    emu.ml.scriptDeployments({ durationMs: 3_600_000 });
    const started = Date.now();
    const r = await runDeploy(emu, baseInputs("blue", { timeoutInMinutes: "0.1" }), { workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.equal(
      r.resultMessage,
      "The deployment did not finish within 0.1 minute(s) (waitTimeoutInMinutes). The rollback did not complete; see the warnings above.",
    );
    assert.ok(
      r.issues.some((i) => i.type === "warning" && /rollback of deployment 'blue' did not complete/.test(i.message)),
      JSON.stringify(r.issues),
    );
    assert.ok(Date.now() - started < 10_000, `the task stops soon after the timeout (took ${Date.now() - started} ms)`);
    assert.equal(emu.ml.endpoint(ENDPOINT)!.deployments[0].provisioningState, "Updating", "a new deployment is Updating while it is created (recorded)");
  });

  it("with rollbackOnFailure false, the timeout message says Azure goes on", async () => {
    emu.ml.scriptDeployments({ durationMs: 3_600_000 });
    const r = await runDeploy(emu, baseInputs("blue", { timeoutInMinutes: "0.1", rollbackOnFailure: "false" }), { workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.equal(
      r.resultMessage,
      "The deployment did not finish within 0.1 minute(s) (waitTimeoutInMinutes). Azure finishes the running operation; check the endpoint in Azure ML studio.",
    );
    assert.doesNotMatch(r.stdout, /Rolling back/);
  });

  it("ends Cancelled, promptly, when the pipeline is cancelled (SIGINT) while the deployment is created", async () => {
    emu.ml.scriptDeployments({ durationMs: 3_600_000 });
    const r = await runDeploy(emu, baseInputs("blue"), { workDir, interrupt: { signal: "SIGINT", when: /Creating deployment 'blue'/ } });
    assert.equal(r.interrupted, true);
    assert.equal(r.result, "Cancelled", r.stdout);
    assert.equal(r.reportedResult, "Cancelled");
    assert.match(r.resultMessage ?? "", /cancelled because the pipeline was cancelled/);
    assert.ok(r.durationMs < 15_000, `took ${r.durationMs} ms`);
  });

  it("an ARM host that does not resolve fails within seconds, naming the host, not blamed on the timeout", async () => {
    const r = await runDeploy(emu, baseInputs("blue"), { workDir, armUrl: "https://management.mlops-test.invalid/" });
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /the host management\.mlops-test\.invalid could not be resolved \((ENOTFOUND|EAI_AGAIN)\)/);
    assert.doesNotMatch(r.resultMessage ?? "", /did not finish within/);
    assert.ok(r.durationMs < 20_000, `took ${r.durationMs} ms`);
  });

  it("a 429 with Retry-After: 100000 fails at once, naming the call", async () => {
    emu.faults.add({ method: "GET", path: /\/managedClusters\/aks-cluster$/, kind: "throttle", retryAfterSeconds: 100_000 });
    const r = await runDeploy(emu, baseInputs("blue"), { workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /GET [^ ]+\/managedClusters\/aks-cluster was answered 429 with Retry-After 100000 s/);
    assert.ok(r.durationMs < 20_000, `took ${r.durationMs} ms`);
    assert.deepEqual(changes(emu), []);
  });

  it("refuses invalid inputs by name before calling Azure", async () => {
    const r = await runDeploy(emu, baseInputs("b", {}), { workDir });
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage ?? "", /deployment name 'b' is invalid/);
    assert.deepEqual(
      emu.requests.all().filter((q) => /Microsoft\.(MachineLearningServices|ContainerService)/.test(q.path)),
      [],
    );
  });
});
