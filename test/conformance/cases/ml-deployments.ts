/**
 * Online deployments as the service answers them: create (201 Updating + Azure-AsyncOperation +
 * Location), the settings the service fills in, list, logs, and the traffic update that answers
 * 201 with the endpoint's OLD traffic while the new one is applied.
 */
import type { ConformanceCase, ConformanceRequest } from "../case";
import { absent, any, each, like, ofType } from "../shape";
import { slow } from "./ml-endpoints";

const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const API = "api-version=2022-10-01";
const PYTHON = "Azure/azure-sdk-for-python";
const ONLINE_DEPLOYMENT =
  "sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json";
const SPECS = "Azure/azure-rest-api-specs";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";

/** The model, code and environment versions the recorded deployment names. */
const ASSETS: ConformanceRequest[] = [
  [
    "models",
    "mir_test_model",
    { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/LocalUpload/model/sklearn_regression_model.pkl" },
  ],
  ["codes", "onlinescoring", { codeUri: "azureml://datastores/workspaceblobstore/paths/LocalUpload/onlinescoring" }],
  ["environments", "online-endpoint-mir-test", { image: "mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:20210727.v1", osType: "Linux" }],
].map(([kind, name, properties]) => ({
  method: "POST" as const,
  path: "/_control/modules/ml/seedAsset",
  body: { args: [kind, name, "1", properties] },
  token: "none" as const,
}));

function deploymentBody(): Record<string, unknown> {
  return {
    tags: {},
    location: "westeurope",
    properties: {
      codeConfiguration: { codeId: `${WS}/codes/onlinescoring/versions/1`, scoringScript: "score.py" },
      description: "description for online deployment",
      environmentId: `${WS}/environments/online-endpoint-mir-test/versions/1`,
      environmentVariables: {},
      properties: {},
      appInsightsEnabled: false,
      endpointComputeType: "Managed",
      instanceType: "Standard_DS2_V2",
      model: `${WS}/models/mir_test_model/versions/1`,
      scaleSettings: { scaleType: "Default" },
    },
    sku: { name: "Default", capacity: 1 },
  };
}

/** An AMLToken endpoint (finished at once) with slow deployments. */
const ENDPOINT: ConformanceRequest[] = [
  ...ASSETS,
  { method: "POST", path: "/_control/modules/ml/scriptEndpoints", body: { args: [{ durationMs: 0 }] }, token: "none" },
  {
    method: "PUT",
    path: `${WS}/onlineEndpoints/ept-deploy?${API}`,
    body: {
      tags: {},
      location: "westeurope",
      identity: { type: "SystemAssigned" },
      properties: { authMode: "AMLToken", properties: {}, mirrorTraffic: {}, traffic: {} },
    },
  },
];

const PROBE = { failureThreshold: 30, successThreshold: 1, timeout: "PT2S", period: "PT10S", initialDelay: "PT10S" };

export const cases: ConformanceCase[] = [
  {
    name: "online deployment: create, poll, read, list, then move the traffic to it",
    recording: { repo: PYTHON, path: ONLINE_DEPLOYMENT },
    given: [...ENDPOINT, slow("scriptDeployments")],
    exchanges: [
      {
        what: "the endpoint is ready before the deployment is created",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-deploy?${API}` },
        until: { body: { properties: { provisioningState: "Succeeded" } } },
        response: { status: 200, body: { properties: { provisioningState: "Succeeded", traffic: {} } } },
      },
      {
        what: "PUT of a new deployment answers 201 with provisioningState Updating, the status URL and the resource URL",
        request: { method: "PUT", path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue?${API}`, body: deploymentBody() },
        response: {
          status: 201,
          headers: {
            "azure-asyncoperation": /\/mfeOperationsStatus\//,
            location: /\/onlineEndpoints\/ept-deploy\/deployments\/blue\?api-version=/,
            "x-ms-async-operation-timeout": "PT30M",
          },
          body: {
            name: "blue",
            type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
            kind: "Managed",
            sku: { name: "Default", tier: "Standard", capacity: 1 },
            properties: {
              provisioningState: "Updating",
              endpointComputeType: "Managed",
              instanceType: "Standard_DS2_V2",
              egressPublicNetworkAccess: "Enabled",
              properties: { AzureAsyncOperationUri: like(/\/mfeOperationsStatus\//) },
            },
          },
        },
        capture: { op: "header.azure-asyncoperation" },
      },
      {
        what: "the deployment operation in progress: Updating",
        request: { method: "GET", path: "{$op}" },
        response: { status: 200, body: { status: "Updating", percentComplete: 0, startTime: ofType("string") } },
      },
      {
        what: "the deployment operation at the end: Succeeded",
        request: { method: "GET", path: "{$op}" },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded", percentComplete: 100, endTime: ofType("string") } },
      },
      {
        what: "GET of the deployment: Succeeded, with the request settings and probes the service fills in",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue?${API}` },
        response: {
          status: 200,
          body: {
            properties: {
              provisioningState: "Succeeded",
              scaleSettings: { scaleType: "Default" },
              requestSettings: { requestTimeout: "PT5S", maxConcurrentRequestsPerInstance: 1, maxQueueWait: ofType("string") },
              livenessProbe: PROBE,
              readinessProbe: PROBE,
              appInsightsEnabled: false,
            },
            sku: { name: "Default", tier: "Standard", capacity: 1 },
          },
        },
      },
      {
        what: "the deployments of the endpoint: one page, no nextLink",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-deploy/deployments?${API}` },
        response: { status: 200, body: { value: each({ name: "blue", properties: { provisioningState: "Succeeded" } }), nextLink: absent } },
      },
      {
        what: "PUT of the endpoint with new traffic answers 201 Updating with the OLD traffic",
        request: {
          method: "PUT",
          path: `${WS}/onlineEndpoints/ept-deploy?${API}`,
          body: {
            tags: {},
            location: "westeurope",
            identity: { type: "SystemAssigned" },
            properties: { authMode: "AMLToken", properties: {}, mirrorTraffic: {}, traffic: { blue: 100 } },
          },
        },
        response: {
          status: 201,
          headers: { "azure-asyncoperation": /\/mfeOperationsStatus\//, location: /\/onlineEndpoints\/ept-deploy\?api-version=/ },
          body: { properties: { provisioningState: "Updating", traffic: {}, mirrorTraffic: {}, scoringUri: like(/\/score$/) } },
        },
      },
      {
        what: "once updated, the endpoint routes the new traffic",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-deploy?${API}` },
        until: { body: { properties: { provisioningState: "Succeeded" } } },
        response: { status: 200, body: { properties: { provisioningState: "Succeeded", traffic: { blue: 100 }, mirrorTraffic: {} } } },
      },
    ],
  },
  {
    name: "online deployment: container logs",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineDeployment/getLogs.json` },
    given: [...ENDPOINT, { method: "PUT", path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue?${API}`, body: deploymentBody() }],
    exchanges: [
      {
        what: "POST getLogs answers the log text as content",
        request: {
          method: "POST",
          path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue/getLogs?${API}`,
          body: { containerType: "StorageInitializer", tail: 10 },
        },
        response: { status: 200, body: { content: ofType("string") } },
      },
    ],
  },
  {
    name: "online deployment: skus",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineDeployment/KubernetesOnlineDeployment/listSkus.json` },
    given: [...ENDPOINT, { method: "PUT", path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue?${API}`, body: deploymentBody() }],
    exchanges: [
      {
        what: "GET skus answers the capacity range of the deployment",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-deploy/deployments/blue/skus?${API}` },
        response: {
          status: 200,
          body: {
            value: each({
              resourceType: ofType("string"),
              sku: { name: ofType("string"), tier: any },
              capacity: { minimum: 1, maximum: ofType("number"), default: 1, scaleType: ofType("string") },
            }),
          },
        },
      },
    ],
  },
  {
    name: "online deployment: a Kubernetes deployment on an attached AKS compute, then scaled",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineDeployment/KubernetesOnlineDeployment/createOrUpdate.json` },
    given: [
      ...ASSETS,
      {
        method: "POST",
        path: "/_control/modules/ml/addKubernetesCompute",
        body: {
          args: [
            { name: "k8s-compute", resourceId: "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}" },
          ],
        },
        token: "none",
      },
      { method: "POST", path: "/_control/modules/ml/scriptEndpoints", body: { args: [{ durationMs: 0 }] }, token: "none" },
      {
        method: "PUT",
        path: `${WS}/onlineEndpoints/ept-k8s?${API}`,
        body: { location: "westeurope", identity: { type: "SystemAssigned" }, properties: { authMode: "Key", compute: `${WS}/computes/k8s-compute` } },
      },
    ],
    exchanges: [
      {
        what: "PUT of a Kubernetes deployment answers 201 with the Kubernetes compute type and the resource URL",
        request: {
          method: "PUT",
          path: `${WS}/onlineEndpoints/ept-k8s/deployments/blue?${API}`,
          body: {
            location: "westeurope",
            sku: { name: "Default", capacity: 1 },
            properties: {
              endpointComputeType: "Kubernetes",
              model: `${WS}/models/mir_test_model/versions/1`,
              instanceType: "defaultinstancetype",
              requestSettings: { maxQueueWait: "PT5M", requestTimeout: "PT5M", maxConcurrentRequestsPerInstance: 1 },
              appInsightsEnabled: false,
            },
          },
        },
        response: {
          status: 201,
          headers: { "azure-asyncoperation": /\/mfeOperationsStatus\//, location: /\/onlineEndpoints\/ept-k8s\/deployments\/blue\?api-version=/ },
          body: {
            name: "blue",
            kind: "Kubernetes",
            properties: { endpointComputeType: "Kubernetes", instanceType: "defaultinstancetype", model: like(/\/models\/mir_test_model\/versions\/1$/) },
          },
        },
      },
      {
        what: "GET of the deployment once Succeeded: the request settings as sent, the probes and scale settings the service fills in",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-k8s/deployments/blue?${API}` },
        until: { body: { properties: { provisioningState: "Succeeded" } } },
        response: {
          status: 200,
          body: {
            properties: {
              provisioningState: "Succeeded",
              endpointComputeType: "Kubernetes",
              requestSettings: { maxQueueWait: "PT5M", requestTimeout: "PT5M", maxConcurrentRequestsPerInstance: 1 },
              livenessProbe: {
                failureThreshold: ofType("number"),
                successThreshold: ofType("number"),
                timeout: ofType("string"),
                period: ofType("string"),
                initialDelay: ofType("string"),
              },
              scaleSettings: { scaleType: ofType("string") },
              appInsightsEnabled: false,
            },
            sku: { name: "Default", capacity: 1 },
          },
        },
      },
      {
        what: "PATCH of the sku answers 202 with a Location to poll",
        request: { method: "PATCH", path: `${WS}/onlineEndpoints/ept-k8s/deployments/blue?${API}`, body: { sku: { capacity: 2 } } },
        response: { status: 202, headers: { location: /\/mfeOperationResults\// } },
        capture: { result: "header.location" },
      },
      {
        what: "the Location answers the scaled deployment once done",
        request: { method: "GET", path: "{$result}" },
        until: { status: 200 },
        response: { status: 200, body: { name: "blue", sku: { capacity: 2 }, properties: { provisioningState: "Succeeded" } } },
      },
    ],
  },
];
