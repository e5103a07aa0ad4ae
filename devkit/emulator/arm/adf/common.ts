/**
 * Shared pieces of the Data Factory emulator: ids, the service's error shapes, and the two kinds
 * of paging it uses (`nextLink` on lists, `continuationToken` on run queries).
 */
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError } from "../../framework";

export const PROVIDER = "Microsoft.DataFactory";
export const API_VERSIONS = ["2018-06-01"];
export const FACTORY_PATTERN = "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.DataFactory/factories/:factoryName";

/** Identifies a factory. */
export interface FactoryRef {
  subscriptionId: string;
  resourceGroupName: string;
  factoryName: string;
}

export function factoryKey(ref: FactoryRef): string {
  return `${ref.subscriptionId}/${ref.resourceGroupName}/${ref.factoryName}`.toLowerCase();
}

export function factoryResourceId(ref: FactoryRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroupName}/providers/${PROVIDER}/factories/${ref.factoryName}`;
}

/**
 * The Data Factory service's own 400: `code` "BadRequest" and a target such as
 * `pipeline/<name>/` (the shape seen in ReferencedPipelineRunNotValid answers).
 */
export function badRequest(message: string, target?: string, code = "BadRequest"): EmuResponse {
  return armError(400, code, message, target ? { target } : {});
}

export function ok(body: unknown, status = 200, headers?: Record<string, string>): EmuResponse {
  return { status, body, ...(headers ? { headers } : {}) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/** Deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * `nextLink` paging (factories and pipelines lists): `$skiptoken` is the offset; the nextLink
 * keeps the rest of the client's query. Returns the 400 for a token this emulator did not issue.
 */
export function nextLinkPage<T>(req: EmuRequest, items: T[], pageSize: number, baseUrl: string): EmuResponse {
  const token = req.query.get("$skiptoken");
  let offset = 0;
  if (token !== null) {
    const n = Number(token);
    if (!/^\d+$/.test(token) || n > items.length) return badRequest(`The skip token '${token}' is not valid.`, "$skiptoken");
    offset = n;
  }
  const end = Math.min(items.length, offset + Math.max(1, pageSize));
  const body: Record<string, unknown> = { value: items.slice(offset, end) };
  if (end < items.length) {
    const kept = req.url.search
      .replace(/^\?/, "")
      .split("&")
      .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
    kept.push(`$skiptoken=${end}`);
    body.nextLink = `${baseUrl}${req.url.pathname}?${kept.join("&")}`;
  }
  return ok(body);
}

/** Continuation tokens of run queries: opaque to clients, bound to the query they continue. */
export function encodeContinuation(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope }), "utf8").toString("base64");
}

export function decodeContinuation(token: string, scope: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { o?: unknown; s?: unknown };
    return typeof parsed.o === "number" && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.s === scope ? parsed.o : undefined;
  } catch {
    return undefined;
  }
}
