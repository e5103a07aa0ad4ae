/**
 * Model versioning against the ML emulator in-process (real arm-machinelearning client): next
 * version, no overwrite, and a registration that loses a race to another one.
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { MachineLearningEmulator } from "../../devkit/emulator/arm/machinelearning";
import { RouterHarness } from "../../devkit/emulator/arm/ml/routerHarness";
import { InputError } from "../common/errors";
import { MemoryLog } from "../common/logging";
import { buildUrl, lineageProperties } from "./lineage";
import { taskLoc } from "../common/taskLibContext.testing";
import { createVersion, latestVersion, nextVersion, type ModelScope } from "./versioning";

const SUB = "00000000-0000-0000-0000-0000000000ee";
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };
const testLoc = taskLoc("RegisterModelV1");

describe("RegisterModel versioning", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;
  let log: MemoryLog;
  const uri = (n: string) => `azureml://datastores/workspaceblobstore/paths/m/${n}/`;

  function scope(httpClient: HttpClient = h.httpClient()): ModelScope {
    const client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: h.baseUrl, httpClient, retryOptions: { maxRetries: 0 } });
    return {
      ml: client,
      resourceGroupName: "ml_rg",
      workspaceName: "ml_workspace",
      modelName: "churn",
      abortSignal: new AbortController().signal,
      loc: testLoc,
      log,
    };
  }

  beforeEach(() => {
    h = new RouterHarness();
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, "ml_rg");
    log = new MemoryLog();
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  it("starts a new model at 1 and continues after existing versions 1..N", async () => {
    assert.equal(await nextVersion(scope()), "1");
    assert.equal(await latestVersion(scope()), undefined);
    for (const v of ["1", "2", "3", "4", "5"]) ml.seedAsset("models", "churn", v, { modelType: "custom_model", modelUri: uri(v) });
    assert.equal(await nextVersion(scope()), "6");
    const created = await createVersion(scope(), { modelType: "custom_model", modelUri: uri("new") });
    assert.equal(created.name, "6");
    assert.equal((await latestVersion(scope()))?.name, "6");
  });

  it("never overwrites an explicit version that exists", async () => {
    ml.seedAsset("models", "churn", "3", { modelType: "custom_model", modelUri: uri("3") });
    await assert.rejects(
      createVersion(scope(), { modelType: "custom_model", modelUri: uri("3") }, "3"),
      (e: Error) => e instanceof InputError && e.inputName === "version" && /'churn' version '3' already exists/.test(e.message),
    );
  });

  it("takes the next version when another registration wins the race for the one it chose", async () => {
    const base = h.httpClient();
    let raced = false;
    const racing: HttpClient = {
      sendRequest: async (request) => {
        if (!raced && request.method === "PUT" && /\/models\/churn\/versions\/1\?/.test(request.url)) {
          raced = true;
          // Another pipeline registers version 1 between our GET and our PUT.
          ml.seedAsset("models", "churn", "1", { modelType: "custom_model", modelUri: uri("theirs"), properties: { "mlops.registrationId": "someone-else" } });
        }
        return base.sendRequest(request);
      },
    };
    const created = await createVersion(scope(racing), { modelType: "custom_model", modelUri: uri("ours") });
    assert.equal(raced, true);
    assert.equal(created.name, "2");
    assert.equal(created.properties.modelUri, uri("ours"));
    assert.ok(log.lines.some((l) => /Version 1 of model 'churn' was just taken/.test(l)));
  });

  it("with an explicit version, losing the race is the same clear error", async () => {
    const base = h.httpClient();
    const racing: HttpClient = {
      sendRequest: async (request) => {
        if (request.method === "PUT") ml.seedAsset("models", "churn", "9", { modelType: "custom_model", modelUri: uri("theirs") });
        return base.sendRequest(request);
      },
    };
    await assert.rejects(
      createVersion(scope(racing), { modelType: "custom_model", modelUri: uri("ours") }, "9"),
      (e: Error) => e instanceof InputError && e.inputName === "version",
    );
  });
});

describe("RegisterModel lineage", () => {
  it("links the build and names the job", () => {
    const info = { buildId: "42", collectionUri: "https://dev.azure.com/org/", teamProject: "ml ops", repositoryName: "repo", sourceVersion: "abc" };
    assert.equal(buildUrl(info), "https://dev.azure.com/org/ml%20ops/_build/results?buildId=42");
    assert.equal(buildUrl({ ...info, collectionUri: "https://tfs.local/tfs/coll" }), "https://tfs.local/tfs/coll/ml%20ops/_build/results?buildId=42");
    assert.deepEqual(lineageProperties(info, { name: "job1", output: "model" }), {
      "devops.buildId": "42",
      "devops.buildUrl": "https://dev.azure.com/org/ml%20ops/_build/results?buildId=42",
      "devops.repository": "repo",
      "devops.sourceVersion": "abc",
      "mlops.jobName": "job1",
      "mlops.jobOutput": "model",
    });
    assert.deepEqual(lineageProperties({}), {});
  });
});
