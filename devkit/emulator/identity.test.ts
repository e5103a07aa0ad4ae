/**
 * Entra ID, managed identity and Azure DevOps OIDC endpoints driven by the real credentials of
 * @azure/identity and azure-devops-node-api over HTTPS, and the AADSTS error bodies.
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, X509Certificate } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import * as azdev from "azure-devops-node-api";
import { startEmulator, type Emulator } from "./index";
import { armToken, assertionCredential, credential, credentialOptions, managedIdentityEnv, mlClient, raw, withEnv } from "./testing";
import { decodeJwt, signJwt } from "./tokens";

/** A client assertion as MSAL builds it for a certificate, with the given key and times. */
function certificateAssertion(emu: Emulator, options: { signWith?: "registered" | "other"; expSecondsFromNow?: number } = {}): string {
  const pem = emu.identities.certificate.certificatePem;
  const der = new X509Certificate(pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"))).raw;
  const key = options.signWith === "other" ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : createPrivateKey(pem);
  const now = Math.floor(Date.now() / 1000);
  const exp = now + (options.expSecondsFromNow ?? 600);
  return signJwt(
    { alg: "RS256", typ: "JWT", "x5t#S256": createHash("sha256").update(der).digest("base64url") },
    {
      aud: `${emu.url}/${emu.tenantId}/oauth2/v2.0/token`,
      iss: emu.identities.certificate.clientId,
      sub: emu.identities.certificate.clientId,
      jti: randomUUID(),
      nbf: exp - 1200,
      exp,
    },
    key,
  );
}

/** The AADSTS error of a failed getToken: the credential's message carries the service's error_description. */
async function aadErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("expected getToken to fail");
}

describe("emulator: Entra ID, managed identity and Azure DevOps OIDC", function () {
  this.timeout(30000);
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ azurite: false });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(() => emu.reset());

  for (const kind of ["secret", "certificate", "federated", "managedIdentity"] as const) {
    it(`${kind}: the credential gets a token and ARM answers workspaces.get`, async () => {
      await withEnv(managedIdentityEnv(emu), async () => {
        const cred = credential(emu, kind);
        const ws = await mlClient(emu, cred).workspaces.get(emu.resourceGroupName, "ml_workspace");
        assert.equal(ws.name, "ml_workspace");
        const token = await armToken(emu, cred);
        const claims = decodeJwt(token)!.claims;
        assert.equal(claims.aud, "https://management.emulator.local");
        assert.equal(claims.tid, emu.tenantId);
        const id = emu.identities[kind];
        assert.equal(claims.appid, id.clientId);
        assert.equal(claims.oid, id.objectId);
      });
      if (kind === "federated") {
        const oidc = emu.requests.filter("POST", /\/oidctoken$/);
        assert.ok(oidc.length >= 1);
        assert.equal(oidc[0].query["api-version"], "7.1");
        assert.equal(oidc[0].query.serviceConnectionId, emu.identities.federated.serviceConnectionId);
      }
      if (kind === "managedIdentity") {
        const mi = emu.requests.filter("GET", /^\/msi\/token$/);
        assert.equal(mi[0].query["api-version"], "2019-08-01");
        assert.equal(mi[0].query.resource.replace(/\/$/, ""), emu.armAudience.replace(/\/$/, ""));
      }
    });
  }

  it("serves OpenID discovery with the fields MSAL reads, and JWKS", async () => {
    const res = await raw(emu, "GET", `/${emu.tenantId}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    for (const f of [
      "issuer",
      "token_endpoint",
      "authorization_endpoint",
      "jwks_uri",
      "end_session_endpoint",
      "response_types_supported",
      "subject_types_supported",
      "id_token_signing_alg_values_supported",
      "scopes_supported",
      "token_endpoint_auth_methods_supported",
      "claims_supported",
      "request_uri_parameter_supported",
      "http_logout_supported",
      "frontchannel_logout_supported",
      "cloud_instance_name",
      "tenant_region_scope",
    ]) {
      assert.ok(f in res.json, `missing ${f}`);
    }
    assert.equal(res.json.token_endpoint, `${emu.url}/${emu.tenantId}/oauth2/v2.0/token`);
    const keys = await raw(emu, "GET", new URL(res.json.jwks_uri).pathname);
    assert.equal(keys.json.keys[0].kty, "RSA");
    const unknown = await raw(emu, "GET", `/${randomUUID()}/v2.0/.well-known/openid-configuration`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error, "invalid_request");
    assert.deepEqual(unknown.json.error_codes, [90002]);
  });

  it("wrong client secret → 401 invalid_client AADSTS7000215 with the full error body", async () => {
    const res = await raw(emu, "POST", `/${emu.tenantId}/oauth2/v2.0/token?client-request-id=abc-123`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: emu.identities.secret.clientId,
        client_secret: "wrong",
        scope: `${emu.armAudience}.default`,
        grant_type: "client_credentials",
      }).toString(),
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, "invalid_client");
    assert.match(res.json.error_description, /^AADSTS7000215: Invalid client secret provided/);
    assert.deepEqual(res.json.error_codes, [7000215]);
    assert.equal(res.json.correlation_id, "abc-123");
    assert.equal(typeof res.json.trace_id, "string");
    assert.match(res.json.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.ok(res.headers["x-ms-request-id"]);

    const cred = new ClientSecretCredential(emu.tenantId, emu.identities.secret.clientId, "wrong-secret", credentialOptions(emu));
    assert.match(await aadErrorOf(cred.getToken(`${emu.armAudience}.default`)), /AADSTS7000215/);
  });

  it("unknown client → 400 unauthorized_client AADSTS700016", async () => {
    const unknown = randomUUID();
    const cred = new ClientSecretCredential(emu.tenantId, unknown, "x", credentialOptions(emu));
    const message = await aadErrorOf(cred.getToken(`${emu.armAudience}.default`));
    assert.match(message, /AADSTS700016: Application with identifier '[0-9a-f-]+' was not found in the directory/);
    const last = emu.requests.filter("POST", /oauth2\/v2.0\/token$/).pop()!;
    assert.equal(last.status, 400);
    assert.equal((last.body as Record<string, string>).client_secret, "***", "secrets are not kept in the request log");
  });

  it("a client assertion signed by a key other than the registered certificate's → AADSTS700027", async () => {
    const cred = assertionCredential(emu, emu.identities.certificate.clientId, async () => certificateAssertion(emu, { signWith: "other" }));
    assert.match(await aadErrorOf(cred.getToken(`${emu.armAudience}.default`)), /AADSTS700027: Client assertion failed signature validation/);
    const good = assertionCredential(emu, emu.identities.certificate.clientId, async () => certificateAssertion(emu));
    assert.ok((await good.getToken(`${emu.armAudience}.default`)).token);
  });

  it("an expired client assertion → AADSTS700024", async () => {
    const cred = assertionCredential(emu, emu.identities.certificate.clientId, async () => certificateAssertion(emu, { expSecondsFromNow: -60 }));
    assert.match(await aadErrorOf(cred.getToken(`${emu.armAudience}.default`)), /AADSTS700024: Client assertion is not within its valid time range/);
  });

  it("a federated assertion for another service connection → 400 invalid_client AADSTS70021", async () => {
    const other = randomUUID();
    const cred = credential(emu, "federated", { serviceConnectionId: other });
    const message = await aadErrorOf(cred.getToken(`${emu.armAudience}.default`));
    assert.match(message, /AADSTS70021: No matching federated identity record found for presented assertion/);
    assert.match(message, new RegExp(`sc://emulator-org/mlops/${other}`));
    const last = emu.requests.filter("POST", /oauth2\/v2.0\/token$/).pop()!;
    assert.equal(last.status, 400);
  });

  it("a federated assertion not issued by the emulator's DevOps endpoint is rejected", async () => {
    const forged = signJwt(
      { alg: "RS256", typ: "JWT", kid: "x" },
      {
        iss: `${emu.url}/_oidc/x`,
        aud: "api://AzureADTokenExchange",
        sub: "sc://emulator-org/mlops/mlops-federated",
        exp: Math.floor(Date.now() / 1000) + 600,
      },
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
    );
    const cred = assertionCredential(emu, emu.identities.federated.clientId, async () => forged);
    assert.match(await aadErrorOf(cred.getToken(`${emu.armAudience}.default`)), /AADSTS700027/);
  });

  it("azure-devops-node-api createOidcToken (OPTIONS location discovery, then POST) feeds a ClientAssertionCredential", async () => {
    const d = emu.devops;
    const connect = () => new azdev.WebApi(d.collectionUri, azdev.getBearerHandler(d.systemAccessToken), { cert: { caFile: emu.caCertPath } });
    let calls = 0;
    const cred = assertionCredential(emu, emu.identities.federated.clientId, async () => {
      calls++;
      const task = await connect().getTaskApi();
      const res = await task.createOidcToken({}, d.projectId, d.hostType, d.planId, d.jobId, emu.identities.federated.serviceConnectionId);
      return res.oidcToken!;
    });
    const ws = await mlClient(emu, cred).workspaces.get(emu.resourceGroupName, "ml_workspace");
    assert.equal(ws.name, "ml_workspace");
    assert.ok(calls >= 1);
    assert.ok(emu.requests.filter("OPTIONS", /^\/emulator-org\/_apis\/distributedtask$/).length >= 1);
    const post = emu.requests.filter("POST", /\/oidctoken$/)[0];
    assert.equal(post.status, 200);
    const oidc = decodeJwt(emu.secrets().find((s) => decodeJwt(s)?.claims.aud === "api://AzureADTokenExchange")!)!.claims;
    assert.equal(oidc.sub, "sc://emulator-org/mlops/mlops-federated");
    assert.ok(oidc.exp! - Math.floor(Date.now() / 1000) <= 600, "OIDC tokens are short-lived");

    const wrong = new azdev.WebApi(d.collectionUri, azdev.getBearerHandler("not-the-token"), { cert: { caFile: emu.caCertPath } });
    await assert.rejects(
      (await wrong.getTaskApi()).createOidcToken({}, d.projectId, d.hostType, d.planId, d.jobId, emu.identities.federated.serviceConnectionId),
      /TF400813/,
    );
  });

  it("managed identity: the X-IDENTITY-HEADER is checked; unknown client ids are refused", async () => {
    const mi = emu.identities.managedIdentity;
    const path = `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(emu.armAudience)}`;
    assert.equal((await raw(emu, "GET", path)).status, 400);
    assert.equal((await raw(emu, "GET", path, { headers: { "x-identity-header": "wrong" } })).status, 401);
    const okRes = await raw(emu, "GET", `${path}&client_id=${mi.clientId}`, { headers: { "x-identity-header": mi.identityHeader } });
    assert.equal(okRes.status, 200);
    assert.equal(okRes.json.token_type, "Bearer");
    assert.equal(okRes.json.client_id, mi.clientId);
    assert.match(okRes.json.expires_on, /^\d+$/);
    const other = await raw(emu, "GET", `${path}&client_id=${randomUUID()}`, { headers: { "x-identity-header": mi.identityHeader } });
    assert.equal(other.status, 400);
  });

  it("storage tokens carry the v1 issuer and the storage audience", async () => {
    const token = (await credential(emu, "secret").getToken("https://storage.azure.com/.default"))!.token;
    const claims = decodeJwt(token)!.claims;
    assert.equal(claims.aud, "https://storage.azure.com");
    assert.equal(claims.iss, `https://sts.windows.net/${emu.tenantId}/`);
    const msg = await aadErrorOf(credential(emu, "secret").getToken("https://management.azure.com/.default"));
    assert.match(msg, /AADSTS500011/);
  });
});
