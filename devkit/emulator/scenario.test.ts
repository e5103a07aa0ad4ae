/**
 * The default scenario over HTTPS with the real SDK clients (Data Factory, AKS, Machine Learning
 * incl. an LRO poller), and the HTTP control API an out-of-process user (the demo) drives:
 * faults, request log, module scripting, role revocation and reset.
 */
import assert from "node:assert/strict";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { DataFactoryManagementClient } from "@azure/arm-datafactory";
import { startEmulator, type Emulator } from "./index";
import { armToken, credential, mlClient, raw, workspacePath } from "./testing";

describe("emulator: default scenario and the control API", function () {
  this.timeout(30000);
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ azurite: false, timeScale: 1000 });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(() => emu.reset());

  const sdkOptions = () => ({ endpoint: emu.url, credentialScopes: [`${emu.armAudience}.default`], tlsOptions: { ca: emu.caCertPem } });

  it("seeds ml_rg with the ADF factory and pipeline, the AKS cluster and the ML workspace, computes and assets", async () => {
    const cred = credential(emu, "federated");
    const adf = new DataFactoryManagementClient(cred, emu.subscriptionId, sdkOptions());
    assert.equal((await adf.factories.get("ml_rg", "mlops-adf")).name, "mlops-adf");
    const pipeline = await adf.pipelines.get("ml_rg", "mlops-adf", "prepare-training-data");
    assert.deepEqual(
      pipeline.activities?.map((a) => a.name),
      ["CopyRawData", "CleanAndFeaturize", "PublishDataset"],
    );
    const { runId } = await adf.pipelines.createRun("ml_rg", "mlops-adf", "prepare-training-data", { parameters: { sourceContainer: "raw" } });
    assert.ok(runId);
    assert.match((await adf.pipelineRuns.get("ml_rg", "mlops-adf", runId)).status ?? "", /Queued|InProgress|Succeeded/);

    // The modular arm-containerservice client takes its scopes as `credentials.scopes`, not `credentialScopes`.
    const aks = new ContainerServiceClient(cred, emu.subscriptionId, { ...sdkOptions(), credentials: { scopes: [`${emu.armAudience}.default`] } });
    const cluster = await aks.managedClusters.get("ml_rg", "aks-cluster");
    assert.equal(cluster.provisioningState, "Succeeded");
    assert.equal(cluster.powerState?.code, "Running");

    const ml = mlClient(emu, cred);
    const computes: string[] = [];
    for await (const c of ml.computeOperations.list("ml_rg", "ml_workspace")) computes.push(c.name!);
    assert.deepEqual(computes.sort(), ["cpu-cluster", "gpu-cluster"]);
    assert.equal((await ml.dataVersions.get("ml_rg", "ml_workspace", "training_data", "1")).name, "1");
    assert.equal((await ml.environmentVersions.get("ml_rg", "ml_workspace", "AzureML-TensorFlow-2.4-GPU", "1")).name, "1");

    // Attaching the AKS cluster is an LRO the SDK poller drives to the end; the AKS module answers the lookup.
    const attached = await ml.computeOperations.beginCreateOrUpdateAndWait(
      "ml_rg",
      "ml_workspace",
      "k8s-compute",
      { properties: { computeType: "Kubernetes", resourceId: cluster.id, properties: { namespace: "azureml" } } },
      { updateIntervalInMs: 10 },
    );
    assert.equal(attached.properties?.provisioningState, "Succeeded");
    const missing = cluster.id!.replace(/aks-cluster$/, "no-such-cluster");
    await assert.rejects(
      ml.computeOperations.beginCreateOrUpdateAndWait(
        "ml_rg",
        "ml_workspace",
        "k8s-missing",
        { properties: { computeType: "Kubernetes", resourceId: missing } },
        { updateIntervalInMs: 10 },
      ),
    );
  });

  it("control API: faults, request log, module scripting, role revocation and reset over HTTP", async () => {
    const token = await armToken(emu, credential(emu, "secret"));
    const auth = { authorization: `Bearer ${token}` };
    const json = { "content-type": "application/json" };
    const wsGet = () => raw(emu, "GET", `${workspacePath(emu)}?api-version=2022-10-01`, { headers: auth });

    const info = await raw(emu, "GET", "/_control/info");
    assert.equal(info.json.subscriptionId, emu.subscriptionId);

    const added = await raw(emu, "POST", "/_control/faults", {
      headers: json,
      body: JSON.stringify({ path: "/workspaces/ml_workspace$", kind: "503", count: 2 }),
    });
    assert.equal(added.status, 201);
    assert.equal((await raw(emu, "GET", "/_control/faults")).json.value.length, 1);
    assert.deepEqual([(await wsGet()).status, (await wsGet()).status, (await wsGet()).status], [503, 503, 200]);
    const badFault = await raw(emu, "POST", "/_control/faults", { headers: json, body: JSON.stringify({ path: "x", kind: "teapot" }) });
    assert.equal(badFault.status, 400);

    const log = await raw(emu, "GET", `/_control/requests?method=GET&path=${encodeURIComponent("workspaces/ml_workspace$")}`);
    assert.deepEqual(
      log.json.value.map((r: { status: number }) => r.status),
      [503, 503, 200],
    );
    const all = (await raw(emu, "GET", "/_control/requests")).json.value as { path: string }[];
    assert.ok(all.length >= 3 && !all.some((r) => r.path.startsWith("/_control")), "the control API's own requests are not logged");

    const scripted = await raw(emu, "POST", "/_control/modules/datafactory/scriptRuns", {
      headers: json,
      body: JSON.stringify({ args: [{ failActivity: "CleanAndFeaturize" }] }),
    });
    assert.equal(scripted.status, 200, scripted.text);
    const mlScript = await raw(emu, "POST", "/_control/modules/ml/scriptJobs", { headers: json, body: JSON.stringify({ args: [{}] }) });
    assert.equal(mlScript.status, 200, mlScript.text);
    const cluster = await raw(emu, "POST", "/_control/modules/aks/cluster", {
      headers: json,
      body: JSON.stringify({ args: [emu.subscriptionId, "ml_rg", "aks-cluster"] }),
    });
    assert.equal(cluster.json.result.powerState, "Running");
    assert.equal((await raw(emu, "POST", "/_control/modules/ml/reset", { headers: json, body: "{}" })).status, 404, "lifecycle methods are not callable");
    assert.equal((await raw(emu, "POST", "/_control/modules/nope/x", { headers: json, body: "{}" })).status, 404);

    const revoked = await raw(emu, "POST", "/_control/roles/revoke", { headers: json, body: JSON.stringify({ principalId: emu.identities.secret.clientId }) });
    assert.equal(revoked.status, 204);
    assert.equal((await wsGet()).status, 403);

    await raw(emu, "POST", "/_control/faults", { headers: json, body: JSON.stringify({ path: "workspaces", kind: "500", count: 5 }) });
    assert.equal((await raw(emu, "POST", "/_control/reset")).status, 204);
    assert.equal((await wsGet()).status, 200, "reset restored the role assignment and cleared the faults");
    assert.equal(emu.faults.list().length, 0);
  });
});
