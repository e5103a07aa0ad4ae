/** AKS managed cluster reads and kubeconfig credentials. */
import type { ConformanceCase } from "../case";
import { any, each, like, ofType } from "../shape";

const CLUSTER = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}";
const API = "api-version=2024-05-01";
const JS = "Azure/azure-sdk-for-js";
const SPECS = "Azure/azure-rest-api-specs";
const EXAMPLES = "specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-08-01/examples";
const BASE64 = /^[A-Za-z0-9+/]+=*$/;

export const cases: ConformanceCase[] = [
  {
    name: "aks: get a running managed cluster",
    recording: { repo: JS, path: "sdk/containerservice/arm-containerservice/recordings/node/containerservice_test/recording_managedclusters_get_test.json" },
    exchanges: [
      {
        what: "GET answers the cluster (id with resourcegroups, type ManagedClusters), power state and agent pools",
        request: { method: "GET", path: `${CLUSTER}?${API}` },
        response: {
          status: 200,
          body: {
            id: like(/^\/subscriptions\/[^/]+\/resourcegroups\/ml_rg\/providers\/Microsoft\.ContainerService\/managedClusters\/aks-cluster$/),
            name: "aks-cluster",
            type: "Microsoft.ContainerService/ManagedClusters",
            location: any,
            sku: { name: ofType("string"), tier: "Free" },
            properties: {
              provisioningState: "Succeeded",
              powerState: { code: "Running" },
              kubernetesVersion: ofType("string"),
              currentKubernetesVersion: ofType("string"),
              dnsPrefix: ofType("string"),
              fqdn: like(/\.hcp\.[a-z0-9]+\.azmk8s\.io$/),
              azurePortalFQDN: like(/\.portal\.hcp\./),
              nodeResourceGroup: like(/^MC_ml_rg_aks-cluster_/),
              enableRBAC: true,
              maxAgentPools: 100,
              agentPoolProfiles: each({
                name: ofType("string"),
                count: ofType("number"),
                vmSize: ofType("string"),
                osType: "Linux",
                mode: "System",
                type: "VirtualMachineScaleSets",
                provisioningState: "Succeeded",
                powerState: { code: "Running" },
              }),
              networkProfile: {
                networkPlugin: ofType("string"),
                outboundType: "loadBalancer",
                podCidr: ofType("string"),
                serviceCidr: ofType("string"),
                dnsServiceIP: ofType("string"),
              },
            },
          },
        },
      },
    ],
  },
  {
    name: "aks: the example cluster body",
    recording: { repo: SPECS, path: `${EXAMPLES}/ManagedClustersGet.json` },
    exchanges: [
      {
        what: "GET answers the profile fields of the example",
        request: { method: "GET", path: `${CLUSTER}?${API}` },
        response: {
          status: 200,
          body: {
            properties: {
              agentPoolProfiles: each({
                maxPods: 110,
                orchestratorVersion: ofType("string"),
                currentOrchestratorVersion: ofType("string"),
                nodeImageVersion: ofType("string"),
              }),
              networkProfile: ofType("object"),
            },
          },
        },
      },
    ],
  },
  {
    name: "aks: admin kubeconfig",
    recording: { repo: SPECS, path: `${EXAMPLES}/ManagedClustersListClusterAdminCredentials.json` },
    exchanges: [
      {
        what: "POST listClusterAdminCredential answers one base64 kubeconfig",
        request: { method: "POST", path: `${CLUSTER}/listClusterAdminCredential?${API}` },
        response: { status: 200, body: { kubeconfigs: each({ name: ofType("string"), value: like(BASE64) }) } },
      },
    ],
  },
  {
    name: "aks: user kubeconfig",
    recording: {
      repo: SPECS,
      path: "specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-05-01/examples/ManagedClustersListClusterUserCredentials.json",
    },
    exchanges: [
      {
        what: "POST listClusterUserCredential answers the same shape",
        request: { method: "POST", path: `${CLUSTER}/listClusterUserCredential?${API}` },
        response: { status: 200, body: { kubeconfigs: each({ name: ofType("string"), value: like(BASE64) }) } },
      },
    ],
  },
  {
    name: "aks: get of a missing cluster",
    recording: { repo: "Azure/azure-cli-extensions", path: "src/aks-preview/azext_aks_preview/tests/latest/recordings/test_aks_create_again_should_fail.yaml" },
    exchanges: [
      {
        what: "GET answers ARM's 404 ResourceNotFound naming the cluster and the resource group",
        request: {
          method: "GET",
          path: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/missing-cluster?${API}`,
        },
        response: {
          status: 404,
          body: {
            error: {
              code: "ResourceNotFound",
              message:
                "The Resource 'Microsoft.ContainerService/managedClusters/missing-cluster' under resource group 'ml_rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            },
          },
        },
      },
    ],
  },
];
