/**
 * The Machine Learning emulator driven by the real `@azure/arm-machinelearning` client: its
 * serializers, paging and LRO pollers (`begin...AndWait`) against the routes, in-process (the
 * HTTPS server is covered by ml.e2e.test.ts).
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { JobBase, KubernetesOnlineDeployment, OnlineDeployment } from "@azure/arm-machinelearning";
import { MachineLearningEmulator } from "./machinelearning";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000bb";
const RG = "ml_rg";
const WSN = "ml_workspace";
const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WSN}`;
const AKS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-cluster`;
const POLL = { updateIntervalInMs: 5 };

/** The in-process transport needs no identity service; the token is never checked here. */
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };

describe("Machine Learning emulator with the arm-machinelearning SDK (in-process)", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;
  let client: AzureMachineLearningWorkspaces;

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, RG);
    client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: h.baseUrl, httpClient: h.httpClient(), retryOptions: { maxRetries: 0 } });
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  it("reads the workspace, datastores and secrets; registers models with nextVersion", async () => {
    const ws = await client.workspaces.get(RG, WSN);
    assert.equal(ws.workspaceId?.length, 36);
    const defaults = [];
    for await (const d of client.datastores.list(RG, WSN, { isDefault: true })) defaults.push(d);
    assert.equal(defaults.length, 1);
    assert.equal((defaults[0].properties as { containerName?: string }).containerName?.startsWith("azureml-blobstore-"), true);
    const secrets = await client.datastores.listSecrets(RG, WSN, "workspaceblobstore");
    assert.equal(secrets.secretsType, "AccountKey");

    await assert.rejects(client.modelContainers.get(RG, WSN, "best_model"), (e: { statusCode?: number }) => e.statusCode === 404);
    const v1 = await client.modelVersions.createOrUpdate(RG, WSN, "best_model", "1", {
      properties: { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/m/" },
    });
    assert.equal(v1.properties.modelUri, "azureml://datastores/workspaceblobstore/paths/m/");
    const container = await client.modelContainers.get(RG, WSN, "best_model");
    assert.equal(container.properties.nextVersion, "2");
    assert.equal(container.properties.latestVersion, "1");
    await assert.rejects(
      client.modelVersions.createOrUpdate(RG, WSN, "best_model", "1", {
        properties: { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/other/" },
      }),
      (e: { statusCode?: number; code?: string; message: string }) =>
        e.statusCode === 409 && e.code === "UserError" && /Asset paths cannot be updated/.test(e.message),
    );
  });

  it("submits a pipeline job (with x-azureml-token), lists jobs page by page without its steps, cancels and deletes it", async () => {
    const spec = { type: "command", command: "python train.py", environment: "azureml:AzureML-sklearn-1.5:1", outputs: { model: { type: "uri_folder" } } };
    await client.componentVersions.createOrUpdate(RG, WSN, "azureml_anonymous", "c1", { properties: { componentSpec: spec, isAnonymous: true } });
    ml.scriptJobs({ phaseDurationsMs: { Running: 600_000, CancelRequested: 20 } });
    const body: JobBase = {
      properties: {
        jobType: "Pipeline",
        experimentName: "mlops",
        settings: { default_compute: `${WS}/computes/gpu-cluster` },
        jobs: {
          train: { type: "command", componentId: `${WS}/components/azureml_anonymous/versions/c1` },
          evaluate: {
            type: "command",
            componentId: `${WS}/components/azureml_anonymous/versions/c1`,
            inputs: { m: { job_input_type: "literal", value: "${{parent.jobs.train.outputs.model}}" } },
          },
        },
      },
    };
    // The x-azureml-token a pipeline PUT needs (an unsigned token for https://ml.azure.com: the emulator reads its audience).
    const amlToken = `e30.${Buffer.from(JSON.stringify({ aud: "https://ml.azure.com" })).toString("base64url")}.x`;
    const created = await client.jobs.createOrUpdate(RG, WSN, "sdk_pipeline", body, { requestOptions: { customHeaders: { "x-azureml-token": amlToken } } });
    assert.equal(created.properties.status, "NotStarted");
    assert.match(created.properties.services?.Studio?.endpoint ?? "", /sdk_pipeline/);
    ml.setPageSize(1);
    const names: string[] = [];
    for await (const j of client.jobs.list(RG, WSN)) names.push(j.name!);
    assert.deepEqual(names, ["sdk_pipeline"], "steps are served by run history, not listed through ARM");
    const steps = ml.job("sdk_pipeline")!.children;
    await h.until(
      () => ml.job(steps.train)!.status,
      (s) => s === "Running",
    );
    await client.jobs.beginCancelAndWait(RG, WSN, "sdk_pipeline", POLL);
    const canceled = await client.jobs.get(RG, WSN, "sdk_pipeline");
    assert.equal(canceled.properties.status, "Canceled");
    assert.equal(ml.job(steps.evaluate)!.status, "Canceled");
    await client.jobs.beginDeleteAndWait(RG, WSN, "sdk_pipeline", POLL);
    await assert.rejects(client.jobs.get(RG, WSN, "sdk_pipeline"), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  it("attaches a compute, creates an endpoint and deployments, and the pollers see them through", async () => {
    const compute = await client.computeOperations.beginCreateOrUpdateAndWait(
      RG,
      WSN,
      "k8s-compute",
      {
        location: "westeurope",
        identity: { type: "SystemAssigned" },
        properties: { computeType: "Kubernetes", resourceId: AKS, properties: { namespace: "default" } },
      },
      POLL,
    );
    assert.equal(compute.properties?.provisioningState, "Succeeded");
    await client.modelVersions.createOrUpdate(RG, WSN, "best_model", "1", {
      properties: { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/m/" },
    });

    const endpoint = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      RG,
      WSN,
      "model-service",
      { location: "westeurope", identity: { type: "SystemAssigned" }, properties: { authMode: "Key", compute: `${WS}/computes/k8s-compute` } },
      POLL,
    );
    assert.equal(endpoint.properties.provisioningState, "Succeeded");
    assert.match(endpoint.properties.scoringUri ?? "", /\/_inference\/model-service\/score$/);

    const deployment = (): OnlineDeployment => {
      const properties: KubernetesOnlineDeployment = {
        endpointComputeType: "Kubernetes",
        model: `${WS}/models/best_model/versions/1`,
        instanceType: "defaultinstancetype",
      };
      return { location: "westeurope", sku: { name: "Default", capacity: 1 }, properties };
    };
    const blue = await client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WSN, "model-service", "blue", deployment(), POLL);
    assert.equal(blue.properties.provisioningState, "Succeeded");

    ml.scriptDeployments({ durationMs: 50, fail: { code: "ResourceNotReady", message: "User container has crashed or terminated." } });
    await assert.rejects(client.onlineDeployments.beginCreateOrUpdateAndWait(RG, WSN, "model-service", "green", deployment(), POLL), (e: Error) =>
      /crashed or terminated/.test(e.message),
    );
    ml.scriptDeployments(undefined);

    const withTraffic = await client.onlineEndpoints.beginCreateOrUpdateAndWait(
      RG,
      WSN,
      "model-service",
      {
        location: "westeurope",
        identity: { type: "SystemAssigned" },
        properties: { authMode: "Key", compute: `${WS}/computes/k8s-compute`, traffic: { blue: 100 } },
      },
      POLL,
    );
    assert.deepEqual(withTraffic.properties.traffic, { blue: 100 });
    const patched = await client.onlineEndpoints.beginUpdateAndWait(RG, WSN, "model-service", { tags: { owner: "mlops" } }, POLL);
    assert.equal(patched.tags?.owner, "mlops");
    const scaled = await client.onlineDeployments.beginUpdateAndWait(RG, WSN, "model-service", "blue", { sku: { capacity: 3 } }, POLL);
    assert.equal(scaled.sku?.capacity, 3);

    const keys = await client.onlineEndpoints.listKeys(RG, WSN, "model-service");
    assert.ok(keys.primaryKey && keys.secondaryKey);
    await client.onlineEndpoints.beginRegenerateKeysAndWait(RG, WSN, "model-service", { keyType: "Primary" }, POLL);
    const rotated = await client.onlineEndpoints.listKeys(RG, WSN, "model-service");
    assert.notEqual(rotated.primaryKey, keys.primaryKey);
    assert.equal(rotated.secondaryKey, keys.secondaryKey);
    const logs = await client.onlineDeployments.getLogs(RG, WSN, "model-service", "blue", { containerType: "StorageInitializer", tail: 10 });
    assert.match(logs.content ?? "", /Downloading model/);
    const skus = [];
    for await (const s of client.onlineDeployments.listSkus(RG, WSN, "model-service", "blue")) skus.push(s);
    assert.equal(skus[0].sku?.name, "Default");

    await client.onlineDeployments.beginDeleteAndWait(RG, WSN, "model-service", "green", POLL);
    await client.onlineEndpoints.beginDeleteAndWait(RG, WSN, "model-service", POLL);
    await assert.rejects(client.onlineEndpoints.get(RG, WSN, "model-service"), (e: { statusCode?: number }) => e.statusCode === 404);
    await client.computeOperations.beginDeleteAndWait(RG, WSN, "k8s-compute", "Detach", POLL);
    await assert.rejects(client.computeOperations.get(RG, WSN, "k8s-compute"), (e: { statusCode?: number }) => e.statusCode === 404);
  });
});
