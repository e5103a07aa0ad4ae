/**
 * Long-running operations of the Machine Learning service, on the framework's `Operations`:
 * `Azure-AsyncOperation` status documents (PUT createOrUpdate of endpoints, deployments, computes)
 * and `Location` result URLs (PATCH, DELETE, job cancel, key regeneration), with `Retry-After`.
 *
 * The status URLs are workspace-scoped (`<workspace>/mfeOperationsStatus/<id>` and
 * `<workspace>/mfeOperationResults/<id>`) rather than the service's subscription-level
 * `/locations/<loc>/mfeOperationsStatus/<id>`, so a principal whose role is assigned at the
 * resource group or workspace can poll what it started. Clients only follow the URLs.
 *
 * What the service answers (Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json):
 * `x-ms-async-operation-timeout: PT30M`; the status document is `{id, name, startTime,
 * percentComplete, status}` with status `Updating` while a create, update or delete runs, then
 * `Succeeded`, `percentComplete: 100` and `endTime`. Compute operations answer on
 * `computeOperationsStatus` with only `{status, percentComplete}`
 * (sdk/ml/azure-ai-ml/tests/recordings/compute/e2etests/test_compute.pyTestComputetest_aml_compute_create_and_delete.json).
 */
import type { ArmErrorDetail, EmuResponse, EmulatorContext, Operation } from "../../framework";
import { armError } from "../../framework";
import type { WorkspaceRef } from "./common";
import { workspaceKey, workspaceResourceId } from "./common";
import type { MlService } from "./state";

export interface StartOptions {
  ws: WorkspaceRef;
  /** Virtual duration before `complete` runs. */
  durationMs: number;
  resourceId?: string;
  /** Ends the operation: returns the error when it failed. */
  complete: () => ArmErrorDetail | undefined | void;
  /** Body the Location URL answers once the operation succeeded (default: none). */
  result?: () => unknown;
  /** HTTP status the Location URL answers when the operation failed (default 400). */
  failureStatus?: number;
  /** Compute operations: status on `computeOperationsStatus`, short document. */
  compute?: boolean;
}

interface Tracked {
  op: Operation;
  wsKey: string;
  ws: WorkspaceRef;
  endsAtMs: number;
  result?: () => unknown;
  failureStatus: number;
  compute: boolean;
}

/** Longest Retry-After hint, in seconds. */
const MAX_RETRY_AFTER_SECONDS = 10;

export class LroTracker {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly ctx: EmulatorContext) {}

  start(options: StartOptions): Operation {
    const op = this.ctx.operations.start({ durationMs: options.durationMs, resourceId: options.resourceId, complete: options.complete });
    this.tracked.set(op.id, {
      op,
      wsKey: workspaceKey(options.ws),
      ws: options.ws,
      endsAtMs: Date.now() + this.ctx.clock.realMs(options.durationMs),
      result: options.result,
      failureStatus: options.failureStatus ?? 400,
      compute: options.compute ?? false,
    });
    return op;
  }

  statusUrl(op: Operation): string {
    return this.url(op, this.tracked.get(op.id)?.compute ? "computeOperationsStatus" : "mfeOperationsStatus");
  }

  resultUrl(op: Operation): string {
    return this.url(op, "mfeOperationResults");
  }

  /**
   * Headers of a 200/201 that started an Azure-AsyncOperation LRO; `location` is the resource URL
   * an endpoint or deployment PUT also answers (recorded), computes answer none.
   */
  asyncHeaders(op: Operation, location?: string): Record<string, string> {
    if (this.tracked.get(op.id)?.compute) return { "Azure-AsyncOperation": this.statusUrl(op), ...this.retryAfter(op) };
    return {
      "Azure-AsyncOperation": this.statusUrl(op),
      ...(location ? { Location: location } : {}),
      "x-ms-async-operation-timeout": "PT30M",
      ...this.retryAfter(op),
    };
  }

  /** Headers of a 202 that started a Location LRO. */
  locationHeaders(op: Operation): Record<string, string> {
    return { Location: this.resultUrl(op), "x-ms-async-operation-timeout": "PT30M", ...this.retryAfter(op) };
  }

  /** Headers of a 202 DELETE of an endpoint or deployment: both URLs (recorded). */
  deleteHeaders(op: Operation): Record<string, string> {
    return { "Azure-AsyncOperation": this.statusUrl(op), ...this.locationHeaders(op) };
  }

  /** Answer of the Azure-AsyncOperation URL. */
  status(ws: WorkspaceRef, id: string, compute = false): EmuResponse {
    const t = this.find(ws, id);
    if (!t || t.compute !== compute) return this.unknown(id);
    const running = t.op.status === "InProgress";
    const base = this.ctx.operations.statusBody(t.op);
    const status = running ? "Updating" : t.op.status;
    const body = compute
      ? { status, percentComplete: running ? 0 : 100, ...(base.error ? { error: base.error } : {}) }
      : { ...base, id: `${workspaceResourceId(t.ws)}/mfeOperationsStatus/${t.op.id}`, status, percentComplete: running ? 0 : 100 };
    return { status: 200, headers: running ? this.retryAfter(t.op) : {}, body };
  }

  /** Answer of the Location URL: 202 while running, then the result (200/204) or the error. */
  result(ws: WorkspaceRef, id: string): EmuResponse {
    const t = this.find(ws, id);
    if (!t) return this.unknown(id);
    switch (t.op.status) {
      case "InProgress":
        return { status: 202, headers: { Location: this.resultUrl(t.op), ...this.retryAfter(t.op) } };
      case "Succeeded": {
        const body = t.result?.();
        return body === undefined ? { status: 204 } : { status: 200, body };
      }
      default:
        return armError(
          t.failureStatus,
          t.op.error?.code ?? "OperationFailed",
          t.op.error?.message ?? `The operation ${t.op.id} ${t.op.status.toLowerCase()}.`,
          t.op.error?.details ? { details: t.op.error.details } : {},
        );
    }
  }

  reset(): void {
    this.tracked.clear();
  }

  private find(ws: WorkspaceRef, id: string): Tracked | undefined {
    const t = this.tracked.get(id);
    return t && t.wsKey === workspaceKey(ws) ? t : undefined;
  }

  private unknown(id: string): EmuResponse {
    return armError(404, "NotFound", `The operation '${id}' was not found.`);
  }

  private url(op: Operation, kind: string): string {
    const t = this.tracked.get(op.id)!;
    return `${this.ctx.baseUrl()}${workspaceResourceId(t.ws)}/${kind}/${op.id}?api-version=2022-10-01`;
  }

  /** Retry-After: the real seconds left, capped; omitted when under a second (client default). */
  private retryAfter(op: Operation): Record<string, string> {
    const t = this.tracked.get(op.id);
    if (!t || op.status !== "InProgress") return {};
    const leftMs = t.endsAtMs - Date.now();
    if (leftMs < 1000) return {};
    return { "Retry-After": String(Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(leftMs / 1000))) };
  }
}

/** Routes of the operation status and result URLs. */
export function registerOperationRoutes(ml: MlService): void {
  const action = "Microsoft.MachineLearningServices/workspaces/read";
  ml.wsRoute("GET", "/mfeOperationsStatus/:operationId", action, (req, ws) => ml.lro.status(ws, req.params.operationId));
  ml.wsRoute("GET", "/computeOperationsStatus/:operationId", action, (req, ws) => ml.lro.status(ws, req.params.operationId, true));
  ml.wsRoute("GET", "/mfeOperationResults/:operationId", action, (req, ws) => ml.lro.result(ws, req.params.operationId));
}
