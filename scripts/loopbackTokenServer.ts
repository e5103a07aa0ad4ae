/**
 * A managed-identity endpoint on loopback (the App Service protocol: GET
 * `<IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=<resource>` with header `X-IDENTITY-HEADER`)
 * that answers with tokens from any TokenCredential — for a local run, the developer's own login
 * (Azure CLI, azd, VS Code, environment). The tasks only know service connection schemes, so a local
 * run gives them a ManagedServiceIdentity connection with IDENTITY_ENDPOINT / IDENTITY_HEADER
 * pointing here: the task code runs unchanged and signs in as the developer.
 *
 * It listens on 127.0.0.1 only and answers only requests that carry its random header.
 */
import type { TokenCredential } from "@azure/core-auth";
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackTokenServer {
  /** IDENTITY_ENDPOINT */
  identityEndpoint: string;
  /** IDENTITY_HEADER */
  identityHeader: string;
  /** How many tokens it handed out. */
  readonly tokensIssued: number;
  close(): Promise<void>;
}

const TOKEN_PATH = "/msi/token";

/** `https://management.azure.com/` → `https://management.azure.com/.default`; `api://x` → `api://x/.default`. */
export function scopeForResource(resource: string): string {
  return resource.endsWith("/") ? `${resource}.default` : `${resource}/.default`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

export async function startLoopbackTokenServer(credential: TokenCredential): Promise<LoopbackTokenServer> {
  const identityHeader = randomBytes(24).toString("base64url");
  let tokensIssued = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const header = req.headers["x-identity-header"];
    if (req.method !== "GET" || url.pathname !== TOKEN_PATH) return send(res, 404, { message: "Not found." });
    if (typeof header !== "string" || !sameSecret(header, identityHeader))
      return send(res, 401, { message: "The X-IDENTITY-HEADER header is missing or not valid." });
    const resource = url.searchParams.get("resource");
    if (!resource) return send(res, 400, { message: "The 'resource' query parameter is required." });
    credential.getToken(scopeForResource(resource)).then(
      (token) => {
        if (!token) return send(res, 500, { message: `No token for ${resource}.` });
        tokensIssued++;
        send(res, 200, { access_token: token.token, expires_on: String(Math.floor(token.expiresOnTimestamp / 1000)), resource, token_type: "Bearer" });
      },
      (err: unknown) => send(res, 500, { message: `Your login could not give a token for ${resource}: ${err instanceof Error ? err.message : String(err)}` }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    identityEndpoint: `http://127.0.0.1:${port}${TOKEN_PATH}`,
    identityHeader,
    get tokensIssued() {
      return tokensIssued;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
