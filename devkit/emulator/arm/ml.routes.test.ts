/**
 * Route-level tests of the Machine Learning emulator: every route family, driven through the
 * framework Router (no HTTPS server), with a high time scale.
 */
import assert from "node:assert/strict";
import { MachineLearningEmulator } from "./machinelearning";
import { RouterHarness } from "./ml/routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000aa";
const RG = "ml_rg";
const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace`;
const COMPUTE = `${WS}/computes/gpu-cluster`;
const ENV = `${WS}/environments/AzureML-sklearn-1.5/versions/1`;
/** x-azureml-token for a pipeline PUT: an (unsigned) token whose audience is https://ml.azure.com (the emulator reads `aud` as the SDK does). */
const amlToken = (aud = "https://ml.azure.com") => `e30.${Buffer.from(JSON.stringify({ aud })).toString("base64url")}.x`;
const ML_TOKEN = { "x-azureml-token": amlToken() };
const HISTORY = `/history/v1.0${WS}/runs`;

describe("Machine Learning emulator routes", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;

  beforeEach(() => {
    h = new RouterHarness({
      timeScale: 1000,
      blob: { endpoint: "https://127.0.0.1:10999/devstoreaccount1", accountName: "devstoreaccount1", accountKey: "a2V5" },
    });
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, RG);
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  /** Follows an Azure-AsyncOperation URL to its end (the service says Updating until then). */
  async function awaitAsync(url: string): Promise<any> {
    return (
      await h.until(
        () => h.call("GET", url),
        (r) => r.body.status !== "Updating",
      )
    ).body;
  }
  /** Follows a Location URL to its end. */
  async function awaitLocation(url: string) {
    return h.until(
      () => h.call("GET", url),
      (r) => r.status !== 202,
    );
  }

  describe("workspaces", () => {
    it("gets the default workspace with realistic properties", async () => {
      const r = await h.call("GET", WS);
      assert.equal(r.status, 200);
      assert.equal(r.body.name, "ml_workspace");
      assert.match(r.body.properties.workspaceId, /^[0-9a-f-]{36}$/);
      assert.match(r.body.properties.discoveryUrl, /^https:\/\/127\.0\.0\.1:4443\//);
      assert.match(r.body.properties.mlFlowTrackingUri, /^azureml:\/\/127\.0\.0\.1:4443\/mlflow\/v1\.0\/subscriptions\//);
      assert.match(r.body.properties.storageAccount, /storageAccounts\/devstoreaccount1$/);
      assert.equal(r.body.location, "westeurope");
    });
    it("lists by resource group and by subscription; 404 names a missing workspace", async () => {
      assert.equal(
        (await h.call("GET", `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces`)).body.value.length,
        1,
      );
      assert.equal((await h.call("GET", `/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/workspaces`)).body.value.length, 1);
      const r = await h.call("GET", WS.replace("ml_workspace", "nope"));
      assert.equal(r.status, 404);
      assert.match(r.body.error.message, /workspaces\/nope/);
    });
    it("serves the discovery document", async () => {
      const r = await h.call("GET", "/_azureml/discovery");
      assert.equal(r.body.api, h.baseUrl);
    });
  });

  describe("datastores", () => {
    it("describes the default datastore on Azurite (IP-style endpoint) and lists its secret", async () => {
      const list = await h.call("GET", `${WS}/datastores`, { query: { isDefault: "true" } });
      assert.equal(list.body.value.length, 1);
      const ds = list.body.value[0];
      assert.equal(ds.name, "workspaceblobstore");
      assert.equal(ds.properties.datastoreType, "AzureBlob");
      assert.equal(ds.properties.accountName, "devstoreaccount1");
      assert.equal(ds.properties.endpoint, "127.0.0.1:10999");
      assert.equal(ds.properties.protocol, "https");
      assert.equal(ds.properties.isDefault, true);
      assert.equal(ds.properties.credentials.credentialsType, "AccountKey");
      assert.equal(ds.properties.credentials.secrets, undefined, "GET must not return secrets");
      assert.match(ds.properties.containerName, /^azureml-blobstore-[0-9a-f-]{36}$/);
      const secrets = await h.call("POST", `${WS}/datastores/workspaceblobstore/listSecrets`);
      assert.deepEqual(secrets.body, { secretsType: "AccountKey", key: "a2V5" });
      assert.ok(ml.secrets().includes("a2V5"));
    });
    it("creates an identity-based datastore, which has no secrets to list", async () => {
      const put = await h.call("PUT", `${WS}/datastores/identitystore`, {
        body: { properties: { datastoreType: "AzureBlob", accountName: "devstoreaccount1", containerName: "data", credentials: { credentialsType: "None" } } },
      });
      assert.equal(put.status, 201);
      assert.equal((await h.call("GET", `${WS}/datastores/identitystore`)).body.properties.credentials.credentialsType, "None");
      const secrets = await h.call("POST", `${WS}/datastores/identitystore/listSecrets`);
      assert.equal(secrets.status, 400);
      assert.match(secrets.body.error.message, /identitystore.*None/);
      const names = await h.call("GET", `${WS}/datastores`, { query: { names: "identitystore" } });
      assert.deepEqual(
        names.body.value.map((d: any) => d.name),
        ["identitystore"],
      );
    });
    it("rejects malformed datastores (missing credentials, unknown datastoreType) and refuses to delete the default", async () => {
      const noCreds = await h.call("PUT", `${WS}/datastores/x`, { body: { properties: { datastoreType: "AzureBlob" } } });
      assert.equal(noCreds.status, 400);
      assert.equal(noCreds.body.error.code, "InvalidRequestContent");
      assert.match(noCreds.body.error.message, /credentials: is required/);
      const badType = await h.call("PUT", `${WS}/datastores/x`, { body: { properties: { datastoreType: "S3", credentials: { credentialsType: "None" } } } });
      assert.match(badType.body.error.message, /datastoreType: 'S3' is not one of/);
      const badCred = await h.call("PUT", `${WS}/datastores/x`, {
        body: { properties: { datastoreType: "AzureBlob", credentials: { credentialsType: "AccountKey" } } },
      });
      assert.match(badCred.body.error.message, /secrets: is required/);
      assert.equal((await h.call("DELETE", `${WS}/datastores/workspaceblobstore`)).status, 400);
      const missing = await h.call("GET", `${WS}/datastores/nope`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /Datastore 'nope'/);
    });
  });

  describe("assets", () => {
    const modelBody = (uri: string, extra: Record<string, unknown> = {}) => ({ properties: { modelType: "custom_model", modelUri: uri, ...extra } });
    it("registers model versions with latestVersion/nextVersion, idempotent re-PUT and immutable paths", async () => {
      assert.equal((await h.call("GET", `${WS}/models/best_model`)).status, 404);
      const v1 = await h.call("PUT", `${WS}/models/best_model/versions/1`, { body: modelBody("azureml://datastores/workspaceblobstore/paths/m/1") });
      assert.equal(v1.status, 201);
      assert.equal(v1.body.properties.modelType, "custom_model");
      assert.equal(
        (await h.call("PUT", `${WS}/models/best_model/versions/1`, { body: modelBody("azureml://datastores/workspaceblobstore/paths/m/1") })).status,
        200,
      );
      const moved = await h.call("PUT", `${WS}/models/best_model/versions/1`, { body: modelBody("azureml://datastores/workspaceblobstore/paths/m/other") });
      assert.equal(moved.status, 409);
      assert.equal(moved.body.error.code, "UserError");
      assert.equal(moved.body.error.message, "Asset paths cannot be updated.");
      const retyped = await h.call("PUT", `${WS}/models/best_model/versions/1`, {
        body: modelBody("azureml://datastores/workspaceblobstore/paths/m/1", { modelType: "mlflow_model" }),
      });
      assert.equal(retyped.status, 409);
      const described = await h.call("PUT", `${WS}/models/best_model/versions/1`, {
        body: modelBody("azureml://datastores/workspaceblobstore/paths/m/1", { description: "now described" }),
      });
      assert.equal(described.status, 200);
      assert.equal(described.body.properties.description, "now described");
      await h.call("PUT", `${WS}/models/best_model/versions/2`, { body: modelBody("azureml://datastores/workspaceblobstore/paths/m/2") });
      const container = await h.call("GET", `${WS}/models/best_model`);
      assert.equal(container.body.properties.latestVersion, "2");
      assert.equal(container.body.properties.nextVersion, "3");
      const latest = await h.call("GET", `${WS}/models/best_model/versions`, { query: { $orderBy: "createdtime desc", $top: "1" } });
      assert.deepEqual(
        latest.body.value.map((v: any) => v.name),
        ["2"],
      );
      const missing = await h.call("GET", `${WS}/models/best_model/versions/9`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /best_model:9/);
    });
    it("answers 412 to a create-only PUT (If-None-Match: *) of an existing version and keeps it", async () => {
      const body = modelBody("azureml://datastores/workspaceblobstore/paths/m/1");
      assert.equal((await h.call("PUT", `${WS}/models/guarded/versions/1`, { body, headers: { "If-None-Match": "*" } })).status, 201);
      const again = await h.call("PUT", `${WS}/models/guarded/versions/1`, {
        body: modelBody("azureml://datastores/workspaceblobstore/paths/m/2"),
        headers: { "If-None-Match": "*" },
      });
      assert.equal(again.status, 412);
      assert.equal(again.body.error.code, "PreconditionFailed");
      assert.equal((await h.call("GET", `${WS}/models/guarded/versions/1`)).body.properties.modelUri, "azureml://datastores/workspaceblobstore/paths/m/1");
    });

    it("pages version lists through nextLink", async () => {
      ml.setPageSize(2);
      for (const v of ["1", "2", "3"]) await h.call("PUT", `${WS}/codes/src/versions/${v}`, { body: { properties: { codeUri: `https://x/c/${v}` } } });
      const first = await h.call("GET", `${WS}/codes/src/versions`, { query: { $orderBy: "version asc" } });
      assert.deepEqual(
        first.body.value.map((v: any) => v.name),
        ["1", "2"],
      );
      assert.match(first.body.nextLink, /^https:\/\/127\.0\.0\.1:4443\/.*\$skip=2/);
      const second = await h.call("GET", first.body.nextLink);
      assert.deepEqual(
        second.body.value.map((v: any) => v.name),
        ["3"],
      );
      assert.equal(second.body.nextLink, undefined);
      assert.equal((await h.call("GET", `${WS}/codes/src/versions`, { query: { $orderBy: "size" } })).status, 400);
    });
    it("rejects malformed versions as the spec types them: modelType, dataType, environment image, component spec", async () => {
      // The spec (2022-10-01 ModelVersion) types modelType as a free string: a wrong type is what it refuses.
      const badModel = await h.call("PUT", `${WS}/models/m/versions/1`, { body: modelBody("x", { modelType: 5 }) });
      assert.equal(badModel.status, 400);
      assert.match(badModel.body.error.message, /modelType: must be a string/);
      const badData = await h.call("PUT", `${WS}/data/d/versions/1`, {
        body: { properties: { dataType: "table", dataUri: "azureml://datastores/workspaceblobstore/paths/x/" } },
      });
      assert.match(badData.body.error.message, /dataType: 'table' is not one of (uri_file|uri_folder|mltable)/);
      const mixed = await h.call("PUT", `${WS}/data/training_data/versions/2`, {
        body: { properties: { dataType: "uri_file", dataUri: "azureml://datastores/workspaceblobstore/paths/x.csv" } },
      });
      assert.equal(mixed.status, 400);
      const noImage = await h.call("PUT", `${WS}/environments/myenv/versions/1`, { body: { properties: { condaFile: "name: x" } } });
      assert.equal(noImage.status, 400);
      assert.match(noImage.body.error.message, /Docker image or Dockerfile is required/);
      const reserved = await h.call("PUT", `${WS}/environments/AzureML-mine/versions/1`, { body: { properties: { image: "python:3.11" } } });
      assert.equal(reserved.status, 400);
      const badSpec = await h.call("PUT", `${WS}/components/c/versions/1`, { body: { properties: { componentSpec: "x" } } });
      assert.match(badSpec.body.error.message, /componentSpec: must be an object/);
      const env = await h.call("GET", ENV);
      assert.equal(env.body.properties.environmentType, "Curated");
    });
    it("lists, updates and deletes containers", async () => {
      const envs = await h.call("GET", `${WS}/environments`);
      assert.deepEqual(envs.body.value.map((c: any) => c.name).sort(), ["AzureML-TensorFlow-2.4-GPU", "AzureML-sklearn-1.5"]);
      const data = await h.call("PUT", `${WS}/data/raw`, { body: { properties: { dataType: "uri_folder", description: "raw" } } });
      assert.equal(data.status, 201);
      const noType = await h.call("PUT", `${WS}/data/raw2`, { body: { properties: {} } });
      assert.match(noType.body.error.message, /dataType: is required/);
      assert.equal((await h.call("DELETE", `${WS}/data/raw`)).status, 200);
      assert.equal((await h.call("DELETE", `${WS}/data/raw`)).status, 204);
    });
  });

  describe("jobs", () => {
    const commandJob = (extra: Record<string, unknown> = {}) => ({
      properties: {
        jobType: "Command",
        command: "python train.py",
        environmentId: ENV,
        computeId: COMPUTE,
        outputs: { model: { jobOutputType: "uri_folder" } },
        ...extra,
      },
    });
    it("runs a command job through its states; outputs keep uri null, the service adds its default output", async () => {
      const put = await h.call("PUT", `${WS}/jobs/job1`, { body: commandJob() });
      assert.equal(put.status, 201);
      assert.equal(put.body.properties.status, "NotStarted");
      assert.match(put.body.properties.services.Studio.endpoint, /\/runs\/job1\?wsid=/);
      const done = await h.until(
        () => h.call("GET", `${WS}/jobs/job1`),
        (r) => r.body.properties.status === "Completed",
      );
      assert.equal(done.body.properties.outputs.model.uri, null);
      assert.equal(done.body.properties.outputs.default.uri, "azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.job1");
      assert.deepEqual(
        ml.job("job1")!.history.map((x) => x.status),
        ["NotStarted", "Queued", "Preparing", "Running", "Finalizing", "Completed"],
      );
      assert.equal((await h.call("PUT", `${WS}/jobs/job1`, { body: commandJob() })).status, 200, "same job again is idempotent");
      assert.equal((await h.call("PUT", `${WS}/jobs/job1`, { body: commandJob({ command: "python other.py" }) })).status, 409);
    });
    it("rejects jobs naming an unknown compute, environment, code or datastore", async () => {
      const compute = await h.call("PUT", `${WS}/jobs/j`, { body: commandJob({ computeId: `${WS}/computes/missing-cluster` }) });
      assert.equal(compute.status, 400);
      assert.equal(compute.body.error.code, "UserError");
      assert.match(compute.body.error.message, /Compute 'missing-cluster' was not found/);
      const env = await h.call("PUT", `${WS}/jobs/j`, { body: commandJob({ environmentId: `${WS}/environments/nope/versions/1` }) });
      assert.match(env.body.error.message, /Environment 'nope' was not found/);
      const code = await h.call("PUT", `${WS}/jobs/j`, { body: commandJob({ codeId: `${WS}/codes/abc/versions/1` }) });
      assert.match(code.body.error.message, /Code 'abc' was not found/);
      const ds = await h.call("PUT", `${WS}/jobs/j`, {
        body: commandJob({ inputs: { d: { jobInputType: "uri_folder", uri: "azureml://datastores/elsewhere/paths/x/" } } }),
      });
      assert.match(ds.body.error.message, /datastore elsewhere could not be found/);
      assert.equal((await h.call("GET", `${WS}/jobs/j`)).status, 404);
    });
    it("rejects malformed jobs: jobType, missing command, literal without value, output mode", async () => {
      const cases: [unknown, RegExp][] = [
        [{ properties: { jobType: "Spark" } }, /jobType: 'Spark' is not one of AutoML|jobType: 'Spark' is not one of/],
        [{ properties: { jobType: "Command", environmentId: ENV } }, /command: is required/],
        [commandJob({ inputs: { lr: { jobInputType: "literal" } } }), /inputs\.lr\.value: is required/],
        [commandJob({ inputs: { d: { jobInputType: "csv", uri: "x" } } }), /jobInputType: 'csv' is not one of/],
        [commandJob({ outputs: { o: { jobOutputType: "uri_folder", mode: "Direct" } } }), /mode: 'Direct' is not one of ReadWriteMount, Upload/],
        [
          { properties: { jobType: "Command", command: "x", environmentId: ENV, distribution: { distributionType: "Horovod" } } },
          /distributionType: 'Horovod'/,
        ],
        [{ properties: { jobType: "Command", command: "x", environmentId: ENV, identity: { identityType: "Key" } } }, /identityType: 'Key'/],
        [{ notProperties: {} }, /properties: is required/],
      ];
      for (const [body, message] of cases) {
        const r = await h.call("PUT", `${WS}/jobs/bad`, { body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.code, "InvalidRequestContent");
        assert.match(r.body.error.message, message);
      }
    });

    async function registerComponent(name: string, outputs: string[]) {
      const spec = {
        type: "command",
        command: "python run.py",
        environment: `azureml:${ENV}`,
        outputs: Object.fromEntries(outputs.map((o) => [o, { type: "uri_folder" }])),
      };
      const r = await h.call("PUT", `${WS}/components/${name}/versions/1`, { body: { properties: { componentSpec: spec, isAnonymous: true } } });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
      return `${WS}/components/${name}/versions/1`;
    }
    async function pipelineBody(extraSettings: Record<string, unknown> = {}) {
      const prep = await registerComponent("prep", ["prepared"]);
      const train = await registerComponent("train", ["model"]);
      const score = await registerComponent("score", ["report"]);
      return {
        properties: {
          jobType: "Pipeline",
          experimentName: "mlops",
          settings: { default_compute: COMPUTE, _source: "YAML.JOB", ...extraSettings },
          inputs: { raw: { jobInputType: "uri_folder", uri: `azureml:${WS}/data/training_data/versions/1`.replace("azureml:", "") } },
          outputs: { trained: { jobOutputType: "uri_folder" } },
          jobs: {
            prep: { type: "command", componentId: prep, inputs: { data: { job_input_type: "literal", value: "${{parent.inputs.raw}}" } } },
            train: {
              type: "command",
              componentId: train,
              inputs: { data: { job_input_type: "literal", value: "${{parent.jobs.prep.outputs.prepared}}" } },
              outputs: { model: { value: "${{parent.outputs.trained}}", type: "literal" } },
            },
            score: { type: "command", componentId: score, inputs: { m: { job_input_type: "literal", value: "${{parent.jobs.train.outputs.model}}" } } },
          },
        },
      };
    }

    it("runs pipeline steps in dependency order as GUID-named runs, served by run history (ARM answers their identity only)", async () => {
      const put = await h.call("PUT", `${WS}/jobs/pipe1`, { body: await pipelineBody(), headers: ML_TOKEN });
      assert.equal(put.status, 201);
      assert.match(put.headers!.Location, /\/jobs\/pipe1\?api-version=2022-10-01$/);
      assert.equal(put.body.properties.properties["azureml.runsource"], "azureml.PipelineRun");
      const steps = ml.job("pipe1")!.children;
      assert.deepEqual(Object.keys(steps), ["prep", "train", "score"]);
      for (const id of Object.values(steps)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const child = await h.call("GET", `${WS}/jobs/${steps.train}`);
      assert.equal(child.status, 200);
      assert.deepEqual(Object.keys(child.body).sort(), ["id", "name", "systemData", "type"]);
      const list = await h.call("GET", `${WS}/jobs`);
      assert.deepEqual(
        list.body.value.map((j: any) => j.name),
        ["pipe1"],
        "steps are not listed through ARM",
      );
      const done = await h.until(
        () => h.call("GET", `${WS}/jobs/pipe1`),
        (r) => ["Completed", "Failed", "Canceled"].includes(r.body.properties.status),
      );
      assert.equal(done.body.properties.status, "Completed");
      assert.equal(done.body.properties.outputs.trained.uri, null, "a completed pipeline reports no output uri");
      const children = await h.call("GET", `${HISTORY}/pipe1/children`);
      assert.deepEqual(
        children.body.value.map((r: any) => [r.displayName, r.status, r.runId]),
        [
          ["prep", "Completed", steps.prep],
          ["train", "Completed", steps.train],
          ["score", "Completed", steps.score],
        ],
      );
      for (const r of children.body.value) {
        assert.match(r.properties["azureml.nodeid"], /^[0-9a-f]{8}$/);
        assert.equal(r.properties["azureml.pipelinerunid"], "pipe1");
        assert.ok(Date.parse(r.endTimeUtc) >= Date.parse(r.startTimeUtc));
      }
      const started = (n: string) => Date.parse(ml.job(n)!.history.find((x) => x.status === "Queued")!.time);
      const ended = (n: string) => Date.parse(ml.job(n)!.history.find((x) => x.status === "Completed")!.time);
      assert.ok(started(steps.train) >= ended(steps.prep));
      assert.ok(started(steps.score) >= ended(steps.train));
      assert.equal((ml.job(steps.score)!.properties.inputs as any).m.uri, `azureml://datastores/workspaceblobstore/paths/azureml/${steps.train}/model/`);
      const details = await h.call("GET", `${HISTORY}/${steps.train}`);
      assert.equal(details.body.parentRunId, "pipe1");
      assert.equal(details.body.error, null);
    });
    it("requires x-azureml-token for https://ml.azure.com on a pipeline PUT, and logs each check", async () => {
      const missing = await h.call("PUT", `${WS}/jobs/pt`, { body: await pipelineBody() });
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /x-azureml-token/);
      const wrong = await h.call("PUT", `${WS}/jobs/pt`, {
        body: await pipelineBody(),
        headers: { "x-azureml-token": amlToken("https://management.azure.com/") },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, "InvalidAuthenticationTokenAudience");
      assert.equal((await h.call("PUT", `${WS}/jobs/pt`, { body: await pipelineBody(), headers: ML_TOKEN })).status, 201);
      assert.deepEqual(
        ml.jobTokenChecks().map((c) => [c.job, c.accepted, c.audience ?? null]),
        [
          ["pt", false, null],
          ["pt", false, "https://management.azure.com/"],
          ["pt", true, "https://ml.azure.com"],
        ],
      );
      assert.equal((await h.call("PUT", `${WS}/jobs/cmd`, { body: commandJob() })).status, 201, "a command job needs none");
    });
    it("fails the pipeline at the scripted step and cancels what depends on it; errors are in run history", async () => {
      ml.scriptJob("pipe2", { failStep: "train", error: { message: "ValueError: bad learning rate" } });
      await h.call("PUT", `${WS}/jobs/pipe2`, { body: await pipelineBody(), headers: ML_TOKEN });
      const done = await h.until(
        () => h.call("GET", `${WS}/jobs/pipe2`),
        (r) => ["Completed", "Failed", "Canceled"].includes(r.body.properties.status),
      );
      assert.equal(done.body.properties.status, "Failed");
      assert.equal(done.body.properties.properties["azureml.error.message"], undefined, "no error in ARM properties");
      const steps = ml.job("pipe2")!.children;
      assert.equal(ml.job(steps.prep)!.status, "Completed");
      assert.equal(ml.job(steps.train)!.status, "Failed");
      assert.equal(ml.job(steps.score)!.status, "Canceled");
      const train = await h.call("GET", `${HISTORY}/${steps.train}`);
      assert.deepEqual([train.body.error.error.code, train.body.error.error.message], ["UserError", "ValueError: bad learning rate"]);
      const pipeline = await h.call("GET", `${HISTORY}/pipe2`);
      assert.match(pipeline.body.error.error.message, /Failed nodes: \/train/);
    });
    it("rejects pipelines with an unknown component (404 NotFound), compute, binding or no compute", async () => {
      const body = await pipelineBody();
      const nodes = body.properties.jobs as Record<string, any>;
      nodes.prep.componentId = `${WS}/components/ghost/versions/1`;
      let r = await h.call("PUT", `${WS}/jobs/p`, { body, headers: ML_TOKEN });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, "NotFound");
      assert.match(r.body.error.message, /Message: Not found component ghost \(version: 1\)\.$/);
      const body2 = await pipelineBody();
      (body2.properties.jobs as any).train.inputs.data.value = "${{parent.jobs.missing.outputs.x}}";
      r = await h.call("PUT", `${WS}/jobs/p`, { body: body2, headers: ML_TOKEN });
      assert.match(r.body.error.message, /there is no node 'missing'/);
      const body3 = await pipelineBody();
      delete (body3.properties.settings as any).default_compute;
      r = await h.call("PUT", `${WS}/jobs/p`, { body: body3, headers: ML_TOKEN });
      assert.match(r.body.error.message, /Compute not set for node 'prep'/);
      const body4 = await pipelineBody({ default_compute: `${WS}/computes/nope` });
      r = await h.call("PUT", `${WS}/jobs/p`, { body: body4, headers: ML_TOKEN });
      assert.match(r.body.error.message, /Compute 'nope' was not found/);
    });
    it("runs a sweep node, whose component is trial.componentId (recording ..._sweep_in_pipeline_with_job_tier.json), and refuses an unknown trial", async () => {
      const trial = await registerComponent("trial", ["model"]);
      const sweep = {
        limits: { max_concurrent_trials: 1, max_total_trials: 3 },
        sampling_algorithm: "grid",
        objective: { goal: "minimize", primary_metric: "metric" },
        search_space: { whom: { values: ["a", "b"], type: "choice" } },
        queue_settings: { job_tier: "standard" },
        name: "node",
        type: "sweep",
        _source: "YAML.COMPONENT",
        trial: { componentId: trial },
      };
      const body = {
        properties: { jobType: "Pipeline", settings: { default_compute: COMPUTE, _source: "YAML.JOB" }, inputs: {}, outputs: {}, jobs: { node: sweep } },
      };
      const put = await h.call("PUT", `${WS}/jobs/sw1`, { body, headers: ML_TOKEN });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.deepEqual(put.body.properties.jobs.node, sweep, "the node is answered as sent");
      const done = await h.until(
        () => h.call("GET", `${WS}/jobs/sw1`),
        (r) => ["Completed", "Failed", "Canceled"].includes(r.body.properties.status),
      );
      assert.equal(done.body.properties.status, "Completed");
      const step = ml.job(ml.job("sw1")!.children.node)!;
      assert.equal(step.properties.jobType, "Sweep");
      assert.equal(step.properties.componentId, trial);
      const ghost = structuredClone(body);
      ghost.properties.jobs.node.trial.componentId = `${WS}/components/ghost/versions/1`;
      const r = await h.call("PUT", `${WS}/jobs/sw2`, { body: ghost, headers: ML_TOKEN });
      assert.equal(r.status, 404);
      assert.match(r.body.error.message, /Not found component ghost/);
      const none = structuredClone(body);
      delete (none.properties.jobs.node as Record<string, unknown>).trial;
      const r2 = await h.call("PUT", `${WS}/jobs/sw3`, { body: none, headers: ML_TOKEN });
      assert.equal(r2.status, 400);
      assert.match(r2.body.error.message, /Node 'node' has no componentId in trial/);
    });
    it("accepts a pipeline-component node without a compute (GUESSES.md), and runs it as one step", async () => {
      const inner = await registerComponent("inner", ["out"]);
      const spec = { type: "pipeline", jobs: { a: { type: "command", componentId: inner, computeId: COMPUTE } }, _source: "YAML.COMPONENT" };
      const r = await h.call("PUT", `${WS}/components/azureml_anonymous/versions/p1`, { body: { properties: { componentSpec: spec, isAnonymous: true } } });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
      const body = {
        properties: {
          jobType: "Pipeline",
          settings: { _source: "YAML.JOB" },
          jobs: { sub: { name: "sub", type: "pipeline", _source: "YAML.COMPONENT", componentId: `${WS}/components/azureml_anonymous/versions/p1` } },
        },
      };
      assert.equal((await h.call("PUT", `${WS}/jobs/pc1`, { body, headers: ML_TOKEN })).status, 201);
      const done = await h.until(
        () => h.call("GET", `${WS}/jobs/pc1`),
        (x) => ["Completed", "Failed", "Canceled"].includes(x.body.properties.status),
      );
      assert.equal(done.body.properties.status, "Completed");
      assert.equal(ml.job(ml.job("pc1")!.children.sub)!.properties.jobType, "Pipeline");
      const command = structuredClone(body);
      (command.properties.jobs.sub as Record<string, unknown>).type = "command";
      const refused = await h.call("PUT", `${WS}/jobs/pc2`, { body: command, headers: ML_TOKEN });
      assert.match(refused.body.error.message, /Compute not set for node 'sub'/, "a command node still needs one");
    });
    it("cancels a running pipeline (202 + Location, CancelRequested then Canceled)", async () => {
      ml.scriptJobs({ phaseDurationsMs: { Running: 60_000, CancelRequested: 50 } });
      await h.call("PUT", `${WS}/jobs/pipe3`, { body: await pipelineBody(), headers: ML_TOKEN });
      const steps = ml.job("pipe3")!.children;
      await h.until(
        () => ml.job(steps.prep)!.status,
        (s) => s === "Running",
      );
      const cancel = await h.call("POST", `${WS}/jobs/pipe3/cancel`);
      assert.equal(cancel.status, 202);
      assert.ok(cancel.headers!.Location.includes("/mfeOperationResults/"));
      assert.equal(ml.job("pipe3")!.status, "CancelRequested");
      const result = await awaitLocation(cancel.headers!.Location);
      assert.equal(result.status, 204);
      assert.equal(ml.job("pipe3")!.status, "Canceled");
      assert.deepEqual(
        ["prep", "train", "score"].map((n) => ml.job(steps[n])!.status),
        ["Canceled", "Canceled", "Canceled"],
      );
    });
    it("deletes a job (202 + Location) and 404s it afterwards", async () => {
      await h.call("PUT", `${WS}/jobs/gone`, { body: commandJob() });
      const del = await h.call("DELETE", `${WS}/jobs/gone`);
      assert.equal(del.status, 202);
      await awaitLocation(del.headers!.Location);
      const r = await h.call("GET", `${WS}/jobs/gone`);
      assert.equal(r.status, 404);
      assert.match(r.body.error.message, /Job 'gone'/);
    });
    it("forces a status through the control API", async () => {
      ml.scriptJobs({ phaseDurationsMs: { Running: 600_000 } });
      await h.call("PUT", `${WS}/jobs/forced`, { body: commandJob() });
      ml.setJobStatus("forced", "Failed", { error: { code: "SystemError", message: "node preempted" } });
      const r = await h.call("GET", `${WS}/jobs/forced`);
      assert.equal(r.body.properties.status, "Failed");
      const run = await h.call("GET", `${HISTORY}/forced`);
      assert.deepEqual([run.body.status, run.body.error.error.code, run.body.error.error.message], ["Failed", "SystemError", "node preempted"]);
    });
  });

  describe("computes", () => {
    const aks = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-cluster`;
    const attach = (resourceId: string) => ({
      location: "westeurope",
      identity: { type: "SystemAssigned" },
      properties: { computeType: "Kubernetes", resourceId, properties: { namespace: "azureml" } },
    });
    it("attaches a Kubernetes cluster through an Azure-AsyncOperation LRO", async () => {
      const put = await h.call("PUT", `${WS}/computes/k8s-compute`, { body: attach(aks) });
      assert.equal(put.status, 201);
      assert.equal(put.body.properties.provisioningState, "Creating");
      assert.match(put.headers!["Azure-AsyncOperation"], /\/computeOperationsStatus\//);
      assert.equal(put.headers!.Location, undefined);
      assert.equal((await awaitAsync(put.headers!["Azure-AsyncOperation"])).status, "Succeeded");
      const c = await h.call("GET", `${WS}/computes/k8s-compute`);
      assert.equal(c.body.properties.provisioningState, "Succeeded");
      assert.equal(c.body.properties.isAttachedCompute, true);
      assert.equal(c.body.properties.properties.namespace, "azureml");
      assert.ok(c.body.properties.properties.instanceTypes.defaultinstancetype);
      const again = await h.call("PUT", `${WS}/computes/other-name`, { body: attach(aks) });
      assert.equal(again.status, 409);
      assert.deepEqual((await h.call("GET", `${WS}/computes`)).body.value.map((x: any) => x.name).sort(), ["gpu-cluster", "k8s-compute"]);
    });
    it("fails the attach when the cluster lookup says so, and rejects a bad resource id", async () => {
      ml.setClusterLookup(() => ({ exists: true, azureMlExtensionInstalled: false }));
      const put = await h.call("PUT", `${WS}/computes/k8s`, { body: attach(aks) });
      const status = await awaitAsync(put.headers!["Azure-AsyncOperation"]);
      assert.equal(status.status, "Failed");
      assert.equal(status.error.code, "ExtensionNotFound");
      const c = await h.call("GET", `${WS}/computes/k8s`);
      assert.equal(c.body.properties.provisioningState, "Failed");
      assert.equal(c.body.properties.provisioningErrors[0].error.code, "ExtensionNotFound");
      const bad = await h.call("PUT", `${WS}/computes/k8s2`, {
        body: attach("/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/vm"),
      });
      assert.equal(bad.status, 400);
      const badType = await h.call("PUT", `${WS}/computes/k8s2`, { body: { properties: { computeType: "Quantum" } } });
      assert.equal(badType.body.error.code, "InvalidRequestContent");
      const missing = await h.call("GET", `${WS}/computes/none`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.error.message, /computes\/none/);
    });
    it("detaches a compute (DELETE needs underlyingResourceAction)", async () => {
      assert.equal((await h.call("DELETE", `${WS}/computes/gpu-cluster`)).status, 400);
      const del = await h.call("DELETE", `${WS}/computes/gpu-cluster`, { query: { underlyingResourceAction: "Detach" } });
      assert.equal(del.status, 202);
      assert.equal(del.headers!.Location, undefined);
      await awaitAsync(del.headers!["Azure-AsyncOperation"]);
      assert.equal((await h.call("GET", `${WS}/computes/gpu-cluster`)).status, 404);
    });
  });

  describe("online endpoints, deployments and scoring", () => {
    const aks = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-cluster`;
    const E = `${WS}/onlineEndpoints/model-service`;
    const endpointBody = (traffic: Record<string, number> = {}, authMode = "Key") => ({
      location: "westeurope",
      identity: { type: "SystemAssigned" },
      properties: { authMode, compute: `${WS}/computes/k8s-compute`, traffic },
    });
    const deploymentBody = (extra: Record<string, unknown> = {}) => ({
      location: "westeurope",
      sku: { name: "Default", capacity: 1 },
      properties: { endpointComputeType: "Kubernetes", model: `${WS}/models/best_model/versions/1`, instanceType: "defaultinstancetype", ...extra },
    });

    beforeEach(async () => {
      ml.addKubernetesCompute({ name: "k8s-compute", resourceId: aks });
      await h.call("PUT", `${WS}/models/best_model/versions/1`, {
        body: { properties: { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/m/" } },
      });
    });

    async function createEndpoint(authMode = "Key") {
      const put = await h.call("PUT", E, { body: endpointBody({}, authMode) });
      assert.equal(put.status, 201);
      assert.equal((await awaitAsync(put.headers!["Azure-AsyncOperation"])).status, "Succeeded");
    }
    async function createDeployment(name: string, extra: Record<string, unknown> = {}) {
      const put = await h.call("PUT", `${E}/deployments/${name}`, { body: deploymentBody(extra) });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      return awaitAsync(put.headers!["Azure-AsyncOperation"]);
    }
    async function setTraffic(traffic: Record<string, number>, authMode = "Key") {
      const before = ml.endpoint("model-service")!.traffic;
      const put = await h.call("PUT", E, { body: endpointBody(traffic, authMode) });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.deepEqual(put.body.properties.traffic, before, "the answer shows the traffic in force until the update succeeds");
      await awaitAsync(put.headers!["Azure-AsyncOperation"]);
      assert.deepEqual((await h.call("GET", E)).body.properties.traffic, traffic);
    }

    it("creates an endpoint and deployments, splits traffic and scores with keys", async () => {
      await createEndpoint();
      const e = await h.call("GET", E);
      assert.equal(e.body.properties.provisioningState, "Succeeded");
      assert.equal(e.body.properties.scoringUri, `${h.baseUrl}/_inference/model-service/score`);
      assert.equal(e.body.properties.swaggerUri, `${h.baseUrl}/_inference/model-service/swagger.json`);
      assert.equal(e.body.properties.keys, null);
      assert.equal((await createDeployment("blue")).status, "Succeeded");
      assert.equal((await createDeployment("green")).status, "Succeeded");
      const unknown = await h.call("PUT", E, { body: endpointBody({ blue: 50, purple: 50 }) });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /deployment 'purple'/);
      const sum = await h.call("PUT", E, { body: endpointBody({ blue: 90, green: 20 }) });
      assert.match(sum.body.error.message, /add up to 0 or 100; they add up to 110/);
      await setTraffic({ blue: 90, green: 10 });

      const keys = await h.call("POST", `${E}/listKeys`);
      assert.ok(keys.body.primaryKey && keys.body.secondaryKey);
      assert.ok(ml.secrets().includes(keys.body.primaryKey));
      const score = (key: string, headers: Record<string, string> = {}) =>
        h.call("POST", "/_inference/model-service/score", {
          body: {
            data: [
              [1, 2, 3],
              [4, 5, 6],
            ],
          },
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        });
      const answers = [];
      for (let i = 0; i < 10; i++) {
        const r = await score(i % 2 ? keys.body.primaryKey : keys.body.secondaryKey);
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, [6, 15]);
        answers.push(r.headers!["azureml-model-deployment"]);
      }
      assert.equal(answers.filter((d) => d === "blue").length, 9);
      assert.equal(answers.filter((d) => d === "green").length, 1);
      assert.equal((await score(keys.body.primaryKey, { "azureml-model-deployment": "green" })).headers!["azureml-model-deployment"], "green");
      const wrong = await score("not-the-key");
      assert.equal(wrong.status, 401);
      const none = await h.call("POST", "/_inference/model-service/score", { body: { data: [[1]] } });
      assert.equal(none.status, 401);
      ml.setScoringRule("model-service", { kind: "linear", weights: [2, 0, 1], bias: 1 }, { deployment: "blue" });
      assert.deepEqual((await score(keys.body.primaryKey, { "azureml-model-deployment": "blue" })).body, [6, 15]);
      assert.equal((await h.call("POST", "/_inference/nowhere/score", { body: {} })).status, 404);
      const bad = await score(keys.body.primaryKey, { "azureml-model-deployment": "green" });
      assert.equal(bad.status, 200);
      const notNumbers = await h.call("POST", "/_inference/model-service/score", {
        body: { data: [["a"]] },
        headers: { authorization: `Bearer ${keys.body.primaryKey}` },
      });
      assert.equal(notNumbers.status, 400);
      assert.equal((await h.call("POST", `${E}/token`)).status, 400, "token is for AMLToken endpoints");

      const logs = await h.call("POST", `${E}/deployments/blue/getLogs`, { body: { containerType: "InferenceServer", tail: 3 } });
      assert.equal(logs.body.content.trim().split("\n").length, 3);
      assert.match(logs.body.content, /POST \/score/);
      const init = await h.call("POST", `${E}/deployments/blue/getLogs`, { body: { containerType: "StorageInitializer" } });
      assert.match(init.body.content, /Downloading model .*best_model\/versions\/1/);
      const skus = await h.call("GET", `${E}/deployments/blue/skus`);
      assert.equal(skus.body.value[0].sku.name, "Default");

      const busy = await h.call("DELETE", `${E}/deployments/blue`);
      assert.equal(busy.status, 400, "a deployment with traffic cannot be deleted");
      await setTraffic({ green: 100 });
      const del = await h.call("DELETE", `${E}/deployments/blue`);
      assert.equal(del.status, 202);
      await awaitLocation(del.headers!.Location);
      assert.equal((await h.call("GET", `${E}/deployments/blue`)).status, 404);
    });
    it("serves AML tokens on AMLToken endpoints", async () => {
      await createEndpoint("AMLToken");
      await createDeployment("blue");
      await setTraffic({ blue: 100 }, "AMLToken");
      assert.equal((await h.call("POST", `${E}/listKeys`)).status, 400);
      const token = await h.call("POST", `${E}/token`);
      assert.equal(token.body.tokenType, "Bearer");
      assert.ok(token.body.expiryTimeUtc > Date.now() / 1000);
      assert.ok(token.body.refreshAfterTimeUtc < token.body.expiryTimeUtc);
      const ok = await h.call("POST", "/_inference/model-service/score", {
        body: { data: [[1, 1]] },
        headers: { authorization: `Bearer ${token.body.accessToken}` },
      });
      assert.deepEqual(ok.body, [2]);
      const key = ml.endpoint("model-service")!.primaryKey;
      assert.equal(
        (await h.call("POST", "/_inference/model-service/score", { body: { data: [[1]] }, headers: { authorization: `Bearer ${key}` } })).status,
        401,
      );
    });
    it("fails a scripted deployment with its logs; 404/502 without a serving deployment", async () => {
      await createEndpoint();
      ml.scriptDeployments({
        durationMs: 100,
        fail: {
          code: "ResourceNotReady",
          message: "User container has crashed or terminated.",
          logs: ["Traceback (most recent call last):", "ImportError: No module named 'sklearn'"],
        },
      });
      const status = await createDeployment("blue");
      assert.equal(status.status, "Failed");
      assert.equal(status.error.code, "ResourceNotReady");
      assert.equal((await h.call("GET", `${E}/deployments/blue`)).body.properties.provisioningState, "Failed");
      const logs = await h.call("POST", `${E}/deployments/blue/getLogs`, { body: {} });
      assert.match(logs.body.content, /ImportError/);
      const key = ml.endpoint("model-service")!.primaryKey;
      const noTraffic = await h.call("POST", "/_inference/model-service/score", { body: { data: [[1]] }, headers: { authorization: `Bearer ${key}` } });
      assert.equal(noTraffic.status, 404);
      const direct = await h.call("POST", "/_inference/model-service/score", {
        body: { data: [[1]] },
        headers: { authorization: `Bearer ${key}`, "azureml-model-deployment": "blue" },
      });
      assert.equal(direct.status, 502);
    });
    it("validates deployments: unknown model, wrong compute type, unknown instance type, malformed bodies", async () => {
      await createEndpoint();
      const model = await h.call("PUT", `${E}/deployments/blue`, { body: deploymentBody({ model: `${WS}/models/best_model/versions/7` }) });
      assert.equal(model.status, 400);
      assert.match(model.body.error.message, /Model 'best_model' version '7' was not found/);
      const managed = await h.call("PUT", `${E}/deployments/blue`, { body: deploymentBody({ endpointComputeType: "Managed" }) });
      assert.match(managed.body.error.message, /endpointComputeType Kubernetes/);
      const it = await createDeployment("blue", { instanceType: "gpu-huge" });
      assert.equal(it.status, "Failed");
      assert.equal(it.error.code, "InferencingClientCreateDeploymentFailed");
      const cases: [unknown, RegExp][] = [
        [{ location: "westeurope", properties: { endpointComputeType: "Serverless" } }, /endpointComputeType: 'Serverless'/],
        [{ properties: { endpointComputeType: "Kubernetes" } }, /location: is required/],
        [deploymentBody({ scaleSettings: { scaleType: "Manual" } }), /scaleType: 'Manual'/],
        [deploymentBody({ codeConfiguration: { codeId: "x" } }), /scoringScript: is required/],
      ];
      for (const [body, message] of cases) {
        const r = await h.call("PUT", `${E}/deployments/green`, { body });
        assert.equal(r.status, 400);
        assert.match(r.body.error.message, message);
      }
      const badAuth = await h.call("PUT", `${WS}/onlineEndpoints/other-ep`, { body: { location: "westeurope", properties: { authMode: "Password" } } });
      assert.match(badAuth.body.error.message, /authMode: 'Password' is not one of/);
      const badCompute = await h.call("PUT", `${WS}/onlineEndpoints/other-ep`, {
        body: { location: "westeurope", properties: { authMode: "Key", compute: `${WS}/computes/gpu-cluster` } },
      });
      assert.match(badCompute.body.error.message, /need a Kubernetes compute/);
      const missing = await h.call("GET", `${WS}/onlineEndpoints/absent`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, "NotFound");
      assert.equal(missing.body.error.details[0].code, "NoSuchEndpoint");
      assert.match(missing.body.error.details[0].message, /no endpoint with name: absent in ml_workspace/);
    });
    it("patches (202 + Location with the result) and deletes endpoints; 409 while busy", async () => {
      ml.scriptEndpoints({ durationMs: 200 });
      const put = await h.call("PUT", E, { body: endpointBody() });
      const conflict = await h.call("PUT", E, { body: endpointBody() });
      assert.equal(conflict.status, 409);
      await awaitAsync(put.headers!["Azure-AsyncOperation"]);
      const patch = await h.call("PATCH", E, { body: { tags: { stage: "prod" } } });
      assert.equal(patch.status, 202);
      const result = await awaitLocation(patch.headers!.Location);
      assert.equal(result.status, 200);
      assert.equal(result.body.tags.stage, "prod");
      const del = await h.call("DELETE", E);
      assert.equal(del.status, 202);
      assert.equal((await h.call("GET", E)).body.properties.provisioningState, "Deleting");
      await awaitLocation(del.headers!.Location);
      assert.equal((await h.call("GET", E)).status, 404);
      assert.equal((await h.call("DELETE", E)).status, 204);
    });
  });
});
