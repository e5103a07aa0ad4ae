/**
 * Online endpoints as the service answers them: create (201 + Azure-AsyncOperation + Location),
 * the operation status document (in progress = `Updating`), the fields the service adds
 * (`properties.properties["azureml.onlineendpointid"]`, `mirrorTraffic`), token, keys, delete.
 */
import type { ConformanceCase, ConformanceRequest } from "../case";
import { any, each, like, ofType } from "../shape";

const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const API = "api-version=2022-10-01";
const PYTHON = "Azure/azure-sdk-for-python";
const ONLINE_DEPLOYMENT =
  "sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json";
const SPECS = "Azure/azure-rest-api-specs";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";

/** Operations that last 4 s here (virtual 4000 s at the suite's time scale), so a poll sees them in progress. */
export function slow(method: "scriptEndpoints" | "scriptDeployments" | "scriptComputes"): ConformanceRequest {
  return { method: "POST", path: `/_control/modules/ml/${method}`, body: { args: [{ durationMs: 4_000_000 }] }, token: "none" };
}

/** A Key endpoint created (the emulator finishes it at once: duration 0). */
export function keyEndpoint(name: string): ConformanceRequest[] {
  return [
    { method: "POST", path: "/_control/modules/ml/scriptEndpoints", body: { args: [{ durationMs: 0 }] }, token: "none" },
    {
      method: "PUT",
      path: `${WS}/onlineEndpoints/${name}?${API}`,
      body: { location: "westeurope", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" } },
    },
  ];
}

export const cases: ConformanceCase[] = [
  {
    name: "online endpoint: create, poll the operation, read, token, delete",
    recording: { repo: PYTHON, path: ONLINE_DEPLOYMENT },
    given: [slow("scriptEndpoints")],
    exchanges: [
      {
        what: "the workspace gives the location the endpoint is created in",
        request: { method: "GET", path: `${WS}?${API}` },
        response: { status: 200, body: { location: any } },
        capture: { location: "body.location" },
      },
      {
        what: "PUT of a new endpoint answers 201 Creating, with the status URL, the resource URL and the service-added properties",
        request: {
          method: "PUT",
          path: `${WS}/onlineEndpoints/ept-conformance?${API}`,
          body: {
            tags: {},
            location: "{$location}",
            identity: { type: "SystemAssigned" },
            properties: { authMode: "AMLToken", properties: {}, mirrorTraffic: {}, traffic: {} },
          },
        },
        response: {
          status: 201,
          headers: {
            "azure-asyncoperation": /\/mfeOperationsStatus\/[^/?]+\?api-version=/,
            location: /\/workspaces\/ml_workspace\/onlineEndpoints\/ept-conformance\?api-version=/,
            "x-ms-async-operation-timeout": "PT30M",
          },
          body: {
            id: like(/\/onlineEndpoints\/ept-conformance$/),
            name: "ept-conformance",
            type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            kind: "Managed",
            identity: { type: "SystemAssigned", principalId: like(/^[0-9a-f-]{36}$/), tenantId: any },
            properties: {
              description: null,
              properties: {
                "azureml.onlineendpointid": like(
                  /^\/subscriptions\/[^A-Z]+\/resourcegroups\/ml_rg\/providers\/microsoft\.machinelearningservices\/workspaces\/ml_workspace\/onlineendpoints\/ept-conformance$/,
                ),
                AzureAsyncOperationUri: like(/\/mfeOperationsStatus\//),
              },
              authMode: "AMLToken",
              provisioningState: "Creating",
              compute: null,
              scoringUri: null,
              swaggerUri: null,
              traffic: {},
              mirrorTraffic: {},
              publicNetworkAccess: "Enabled",
            },
          },
        },
        capture: { op: "header.azure-asyncoperation" },
      },
      {
        what: "the operation status while it runs: status Updating, percentComplete 0",
        request: { method: "GET", path: "{$op}" },
        response: {
          status: 200,
          body: { id: like(/\/mfeOperationsStatus\//), name: ofType("string"), startTime: ofType("string"), percentComplete: 0, status: "Updating" },
        },
      },
      {
        what: "the operation status at the end: Succeeded, percentComplete 100, endTime",
        request: { method: "GET", path: "{$op}" },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded", percentComplete: 100, startTime: ofType("string"), endTime: ofType("string") } },
      },
      {
        what: "GET of the endpoint: Succeeded, scoring URI, still the service-added id and mirrorTraffic",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-conformance?${API}` },
        response: {
          status: 200,
          body: {
            properties: {
              provisioningState: "Succeeded",
              scoringUri: like(/\/score$/),
              swaggerUri: like(/\/swagger\.json$/),
              properties: { "azureml.onlineendpointid": like(/\/onlineendpoints\/ept-conformance$/) },
              mirrorTraffic: {},
              traffic: {},
            },
          },
        },
      },
      {
        what: "POST token on an AMLToken endpoint",
        request: { method: "POST", path: `${WS}/onlineEndpoints/ept-conformance/token?${API}` },
        response: {
          status: 200,
          body: { accessToken: ofType("string"), tokenType: "Bearer", expiryTimeUtc: ofType("number"), refreshAfterTimeUtc: ofType("number") },
        },
      },
      {
        what: "DELETE answers 202 with both Azure-AsyncOperation and Location (mfeOperationResults)",
        request: { method: "DELETE", path: `${WS}/onlineEndpoints/ept-conformance?${API}` },
        response: {
          status: 202,
          headers: { "azure-asyncoperation": /\/mfeOperationsStatus\//, location: /\/mfeOperationResults\//, "x-ms-async-operation-timeout": "PT30M" },
        },
        capture: { deleting: "header.azure-asyncoperation" },
      },
      {
        what: "the delete operation in progress is Updating too",
        request: { method: "GET", path: "{$deleting}" },
        response: { status: 200, body: { status: "Updating", percentComplete: 0 } },
      },
    ],
  },
  {
    name: "online endpoint: listKeys of a Key endpoint",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineEndpoint/listKeys.json` },
    given: keyEndpoint("ept-keys"),
    exchanges: [
      {
        what: "POST listKeys answers both keys",
        request: { method: "POST", path: `${WS}/onlineEndpoints/ept-keys/listKeys?${API}` },
        response: { status: 200, body: { primaryKey: ofType("string"), secondaryKey: ofType("string") } },
      },
    ],
  },
  {
    name: "online endpoint: regenerateKeys is a long-running operation",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineEndpoint/regenerateKeys.json` },
    given: keyEndpoint("ept-regen"),
    exchanges: [
      {
        what: "POST regenerateKeys answers 202 with a Location to poll",
        request: { method: "POST", path: `${WS}/onlineEndpoints/ept-regen/regenerateKeys?${API}`, body: { keyType: "Primary" } },
        response: { status: 202, headers: { location: true } },
      },
    ],
  },
  {
    name: "online endpoint: get of an existing endpoint",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineEndpoint/get.json` },
    given: keyEndpoint("ept-get"),
    exchanges: [
      {
        what: "GET answers the tracked resource with identity, kind and the properties",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-get?${API}` },
        response: {
          status: 200,
          body: {
            id: like(/\/onlineEndpoints\/ept-get$/),
            name: "ept-get",
            type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            location: any,
            kind: ofType("string"),
            identity: { type: "SystemAssigned" },
            systemData: { createdAt: ofType("string") },
            properties: { authMode: "Key", provisioningState: "Succeeded", scoringUri: ofType("string"), traffic: {} },
          },
        },
      },
    ],
  },
  {
    name: "online endpoint: deleted, then GET answers the management frontend's 404",
    // Recorded for a batch endpoint; online and batch endpoints share the management frontend's endpoint store.
    recording: {
      repo: PYTHON,
      path: "sdk/ml/azure-ai-ml/tests/recordings/batch_services/e2etests/test_batch_endpoint.pyTestBatchEndpointtest_batch_endpoint_create.json",
    },
    given: keyEndpoint("ept-gone"),
    exchanges: [
      {
        what: "DELETE answers 202 with the status URL",
        request: { method: "DELETE", path: `${WS}/onlineEndpoints/ept-gone?${API}` },
        response: { status: 202, headers: { "azure-asyncoperation": /\/mfeOperationsStatus\// } },
        capture: { op: "header.azure-asyncoperation" },
      },
      {
        what: "the delete ends Succeeded",
        request: { method: "GET", path: "{$op}" },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded", percentComplete: 100 } },
      },
      {
        what: "GET answers 404 NotFound with the NoSuchEndpoint detail",
        request: { method: "GET", path: `${WS}/onlineEndpoints/ept-gone?${API}` },
        response: {
          status: 404,
          headers: { "x-ms-response-type": "error" },
          body: {
            error: {
              code: "NotFound",
              message: "The specified resource was not found.",
              details: [{ code: "NoSuchEndpoint", message: "There is no endpoint with name: ept-gone in ml_workspace", details: [], additionalInfo: [] }],
              additionalInfo: each({ type: ofType("string"), info: ofType("object") }),
            },
          },
        },
      },
    ],
  },
  {
    name: "online endpoint: PATCH of the tags",
    recording: { repo: SPECS, path: `${EXAMPLES}/OnlineEndpoint/update.json` },
    given: keyEndpoint("ept-patch"),
    exchanges: [
      {
        what: "PATCH answers 202 with a Location to poll",
        request: { method: "PATCH", path: `${WS}/onlineEndpoints/ept-patch?${API}`, body: { tags: { stage: "prod" } } },
        response: { status: 202, headers: { location: /\/mfeOperationResults\// } },
        capture: { result: "header.location" },
      },
      {
        what: "the Location answers the updated endpoint once done",
        request: { method: "GET", path: "{$result}" },
        until: { status: 200 },
        response: { status: 200, body: { name: "ept-patch", tags: { stage: "prod" }, properties: { provisioningState: "Succeeded", authMode: "Key" } } },
      },
    ],
  },
];
