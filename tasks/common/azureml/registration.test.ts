import assert from "node:assert/strict";
import { RestError } from "@azure/core-rest-pipeline";
import { anonymousCodeBody, registerVersion, uploadedCodeUri, type VersionWrites } from "./registration";

const SCOPE = { subscriptionId: "s1", resourceGroupName: "rg1", workspaceName: "ws1" };
const WS = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";

/** Records each PUT and answers with `answer(name, version)`. */
function writes(answer: (name: string, version: string) => { id?: string }): VersionWrites<unknown, { id?: string }> & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    async createOrUpdate(rg, ws, name, version, body, options) {
      calls.push([rg, ws, name, version, body, options?.abortSignal]);
      return answer(name, version);
    },
  };
}

describe("registerVersion", () => {
  const abortSignal = new AbortController().signal;

  it("PUTs the version in the workspace and uses the id the service answered with", async () => {
    const ops = writes((name, version) => ({ id: `${WS}/environments/${name}/versions/${version}` }));
    const body = { properties: { image: "mcr.microsoft.com/x" } };
    const done = await registerVersion(ops, SCOPE, { collection: "environments", name: "env", version: "3" }, body, { abortSignal });
    assert.deepEqual(ops.calls, [["rg1", "ws1", "env", "3", body, abortSignal]]);
    assert.equal(done.id, `${WS}/environments/env/versions/3`);
    assert.equal(done.plannedId, done.id);
    assert.deepEqual(done.answer, { id: done.id });
  });

  it("keeps the service's id when it differs (a deduplicated anonymous component)", async () => {
    const other = `${WS}/components/azureml_anonymous/versions/older`;
    const done = await registerVersion(
      writes(() => ({ id: other })),
      SCOPE,
      { collection: "components", name: "azureml_anonymous", version: "new" },
      {},
      {
        abortSignal,
      },
    );
    assert.equal(done.id, other);
    assert.equal(done.plannedId, `${WS}/components/azureml_anonymous/versions/new`);
  });

  it("falls back to the planned id when the answer has none, spelled as the workspace id given", async () => {
    const answeredWs = "/subscriptions/s1/resourcegroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";
    const fromScope = await registerVersion(
      writes(() => ({})),
      SCOPE,
      { collection: "codes", name: "c", version: "1" },
      {},
      { abortSignal },
    );
    assert.equal(fromScope.id, `${WS}/codes/c/versions/1`);
    const fromId = await registerVersion(
      writes(() => ({})),
      SCOPE,
      { collection: "codes", name: "c", version: "1" },
      {},
      { abortSignal, workspaceId: answeredWs },
    );
    assert.equal(fromId.id, `${answeredWs}/codes/c/versions/1`);
  });

  it("lets the SDK's error through for the caller to describe", async () => {
    const ops: VersionWrites<unknown, { id?: string }> = {
      createOrUpdate: async () => {
        throw new RestError("denied", { statusCode: 403 });
      },
    };
    await assert.rejects(
      registerVersion(ops, SCOPE, { collection: "models", name: "m", version: "1" }, {}, { abortSignal }),
      (e: RestError) => e.statusCode === 403,
    );
  });
});

describe("anonymous code versions", () => {
  it("sends codeUri, isAnonymous and the content hash with its hash version", () => {
    assert.deepEqual(anonymousCodeBody("https://acct.blob.core.windows.net/c/LocalUpload/h/src", "abc"), {
      properties: {
        codeUri: "https://acct.blob.core.windows.net/c/LocalUpload/h/src",
        isAnonymous: true,
        properties: { hash_sha256: "abc", hash_version: "202208" },
      },
    });
  });

  it("joins the container URL and the upload path with one slash", () => {
    assert.equal(uploadedCodeUri("https://acct.blob.core.windows.net/c//", "LocalUpload/h/src"), "https://acct.blob.core.windows.net/c/LocalUpload/h/src");
    assert.equal(uploadedCodeUri("https://acct.blob.core.windows.net/c", "LocalUpload/h"), "https://acct.blob.core.windows.net/c/LocalUpload/h");
  });
});
