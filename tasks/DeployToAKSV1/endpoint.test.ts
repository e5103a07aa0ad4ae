/**
 * What the service adds to an online endpoint does not count as a change, and is never sent back.
 * The endpoint below has the shape Azure answers with, derived from
 * Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json
 * (PUT onlineEndpoints answer: service properties "azureml.onlineendpointid" and
 * "AzureAsyncOperationUri", mirrorTraffic, publicNetworkAccess, kind, identity principal and tenant,
 * systemData, description null), plus the keys of newer API versions. Deployments: what the task
 * sends must be found as sent; what the service fills in does not count.
 */
import assert from "node:assert/strict";
import type { OnlineDeployment, OnlineEndpoint } from "@azure/arm-machinelearning";
import { sameDeployment } from "./deploy";
import { sameSettings, trafficBody, withoutServiceProperties } from "./endpoint";
import { endpointBody, type EndpointSpec } from "./endpointSpec";

const COMPUTE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/computes/k8s";

function asAzureAnswers(overrides: { properties?: Record<string, string | null>; tags?: Record<string, string> } = {}): OnlineEndpoint {
  return {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep",
    name: "ep",
    location: "eastus2",
    kind: "Kubernetes",
    tags: overrides.tags ?? { team: "churn" },
    identity: { type: "SystemAssigned", principalId: "11111111-1111-1111-1111-111111111111", tenantId: "22222222-2222-2222-2222-222222222222" },
    properties: {
      authMode: "Key",
      description: null as unknown as undefined,
      compute: COMPUTE,
      properties: {
        "azureml.onlineendpointid": "/subscriptions/s/resourcegroups/rg/providers/microsoft.machinelearningservices/workspaces/ws/onlineendpoints/ep",
        AzureAsyncOperationUri:
          "https://management.azure.com/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/eastus2/mfeOperationsStatus/oe:x:y?api-version=2022-02-01-preview",
        ...(overrides.properties ?? {}),
      },
      scoringUri: "https://ep.eastus2.inference.ml.azure.com/score",
      swaggerUri: "https://ep.eastus2.inference.ml.azure.com/swagger.json",
      provisioningState: "Succeeded",
      traffic: { blue: 100 },
      mirrorTraffic: {},
      publicNetworkAccess: "Enabled",
      keys: { primaryKey: "primary-key-value", secondaryKey: "secondary-key-value" },
    } as OnlineEndpoint["properties"],
    systemData: { createdBy: "someone", createdAt: new Date("2022-10-28T19:14:54Z") },
  };
}

const spec: EndpointSpec = { name: "ep", computeName: "k8s", authMode: "Key", tags: { team: "churn" }, properties: {}, identity: { type: "SystemAssigned" } };
const wanted = (s: EndpointSpec = spec) => endpointBody(s, { location: "eastus2", computeId: COMPUTE, traffic: { blue: 100 } });

describe("DeployToAKS endpoint comparison and traffic body", () => {
  it("an endpoint as Azure answers it, with what the service adds, has the settings the task would send", () => {
    assert.equal(sameSettings(asAzureAnswers(), wanted()), true);
    assert.equal(
      sameSettings(
        asAzureAnswers({
          properties: { createdAt: "2026-04-17T16:55:44.738923+0000", createdBy: "someone", lastModifiedAt: "2026-04-17T16:55:44.738923+0000" },
        }),
        wanted(),
      ),
      true,
    );
  });

  it("a setting the user changed still counts", () => {
    assert.equal(sameSettings(asAzureAnswers({ tags: { team: "other" } }), wanted()), false);
    assert.equal(sameSettings(asAzureAnswers(), wanted({ ...spec, properties: { owner: "ml-team" } })), false);
    assert.equal(sameSettings(asAzureAnswers({ properties: { owner: "ml-team" } }), wanted({ ...spec, properties: { owner: "ml-team" } })), true);
    assert.equal(sameSettings(asAzureAnswers(), wanted({ ...spec, authMode: "AMLToken" })), false);
  });

  it("a traffic update sends the endpoint's own settings and the new map: no keys, URIs or service properties", () => {
    const body = trafficBody(asAzureAnswers({ properties: { owner: "ml-team" } }), { blue: 90, green: 10 });
    assert.deepEqual(body, {
      location: "eastus2",
      tags: { team: "churn" },
      identity: { type: "SystemAssigned" },
      properties: { authMode: "Key", compute: COMPUTE, properties: { owner: "ml-team" }, traffic: { blue: 90, green: 10 } },
    });
    assert.doesNotMatch(JSON.stringify(body), /primary-key-value|secondary-key-value|inference\.ml\.azure\.com|onlineendpointid/);
  });

  it("drops service properties whatever their case", () => {
    assert.deepEqual(withoutServiceProperties({ "AzureML.OnlineEndpointId": "x", azureasyncoperationuri: "y", owner: "z" }), { owner: "z" });
  });
});

describe("DeployToAKS deployment comparison", () => {
  const wanted = {
    location: "eastus2",
    tags: {},
    sku: { name: "Default", capacity: 1 },
    properties: {
      endpointComputeType: "Kubernetes",
      model: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/best_model/versions/2",
      codeConfiguration: {
        codeId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/codes/c/versions/1",
        scoringScript: "score.py",
      },
      properties: {},
      environmentVariables: { CHURN_THRESHOLD: "0.5" },
      requestSettings: { requestTimeout: "PT3S" },
      appInsightsEnabled: false,
    },
  } as unknown as OnlineDeployment;
  /** As read back: ids in the service's casing, defaults and state filled in, the operation URL added. */
  const asRead = (changes: Record<string, unknown> = {}) =>
    ({
      ...wanted,
      id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep/deployments/green",
      properties: {
        ...wanted.properties,
        model: (wanted.properties as { model: string }).model.toLowerCase(),
        provisioningState: "Succeeded",
        properties: { AzureAsyncOperationUri: "https://management.azure.com/x/mfeOperationsStatus/od:1" },
        requestSettings: { requestTimeout: "PT3S", maxConcurrentRequestsPerInstance: 1, maxQueueWait: "PT0.5S" },
        livenessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", successThreshold: 1, failureThreshold: 30 },
        scaleSettings: { scaleType: "Default" },
        ...changes,
      },
    }) as unknown as OnlineDeployment;

  it("a deployment as read back, with what the service fills in, is unchanged", () => {
    assert.equal(sameDeployment(asRead(), wanted), true);
  });

  it("a changed model, environment variable, request setting or instance count is a change", () => {
    assert.equal(
      sameDeployment(
        asRead({ model: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/best_model/versions/1" }),
        wanted,
      ),
      false,
    );
    assert.equal(sameDeployment(asRead({ environmentVariables: { CHURN_THRESHOLD: "0.5", EXTRA: "1" } }), wanted), false);
    assert.equal(sameDeployment(asRead({ requestSettings: { requestTimeout: "PT5S" } }), wanted), false);
    assert.equal(sameDeployment({ ...asRead(), sku: { name: "Default", capacity: 2 } }, wanted), false);
  });
});
