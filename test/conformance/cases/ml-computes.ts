/**
 * Computes as the service answers them: create (201 Creating + Azure-AsyncOperation on
 * computeOperationsStatus, no Location), the short status document, the VM size as the service
 * spells it, delete (202 + Azure-AsyncOperation), and the attach of a Kubernetes (AKS) cluster.
 */
import type { ConformanceCase } from "../case";
import { absent, like, ofType } from "../shape";
import { slow } from "./ml-endpoints";

const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const API = "api-version=2022-10-01";
const PYTHON = "Azure/azure-sdk-for-python";
const SPECS = "Azure/azure-rest-api-specs";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";
const CLUSTER_ID = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}";

export const cases: ConformanceCase[] = [
  {
    name: "compute: AmlCompute create, poll, get, delete",
    recording: { repo: PYTHON, path: "sdk/ml/azure-ai-ml/tests/recordings/compute/e2etests/test_compute.pyTestComputetest_aml_compute_create_and_delete.json" },
    given: [slow("scriptComputes")],
    exchanges: [
      {
        what: "PUT answers 201 Creating with Azure-AsyncOperation and no Location",
        request: {
          method: "PUT",
          path: `${WS}/computes/conformance-cpu?${API}`,
          body: {
            location: "westeurope",
            properties: {
              computeType: "AmlCompute",
              description: "some_desc_aml",
              properties: {
                osType: "Linux",
                vmSize: "Standard_DS2_v2",
                vmPriority: "Dedicated",
                scaleSettings: { maxNodeCount: 2, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: "PT1M40S" },
                remoteLoginPortPublicAccess: "Enabled",
                enableNodePublicIp: true,
              },
            },
          },
        },
        response: {
          status: 201,
          headers: { "azure-asyncoperation": /\/computeOperationsStatus\/[^/?]+\?api-version=/, location: false },
          body: {
            name: "conformance-cpu",
            type: "Microsoft.MachineLearningServices/workspaces/computes",
            properties: {
              computeType: "AmlCompute",
              description: "some_desc_aml",
              provisioningState: "Creating",
              isAttachedCompute: false,
              provisioningErrors: null,
              properties: { vmSize: "STANDARD_DS2_V2", vmPriority: "Dedicated", osType: "Linux" },
            },
          },
        },
        capture: { op: "header.azure-asyncoperation" },
      },
      {
        what: "the compute operation status is only status and percentComplete",
        request: { method: "GET", path: "{$op}" },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded", percentComplete: 100, id: absent, error: absent } },
      },
      {
        what: "GET of the compute: Succeeded, the VM size upper-cased, the scale settings as sent",
        request: { method: "GET", path: `${WS}/computes/conformance-cpu?${API}` },
        response: {
          status: 200,
          body: {
            properties: {
              provisioningState: "Succeeded",
              computeLocation: ofType("string"),
              isAttachedCompute: false,
              properties: {
                vmSize: "STANDARD_DS2_V2",
                scaleSettings: { maxNodeCount: 2, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: "PT1M40S" },
                allocationState: ofType("string"),
                currentNodeCount: 0,
              },
            },
          },
        },
      },
      {
        what: "DELETE with underlyingResourceAction=Delete answers 202 with Azure-AsyncOperation only",
        request: { method: "DELETE", path: `${WS}/computes/conformance-cpu?${API}&underlyingResourceAction=Delete` },
        response: { status: 202, headers: { "azure-asyncoperation": /\/computeOperationsStatus\//, location: false } },
      },
    ],
  },
  {
    name: "compute: attach an AKS cluster as a Kubernetes compute",
    recording: { repo: SPECS, path: `${EXAMPLES}/Compute/createOrUpdate/KubernetesCompute.json` },
    exchanges: [
      {
        // The example lists 200; a create answered 201 in the recorded AmlCompute create above.
        what: "PUT of a Kubernetes compute answers Creating with the instance types as sent",
        request: {
          method: "PUT",
          path: `${WS}/computes/k8s-compute?${API}`,
          body: {
            location: "westeurope",
            properties: {
              description: "some compute",
              resourceId: CLUSTER_ID,
              computeType: "Kubernetes",
              properties: {
                namespace: "default",
                defaultInstanceType: "defaultInstanceType",
                instanceTypes: {
                  defaultInstanceType: {
                    nodeSelector: null,
                    resources: { requests: { cpu: "1", memory: "4Gi", "nvidia.com/gpu": null }, limits: { cpu: "1", memory: "4Gi", "nvidia.com/gpu": null } },
                  },
                },
              },
            },
          },
        },
        response: {
          status: 201,
          headers: { "azure-asyncoperation": /\/computeOperationsStatus\// },
          body: {
            name: "k8s-compute",
            type: "Microsoft.MachineLearningServices/workspaces/computes",
            properties: {
              computeType: "Kubernetes",
              provisioningState: "Creating",
              resourceId: like(/\/providers\/Microsoft\.ContainerService\/managedClusters\/aks-cluster$/),
              properties: {
                relayConnectionString: null,
                serviceBusConnectionString: null,
                extensionPrincipalId: null,
                extensionInstanceReleaseTrain: "stable",
                vcName: null,
                namespace: "default",
                defaultInstanceType: "defaultInstanceType",
              },
            },
          },
        },
        capture: { op: "header.azure-asyncoperation" },
      },
      {
        what: "the attach operation ends Succeeded",
        request: { method: "GET", path: "{$op}" },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded", percentComplete: 100 } },
      },
    ],
  },
  {
    name: "compute: get of an attached Kubernetes compute",
    recording: { repo: SPECS, path: `${EXAMPLES}/Compute/get/KubernetesCompute.json` },
    given: [
      {
        method: "PUT",
        path: `${WS}/computes/k8s-compute?${API}`,
        body: { location: "westeurope", properties: { resourceId: CLUSTER_ID, computeType: "Kubernetes", properties: { namespace: "default" } } },
      },
    ],
    exchanges: [
      {
        what: "GET answers the attached compute with its extension fields and instance types",
        request: { method: "GET", path: `${WS}/computes/k8s-compute?${API}` },
        until: { body: { properties: { provisioningState: "Succeeded" } } },
        response: {
          status: 200,
          body: {
            id: like(/\/workspaces\/ml_workspace\/computes\/k8s-compute$/),
            properties: {
              computeType: "Kubernetes",
              provisioningState: "Succeeded",
              isAttachedCompute: true,
              createdOn: ofType("string"),
              modifiedOn: ofType("string"),
              properties: {
                extensionInstanceReleaseTrain: "stable",
                namespace: "default",
                defaultInstanceType: ofType("string"),
                instanceTypes: ofType("object"),
              },
            },
          },
        },
      },
    ],
  },
];
