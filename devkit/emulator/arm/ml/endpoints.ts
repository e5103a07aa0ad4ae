/**
 * Online endpoints and their deployments.
 *
 * Endpoints: list, get, PUT createOrUpdate (201 + Azure-AsyncOperation + Location, also on an
 * update), PATCH (tags and identity; 202 + Location), DELETE (202 + Azure-AsyncOperation +
 * Location; removes the deployments), listKeys, token, regenerateKeys (202 + Location).
 * As recorded (Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json):
 * the service adds `properties.properties["azureml.onlineendpointid"]` (the lower-cased id) and
 * `AzureAsyncOperationUri`, answers `mirrorTraffic` and `compute: null`, has no scoring URI while
 * Creating, and a PUT that changes the traffic answers 201 Updating with the OLD traffic: the new
 * one applies when the operation succeeds. A new deployment is `Updating` from its first answer.
 * Traffic must name existing deployments and total 0 or 100.
 * An endpoint with `compute` (a Kubernetes compute of the workspace) is a Kubernetes endpoint and
 * takes Kubernetes deployments only; without it, it is a managed endpoint.
 *
 * Deployments: list, get, PUT (201/200 + Azure-AsyncOperation), PATCH (tags, sku; 202 + Location),
 * DELETE (202 + Location; refused while the deployment has traffic), getLogs, skus.
 * A model, code or environment that does not exist is a synchronous 400 `UserError`; an instance
 * type the compute does not have fails the operation (`InferencingClientCreateDeploymentFailed`).
 * Another operation in progress on the same endpoint or deployment is 409 `Conflict`.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ArmErrorDetail, EmuRequest, EmuResponse, Operation } from "../../framework";
import { armError, checkBody } from "../../framework";
import { resolveAsset } from "./assets";
import { PROVIDER, bodyObject, clone, isRecord, ok, page, stampSystemData, trackedNotFound, userError, workspaceResourceId } from "./common";
import { resolveCompute } from "./computes";
import {
  deploymentLogsSchema,
  deploymentPatchSchema,
  endpointPatchSchema,
  onlineDeploymentSchema,
  onlineEndpointSchema,
  regenerateKeysSchema,
} from "./schemas";
import type { DeploymentRecord, EndpointRecord, MlService, WorkspaceState } from "./state";

const ACTION = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
const NAME = /^[a-zA-Z][-a-zA-Z0-9]{1,30}[a-zA-Z0-9]$/;
export const INFERENCE_PATH = "/_inference";

export interface OperationScript {
  /** Virtual duration of create/update/delete operations (default: endpoints 5000, deployments 20000). */
  durationMs?: number;
  /** Makes the next create/update operations fail with this error (and these container logs). */
  fail?: { code: string; message: string; logs?: string[] };
}

interface IssuedToken {
  endpointKey: string;
  expiresAtMs: number;
}

export class EndpointService {
  endpointScript: OperationScript = {};
  deploymentScript: OperationScript = {};
  /** AML tokens issued by POST token (scoring accepts them on AMLToken endpoints). */
  readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly ml: MlService) {}

  reset(): void {
    this.endpointScript = {};
    this.deploymentScript = {};
    this.tokens.clear();
  }

  /** Finds an endpoint by name in any workspace (endpoint names are unique per region). */
  findEndpoint(name: string): { ws: WorkspaceState; endpoint: EndpointRecord } | undefined {
    for (const ws of this.ml.workspaces.values()) {
      const endpoint = ws.endpoints.get(name.toLowerCase());
      if (endpoint) return { ws, endpoint };
    }
    return undefined;
  }

  endpointKey(ws: WorkspaceState, e: EndpointRecord): string {
    return `${workspaceResourceId(ws)}/onlineEndpoints/${e.name}`.toLowerCase();
  }

  register(): void {
    const ml = this.ml;
    ml.wsRoute("GET", "/onlineEndpoints", `${ACTION}/read`, (req, ws) => this.listEndpoints(req, ws));
    ml.wsRoute("GET", "/onlineEndpoints/:endpointName", `${ACTION}/read`, (req, ws) => {
      const e = ws.endpoints.get(req.params.endpointName.toLowerCase());
      return e ? ok(this.endpointBody(ws, e), 200, { ETag: endpointEtag(e) }) : noSuchEndpoint(req.params.endpointName, ws);
    });
    ml.wsRoute("PUT", "/onlineEndpoints/:endpointName", `${ACTION}/write`, (req, ws) => this.putEndpoint(req, ws));
    ml.wsRoute("PATCH", "/onlineEndpoints/:endpointName", `${ACTION}/write`, (req, ws) => this.patchEndpoint(req, ws));
    ml.wsRoute("DELETE", "/onlineEndpoints/:endpointName", `${ACTION}/delete`, (req, ws) => this.deleteEndpoint(req, ws));
    ml.wsRoute("POST", "/onlineEndpoints/:endpointName/listKeys", `${ACTION}/listKeys/action`, (req, ws) =>
      this.withEndpoint(req, ws, (e) => this.listKeys(e)),
    );
    ml.wsRoute("POST", "/onlineEndpoints/:endpointName/token", `${ACTION}/token/action`, (req, ws) => this.withEndpoint(req, ws, (e) => this.token(ws, e)));
    ml.wsRoute("POST", "/onlineEndpoints/:endpointName/regenerateKeys", `${ACTION}/regenerateKeys/action`, (req, ws) =>
      this.withEndpoint(req, ws, (e) => this.regenerateKeys(req, ws, e)),
    );

    const D = "/onlineEndpoints/:endpointName/deployments";
    const DA = `${ACTION}/deployments`;
    ml.wsRoute("GET", D, `${DA}/read`, (req, ws) => this.withEndpoint(req, ws, (e) => this.listDeployments(req, e, ws)));
    ml.wsRoute("GET", `${D}/:deploymentName`, `${DA}/read`, (req, ws) => this.withDeployment(req, ws, (e, d) => ok(this.deploymentBody(ws, e, d))));
    ml.wsRoute("PUT", `${D}/:deploymentName`, `${DA}/write`, (req, ws) => this.withEndpoint(req, ws, (e) => this.putDeployment(req, ws, e)));
    ml.wsRoute("PATCH", `${D}/:deploymentName`, `${DA}/write`, (req, ws) => this.withDeployment(req, ws, (e, d) => this.patchDeployment(req, ws, e, d)));
    ml.wsRoute("DELETE", `${D}/:deploymentName`, `${DA}/delete`, (req, ws) => this.withEndpoint(req, ws, (e) => this.deleteDeployment(req, ws, e)));
    ml.wsRoute("POST", `${D}/:deploymentName/getLogs`, `${DA}/getLogs/action`, (req, ws) => this.withDeployment(req, ws, (_e, d) => this.getLogs(req, d)));
    ml.wsRoute("GET", `${D}/:deploymentName/skus`, `${DA}/read`, (req, ws) => this.withDeployment(req, ws, (_e, d) => this.skus(req, d)));
  }

  // -------------------------------------------------------------------------------------------
  // Bodies

  endpointBody(ws: WorkspaceState, e: EndpointRecord): Record<string, unknown> {
    return {
      id: `${workspaceResourceId(ws)}/onlineEndpoints/${e.name}`,
      name: e.name,
      type: `${PROVIDER}/workspaces/onlineEndpoints`,
      location: e.location,
      kind: e.kind,
      tags: clone(e.tags),
      identity: clone(e.identity),
      ...(e.sku ? { sku: clone(e.sku) } : {}),
      properties: {
        compute: null,
        mirrorTraffic: {},
        ...clone(e.properties),
        provisioningState: e.provisioningState,
        scoringUri: e.provisioningState === "Creating" ? null : `${this.ml.ctx.baseUrl()}${INFERENCE_PATH}/${e.name}/score`,
        swaggerUri: e.provisioningState === "Creating" ? null : `${this.ml.ctx.baseUrl()}${INFERENCE_PATH}/${e.name}/swagger.json`,
        keys: null,
      },
      systemData: e.systemData,
    };
  }

  deploymentBody(ws: WorkspaceState, e: EndpointRecord, d: DeploymentRecord): Record<string, unknown> {
    return {
      id: `${workspaceResourceId(ws)}/onlineEndpoints/${e.name}/deployments/${d.name}`,
      name: d.name,
      type: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
      location: d.location,
      kind: d.kind,
      tags: clone(d.tags),
      ...(d.sku ? { sku: clone(d.sku) } : {}),
      ...(d.identity ? { identity: clone(d.identity) } : {}),
      properties: { ...clone(d.properties), provisioningState: d.provisioningState },
      systemData: d.systemData,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Endpoints

  private withEndpoint(req: EmuRequest, ws: WorkspaceState, fn: (e: EndpointRecord) => EmuResponse): EmuResponse {
    const e = ws.endpoints.get(req.params.endpointName.toLowerCase());
    return e ? fn(e) : noSuchEndpoint(req.params.endpointName, ws);
  }

  private withDeployment(req: EmuRequest, ws: WorkspaceState, fn: (e: EndpointRecord, d: DeploymentRecord) => EmuResponse): EmuResponse {
    return this.withEndpoint(req, ws, (e) => {
      const d = e.deployments.get(req.params.deploymentName.toLowerCase());
      return d ? fn(e, d) : trackedNotFound(`onlineEndpoints/${e.name}/deployments`, req.params.deploymentName, ws);
    });
  }

  private listEndpoints(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const name = req.query.get("name");
    const computeType = req.query.get("computeType");
    const items = [...ws.endpoints.values()]
      .filter((e) => !name || e.name.toLowerCase() === name.toLowerCase())
      .filter((e) => !computeType || (computeType.toLowerCase() === "kubernetes") === !!e.properties.compute)
      .map((e) => this.endpointBody(ws, e));
    const count = Number(req.query.get("count") ?? "");
    return page(req, items, { ...this.ml.pageOptions(), ...(Number.isInteger(count) && count > 0 ? { size: count } : {}) });
  }

  private busy(record: { busyOperationId?: string }): boolean {
    return !!record.busyOperationId && this.ml.ctx.operations.get(record.busyOperationId)?.status === "InProgress";
  }

  private conflict(what: string): EmuResponse {
    return armError(409, "Conflict", `Another operation is in progress on ${what}; retry after it completes.`);
  }

  private putEndpoint(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const invalid = checkBody(req.body, onlineEndpointSchema);
    if (invalid) return invalid;
    const name = req.params.endpointName;
    if (!NAME.test(name)) {
      return userError(
        400,
        `Endpoint name '${name}' is invalid: it must be 3 to 32 characters, start with a letter, end with a letter or digit and contain only letters, digits and '-'.`,
        "endpointName",
      );
    }
    const body = clone(bodyObject(req)!);
    const props = body.properties as Record<string, unknown>;
    const location = String(body.location);
    if (normalizeLocation(location) !== normalizeLocation(ws.location)) {
      return userError(400, `The endpoint's location '${location}' must be the workspace's location '${ws.location}'.`, "location");
    }
    const existing = ws.endpoints.get(name.toLowerCase());
    // If-Match (a guess: devkit/emulator/GUESSES.md "Online endpoints: ETag and If-Match"): a PUT
    // conditional on an ETag the endpoint no longer has is refused, nothing changed.
    const ifMatch = req.headers["if-match"];
    if (typeof ifMatch === "string" && (!existing || (ifMatch !== "*" && ifMatch !== endpointEtag(existing)))) {
      return armError(412, "PreconditionFailed", `The If-Match condition ${ifMatch} does not match the current state of endpoint '${name}'.`);
    }
    if (existing && (this.busy(existing) || existing.provisioningState === "Deleting")) return this.conflict(`endpoint '${existing.name}'`);
    if (!existing) {
      for (const other of this.ml.workspaces.values()) {
        if (other !== ws && other.endpoints.has(name.toLowerCase()) && normalizeLocation(other.location) === normalizeLocation(ws.location)) {
          return userError(400, "There is already an endpoint with this name, Endpoint name needs to be unique within a region.", "endpointName");
        }
      }
    }
    const compute = typeof props.compute === "string" && props.compute ? props.compute : undefined;
    if (compute) {
      const r = resolveCompute(this.ml, ws, compute);
      if (!r.ok) return userError(400, r.message, "properties.compute");
      if (r.compute.properties.computeType !== "Kubernetes") {
        return userError(
          400,
          `Compute '${r.compute.name}' is of type ${String(r.compute.properties.computeType)}; online endpoints need a Kubernetes compute.`,
          "properties.compute",
        );
      }
    }
    if (existing && String(existing.properties.compute ?? "").toLowerCase() !== String(compute ?? "").toLowerCase()) {
      return userError(400, `The compute of endpoint '${existing.name}' cannot be changed; create a new endpoint instead.`, "properties.compute");
    }
    if (props.authMode === "AADToken" && compute)
      return userError(400, "Auth mode AADToken is not supported by Kubernetes online endpoints; use Key or AMLToken.", "properties.authMode");
    const traffic = this.checkTraffic(existing, isRecord(props.traffic) ? (props.traffic as Record<string, number>) : {});
    if (typeof traffic === "string") return userError(400, traffic, "properties.traffic");

    const identityType = isRecord(body.identity) ? String(body.identity.type) : "SystemAssigned";
    const identity: Record<string, unknown> = {
      type: identityType,
      ...(identityType.includes("SystemAssigned") ? { principalId: existing?.identity.principalId ?? randomUUID(), tenantId: this.ml.ctx.world.tenantId } : {}),
      ...(isRecord(body.identity) && isRecord(body.identity.userAssignedIdentities)
        ? {
            userAssignedIdentities: Object.fromEntries(
              Object.keys(body.identity.userAssignedIdentities).map((id) => [id, { principalId: randomUUID(), clientId: randomUUID() }]),
            ),
          }
        : {}),
    };
    const stored: Record<string, unknown> = {
      authMode: props.authMode,
      description: props.description ?? null,
      properties: {
        ...(isRecord(props.properties) ? props.properties : {}),
        "azureml.onlineendpointid": `${workspaceResourceId(ws)}/onlineEndpoints/${name}`.toLowerCase(),
      },
      // The traffic answered is the one in force; a new one applies when the operation succeeds.
      traffic: existing ? existing.properties.traffic : traffic,
      mirrorTraffic: isRecord(props.mirrorTraffic) ? props.mirrorTraffic : {},
      publicNetworkAccess: props.publicNetworkAccess ?? "Enabled",
      compute: compute ?? null,
    };
    const endpoint: EndpointRecord = existing ?? {
      name,
      location: ws.location,
      kind: compute ? "Kubernetes" : "Managed",
      tags: {},
      identity,
      properties: stored,
      provisioningState: "Creating",
      systemData: stampSystemData(req),
      primaryKey: newKey(),
      secondaryKey: newKey(),
      deployments: new Map(),
      routing: new Map(),
    };
    endpoint.tags = isRecord(body.tags) ? (body.tags as Record<string, string>) : {};
    endpoint.identity = identity;
    endpoint.sku = isRecord(body.sku) ? body.sku : undefined;
    endpoint.properties = stored;
    endpoint.routing.clear();
    if (existing) {
      endpoint.provisioningState = "Updating";
      endpoint.systemData = stampSystemData(req, existing.systemData);
    } else {
      ws.endpoints.set(name.toLowerCase(), endpoint);
    }
    const fail = this.endpointScript.fail;
    const op = this.ml.lro.start({
      ws,
      durationMs: this.endpointScript.durationMs ?? 5000,
      complete: () => {
        endpoint.provisioningState = fail ? "Failed" : "Succeeded";
        if (!fail) endpoint.properties.traffic = this.liveTraffic(endpoint, traffic);
        return fail ? { code: fail.code, message: fail.message } : undefined;
      },
    });
    endpoint.busyOperationId = op.id;
    (endpoint.properties.properties as Record<string, unknown>).AzureAsyncOperationUri = this.ml.lro.statusUrl(op);
    return {
      status: 201,
      headers: { ...this.ml.lro.asyncHeaders(op, this.resourceUrl(req)), ETag: endpointEtag(endpoint) },
      body: this.endpointBody(ws, endpoint),
    };
  }

  /** The URL of the resource a PUT addressed (the Location it answers, as recorded). */
  private resourceUrl(req: EmuRequest): string {
    return `${this.ml.ctx.baseUrl()}${req.path}?api-version=${req.query.get("api-version") ?? ""}`;
  }

  /** The new traffic, without deployments deleted while the update ran. */
  private liveTraffic(e: EndpointRecord, traffic: Record<string, number>): Record<string, number> {
    return Object.fromEntries(Object.entries(traffic).filter(([d]) => e.deployments.has(d.toLowerCase())));
  }

  /** Traffic → the stored map (deployment names as created), or the problem. */
  private checkTraffic(endpoint: EndpointRecord | undefined, traffic: Record<string, number>): Record<string, number> | string {
    const out: Record<string, number> = {};
    let total = 0;
    for (const [name, percent] of Object.entries(traffic)) {
      const d = endpoint?.deployments.get(name.toLowerCase());
      if (!d || d.provisioningState === "Deleting") {
        return `Traffic refers to deployment '${name}', which does not exist on endpoint '${endpoint?.name ?? "(new endpoint)"}'. Create the deployment before routing traffic to it.`;
      }
      out[d.name] = percent;
      total += percent;
    }
    if (total !== 0 && total !== 100) return `The traffic percentages of an endpoint must add up to 0 or 100; they add up to ${total}.`;
    return out;
  }

  private patchEndpoint(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    return this.withEndpoint(req, ws, (e) => {
      const invalid = checkBody(req.body, endpointPatchSchema);
      if (invalid) return invalid;
      if (this.busy(e) || e.provisioningState === "Deleting") return this.conflict(`endpoint '${e.name}'`);
      const body = bodyObject(req)!;
      if (isRecord(body.tags)) e.tags = clone(body.tags) as Record<string, string>;
      if (isRecord(body.identity) && typeof body.identity.type === "string") e.identity = { ...e.identity, type: body.identity.type };
      e.provisioningState = "Updating";
      e.systemData = stampSystemData(req, e.systemData);
      const op = this.ml.lro.start({
        ws,
        durationMs: this.endpointScript.durationMs ?? 5000,
        complete: () => {
          e.provisioningState = "Succeeded";
          return undefined;
        },
        result: () => this.endpointBody(ws, e),
      });
      e.busyOperationId = op.id;
      return { status: 202, headers: this.ml.lro.locationHeaders(op) };
    });
  }

  private deleteEndpoint(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const key = req.params.endpointName.toLowerCase();
    const e = ws.endpoints.get(key);
    if (!e) return { status: 204 };
    if (this.busy(e)) return this.conflict(`endpoint '${e.name}'`);
    e.provisioningState = "Deleting";
    for (const d of e.deployments.values()) d.provisioningState = "Deleting";
    const op = this.ml.lro.start({
      ws,
      durationMs: this.endpointScript.durationMs ?? 5000,
      complete: () => {
        if (ws.endpoints.get(key) === e) ws.endpoints.delete(key);
        for (const [token, t] of this.tokens) if (t.endpointKey === this.endpointKey(ws, e)) this.tokens.delete(token);
        return undefined;
      },
    });
    e.busyOperationId = op.id;
    return { status: 202, headers: this.ml.lro.deleteHeaders(op) };
  }

  private listKeys(e: EndpointRecord): EmuResponse {
    if (e.properties.authMode !== "Key") {
      return userError(
        400,
        `Endpoint '${e.name}' uses auth mode ${String(e.properties.authMode)}; keys exist only for auth mode Key (use the token operation).`,
      );
    }
    return ok({ primaryKey: e.primaryKey, secondaryKey: e.secondaryKey });
  }

  private token(ws: WorkspaceState, e: EndpointRecord): EmuResponse {
    if (e.properties.authMode !== "AMLToken") {
      return userError(400, `Endpoint '${e.name}' uses auth mode ${String(e.properties.authMode)}; tokens exist only for auth mode AMLToken (use listKeys).`);
    }
    const now = Math.floor(Date.now() / 1000);
    const accessToken = randomBytes(48).toString("base64url");
    const expiry = now + 3600;
    this.tokens.set(accessToken, { endpointKey: this.endpointKey(ws, e), expiresAtMs: expiry * 1000 });
    return ok({ accessToken, tokenType: "Bearer", expiryTimeUtc: expiry, refreshAfterTimeUtc: now + 1800 });
  }

  private regenerateKeys(req: EmuRequest, ws: WorkspaceState, e: EndpointRecord): EmuResponse {
    const invalid = checkBody(req.body, regenerateKeysSchema);
    if (invalid) return invalid;
    if (e.properties.authMode !== "Key")
      return userError(400, `Endpoint '${e.name}' uses auth mode ${String(e.properties.authMode)}; it has no keys to regenerate.`);
    const body = bodyObject(req)!;
    const value = typeof body.keyValue === "string" && body.keyValue ? body.keyValue : newKey();
    const op = this.ml.lro.start({
      ws,
      durationMs: 1000,
      complete: () => {
        if (body.keyType === "Primary") e.primaryKey = value;
        else e.secondaryKey = value;
        return undefined;
      },
    });
    return { status: 202, headers: this.ml.lro.locationHeaders(op) };
  }

  // -------------------------------------------------------------------------------------------
  // Deployments

  private listDeployments(req: EmuRequest, e: EndpointRecord, ws: WorkspaceState): EmuResponse {
    const items = [...e.deployments.values()];
    const orderBy = (req.query.get("$orderBy") ?? "").toLowerCase();
    if (orderBy.startsWith("createdtime")) {
      items.sort((a, b) => (a.systemData.createdAt < b.systemData.createdAt ? -1 : 1) * (orderBy.endsWith("desc") ? -1 : 1));
    }
    const top = req.query.get("$top");
    const cap = top !== null && Number.isInteger(Number(top)) && Number(top) > 0 ? Number(top) : undefined;
    return page(
      req,
      items.map((d) => this.deploymentBody(ws, e, d)),
      { ...this.ml.pageOptions(), cap },
    );
  }

  private putDeployment(req: EmuRequest, ws: WorkspaceState, e: EndpointRecord): EmuResponse {
    const invalid = checkBody(req.body, onlineDeploymentSchema);
    if (invalid) return invalid;
    const name = req.params.deploymentName;
    if (!NAME.test(name)) {
      return userError(
        400,
        `Deployment name '${name}' is invalid: it must be 3 to 32 characters, start with a letter, end with a letter or digit and contain only letters, digits and '-'.`,
        "deploymentName",
      );
    }
    if (e.provisioningState === "Deleting" || this.busy(e)) return this.conflict(`endpoint '${e.name}'`);
    const body = clone(bodyObject(req)!);
    const props = body.properties as Record<string, unknown>;
    const computeType = String(props.endpointComputeType);
    const kubernetes = !!e.properties.compute;
    if (kubernetes !== (computeType === "Kubernetes")) {
      return userError(
        400,
        `Endpoint '${e.name}' is a ${kubernetes ? "Kubernetes" : "managed"} endpoint; its deployments must have endpointComputeType ${kubernetes ? "Kubernetes" : "Managed"} (got ${computeType}).`,
        "properties.endpointComputeType",
      );
    }
    const refs: [unknown, "models" | "environments" | "codes", string][] = [
      [props.model, "models", "properties.model"],
      [props.environmentId, "environments", "properties.environmentId"],
      [isRecord(props.codeConfiguration) ? props.codeConfiguration.codeId : undefined, "codes", "properties.codeConfiguration.codeId"],
    ];
    for (const [ref, kind, target] of refs) {
      if (typeof ref !== "string" || !ref) continue;
      if (kubernetes && /^azureml:\/\/registries\//i.test(ref))
        return userError(400, `Registry reference for ${target} is not supported for Kubernetes deployments.`, target);
      const r = resolveAsset(this.ml, ws, kind, ref);
      if (!r.ok) return userError(400, r.message, target);
    }
    if (kubernetes && !props.model && !(isRecord(props.codeConfiguration) && props.environmentId)) {
      return userError(400, "A deployment needs a model, or a scoring script with an environment.", "properties.model");
    }
    const existing = e.deployments.get(name.toLowerCase());
    if (existing && (this.busy(existing) || existing.provisioningState === "Deleting")) return this.conflict(`deployment '${existing.name}'`);
    const instanceType = typeof props.instanceType === "string" && props.instanceType ? props.instanceType : kubernetes ? "defaultinstancetype" : undefined;
    if (existing && instanceType && existing.properties.instanceType && String(existing.properties.instanceType).toLowerCase() !== instanceType.toLowerCase()) {
      return userError(
        400,
        `The instanceType of deployment '${existing.name}' cannot be changed; create a new deployment and move the traffic to it.`,
        "properties.instanceType",
      );
    }
    const stored: Record<string, unknown> = {
      description: null,
      properties: {},
      environmentVariables: {},
      appInsightsEnabled: false,
      egressPublicNetworkAccess: "Enabled",
      requestSettings: { requestTimeout: "PT5S", maxQueueWait: "PT0.5S", maxConcurrentRequestsPerInstance: 1 },
      livenessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", successThreshold: 1, failureThreshold: 30 },
      readinessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", successThreshold: 1, failureThreshold: 30 },
      scaleSettings: kubernetes
        ? { scaleType: "TargetUtilization", minInstances: 1, maxInstances: 1, pollingInterval: "PT1S", targetUtilizationPercentage: 70 }
        : { scaleType: "Default" },
      ...Object.fromEntries(Object.entries(props).filter(([, v]) => v !== null && v !== undefined)),
      ...(instanceType ? { instanceType } : {}),
    };
    delete stored.provisioningState;
    const sku = { name: "Default", tier: "Standard", capacity: 1, ...(isRecord(body.sku) ? body.sku : {}) };
    const d: DeploymentRecord = existing ?? {
      name,
      location: ws.location,
      kind: kubernetes ? "Kubernetes" : "Managed",
      tags: {},
      properties: stored,
      provisioningState: "Updating",
      systemData: stampSystemData(req),
      logs: { storageInitializer: [], inferenceServer: [] },
    };
    d.tags = isRecord(body.tags) ? (body.tags as Record<string, string>) : {};
    d.sku = sku;
    d.properties = stored;
    if (existing) {
      d.provisioningState = "Updating";
      d.systemData = stampSystemData(req, existing.systemData);
    } else {
      e.deployments.set(name.toLowerCase(), d);
    }
    const script = this.deploymentScript;
    const op = this.ml.lro.start({
      ws,
      durationMs: script.durationMs ?? 20000,
      complete: () => this.finishDeployment(ws, e, d, script),
    });
    d.busyOperationId = op.id;
    stored.properties = { ...(isRecord(stored.properties) ? stored.properties : {}), AzureAsyncOperationUri: this.ml.lro.statusUrl(op) };
    this.logStart(ws, d);
    return { status: existing ? 200 : 201, headers: this.ml.lro.asyncHeaders(op, this.resourceUrl(req)), body: this.deploymentBody(ws, e, d) };
  }

  /** End of a create/update: instance type check, then the scripted outcome. */
  private finishDeployment(ws: WorkspaceState, e: EndpointRecord, d: DeploymentRecord, script: OperationScript): ArmErrorDetail | undefined {
    let error: ArmErrorDetail | undefined;
    let logs: string[] | undefined;
    if (d.kind === "Kubernetes") {
      const r = resolveCompute(this.ml, ws, String(e.properties.compute));
      const types =
        r.ok && isRecord(r.compute.properties.properties) && isRecord(r.compute.properties.properties.instanceTypes)
          ? Object.keys(r.compute.properties.properties.instanceTypes)
          : [];
      const wanted = String(d.properties.instanceType);
      if (!r.ok) error = { code: "ComputeNotFound", message: r.message };
      else if (!types.some((t) => t.toLowerCase() === wanted.toLowerCase())) {
        error = {
          code: "InferencingClientCreateDeploymentFailed",
          message: `Instance type '${wanted}' was not found on compute '${r.compute.name}'. Available instance types: ${types.join(", ") || "(none)"}.`,
        };
      }
    }
    if (!error && script.fail) {
      error = { code: script.fail.code, message: script.fail.message };
      logs = script.fail.logs;
    }
    const stamp = new Date().toISOString();
    if (error) {
      d.provisioningState = "Failed";
      d.logs.inferenceServer.push(...(logs ?? [`${stamp} | ERROR | ${error.code}: ${error.message}`]));
      return error;
    }
    d.provisioningState = "Succeeded";
    d.logs.inferenceServer.push(
      `${stamp} | INFO | Initializing logger`,
      `${stamp} | INFO | Starting up app insights client`,
      `${stamp} | INFO | Found user script at /var/azureml-app/${String(isRecord(d.properties.codeConfiguration) ? d.properties.codeConfiguration.scoringScript : "score.py")}`,
      `${stamp} | INFO | run() is not decorated. Server will invoke it with the input in JSON string.`,
      `${stamp} | INFO | Invoking user's init function`,
      `${stamp} | INFO | Users's init has completed successfully`,
      `${stamp} | INFO | Scoring timeout is set to ${String(isRecord(d.properties.requestSettings) ? d.properties.requestSettings.requestTimeout : "PT5S")}`,
      `${stamp} | INFO | Listening at: http://0.0.0.0:31311 (1)`,
    );
    return undefined;
  }

  private logStart(ws: WorkspaceState, d: DeploymentRecord): void {
    const stamp = new Date().toISOString();
    const model = typeof d.properties.model === "string" ? resolveAsset(this.ml, ws, "models", d.properties.model) : undefined;
    const uri = model?.ok && model.version ? String(model.version.properties.modelUri) : "(no model)";
    d.logs.storageInitializer.push(
      `${stamp} | INFO | Starting storage initializer`,
      `${stamp} | INFO | Downloading model ${String(d.properties.model ?? "(none)")} from ${uri}`,
      `${stamp} | INFO | Model download complete: /var/azureml-app/azureml-models`,
      `${stamp} | INFO | Storage initializer finished`,
    );
    d.logs.inferenceServer.push(`${stamp} | INFO | Azure ML Inferencing HTTP server v1.0.0`, `${stamp} | INFO | Server Mode: prod`);
  }

  private patchDeployment(req: EmuRequest, ws: WorkspaceState, e: EndpointRecord, d: DeploymentRecord): EmuResponse {
    const invalid = checkBody(req.body, deploymentPatchSchema);
    if (invalid) return invalid;
    if (this.busy(d) || d.provisioningState === "Deleting" || e.provisioningState === "Deleting") return this.conflict(`deployment '${d.name}'`);
    const body = bodyObject(req)!;
    if (isRecord(body.tags)) d.tags = clone(body.tags) as Record<string, string>;
    const scaling = isRecord(body.sku) && typeof body.sku.capacity === "number";
    if (isRecord(body.sku)) d.sku = { ...(d.sku ?? { name: "Default" }), ...clone(body.sku) };
    d.provisioningState = scaling ? "Scaling" : "Updating";
    d.systemData = stampSystemData(req, d.systemData);
    const op = this.ml.lro.start({
      ws,
      durationMs: this.deploymentScript.durationMs ?? 20000,
      complete: () => {
        d.provisioningState = "Succeeded";
        return undefined;
      },
      result: () => this.deploymentBody(ws, e, d),
    });
    d.busyOperationId = op.id;
    return { status: 202, headers: this.ml.lro.locationHeaders(op) };
  }

  private deleteDeployment(req: EmuRequest, ws: WorkspaceState, e: EndpointRecord): EmuResponse {
    const key = req.params.deploymentName.toLowerCase();
    const d = e.deployments.get(key);
    if (!d) return { status: 204 };
    if (this.busy(d) || this.busy(e)) return this.conflict(`deployment '${d.name}'`);
    const traffic = (e.properties.traffic as Record<string, number>)[d.name] ?? 0;
    if (traffic > 0) {
      return userError(400, `Deployment '${d.name}' receives ${traffic}% of the traffic of endpoint '${e.name}'; set its traffic to 0 before deleting it.`);
    }
    d.provisioningState = "Deleting";
    const op: Operation = this.ml.lro.start({
      ws,
      durationMs: this.deploymentScript.durationMs ?? 20000,
      complete: () => {
        if (e.deployments.get(key) === d) e.deployments.delete(key);
        const t = e.properties.traffic as Record<string, number>;
        delete t[d.name];
        return undefined;
      },
    });
    d.busyOperationId = op.id;
    return { status: 202, headers: this.ml.lro.deleteHeaders(op) };
  }

  private getLogs(req: EmuRequest, d: DeploymentRecord): EmuResponse {
    const invalid = checkBody(req.body ?? {}, deploymentLogsSchema);
    if (invalid) return invalid;
    const body = bodyObject(req) ?? {};
    const lines = body.containerType === "StorageInitializer" ? d.logs.storageInitializer : d.logs.inferenceServer;
    const tail = typeof body.tail === "number" && body.tail > 0 ? body.tail : 5000;
    return ok({ content: lines.slice(-tail).join("\n") + (lines.length ? "\n" : "") });
  }

  private skus(req: EmuRequest, d: DeploymentRecord): EmuResponse {
    const items = [
      {
        resourceType: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
        sku: { name: "Default", tier: "Standard" },
        capacity: { minimum: 1, maximum: d.kind === "Kubernetes" ? 100 : 20, default: 1, scaleType: "Manual" },
      },
    ];
    const count = Number(req.query.get("count") ?? "");
    return page(req, items, { ...this.ml.pageOptions(), ...(Number.isInteger(count) && count > 0 ? { size: count } : {}) });
  }
}

/**
 * 404 of the management frontend for an endpoint it does not have, as recorded for a deleted
 * endpoint (Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/batch_services/e2etests/test_batch_endpoint.pyTestBatchEndpointtest_batch_endpoint_create.json:
 * batch and online endpoints share that store, see `azureml.onlineendpointid` on both).
 */
function noSuchEndpoint(name: string, ws: WorkspaceState): EmuResponse {
  return {
    status: 404,
    headers: { "x-ms-response-type": "error" },
    body: {
      error: {
        code: "NotFound",
        message: "The specified resource was not found.",
        details: [{ code: "NoSuchEndpoint", message: `There is no endpoint with name: ${name} in ${ws.workspaceName}`, details: [], additionalInfo: [] }],
        additionalInfo: [{ type: "ComponentName", info: { value: "managementfrontend" } }],
      },
    },
  };
}

/** ETag of an endpoint's settings (guess, see GUESSES.md): changes with tags, identity, properties and traffic. */
function endpointEtag(e: EndpointRecord): string {
  const { AzureAsyncOperationUri: _op, ...own } = (e.properties.properties ?? {}) as Record<string, unknown>;
  const state = JSON.stringify({ tags: e.tags, identity: e.identity.type, properties: { ...e.properties, properties: own } });
  return `"${createHash("sha256").update(state).digest("hex").slice(0, 16)}"`;
}

function newKey(): string {
  return randomBytes(24).toString("base64url");
}

function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}
