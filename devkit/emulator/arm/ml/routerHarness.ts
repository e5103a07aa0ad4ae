/**
 * Test support: drives a module's routes through the framework `Router` without the HTTPS server
 * (route match, api-version check, JSON body, params), the way the server hands requests over.
 */
import { randomUUID } from "node:crypto";
import type { HttpClient, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { createHttpHeaders } from "@azure/core-rest-pipeline";
import type { BlobAccount, EmuResponse, EmulatorContext, EmulatorModule, Principal } from "../../framework";
import { Clock, Operations, Router, World } from "../../framework";

export interface HarnessOptions {
  timeScale?: number;
  blob?: BlobAccount;
  baseUrl?: string;
}

export interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Default "2022-10-01" on ARM routes; null to send none. */
  apiVersion?: string | null;
}

export class RouterHarness {
  readonly router = new Router();
  readonly world = new World(randomUUID());
  readonly clock: Clock;
  readonly operations: Operations;
  readonly ctx: EmulatorContext;
  readonly principal: Principal;
  readonly baseUrl: string;

  constructor(options: HarnessOptions = {}) {
    this.clock = new Clock(options.timeScale ?? 1000);
    this.operations = new Operations(this.clock);
    this.baseUrl = options.baseUrl ?? "https://127.0.0.1:4443";
    this.ctx = {
      router: this.router,
      world: this.world,
      clock: this.clock,
      operations: this.operations,
      baseUrl: () => this.baseUrl,
      blob: () => options.blob,
    };
    this.principal = { kind: "servicePrincipal", clientId: randomUUID(), objectId: randomUUID(), tenantId: this.world.tenantId, displayName: "tester" };
  }

  use(module: EmulatorModule): void {
    module.register(this.ctx);
  }

  /** Sends a request to the matching route; 404/405/400 like the server for what no route takes. */
  async call(method: string, pathOrUrl: string, options: CallOptions = {}): Promise<EmuResponse & { body: any }> {
    const url = new URL(pathOrUrl, this.baseUrl);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const path = decodeURIComponent(url.pathname).replace(/\/+$/, "");
    const m = this.router.match(method, path);
    if (!m) return { status: this.router.hasPath(path) ? 405 : 404, body: undefined };
    if (m.route.options.auth === "arm") {
      const version = options.apiVersion === undefined ? "2022-10-01" : options.apiVersion;
      if (version !== null && !url.searchParams.has("api-version")) url.searchParams.set("api-version", version);
      const v = url.searchParams.get("api-version");
      if (m.route.options.apiVersions && (!v || !m.route.options.apiVersions.includes(v))) {
        return { status: 400, body: { error: { code: "InvalidApiVersionParameter", message: `api-version '${v}' is not supported` } } };
      }
    }
    const raw = options.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
    let body: unknown;
    if (options.body !== undefined) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        body = undefined;
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    const res = await m.route.handler({
      method: method.toUpperCase(),
      url,
      path,
      query: url.searchParams,
      headers,
      rawBody: raw,
      body,
      params: m.params,
      principal: m.route.options.auth === "arm" ? this.principal : undefined,
      requestId: randomUUID(),
    });
    let resBody = res.body;
    if (typeof resBody === "string" && (res.headers?.["content-type"] ?? "").includes("json")) resBody = JSON.parse(resBody);
    return { ...res, body: resBody as any };
  }

  /** Polls until `predicate` holds (real time), failing after `timeoutMs`. */
  async until<T>(probe: () => T | Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
    const start = Date.now();
    for (;;) {
      const v = await probe();
      if (predicate(v)) return v;
      if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * An HttpClient for Azure SDK clients that hands their requests to the routes in-process (the
   * SDK's own pipeline, serializers and pollers run unchanged; only the socket is skipped).
   */
  httpClient(): HttpClient {
    return {
      sendRequest: async (request: PipelineRequest): Promise<PipelineResponse> => {
        const url = new URL(request.url);
        const text = typeof request.body === "string" ? request.body : undefined;
        const headers: Record<string, string> = {};
        for (const [k, v] of request.headers) headers[k] = v;
        const res = await this.call(request.method, url.pathname + url.search, { apiVersion: null, headers, ...(text !== undefined ? { body: text } : {}) });
        const out = createHttpHeaders({ "x-ms-request-id": randomUUID() });
        for (const [k, v] of Object.entries(res.headers ?? {})) out.set(k, v);
        let bodyAsText: string | undefined;
        if (res.body !== undefined) {
          bodyAsText = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
          if (!out.has("content-type")) out.set("content-type", "application/json; charset=utf-8");
        }
        return { request, status: res.status, headers: out, ...(bodyAsText !== undefined ? { bodyAsText } : {}) };
      },
    };
  }

  dispose(): void {
    this.operations.dispose();
  }
}
