/**
 * The emulator's HTTPS server: turns requests into EmuRequest, applies injected faults, matches
 * routes, checks api-version, the ARM bearer token, subscription, RBAC and resource group for
 * ARM routes, and sends EmuResponse back with x-ms-request-id / x-ms-correlation-request-id on
 * every answer. Every answer is written to the request log.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { EmuRequest, EmuResponse, Principal, Route, Router, World } from "./framework";
import { armError, invalidRequestContent } from "./framework";
import type { Faults } from "./faults";
import type { RequestLog } from "./requestLog";
import type { TokenIssuer } from "./tokens";

export interface ServerDeps {
  router: Router;
  world: World;
  faults: Faults;
  log: RequestLog;
  tokens: TokenIssuer;
  /** Audiences an ARM token may carry. */
  armAudiences: string[];
  /** Maps a token's appid to the principal (undefined: unknown client → 401). */
  principal: (clientId: string) => Principal | undefined;
  authorityUrl: () => string;
}

/** The control API's prefix: faults never apply to it (it must stay reachable) and it is not logged. */
const CONTROL_PREFIX = "/_control";

export class EmulatorServer {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private base = "";

  constructor(private readonly deps: ServerDeps) {}

  get baseUrl(): string {
    if (!this.base) throw new Error("the emulator server is not listening");
    return this.base;
  }

  listen(tls: { certPem: string; keyPem: string }, port = 0): Promise<string> {
    const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    // A client that drops the TLS handshake (or a reset fault) must not crash anything.
    server.on("tlsClientError", () => undefined);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        this.base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve(this.base);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const correlationId = header(req, "x-ms-correlation-request-id") ?? header(req, "x-ms-client-request-id") ?? header(req, "client-request-id") ?? requestId;
    const url = new URL(req.url ?? "/", this.base || "https://127.0.0.1");
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/\/+$/, "") || "/";
    } catch {
      path = url.pathname.replace(/\/+$/, "") || "/";
    }
    const method = (req.method ?? "GET").toUpperCase();
    const logEntry: { method: string; path: string; query: Record<string, string>; time: string; fault?: string } = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      time: "",
    };
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req);
    } catch {
      return;
    }
    const parsed = parseBody(req, rawBody);
    const body = parsed.ok ? parsed.value : undefined;

    // The control API's own traffic is neither logged nor subject to faults.
    const isControl = path.toLowerCase() === CONTROL_PREFIX || path.toLowerCase().startsWith(`${CONTROL_PREFIX}/`);
    const send = (r: EmuResponse, fault?: string) => {
      const headers: Record<string, string> = { "x-ms-request-id": requestId, "x-ms-correlation-request-id": correlationId, ...(r.headers ?? {}) };
      let payload: Buffer | undefined;
      if (r.body !== undefined) {
        if (Buffer.isBuffer(r.body)) payload = r.body;
        else if (typeof r.body === "string") payload = Buffer.from(r.body);
        else {
          payload = Buffer.from(JSON.stringify(r.body));
          if (!hasHeader(headers, "content-type")) headers["content-type"] = "application/json; charset=utf-8";
        }
        if (!hasHeader(headers, "content-type")) headers["content-type"] = "text/plain; charset=utf-8";
      }
      headers["content-length"] = String(payload?.length ?? 0);
      if (!isControl)
        this.deps.log.add({
          ...logEntry,
          status: r.status,
          time: new Date().toISOString(),
          ...(body !== undefined ? { body } : {}),
          ...(fault ? { fault } : {}),
        });
      if (res.destroyed) return;
      res.writeHead(r.status, headers);
      res.end(payload);
    };

    try {
      if (!isControl) {
        const fault = this.deps.faults.take(method, path);
        if (fault) {
          switch (fault.kind) {
            case "reset":
              this.deps.log.add({ ...logEntry, status: 0, time: new Date().toISOString(), fault: "reset" });
              req.socket.destroy();
              return;
            case "delay":
              logEntry.fault = "delay";
              await (fault.until ?? new Promise((r) => setTimeout(r, fault.delayMs ?? 1000)));
              break;
            case "throttle": {
              const seconds = fault.retryAfterSeconds ?? 1;
              return send(
                {
                  ...armError(429, "TooManyRequests", `The request is being throttled. Retry after ${seconds} seconds.`),
                  headers: { "retry-after": String(seconds) },
                },
                "throttle",
              );
            }
            case "500":
              return send(armError(500, "InternalServerError", "Encountered internal server error. Diagnostic information: emulator fault injection."), "500");
            case "503":
              return send(armError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later."), "503");
          }
        }
      }

      const match = this.deps.router.match(method, path);
      if (!match) {
        if (this.deps.router.hasPath(path)) {
          const allow = ["GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"].filter((m) => this.deps.router.match(m, path));
          return send({
            ...armError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`),
            headers: { allow: allow.join(", ") },
          });
        }
        return send(armError(404, "NotFound", `No HTTP resource was found that matches the request URI '${url.pathname}'.`));
      }
      const emuReq: EmuRequest = { method, url, path, query: url.searchParams, headers: req.headers, rawBody, body, params: match.params, requestId };
      if (match.route.options.auth === "arm") {
        const denied = this.armChecks(match.route, emuReq);
        if (denied) return send(denied);
      }
      if (!parsed.ok) return send(invalidRequestContent(`The request content was invalid and could not be deserialized: ${parsed.error}`));
      send(await match.route.handler(emuReq));
    } catch (e) {
      try {
        send(armError(500, "InternalServerError", `The emulator failed to handle the request: ${(e as Error).message}`));
      } catch {
        res.destroy();
      }
    }
  }

  /** Token → api-version → subscription → RBAC → resource group; an ARM error answer or undefined. */
  private armChecks(route: Route, req: EmuRequest): EmuResponse | undefined {
    const auth = header2(req.headers.authorization);
    if (!auth) return this.unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) return this.unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.");
    const result = this.deps.tokens.verify(m[1], this.deps.armAudiences);
    if (!result.ok) {
      switch (result.reason) {
        case "expired": {
          const exp = typeof result.claims?.exp === "number" ? new Date(result.claims.exp * 1000).toISOString() : "(none)";
          return this.unauthorized(
            "ExpiredAuthenticationToken",
            `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date().toISOString()}'.`,
            "The access token has expired.",
          );
        }
        case "audience":
          return this.unauthorized(
            "InvalidAuthenticationTokenAudience",
            `The access token has been obtained for wrong audience or resource '${String(result.claims?.aud)}'. It should exactly match with one of the allowed audiences '${this.deps.armAudiences.join("', '")}'.`,
          );
        default:
          return this.unauthorized("InvalidAuthenticationToken", "The access token is invalid.");
      }
    }
    const appid = typeof result.claims.appid === "string" ? result.claims.appid : "";
    const principal = this.deps.principal(appid);
    if (!principal || result.claims.tid !== this.deps.world.tenantId)
      return this.unauthorized("InvalidAuthenticationToken", "The access token is from an unknown client or tenant.");
    req.principal = principal;

    const version = req.query.get("api-version");
    if (!version && !route.options.noApiVersion)
      return armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    const supported = route.options.apiVersions;
    if (version && supported && !supported.includes(version)) {
      return armError(400, "InvalidApiVersionParameter", `The api-version '${version}' is invalid. The supported versions are '${supported.join(",")}'.`);
    }
    const { subscriptionId, resourceGroupName } = req.params;
    if (subscriptionId !== undefined && !this.deps.world.subscription(subscriptionId)) {
      return armError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    }
    const action = route.options.action!;
    // A data-plane path (/mlflow/v1.0/subscriptions/...) is checked at the ARM scope it names.
    const scope = route.options.rbacScope?.(req) ?? (route.options.noApiVersion ? req.path.replace(/^.*?(?=\/subscriptions\/)/i, "") : req.path);
    if (!this.deps.world.isAllowed(principal, action, scope)) {
      return armError(
        403,
        "AuthorizationFailed",
        `The client '${principal.clientId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
    if (subscriptionId !== undefined && resourceGroupName !== undefined && !this.deps.world.resourceGroup(subscriptionId, resourceGroupName)) {
      return armError(404, "ResourceGroupNotFound", `Resource group '${resourceGroupName}' could not be found.`);
    }
    return undefined;
  }

  private unauthorized(code: string, message: string, description = message): EmuResponse {
    const challenge = `Bearer authorization_uri="${this.deps.authorityUrl()}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`;
    return { ...armError(401, code, message), headers: { "www-authenticate": challenge } };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON (by content type, or untyped bodies that parse), form fields, else undefined. */
function parseBody(req: IncomingMessage, raw: Buffer): Parsed {
  if (raw.length === 0) return { ok: true, value: undefined };
  const type = (header(req, "content-type") ?? "").toLowerCase();
  const text = raw.toString("utf8");
  if (type.includes("application/x-www-form-urlencoded")) return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  if (type.includes("json")) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  if (!type) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: true, value: undefined };
    }
  }
  return { ok: true, value: undefined };
}

function header(req: IncomingMessage, name: string): string | undefined {
  return header2(req.headers[name]);
}

function header2(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
