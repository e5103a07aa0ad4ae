/**
 * The AKS emulator driven by the real `@azure/arm-containerservice` client (its default
 * api-version, deserializers and paging run unchanged), in-process through the router harness.
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { load } from "js-yaml";
import { AksEmulator } from "./aks";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000a6";
const RG = "ml_rg";

const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };

describe("AKS emulator with the arm-containerservice SDK (in-process)", () => {
  let h: RouterHarness;
  let aks: AksEmulator;
  let client: ContainerServiceClient;
  let sentVersions: (string | null)[];

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    aks = new AksEmulator();
    h.use(aks);
    aks.seedDefaults(SUB, RG);
    sentVersions = [];
    const inner = h.httpClient();
    const httpClient = {
      sendRequest: (req: Parameters<typeof inner.sendRequest>[0]) => {
        sentVersions.push(new URL(req.url).searchParams.get("api-version"));
        return inner.sendRequest(req);
      },
    };
    client = new ContainerServiceClient(credential, SUB, { endpoint: h.baseUrl, httpClient, retryOptions: { maxRetries: 0 } });
  });
  afterEach(() => {
    aks.dispose();
    h.dispose();
  });

  it("gets the default cluster with the SDK's default api-version", async () => {
    const c = await client.managedClusters.get(RG, "aks-cluster");
    assert.equal(c.name, "aks-cluster");
    assert.equal(c.provisioningState, "Succeeded");
    assert.equal(c.powerState?.code, "Running");
    assert.equal(c.fqdn, aks.cluster(SUB, RG, "aks-cluster")!.fqdn);
    assert.equal(c.kubernetesVersion, aks.cluster(SUB, RG, "aks-cluster")!.kubernetesVersion);
    assert.equal(c.agentPoolProfiles?.[0].name, "nodepool1");
    assert.deepEqual([...new Set(sentVersions)], ["2026-04-01"]);
    await assert.rejects(
      client.managedClusters.get(RG, "ghost"),
      (e: { statusCode?: number; code?: string; message: string }) => e.statusCode === 404 && e.code === "ResourceNotFound" && /ghost/.test(e.message),
    );
  });

  it("lists clusters by resource group and subscription across pages", async () => {
    aks.addCluster(SUB, RG, "b-cluster");
    aks.addCluster(SUB, "other_rg", "c-cluster", { powerState: "Stopped" });
    aks.setPageSize(1);
    const inRg = [];
    for await (const c of client.managedClusters.listByResourceGroup(RG)) inRg.push(c.name);
    assert.deepEqual(inRg, ["aks-cluster", "b-cluster"]);
    const all = [];
    for await (const c of client.managedClusters.list()) all.push([c.name, c.powerState?.code]);
    assert.deepEqual(all, [
      ["aks-cluster", "Running"],
      ["b-cluster", "Running"],
      ["c-cluster", "Stopped"],
    ]);
  });

  it("returns user and admin kubeconfigs the SDK decodes to bytes", async () => {
    const user = await client.managedClusters.listClusterUserCredentials(RG, "aks-cluster");
    assert.equal(user.kubeconfigs?.[0].name, "clusterUser");
    const kc = load(Buffer.from(user.kubeconfigs![0].value!).toString("utf8")) as any;
    assert.equal(kc.clusters[0].cluster.server, `https://${aks.cluster(SUB, RG, "aks-cluster")!.fqdn}:443`);
    assert.equal(kc.users[0].name, "clusterUser_ml_rg_aks-cluster");
    const admin = await client.managedClusters.listClusterAdminCredentials(RG, "aks-cluster");
    const akc = load(Buffer.from(admin.kubeconfigs![0].value!).toString("utf8")) as any;
    assert.equal(akc["current-context"], "aks-cluster-admin");
    assert.notEqual(akc.users[0].user.token, kc.users[0].user.token);
  });

  it("shows a stopped cluster as Stopped and still serves its credentials", async () => {
    aks.setPowerState(SUB, RG, "aks-cluster", "Stopped");
    const c = await client.managedClusters.get(RG, "aks-cluster");
    assert.equal(c.powerState?.code, "Stopped");
    assert.equal(c.provisioningState, "Succeeded");
    const creds = await client.managedClusters.listClusterUserCredentials(RG, "aks-cluster");
    assert.equal(creds.kubeconfigs?.length, 1);
    aks.setPowerState(SUB, RG, "aks-cluster", "Running");
    assert.equal((await client.managedClusters.get(RG, "aks-cluster")).powerState?.code, "Running");
  });
});
