/**
 * Entra ID for the emulated tenant: OpenID discovery, JWKS, the v2.0 token endpoint
 * (client_credentials with a client secret, a certificate-signed client assertion, or a federated
 * assertion — an OIDC token from the emulator's Azure DevOps endpoint) and an App Service style
 * managed-identity endpoint (IDENTITY_ENDPOINT / X-IDENTITY-HEADER). Errors carry the AADSTS
 * codes and body shape the real service sends.
 */
import { randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, Router } from "./framework";
import type { Application, Directory } from "./directory";
import type { TokenIssuer } from "./tokens";
import { checkTimesAndAudience, decodeJwt, nowSeconds, trimSlash, verifyJwtSignature } from "./tokens";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const STORAGE_RESOURCE = "https://storage.azure.com";
export const MSI_PATH = "/msi/token";

export interface IdentityDeps {
  directory: Directory;
  /** Signs access tokens. */
  tokens: TokenIssuer;
  /** Signs Azure DevOps OIDC tokens (federated assertions are checked against it). */
  oidc: TokenIssuer;
  baseUrl: () => string;
  tokenLifetimeSeconds: () => number;
  identityHeader: string;
}

export function registerIdentityRoutes(router: Router, deps: IdentityDeps): void {
  const none = { auth: "none" as const };
  router.add("GET", "/:tenant/v2.0/.well-known/openid-configuration", (req) => openIdConfiguration(req, deps), none);
  router.add("GET", "/:tenant/discovery/v2.0/keys", (req) => withTenant(req, deps, () => ({ status: 200, body: deps.tokens.jwks() })), none);
  router.add("POST", "/:tenant/oauth2/v2.0/token", (req) => withTenant(req, deps, () => tokenEndpoint(req, deps)), none);
  router.add("GET", MSI_PATH, (req) => managedIdentityToken(req, deps), none);
}

// ---------------------------------------------------------------------------------------------
// Discovery

function openIdConfiguration(req: EmuRequest, deps: IdentityDeps): EmuResponse {
  return withTenant(req, deps, () => {
    const base = deps.baseUrl();
    const t = deps.directory.tenantId;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        issuer: `${base}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
        claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid", "azp"],
        kerberos_endpoint: `${base}/${t}/kerberos`,
        tenant_region_scope: "EU",
        cloud_instance_name: "emulator.local",
        cloud_graph_host_name: "graph.emulator.local",
        msgraph_host: "graph.emulator.local",
        rbac_url: "https://pas.emulator.local",
      },
    };
  });
}

function withTenant(req: EmuRequest, deps: IdentityDeps, then: () => EmuResponse): EmuResponse {
  if (req.params.tenant.toLowerCase() !== deps.directory.tenantId.toLowerCase()) {
    return aadError(
      req,
      400,
      "invalid_request",
      90002,
      `Tenant '${req.params.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  return then();
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

function tokenEndpoint(req: EmuRequest, deps: IdentityDeps): EmuResponse {
  const form = formFields(req);
  if (!form) return aadError(req, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  const grant = form.grant_type;
  if (!grant) return aadError(req, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grant !== "client_credentials") return aadError(req, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grant}'.`);
  const clientId = form.client_id;
  if (!clientId) return aadError(req, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  const scope = form.scope;
  if (!scope) return aadError(req, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  const scopes = scope.split(/\s+/).filter((s) => s && !["openid", "profile", "offline_access"].includes(s));
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
    return aadError(
      req,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const resource = scopes[0].slice(0, -"/.default".length);
  const app = deps.directory.application(clientId);
  if (!app) {
    return aadError(
      req,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${deps.directory.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const failure = form.client_secret !== undefined ? checkSecret(req, app, form.client_secret) : checkAssertion(req, deps, app, form);
  if (failure) return failure;
  if (!deps.directory.resources.has(trimSlash(resource).toLowerCase())) {
    return aadError(
      req,
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${deps.directory.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const lifetime = deps.tokenLifetimeSeconds();
  const accessToken = issueAccessToken(deps, { clientId: app.clientId, objectId: app.objectId }, resource, lifetime);
  return { status: 200, headers: noStore(), body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken } };
}

function checkSecret(req: EmuRequest, app: Application, secret: string): EmuResponse | undefined {
  if (app.secrets.includes(secret)) return undefined;
  return aadError(
    req,
    401,
    "invalid_client",
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
  );
}

function checkAssertion(req: EmuRequest, deps: IdentityDeps, app: Application, form: Record<string, string>): EmuResponse | undefined {
  const assertion = form.client_assertion;
  if (!assertion) {
    return aadError(req, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (form.client_assertion_type !== JWT_BEARER) {
    return aadError(
      req,
      400,
      "invalid_request",
      50027,
      `The client_assertion_type '${form.client_assertion_type ?? ""}' is not supported; use '${JWT_BEARER}'.`,
    );
  }
  const jwt = decodeJwt(assertion);
  if (!jwt) return aadError(req, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
  const { claims, header } = jwt;
  const times = checkTimesAndAudience(claims);
  if (!times.ok) {
    const fmt = (s: unknown) => (typeof s === "number" ? new Date(s * 1000).toISOString() : "(none)");
    return aadError(
      req,
      400,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, assertion valid from ${fmt(claims.nbf)}, expiry time of assertion ${fmt(claims.exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  const thumbprint = typeof header["x5t#S256"] === "string" ? { s256: header["x5t#S256"] } : typeof header.x5t === "string" ? { s1: header.x5t } : undefined;
  if (thumbprint) {
    // A client assertion signed with the application's certificate.
    if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
      return aadError(
        req,
        401,
        "invalid_client",
        700021,
        `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      );
    }
    const expectedAud = `${deps.baseUrl()}/${deps.directory.tenantId}/oauth2/v2.0/token`;
    if (typeof claims.aud !== "string" || trimSlash(claims.aud).toLowerCase() !== expectedAud.toLowerCase()) {
      return aadError(
        req,
        401,
        "invalid_client",
        700025,
        `Client assertion audience claim does not match Realm issuer. Expected audience '${expectedAud}', found '${String(claims.aud)}'.`,
      );
    }
    const cert = app.certificates.find((c) => ("s256" in thumbprint ? c.x5tS256 === thumbprint.s256 : c.x5t === thumbprint.s1));
    if (!cert) {
      return aadError(
        req,
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${"s256" in thumbprint ? thumbprint.s256 : thumbprint.s1}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
      );
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      return aadError(
        req,
        401,
        "invalid_client",
        700027,
        "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
      );
    }
    return undefined;
  }
  // A federated assertion: an OIDC token from the emulator's Azure DevOps endpoint.
  if (!verifyJwtSignature(jwt, deps.oidc.publicKey) || jwt.header.kid !== deps.oidc.kid) {
    return aadError(req, 401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The key was not found.]");
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
  const match = app.federatedCredentials.find((f) => f.issuer === claims.iss && f.subject === claims.sub && f.audiences.some((a) => audiences.includes(a)));
  if (!match) {
    return aadError(
      req,
      400,
      "invalid_client",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims.iss)}'. Assertion Subject: '${String(claims.sub)}'. Assertion Audience: '${audiences.join(",")}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
  }
  return undefined;
}

/** Mints an access token: aud = the resource; the v1 issuer for storage (what Azurite accepts). */
export function issueAccessToken(
  deps: Pick<IdentityDeps, "tokens" | "baseUrl" | "directory">,
  who: { clientId: string; objectId: string },
  resource: string,
  lifetimeSeconds: number,
): string {
  const tenant = deps.directory.tenantId;
  const isStorage = trimSlash(resource).toLowerCase() === STORAGE_RESOURCE;
  return deps.tokens.issue(
    {
      aud: trimSlash(resource),
      iss: isStorage ? `https://sts.windows.net/${tenant}/` : `${deps.baseUrl()}/${tenant}/v2.0`,
      tid: tenant,
      oid: who.objectId,
      sub: who.objectId,
      appid: who.clientId,
      azp: who.clientId,
      idtyp: "app",
      ver: isStorage ? "1.0" : "2.0",
    },
    lifetimeSeconds,
  );
}

// ---------------------------------------------------------------------------------------------
// Managed identity (App Service protocol, api-version 2019-08-01)

function managedIdentityToken(req: EmuRequest, deps: IdentityDeps): EmuResponse {
  const header = req.headers["x-identity-header"];
  if (header === undefined) return miError(400, "The X-IDENTITY-HEADER header is required.");
  if (header !== deps.identityHeader) return miError(401, "The X-IDENTITY-HEADER header is not valid.");
  const version = req.query.get("api-version");
  if (version !== "2019-08-01") return miError(400, `api-version '${version ?? ""}' is not supported; use 2019-08-01.`);
  const resource = req.query.get("resource");
  if (!resource) return miError(400, "The 'resource' query parameter is required.");
  const wanted = req.query.get("client_id") ?? req.query.get("object_id") ?? req.query.get("principal_id");
  const identities = [...deps.directory.managedIdentities.values()];
  const mi = wanted
    ? identities.find((m) => m.clientId.toLowerCase() === wanted.toLowerCase() || m.objectId.toLowerCase() === wanted.toLowerCase())
    : identities[0];
  if (!mi) return miError(400, `No managed identity found for '${wanted ?? "(system-assigned)"}'.`);
  if (!deps.directory.resources.has(trimSlash(resource).toLowerCase())) return miError(400, `The resource '${resource}' is not known in this tenant.`);
  const lifetime = deps.tokenLifetimeSeconds();
  const accessToken = issueAccessToken(deps, mi, resource, lifetime);
  return {
    status: 200,
    headers: noStore(),
    body: { access_token: accessToken, expires_on: String(nowSeconds() + lifetime), resource, token_type: "Bearer", client_id: mi.clientId },
  };
}

function miError(status: number, message: string): EmuResponse {
  return { status, body: { statusCode: status, message, correlationId: randomUUID() } };
}

// ---------------------------------------------------------------------------------------------

function formFields(req: EmuRequest): Record<string, string> | undefined {
  const body = req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (typeof v === "string") out[k] = v;
  return out;
}

function noStore(): Record<string, string> {
  return { "cache-control": "no-store, no-cache", pragma: "no-cache" };
}

/** The AADSTS error body: {error, error_description, error_codes, timestamp, trace_id, correlation_id}. */
export function aadError(req: EmuRequest, status: number, error: string, code: number, message: string): EmuResponse {
  const traceId = req.requestId;
  const correlationId = req.query.get("client-request-id") ?? headerValue(req, "client-request-id") ?? randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    status,
    headers: { "x-ms-ests-server": "emulator" },
    body: {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

function headerValue(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
