/**
 * The HTTPS server's ARM behaviour with the real arm-machinelearning client and raw requests:
 * bearer-token checks (missing, invalid, wrong audience, expired → refresh), RBAC 403,
 * SubscriptionNotFound / ResourceGroupNotFound, api-version, malformed and nonconforming bodies,
 * 404/405 for unknown routes, and x-ms-request-id on every answer.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startEmulator, type Emulator } from "./index";
import { armToken, credential, mlClient, raw, workspacePath } from "./testing";

const API = "api-version=2022-10-01";

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
}

describe("emulator: ARM front door (tokens, RBAC, errors, request ids)", function () {
  this.timeout(30000);
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ azurite: false });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(() => emu.reset());

  it("401 without a token, with a malformed or foreign token, and with a token for another audience", async () => {
    const path = `${workspacePath(emu)}?${API}`;
    const none = await raw(emu, "GET", path);
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, "AuthenticationFailed");
    assert.match(String(none.headers["www-authenticate"]), /^Bearer authorization_uri=/);
    const garbage = await raw(emu, "GET", path, { headers: { authorization: "Bearer abc.def.ghi" } });
    assert.equal(garbage.json.error.code, "InvalidAuthenticationToken");
    const storage = (await credential(emu, "secret").getToken("https://storage.azure.com/.default"))!.token;
    const wrongAud = await raw(emu, "GET", path, { headers: { authorization: `Bearer ${storage}` } });
    assert.equal(wrongAud.status, 401);
    assert.equal(wrongAud.json.error.code, "InvalidAuthenticationTokenAudience");
    // A token signed by another emulator instance is not accepted here.
    const other = await startEmulator({ azurite: false });
    try {
      const foreign = await armToken(other, credential(other, "secret"));
      const res = await raw(emu, "GET", path, { headers: { authorization: `Bearer ${foreign}` } });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, "InvalidAuthenticationToken");
    } finally {
      await other.stop();
    }
  });

  it("403 AuthorizationFailed naming principal, action and scope after revokeRoles; Reader may read but not write", async () => {
    const id = emu.identities.secret;
    const client = mlClient(emu, credential(emu, "secret"), { maxRetries: 0 });
    assert.equal((await client.workspaces.get(emu.resourceGroupName, "ml_workspace")).name, "ml_workspace");
    emu.world.revokeRoles(id.clientId);
    const err = await client.workspaces.get(emu.resourceGroupName, "ml_workspace").then(
      () => assert.fail("expected 403"),
      (e: RestErrorLike) => e,
    );
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "AuthorizationFailed");
    assert.ok(err.message.includes(`'${id.clientId}'`) && err.message.includes(`'${id.objectId}'`));
    assert.ok(err.message.includes("'Microsoft.MachineLearningServices/workspaces/read'"));
    assert.ok(err.message.includes(`over scope '${workspacePath(emu)}'`));

    emu.world.assignRole({ principalId: id.clientId, role: "Reader", scope: `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}` });
    assert.equal((await client.workspaces.get(emu.resourceGroupName, "ml_workspace")).name, "ml_workspace");
    await assert.rejects(
      client.modelVersions.createOrUpdate(emu.resourceGroupName, "ml_workspace", "m", "1", {
        properties: { modelUri: "azureml://datastores/workspaceblobstore/paths/m/" },
      }),
      (e: RestErrorLike) => e.statusCode === 403 && e.code === "AuthorizationFailed" && /workspaces\/models\/versions\/write/i.test(e.message),
    );
  });

  it("404 SubscriptionNotFound and ResourceGroupNotFound with the ARM error body", async () => {
    const cred = credential(emu, "certificate");
    const otherSub = randomUUID();
    await assert.rejects(
      mlClient(emu, cred, { subscriptionId: otherSub, maxRetries: 0 }).workspaces.get(emu.resourceGroupName, "ml_workspace"),
      (e: RestErrorLike) => e.statusCode === 404 && e.code === "SubscriptionNotFound" && e.message.includes(otherSub),
    );
    await assert.rejects(
      mlClient(emu, cred, { maxRetries: 0 }).workspaces.get("no_such_rg", "ml_workspace"),
      (e: RestErrorLike) => e.statusCode === 404 && e.code === "ResourceGroupNotFound" && e.message === "Resource group 'no_such_rg' could not be found.",
    );
    await assert.rejects(
      mlClient(emu, cred, { maxRetries: 0 }).workspaces.get(emu.resourceGroupName, "no_such_ws"),
      (e: RestErrorLike) => e.statusCode === 404 && e.code === "ResourceNotFound",
    );
  });

  it("lists and gets resource groups (the classic editor's pick list); a missing one is 404", async () => {
    const headers = { authorization: `Bearer ${await armToken(emu, credential(emu, "secret"))}` };
    const base = `/subscriptions/${emu.subscriptionId}/resourcegroups`;
    const list = await raw(emu, "GET", `${base}?api-version=2021-04-01`, { headers });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.value.map((g: { name: string }) => g.name),
      [emu.resourceGroupName],
    );
    const one = await raw(emu, "GET", `${base}/${emu.resourceGroupName}?api-version=2021-04-01`, { headers });
    assert.equal(one.json.id, `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}`);
    const missing = await raw(emu, "GET", `${base}/nope?api-version=2021-04-01`, { headers });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "ResourceGroupNotFound");
  });

  it("400 for a malformed JSON body, a nonconforming body, and a missing or unsupported api-version", async () => {
    const token = await armToken(emu, credential(emu, "secret"));
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const path = `${workspacePath(emu, "/models/m/versions/1")}?${API}`;
    const malformed = await raw(emu, "PUT", path, { headers, body: '{"properties": {"modelUri": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, "InvalidRequestContent");
    assert.match(malformed.json.error.message, /could not be deserialized/);
    const nonconforming = await raw(emu, "PUT", path, { headers, body: JSON.stringify({ properties: { modelUri: 42 } }) });
    assert.equal(nonconforming.status, 400);
    assert.ok(nonconforming.json.error.code);
    assert.equal(
      emu.requests.filter("PUT", /models\/m\/versions\/1$/).every((r) => r.status === 400),
      true,
    );
    // Nothing was created by either request.
    const get = await raw(emu, "GET", path, { headers });
    assert.equal(get.status, 404);

    const noVersion = await raw(emu, "GET", workspacePath(emu), { headers });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.json.error.code, "MissingApiVersionParameter");
    const badVersion = await raw(emu, "GET", `${workspacePath(emu)}?api-version=1999-01-01`, { headers });
    assert.equal(badVersion.status, 400);
    assert.equal(badVersion.json.error.code, "InvalidApiVersionParameter");
  });

  it("an expired token → 401 ExpiredAuthenticationToken; the SDK gets a fresh token by itself", async () => {
    const short = await startEmulator({ azurite: false, tokenLifetimeSeconds: 2 });
    try {
      const cred = credential(short, "secret");
      const token = await armToken(short, cred);
      const client = mlClient(short, cred, { maxRetries: 0 });
      assert.equal((await client.workspaces.get(short.resourceGroupName, "ml_workspace")).name, "ml_workspace");
      await new Promise((r) => setTimeout(r, 2200));
      const expired = await raw(short, "GET", `${workspacePath(short)}?${API}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(expired.status, 401);
      assert.equal(expired.json.error.code, "ExpiredAuthenticationToken");
      assert.match(expired.json.error.message, /^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/);
      assert.match(String(expired.headers["www-authenticate"]), /error="invalid_token"/);

      const tokensBefore = short.requests.filter("POST", /oauth2\/v2.0\/token$/).length;
      assert.equal((await client.workspaces.get(short.resourceGroupName, "ml_workspace")).name, "ml_workspace");
      assert.ok(short.requests.filter("POST", /oauth2\/v2.0\/token$/).length > tokensBefore, "a new token was requested");
      const armAnswers = short.requests.filter("GET", /workspaces\/ml_workspace$/);
      assert.deepEqual(
        armAnswers.map((r) => r.status),
        [200, 401, 200],
      );
    } finally {
      await short.stop();
    }
  });

  it("every answer carries x-ms-request-id and x-ms-correlation-request-id; unknown paths 404, wrong methods 405", async () => {
    const token = await armToken(emu, credential(emu, "secret"));
    const auth = { authorization: `Bearer ${token}` };
    const answers = await Promise.all([
      raw(emu, "GET", `${workspacePath(emu)}?${API}`, { headers: { ...auth, "x-ms-correlation-request-id": "corr-1" } }),
      raw(emu, "GET", `${workspacePath(emu)}?${API}`),
      raw(emu, "GET", "/no/such/route"),
      raw(emu, "PATCH", `/${emu.tenantId}/v2.0/.well-known/openid-configuration`),
      raw(emu, "POST", `/${emu.tenantId}/oauth2/v2.0/token`, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials",
      }),
      raw(emu, "POST", `${emu.devops.oidcRequestUri.replace(emu.url, "")}?api-version=7.1&serviceConnectionId=x`),
      raw(emu, "GET", "/msi/token"),
      raw(emu, "GET", "/_control/info"),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 401, 404, 405, 400, 401, 400, 200],
    );
    const ids = answers.map((a) => a.headers["x-ms-request-id"]);
    for (const [i, a] of answers.entries()) {
      assert.match(String(ids[i]), /^[0-9a-f-]{36}$/, `answer ${i} has x-ms-request-id`);
      assert.ok(a.headers["x-ms-correlation-request-id"], `answer ${i} has x-ms-correlation-request-id`);
    }
    assert.equal(new Set(ids).size, ids.length, "request ids are unique");
    assert.equal(answers[0].headers["x-ms-correlation-request-id"], "corr-1");
    assert.equal(answers[2].json.error.code, "NotFound");
    assert.equal(answers[3].json.error.code, "MethodNotAllowed");
    assert.match(String(answers[3].headers.allow), /GET/);
  });
});
