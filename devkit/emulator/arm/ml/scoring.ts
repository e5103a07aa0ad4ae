/**
 * The inference gateway of online endpoints: `POST /_inference/<endpoint>/score` and
 * `GET /_inference/<endpoint>/swagger.json` (an endpoint's `scoringUri` / `swaggerUri`).
 *
 * Auth: `Authorization: Bearer <primary or secondary key>` (auth mode Key) or an AML token from
 * the endpoint's `token` operation (auth mode AMLToken); anything else is 401. Routing: the
 * `azureml-model-deployment` header names the deployment (any traffic, even 0); otherwise the
 * traffic map decides, by smooth weighted round-robin (90/10 → 9 of 10 requests to the first).
 * No deployment with positive traffic → 404; a deployment not (yet) serving → 502. The answer
 * carries `azureml-model-deployment` naming the deployment that answered.
 * Evidence for the header: Microsoft Learn, "Perform safe rollout of new deployments for real-time
 * inference" (https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints:
 * the green deployment is tested in isolation while it has no live traffic); Azure/azureml-examples
 * cli/deploy-safe-rollout-online-endpoints.sh (`az ml online-endpoint invoke --deployment green`
 * before any traffic moves); the SDK behind that command sends the deployment in this header
 * (Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/azure/ai/ml/constants/_endpoint.py,
 * EndpointInvokeFields.MODEL_DEPLOYMENT = "azureml-model-deployment").
 * Every scoring request is kept in `served` (which deployment answered and whether the header or
 * the traffic map chose it), so tests can show which deployment received live traffic.
 *
 * What a deployment answers is its scoring rule: by default the sum of each row of
 * `{"data": [[...numbers]]}` (also `input_data`/`inputs`, MLflow-style) — a small "model" with a
 * meaningful answer; tests set others with `setScoringRule`.
 */
import { timingSafeEqual } from "node:crypto";
import type { EmuRequest, EmuResponse } from "../../framework";
import { isRecord } from "./common";
import type { EndpointService } from "./endpoints";
import { INFERENCE_PATH } from "./endpoints";
import type { DeploymentRecord, EndpointRecord, MlService, WorkspaceState } from "./state";

export interface ScoringRequest {
  endpoint: string;
  deployment: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  body: unknown;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface ScoringResult {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One scoring request as routed: `routedBy` "header" (azureml-model-deployment) or "traffic" (live traffic). */
export interface ServedScoring {
  endpoint: string;
  deployment?: string;
  routedBy: "header" | "traffic";
  status: number;
  time: string;
}

export type ScoringRule =
  | ((request: ScoringRequest) => ScoringResult | Promise<ScoringResult>)
  | { kind: "sum" }
  | { kind: "echo" }
  | { kind: "linear"; weights: number[]; bias?: number }
  | { kind: "error"; status: number; message: string };

export class ScoringService {
  /** Rules by "<endpoint>" or "<endpoint>/<deployment>" (lower case). */
  readonly rules = new Map<string, ScoringRule>();
  /** The scoring requests answered, oldest first. */
  readonly served: ServedScoring[] = [];

  constructor(
    private readonly ml: MlService,
    private readonly endpoints: EndpointService,
  ) {}

  reset(): void {
    this.rules.clear();
    this.served.length = 0;
  }

  register(): void {
    this.ml.ctx.router.add("POST", `${INFERENCE_PATH}/:endpoint/score`, (req) => this.score(req), { auth: "none" });
    this.ml.ctx.router.add("GET", `${INFERENCE_PATH}/:endpoint/swagger.json`, (req) => this.swagger(req), { auth: "none" });
  }

  private authorize(req: EmuRequest, ws: WorkspaceState, e: EndpointRecord): EmuResponse | undefined {
    const header = req.headers.authorization;
    const m = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    const unauthorized = (message: string): EmuResponse => ({
      status: 401,
      headers: { "WWW-Authenticate": 'Bearer realm="azureml"' },
      body: { error: { code: "Unauthorized", message } },
    });
    if (!m) return unauthorized(`The request to endpoint '${e.name}' has no 'Authorization: Bearer <key or token>' header.`);
    const presented = m[1];
    if (e.properties.authMode === "Key") {
      if (safeEqual(presented, e.primaryKey) || safeEqual(presented, e.secondaryKey)) return undefined;
      return unauthorized(`The key presented to endpoint '${e.name}' is not valid.`);
    }
    const token = this.endpoints.tokens.get(presented);
    if (token && token.endpointKey === this.endpoints.endpointKey(ws, e) && token.expiresAtMs > Date.now()) return undefined;
    return unauthorized(`The token presented to endpoint '${e.name}' is not valid or has expired.`);
  }

  private async score(req: EmuRequest): Promise<EmuResponse> {
    const response = await this.route(req);
    const named = req.headers["azureml-model-deployment"];
    const answered = response.headers?.["azureml-model-deployment"];
    this.served.push({
      endpoint: req.params.endpoint,
      ...(answered ? { deployment: answered } : {}),
      routedBy: typeof named === "string" && named ? "header" : "traffic",
      status: response.status,
      time: new Date().toISOString(),
    });
    return response;
  }

  private async route(req: EmuRequest): Promise<EmuResponse> {
    const found = this.endpoints.findEndpoint(req.params.endpoint);
    if (!found || found.endpoint.provisioningState === "Deleting") {
      return { status: 404, body: { error: { code: "EndpointNotFound", message: `Endpoint '${req.params.endpoint}' was not found.` } } };
    }
    const { ws, endpoint } = found;
    const denied = this.authorize(req, ws, endpoint);
    if (denied) return denied;

    const named = req.headers["azureml-model-deployment"];
    let deployment: DeploymentRecord | undefined;
    if (typeof named === "string" && named) {
      deployment = endpoint.deployments.get(named.toLowerCase());
      if (!deployment)
        return { status: 404, body: { error: { code: "DeploymentNotFound", message: `Deployment '${named}' was not found on endpoint '${endpoint.name}'.` } } };
    } else {
      deployment = pickByTraffic(endpoint);
      if (!deployment) {
        return {
          status: 404,
          body: {
            error: {
              code: "NoValidDeployments",
              message:
                "No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.",
            },
          },
        };
      }
    }
    const serving = ["Succeeded", "Updating", "Scaling"].includes(deployment.provisioningState);
    const headers = { "azureml-model-deployment": deployment.name, "x-request-id": req.requestId, "x-ms-run-function-failed": "False" };
    if (!serving) {
      return {
        status: 502,
        headers: { ...headers, "x-ms-run-function-failed": "True" },
        body: { error: { code: "BadGateway", message: `Deployment '${deployment.name}' is not serving (provisioningState ${deployment.provisioningState}).` } },
      };
    }
    const body = req.body !== undefined ? req.body : parseJson(req.rawBody);
    const rule = this.rules.get(`${endpoint.name}/${deployment.name}`.toLowerCase()) ?? this.rules.get(endpoint.name.toLowerCase()) ?? { kind: "sum" };
    let result: ScoringResult;
    try {
      result = await apply(rule, { endpoint: endpoint.name, deployment: deployment.name, body, rawBody: req.rawBody, headers: req.headers });
    } catch (err) {
      deployment.logs.inferenceServer.push(`${new Date().toISOString()} | ERROR | Encountered Exception: ${err instanceof Error ? err.message : String(err)}`);
      return {
        status: 502,
        headers: { ...headers, "x-ms-run-function-failed": "True" },
        body: { error: { code: "ScoringFailed", message: "An unexpected error occurred in scoring script." } },
      };
    }
    const status = result.status ?? 200;
    deployment.logs.inferenceServer.push(`${new Date().toISOString()} | INFO | ${status} | POST /score`);
    return {
      status,
      headers: { "content-type": "application/json", ...headers, ...(result.headers ?? {}) },
      body: typeof result.body === "string" ? result.body : JSON.stringify(result.body),
    };
  }

  private swagger(req: EmuRequest): EmuResponse {
    const found = this.endpoints.findEndpoint(req.params.endpoint);
    if (!found) return { status: 404, body: { error: { code: "EndpointNotFound", message: `Endpoint '${req.params.endpoint}' was not found.` } } };
    const denied = this.authorize(req, found.ws, found.endpoint);
    if (denied) return denied;
    return {
      status: 200,
      body: {
        swagger: "2.0",
        info: { title: found.endpoint.name, description: "API specification for the Azure Machine Learning service", version: "1.0" },
        schemes: ["https"],
        consumes: ["application/json"],
        produces: ["application/json"],
        paths: {
          "/score": {
            post: {
              description: "Run web service's model and get the prediction output",
              security: [{ Bearer: [] }],
              parameters: [
                {
                  name: "serviceInputPayload",
                  in: "body",
                  required: true,
                  schema: { type: "object", properties: { data: { type: "array", items: { type: "array", items: { type: "number" } } } } },
                },
              ],
              responses: { 200: { description: "OK", schema: { type: "array", items: { type: "number" } } } },
            },
          },
        },
        securityDefinitions: { Bearer: { type: "apiKey", name: "Authorization", in: "header" } },
      },
    };
  }
}

/** Smooth weighted round-robin over the deployments with positive traffic. */
function pickByTraffic(endpoint: EndpointRecord): DeploymentRecord | undefined {
  const traffic = (endpoint.properties.traffic as Record<string, number>) ?? {};
  const candidates = Object.entries(traffic)
    .filter(([, w]) => w > 0)
    .map(([name, w]) => ({ name, w, d: endpoint.deployments.get(name.toLowerCase()) }))
    .filter((c): c is { name: string; w: number; d: DeploymentRecord } => !!c.d);
  if (!candidates.length) return undefined;
  const total = candidates.reduce((s, c) => s + c.w, 0);
  let best: (typeof candidates)[number] | undefined;
  for (const c of candidates) {
    const current = (endpoint.routing.get(c.name) ?? 0) + c.w;
    endpoint.routing.set(c.name, current);
    if (!best || current > (endpoint.routing.get(best.name) ?? 0)) best = c;
  }
  endpoint.routing.set(best!.name, (endpoint.routing.get(best!.name) ?? 0) - total);
  return best!.d;
}

async function apply(rule: ScoringRule, request: ScoringRequest): Promise<ScoringResult> {
  if (typeof rule === "function") return rule(request);
  switch (rule.kind) {
    case "echo":
      return { body: request.body ?? null };
    case "error":
      return { status: rule.status, body: { error: { code: "ScoringError", message: rule.message } } };
    case "sum":
    case "linear": {
      const rows = numericRows(request.body);
      if (!rows) {
        return {
          status: 400,
          body: {
            error: { code: "BadRequest", message: 'Expected a JSON body {"data": [[number, ...], ...]} (or "input_data"/"inputs" with the same rows).' },
          },
        };
      }
      if (rule.kind === "sum") return { body: rows.map((r) => r.reduce((s, x) => s + x, 0)) };
      return { body: rows.map((r) => r.reduce((s, x, i) => s + x * (rule.weights[i] ?? 0), rule.bias ?? 0)) };
    }
  }
}

/** Rows of numbers from {data}, {input_data: {data}}, {input_data: [...]} or {inputs}. */
function numericRows(body: unknown): number[][] | undefined {
  if (!isRecord(body)) return undefined;
  let rows: unknown = body.data ?? body.inputs ?? body.input_data;
  if (isRecord(rows)) rows = rows.data;
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const out: number[][] = [];
  for (const row of rows) {
    const r = Array.isArray(row) ? row : [row];
    if (!r.every((x) => typeof x === "number" && Number.isFinite(x))) return undefined;
    out.push(r as number[]);
  }
  return out;
}

function parseJson(raw: Buffer): unknown {
  try {
    return raw.length ? JSON.parse(raw.toString("utf8")) : undefined;
  } catch {
    return undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
