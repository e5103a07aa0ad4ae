/**
 * AKS managed clusters (Microsoft.ContainerService): get, list (subscription, resource group),
 * listClusterUserCredential and listClusterAdminCredential, with the body shape of the
 * ManagedClusters_Get example. The store is shared with the cluster-extensions routes.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, EmulatorContext } from "../../framework";
import { resourceNotFound } from "../../framework";
import { nextLinkPage } from "../adf/common";
import { clusterCaPem, kubeconfigYaml } from "./kubeconfig";

export const CS_PROVIDER = "Microsoft.ContainerService";
/** What @azure/arm-containerservice 25.x knows (it sends 2026-04-01) and the examples' version. */
export const AKS_API_VERSIONS = ["2024-05-01", "2025-10-01", "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-08-01"];
export const CLUSTER_PATTERN =
  "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.ContainerService/managedClusters/:resourceName";

export type PowerState = "Running" | "Stopped";
export type ClusterProvisioningState = "Succeeded" | "Failed" | "Creating" | "Updating" | "Deleting" | "Canceled" | "Stopping" | "Starting";

export interface ExtensionRecord {
  name: string;
  extensionType: string;
  /** Properties as answered (without configurationProtectedSettings values). */
  properties: Record<string, unknown>;
  protectedSettings: Record<string, string>;
  provisioningState: string;
  principalId: string;
  systemData: Record<string, string>;
}

export interface ClusterRecord {
  subscriptionId: string;
  resourceGroupName: string;
  name: string;
  location: string;
  kubernetesVersion: string;
  provisioningState: ClusterProvisioningState;
  powerState: PowerState;
  dnsPrefix: string;
  fqdn: string;
  tags: Record<string, string>;
  nodeCount: number;
  vmSize: string;
  principalId: string;
  userToken: string;
  adminToken: string;
  extensions: Map<string, ExtensionRecord>;
}

export function clusterKey(subscriptionId: string, resourceGroupName: string, name: string): string {
  return `${subscriptionId}/${resourceGroupName}/${name}`.toLowerCase();
}

export function clusterResourceId(c: ClusterRecord): string {
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroupName}/providers/${CS_PROVIDER}/managedClusters/${c.name}`;
}

export class ClusterStore {
  readonly clusters = new Map<string, ClusterRecord>();
  pageSize = 100;

  constructor(readonly ctx: EmulatorContext) {}

  get(subscriptionId: string, resourceGroupName: string, name: string): ClusterRecord | undefined {
    return this.clusters.get(clusterKey(subscriptionId, resourceGroupName, name));
  }

  add(
    subscriptionId: string,
    resourceGroupName: string,
    name: string,
    options: {
      location: string;
      kubernetesVersion: string;
      provisioningState: ClusterProvisioningState;
      powerState: PowerState;
      nodeCount: number;
      vmSize: string;
      tags: Record<string, string>;
    },
  ): ClusterRecord {
    const dnsPrefix = `${name.replace(/[^A-Za-z0-9-]/g, "").slice(0, 40)}-${resourceGroupName.replace(/[^A-Za-z0-9-]/g, "").slice(0, 10)}`.toLowerCase();
    const hash = createHash("sha256").update(`${subscriptionId}/${resourceGroupName}/${name}`.toLowerCase()).digest("hex").slice(0, 8);
    const c: ClusterRecord = {
      subscriptionId,
      resourceGroupName,
      name,
      ...options,
      dnsPrefix,
      fqdn: `${dnsPrefix}-${hash}.hcp.${options.location.replace(/\s+/g, "").toLowerCase()}.azmk8s.io`,
      principalId: randomUUID(),
      userToken: randomBytes(32).toString("hex"),
      adminToken: randomBytes(32).toString("hex"),
      extensions: new Map(),
    };
    this.clusters.set(clusterKey(subscriptionId, resourceGroupName, name), c);
    return c;
  }

  reset(): void {
    this.clusters.clear();
    this.pageSize = 100;
  }
}

export function clusterBody(c: ClusterRecord, tenantId: string): Record<string, unknown> {
  const location = c.location.replace(/\s+/g, "").toLowerCase();
  return {
    // `resourcegroups` and `ManagedClusters` as the service spells them (Azure/azure-sdk-for-js
    // sdk/containerservice/arm-containerservice/recordings/node/containerservice_test/recording_managedclusters_get_test.json,
    // Azure/azure-cli-extensions src/aks-preview/azext_aks_preview/tests/latest/recordings/test_aks_create_again_should_fail.yaml).
    id: clusterResourceId(c).replace("/resourceGroups/", "/resourcegroups/"),
    name: c.name,
    type: `${CS_PROVIDER}/ManagedClusters`,
    location: c.location,
    tags: { ...c.tags },
    sku: { name: "Base", tier: "Free" },
    identity: { type: "SystemAssigned", principalId: c.principalId, tenantId },
    properties: {
      provisioningState: c.provisioningState,
      powerState: { code: c.powerState },
      kubernetesVersion: c.kubernetesVersion,
      currentKubernetesVersion: c.kubernetesVersion,
      dnsPrefix: c.dnsPrefix,
      fqdn: c.fqdn,
      azurePortalFQDN: c.fqdn.replace(".hcp.", ".portal.hcp."),
      agentPoolProfiles: [
        {
          name: "nodepool1",
          count: c.powerState === "Running" ? c.nodeCount : 0,
          vmSize: c.vmSize,
          osDiskSizeGB: 128,
          osDiskType: "Managed",
          maxPods: 110,
          type: "VirtualMachineScaleSets",
          mode: "System",
          osType: "Linux",
          osSKU: "Ubuntu",
          orchestratorVersion: c.kubernetesVersion,
          currentOrchestratorVersion: c.kubernetesVersion,
          nodeImageVersion: "AKSUbuntu-2204gen2containerd-202604.01.0",
          provisioningState: c.provisioningState,
          powerState: { code: c.powerState },
          enableAutoScaling: false,
        },
      ],
      nodeResourceGroup: `MC_${c.resourceGroupName}_${c.name}_${location}`,
      enableRBAC: true,
      maxAgentPools: 100,
      disableLocalAccounts: false,
      networkProfile: {
        networkPlugin: "kubenet",
        loadBalancerSku: "standard",
        outboundType: "loadBalancer",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.0.0.0/16",
        dnsServiceIP: "10.0.0.10",
        ipFamilies: ["IPv4"],
      },
      oidcIssuerProfile: { enabled: false },
      supportPlan: "KubernetesOfficial",
    },
  };
}

export function clusterNotFound(req: EmuRequest): EmuResponse {
  return resourceNotFound(`${CS_PROVIDER}/managedClusters`, req.params.resourceName, req.params.resourceGroupName);
}

export function registerClusterRoutes(store: ClusterStore): void {
  const { router, world } = store.ctx;
  const opts = (action: string) => ({ auth: "arm" as const, action: `${CS_PROVIDER}/managedClusters/${action}`, apiVersions: AKS_API_VERSIONS });
  const list = (req: EmuRequest, pick: (c: ClusterRecord) => boolean) =>
    nextLinkPage(
      req,
      [...store.clusters.values()].filter(pick).map((c) => clusterBody(c, world.tenantId)),
      store.pageSize,
      store.ctx.baseUrl(),
    );
  const sameSub = (req: EmuRequest, c: ClusterRecord) => c.subscriptionId.toLowerCase() === req.params.subscriptionId.toLowerCase();
  router.add(
    "GET",
    "/subscriptions/:subscriptionId/providers/Microsoft.ContainerService/managedClusters",
    (req) => list(req, (c) => sameSub(req, c)),
    opts("read"),
  );
  router.add(
    "GET",
    "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.ContainerService/managedClusters",
    (req) => list(req, (c) => sameSub(req, c) && c.resourceGroupName.toLowerCase() === req.params.resourceGroupName.toLowerCase()),
    opts("read"),
  );
  router.add(
    "GET",
    CLUSTER_PATTERN,
    (req) => {
      const c = store.get(req.params.subscriptionId, req.params.resourceGroupName, req.params.resourceName);
      return c ? { status: 200, body: clusterBody(c, world.tenantId) } : clusterNotFound(req);
    },
    opts("read"),
  );
  for (const kind of ["user", "admin"] as const) {
    const op = kind === "user" ? "listClusterUserCredential" : "listClusterAdminCredential";
    router.add(
      "POST",
      `${CLUSTER_PATTERN}/${op}`,
      async (req) => {
        const c = store.get(req.params.subscriptionId, req.params.resourceGroupName, req.params.resourceName);
        if (!c) return clusterNotFound(req);
        const yaml = kubeconfigYaml({
          clusterName: c.name,
          resourceGroupName: c.resourceGroupName,
          fqdn: req.query.get("server-fqdn") || c.fqdn,
          kind,
          token: kind === "user" ? c.userToken : c.adminToken,
          caPem: await clusterCaPem(),
        });
        return {
          status: 200,
          body: { kubeconfigs: [{ name: kind === "user" ? "clusterUser" : "clusterAdmin", value: Buffer.from(yaml, "utf8").toString("base64") }] },
        };
      },
      opts(`${op}/action`),
    );
  }
}
