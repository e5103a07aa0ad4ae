/**
 * Shared pieces of the Azure Machine Learning emulator: workspace references, ARM ids, the
 * service's error shapes, paging (`$skip` continuation tokens + `nextLink`) and small helpers.
 */
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError } from "../../framework";

export const PROVIDER = "Microsoft.MachineLearningServices";
export const API_VERSIONS = ["2022-10-01"];
export const WORKSPACE_PATTERN =
  "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.MachineLearningServices/workspaces/:workspaceName";

/** Identifies a workspace. */
export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
}

export function workspaceKey(ref: WorkspaceRef): string {
  return `${ref.subscriptionId}/${ref.resourceGroupName}/${ref.workspaceName}`.toLowerCase();
}

export function workspaceResourceId(ref: WorkspaceRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroupName}/providers/${PROVIDER}/workspaces/${ref.workspaceName}`;
}

/** Child collections of a workspace that ARM ids point into. */
export type WorkspaceChildType = "computes" | "codes" | "components" | "environments" | "models" | "data" | "datastores" | "jobs" | "onlineEndpoints";

export interface ParsedChildId extends WorkspaceRef {
  type: WorkspaceChildType;
  name: string;
  version?: string;
  label?: string;
}

const CHILD_ID =
  /^(?:azureml:)?\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/(computes|codes|components|environments|models|data|datastores|jobs|onlineEndpoints)\/([^/]+)(?:\/(versions|labels)\/([^/]+))?\/?$/i;

/** Parses an ARM id (optionally `azureml:`-prefixed) of a workspace child resource. */
export function parseChildId(ref: string): ParsedChildId | undefined {
  const m = CHILD_ID.exec(ref.trim());
  if (!m) return undefined;
  const type = (["computes", "codes", "components", "environments", "models", "data", "datastores", "jobs", "onlineEndpoints"] as const).find(
    (t) => t.toLowerCase() === m[4].toLowerCase(),
  )!;
  return {
    subscriptionId: m[1],
    resourceGroupName: m[2],
    workspaceName: m[3],
    type,
    name: decodeURIComponent(m[5]),
    ...(m[6]?.toLowerCase() === "versions" ? { version: decodeURIComponent(m[7]) } : {}),
    ...(m[6]?.toLowerCase() === "labels" ? { label: decodeURIComponent(m[7]) } : {}),
  };
}

/** The service's own error (MFE): `code: "UserError"` and a message naming what is wrong. */
export function userError(status: number, message: string, target?: string): EmuResponse {
  return armError(status, "UserError", message, target ? { target } : {});
}

/** 404 for a workspace child the service keeps (jobs, assets, datastores). */
export function notFound(what: string, name: string, ws: WorkspaceRef): EmuResponse {
  return armError(404, "UserError", `${what} '${name}' was not found in workspace '${ws.workspaceName}' (resource group '${ws.resourceGroupName}').`, {
    details: [{ code: "NotFound", message: `${what} '${name}' does not exist.` }],
  });
}

/** 404 for a tracked child resource (computes, online endpoints and deployments), ARM style. */
export function trackedNotFound(resourceType: string, name: string, ws: WorkspaceRef): EmuResponse {
  return armError(
    404,
    "ResourceNotFound",
    `The Resource '${PROVIDER}/workspaces/${ws.workspaceName}/${resourceType}/${name}' under resource group '${ws.resourceGroupName}' was not found.`,
  );
}

export function ok(body: unknown, status = 200, headers?: Record<string, string>): EmuResponse {
  return { status, body, ...(headers ? { headers } : {}) };
}

export function nowIso(): string {
  return new Date().toISOString();
}

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
}

/** systemData stamped with the caller of the request (its client id) or the emulator for seeds. */
export function stampSystemData(req: EmuRequest | undefined, previous?: SystemData): SystemData {
  const now = nowIso();
  const by = req?.principal?.clientId ?? "emulator";
  const byType = "Application";
  return {
    createdAt: previous?.createdAt ?? now,
    createdBy: previous?.createdBy ?? by,
    createdByType: previous?.createdByType ?? byType,
    lastModifiedAt: now,
    lastModifiedBy: by,
    lastModifiedByType: byType,
  };
}

/** Request body as an object (or undefined when it is not a JSON object). */
export function bodyObject(req: EmuRequest): Record<string, unknown> | undefined {
  const b = req.body;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Deep structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    // undefined and null are the same "absent" value on the wire
    return (a === undefined || a === null) && (b === undefined || b === null);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/** Deep copy of a JSON value (so callers never share state with the store). */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

// ---------------------------------------------------------------------------------------------
// Paging: `$skip` is an opaque continuation token (here: the offset), `nextLink` the next page.

export interface PageOptions {
  /** Page size of the list answers. */
  pageSize: number;
  /** Absolute URL base of the emulator (for nextLink). */
  baseUrl: string;
}

/** Slices `items` by the request's `$skip` token (and an optional total cap), adding `nextLink`. */
export function page<T>(req: EmuRequest, items: T[], options: PageOptions & { cap?: number; size?: number }): EmuResponse {
  const token = req.query.get("$skip");
  let offset = 0;
  if (token !== null && token !== "") {
    const n = Number.parseInt(token, 10);
    if (!Number.isInteger(n) || n < 0 || String(n) !== token) {
      return userError(400, `The continuation token '$skip=${token}' is not valid.`, "$skip");
    }
    offset = n;
  }
  const total = options.cap !== undefined ? Math.min(items.length, options.cap) : items.length;
  const size = Math.max(1, options.size ?? options.pageSize);
  const end = Math.min(total, offset + size);
  const value = items.slice(offset, end);
  const body: Record<string, unknown> = { value };
  if (end < total) {
    // Keep the query as the client sent it (ARM nextLinks carry `$skip` unencoded).
    const kept = req.url.search
      .replace(/^\?/, "")
      .split("&")
      .filter((p) => p && !/^(\$|%24)skip=/i.test(p));
    kept.push(`$skip=${end}`);
    body.nextLink = `${options.baseUrl}${req.url.pathname}?${kept.join("&")}`;
  }
  return ok(body);
}

/** Compares version strings numerically when both are integers, else as strings. */
export function compareVersions(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a.localeCompare(b);
}

/** Converts an ISO 8601 duration such as PT5S / PT0.5S / PT1M to milliseconds (undefined if not one). */
export function isoDurationMs(value: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!m || value === "P" || value === "PT") return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => (x ? Number(x) : 0));
  return ((d * 24 + h) * 60 + min) * 60000 + s * 1000;
}
