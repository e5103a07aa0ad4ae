/**
 * Route-level tests of the AKS emulator (managed clusters, credentials, cluster extensions) and
 * of its wiring into the ML module's Kubernetes attach.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { load } from "js-yaml";
import { AksEmulator } from "./aks";
import { MachineLearningEmulator } from "./machinelearning";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000a5";
const RG = "ml_rg";
const CLUSTERS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters`;
const C = `${CLUSTERS}/aks-cluster`;
const EXT = `${C}/providers/Microsoft.KubernetesConfiguration/extensions`;
const V = "2026-04-01";
const XV = "2025-03-01";

describe("AKS emulator routes", () => {
  let h: RouterHarness;
  let aks: AksEmulator;

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    aks = new AksEmulator();
    h.use(aks);
    aks.seedDefaults(SUB, RG);
  });
  afterEach(() => {
    aks.dispose();
    h.dispose();
  });

  const call = (method: string, path: string, options: { body?: unknown; apiVersion?: string } = {}) =>
    h.call(method, path, { apiVersion: options.apiVersion ?? V, ...(options.body !== undefined ? { body: options.body } : {}) });

  it("gets the default cluster: Succeeded, Running, with fqdn and version; 404 names a missing cluster", async () => {
    const r = await call("GET", C);
    assert.equal(r.status, 200);
    assert.equal(r.body.type, "Microsoft.ContainerService/ManagedClusters");
    assert.equal(r.body.properties.provisioningState, "Succeeded");
    assert.deepEqual(r.body.properties.powerState, { code: "Running" });
    assert.match(r.body.properties.fqdn, /^aks-cluster-mlrg-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io$/);
    assert.equal(r.body.properties.kubernetesVersion, aks.cluster(SUB, RG, "aks-cluster")!.kubernetesVersion);
    assert.equal(r.body.properties.agentPoolProfiles[0].count, 3);
    const missing = await call("GET", `${CLUSTERS}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "ResourceNotFound");
    assert.match(missing.body.error.message, /Microsoft\.ContainerService\/managedClusters\/nope' under resource group 'ml_rg'/);
    assert.equal((await call("GET", C, { apiVersion: "2019-01-01" })).status, 400);
  });

  it("lists by resource group and subscription, with nextLink paging", async () => {
    aks.addCluster(SUB, RG, "second", { powerState: "Stopped" });
    aks.addCluster(SUB, "other_rg", "third", { location: "eastus" });
    assert.deepEqual(
      (await call("GET", CLUSTERS)).body.value.map((c: any) => c.name),
      ["aks-cluster", "second"],
    );
    aks.setPageSize(2);
    const p1 = await call("GET", `/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters`);
    assert.equal(p1.body.value.length, 2);
    const p2 = await h.call("GET", p1.body.nextLink, { apiVersion: null });
    assert.deepEqual(
      p2.body.value.map((c: any) => [c.name, c.location]),
      [["third", "eastus"]],
    );
  });

  it("hands out user and admin kubeconfigs: server https://<fqdn>:443, a real CA, a token, a current context", async () => {
    const fqdn = aks.cluster(SUB, RG, "aks-cluster")!.fqdn;
    for (const [op, name, user] of [
      ["listClusterUserCredential", "clusterUser", "clusterUser_ml_rg_aks-cluster"],
      ["listClusterAdminCredential", "clusterAdmin", "clusterAdmin_ml_rg_aks-cluster"],
    ]) {
      const r = await call("POST", `${C}/${op}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.kubeconfigs.length, 1);
      assert.equal(r.body.kubeconfigs[0].name, name);
      const kc = load(Buffer.from(r.body.kubeconfigs[0].value, "base64").toString("utf8")) as any;
      assert.equal(kc.apiVersion, "v1");
      assert.equal(kc.kind, "Config");
      assert.equal(kc.clusters[0].cluster.server, `https://${fqdn}:443`);
      const ca = new X509Certificate(Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64"));
      assert.equal(ca.ca, true);
      assert.equal(kc.users[0].name, user);
      assert.match(kc.users[0].user.token, /^[0-9a-f]{64}$/);
      assert.ok(aks.secrets().includes(kc.users[0].user.token));
      assert.equal(kc.contexts[0].context.user, user);
      assert.equal(kc["current-context"], kc.contexts[0].name);
    }
    assert.equal((await call("POST", `${CLUSTERS}/nope/listClusterUserCredential`)).status, 404);
  });

  it("reflects stop/start, provisioning state and removal", async () => {
    aks.setPowerState(SUB, RG, "aks-cluster", "Stopped");
    const stopped = await call("GET", C);
    assert.equal(stopped.body.properties.powerState.code, "Stopped");
    assert.equal(stopped.body.properties.agentPoolProfiles[0].count, 0);
    assert.equal((await call("POST", `${C}/listClusterUserCredential`)).status, 200, "a stopped cluster still has credentials");
    aks.setProvisioningState(SUB, RG, "aks-cluster", "Updating");
    assert.equal((await call("GET", C)).body.properties.provisioningState, "Updating");
    assert.equal(aks.removeCluster(SUB, RG, "aks-cluster"), true);
    assert.equal(aks.removeCluster(SUB, RG, "aks-cluster"), false);
    assert.equal((await call("GET", C)).status, 404);
    assert.equal(aks.cluster(SUB, RG, "aks-cluster"), undefined);
  });

  describe("cluster extensions", () => {
    it("lists the seeded Azure ML extension (type answered in lower case)", async () => {
      const r = await call("GET", EXT, { apiVersion: XV });
      assert.equal(r.status, 200);
      assert.equal(r.body.value.length, 1);
      assert.equal(r.body.value[0].name, "azureml");
      assert.equal(r.body.value[0].properties.extensionType, "microsoft.azureml.kubernetes");
      assert.equal(r.body.value[0].properties.provisioningState, "Succeeded");
      assert.equal(r.body.value[0].properties.configurationSettings.enableInference, "True");
      assert.equal((await call("GET", `${EXT}/nope`, { apiVersion: XV })).status, 404);
    });

    it("installs through an Azure-AsyncOperation LRO, keeps protected settings out of answers, and deletes", async () => {
      aks.removeExtension(SUB, RG, "aks-cluster");
      const body = {
        properties: {
          extensionType: "Microsoft.AzureML.Kubernetes",
          scope: { cluster: { releaseNamespace: "azureml" } },
          configurationSettings: { enableInference: "True", inferenceRouterServiceType: "loadBalancer" },
          configurationProtectedSettings: { sslKeyPemFile: "-----BEGIN PRIVATE KEY-----x" },
        },
      };
      const put = await call("PUT", `${EXT}/ml`, { apiVersion: XV, body });
      assert.equal(put.status, 201);
      assert.equal(put.body.properties.provisioningState, "Creating");
      assert.deepEqual(put.body.properties.configurationProtectedSettings, {});
      assert.ok(aks.secrets().includes("-----BEGIN PRIVATE KEY-----x"));
      assert.deepEqual(aks.lookupCluster(aks.cluster(SUB, RG, "aks-cluster")!.id), { exists: true, powerState: "Running", azureMlExtensionInstalled: false });
      const status = await h.until(
        () => h.call("GET", put.headers!["Azure-AsyncOperation"], { apiVersion: null }),
        (r) => r.body.status !== "InProgress",
      );
      assert.equal(status.body.status, "Succeeded");
      assert.equal((await call("GET", `${EXT}/ml`, { apiVersion: XV })).body.properties.provisioningState, "Succeeded");
      assert.equal(aks.lookupCluster(aks.cluster(SUB, RG, "aks-cluster")!.id).azureMlExtensionInstalled, true);
      assert.equal(aks.cluster(SUB, RG, "aks-cluster")!.azureMlExtensionInstalled, true);
      const del = await call("DELETE", `${EXT}/ml`, { apiVersion: XV });
      assert.equal(del.status, 202);
      await h.until(
        () => call("GET", `${EXT}/ml`, { apiVersion: XV }),
        (r) => r.status === 404,
      );
      assert.equal((await call("DELETE", `${EXT}/ml`, { apiVersion: XV })).status, 204);
    });

    it("refuses bad bodies, namespace scope for Azure ML and type changes; scripted failures end Failed", async () => {
      const bad = await call("PUT", `${EXT}/x`, { apiVersion: XV, body: { properties: { configurationSettings: { a: 1 } } } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, "InvalidRequestContent");
      const ns = await call("PUT", `${EXT}/x`, {
        apiVersion: XV,
        body: { properties: { extensionType: "Microsoft.AzureML.Kubernetes", scope: { namespace: { targetNamespace: "ml" } } } },
      });
      assert.equal(ns.status, 400);
      const change = await call("PUT", `${EXT}/azureml`, { apiVersion: XV, body: { properties: { extensionType: "microsoft.flux" } } });
      assert.equal(change.status, 400);
      aks.scriptExtensions({ durationMs: 100, fail: { code: "ExtensionOperationFailed", message: "helm install timed out" } });
      const put = await call("PUT", `${EXT}/flux`, { apiVersion: XV, body: { properties: { extensionType: "microsoft.flux" } } });
      const status = await h.until(
        () => h.call("GET", put.headers!["Azure-AsyncOperation"], { apiVersion: null }),
        (r) => r.body.status !== "InProgress",
      );
      assert.equal(status.body.status, "Failed");
      assert.equal(status.body.error.code, "ExtensionOperationFailed");
      const got = await call("GET", `${EXT}/flux`, { apiVersion: XV });
      assert.equal(got.body.properties.provisioningState, "Failed");
      assert.equal(got.body.properties.errorInfo.message, "helm install timed out");
      assert.equal((await call("GET", `${CLUSTERS}/nope/providers/Microsoft.KubernetesConfiguration/extensions`, { apiVersion: XV })).status, 404);
    });
  });

  describe("wiring into the ML module's Kubernetes attach", () => {
    let ml: MachineLearningEmulator;
    const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace`;

    beforeEach(() => {
      ml = new MachineLearningEmulator();
      h.use(ml);
      ml.seedDefaults(SUB, RG);
      ml.setClusterLookup(aks.clusterLookup);
      ml.scriptComputes({ durationMs: 10 });
    });
    afterEach(() => ml.dispose());

    async function attach(name: string, clusterId: string) {
      const put = await h.call("PUT", `${WS}/computes/${name}`, {
        body: { location: "westeurope", properties: { computeType: "Kubernetes", resourceId: clusterId, properties: { namespace: "default" } } },
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      return (
        await h.until(
          () => h.call("GET", put.headers!["Azure-AsyncOperation"], { apiVersion: null }),
          (r) => r.body.status !== "Updating",
        )
      ).body;
    }

    it("attaches the default cluster, and fails for a missing, stopped or extension-less cluster", async () => {
      const id = aks.cluster(SUB, RG, "aks-cluster")!.id;
      assert.equal((await attach("k8s", id)).status, "Succeeded");
      assert.equal((await attach("k8s-missing", `${CLUSTERS}/ghost`)).error.code, "ClusterNotFound");
      aks.addCluster(SUB, RG, "bare");
      assert.equal((await attach("k8s-bare", aks.cluster(SUB, RG, "bare")!.id)).error.code, "ExtensionNotFound");
      aks.addCluster(SUB, RG, "sleepy", { powerState: "Stopped", azureMlExtension: true });
      assert.equal((await attach("k8s-sleepy", aks.cluster(SUB, RG, "sleepy")!.id)).error.code, "ClusterNotReachable");
    });
  });
});
