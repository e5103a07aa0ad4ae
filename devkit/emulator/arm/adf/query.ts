/**
 * RunFilterParameters (queryPipelineRuns, queryActivityruns): the lastUpdated window, filters
 * (Equals / NotEquals take one value, In / NotIn several), orderBy, and continuationToken paging.
 */
import { createHash } from "node:crypto";
import type { EmuRequest, EmuResponse, Schema } from "../../framework";
import { checkBody } from "../../framework";
import { badRequest, decodeContinuation, encodeContinuation, ok } from "./common";

export const runFilterSchema: Schema = {
  type: "object",
  properties: {
    continuationToken: { type: "string", nullable: true },
    lastUpdatedAfter: { type: "string", required: true },
    lastUpdatedBefore: { type: "string", required: true },
    filters: {
      type: "array",
      nullable: true,
      items: {
        type: "object",
        properties: {
          operand: { type: "string", required: true },
          operator: { type: "string", enum: ["Equals", "NotEquals", "In", "NotIn"], required: true },
          values: { type: "array", items: { type: "string" }, required: true },
        },
      },
    },
    orderBy: {
      type: "array",
      nullable: true,
      items: {
        type: "object",
        properties: { orderBy: { type: "string", required: true }, order: { type: "string", enum: ["ASC", "DESC"], required: true } },
      },
    },
  },
};

/** What a query can filter and sort on, for one kind of record. */
export interface QueryFields<T> {
  /** Operand → the record's values for it (strings compared case-insensitively). */
  operands: Record<string, (item: T) => string | undefined>;
  /** OrderBy field → sort key. */
  sortKeys: Record<string, (item: T) => number | string>;
  lastUpdatedMs: (item: T) => number;
  defaultOrder: { orderBy: string; order: "ASC" | "DESC" };
}

interface Filter {
  operand: string;
  operator: "Equals" | "NotEquals" | "In" | "NotIn";
  values: string[];
}

/** Answers a run query over `items`, or the 400 for a body ADF would refuse. */
export function runQuery<T>(req: EmuRequest, items: T[], fields: QueryFields<T>, pageSize: number, scope: string, toBody: (item: T) => unknown): EmuResponse {
  const invalid = checkBody(req.body, runFilterSchema);
  if (invalid) return invalid;
  const q = req.body as {
    continuationToken?: string | null;
    lastUpdatedAfter: string;
    lastUpdatedBefore: string;
    filters?: Filter[] | null;
    orderBy?: { orderBy: string; order: "ASC" | "DESC" }[] | null;
  };
  const after = Date.parse(q.lastUpdatedAfter);
  const before = Date.parse(q.lastUpdatedBefore);
  if (Number.isNaN(after))
    return badRequest(`'${q.lastUpdatedAfter}' is not a valid value for lastUpdatedAfter; expected an ISO 8601 date-time.`, "lastUpdatedAfter");
  if (Number.isNaN(before))
    return badRequest(`'${q.lastUpdatedBefore}' is not a valid value for lastUpdatedBefore; expected an ISO 8601 date-time.`, "lastUpdatedBefore");
  if (before < after) return badRequest("lastUpdatedBefore must not be earlier than lastUpdatedAfter.", "lastUpdatedBefore");
  for (const f of q.filters ?? []) {
    if (!(f.operand in fields.operands)) {
      return badRequest(`The filter operand '${f.operand}' is not supported here; use one of ${Object.keys(fields.operands).join(", ")}.`, "filters");
    }
    if ((f.operator === "Equals" || f.operator === "NotEquals") && f.values.length !== 1) {
      return badRequest(`The filter operator '${f.operator}' on '${f.operand}' takes exactly one value; use In / NotIn for several.`, "filters");
    }
    if (f.values.length === 0) return badRequest(`The filter on '${f.operand}' has no values.`, "filters");
  }
  const order = q.orderBy?.length ? q.orderBy : [fields.defaultOrder];
  for (const o of order) {
    if (!(o.orderBy in fields.sortKeys)) return badRequest(`Cannot order by '${o.orderBy}'; use one of ${Object.keys(fields.sortKeys).join(", ")}.`, "orderBy");
  }
  const selected = items.filter((item) => {
    const t = fields.lastUpdatedMs(item);
    if (t < after || t > before) return false;
    return (q.filters ?? []).every((f) => {
      const v = (fields.operands[f.operand](item) ?? "").toLowerCase();
      const hit = f.values.some((x) => x.toLowerCase() === v);
      return f.operator === "Equals" || f.operator === "In" ? hit : !hit;
    });
  });
  const sorted = selected
    .map((item, i) => ({ item, i }))
    .sort((a, b) => {
      for (const o of order) {
        const ka = fields.sortKeys[o.orderBy](a.item);
        const kb = fields.sortKeys[o.orderBy](b.item);
        const c = ka < kb ? -1 : ka > kb ? 1 : 0;
        if (c !== 0) return o.order === "DESC" ? -c : c;
      }
      // Ties keep creation order, reversed when the first key sorts descending.
      return order[0].order === "DESC" ? b.i - a.i : a.i - b.i;
    })
    .map((x) => x.item);
  // The token is bound to the query it continues (same filters and order; clients may move the window).
  const bound = createHash("sha256")
    .update(`${scope}|${JSON.stringify(q.filters ?? [])}|${JSON.stringify(order)}`)
    .digest("hex")
    .slice(0, 16);
  let offset = 0;
  if (q.continuationToken) {
    const decoded = decodeContinuation(q.continuationToken, bound);
    if (decoded === undefined) return badRequest("The continuation token is not valid for this query.", "continuationToken");
    offset = decoded;
  }
  const end = Math.min(sorted.length, offset + Math.max(1, pageSize));
  const body: Record<string, unknown> = { value: sorted.slice(offset, end).map(toBody) };
  if (end < sorted.length) body.continuationToken = encodeContinuation(end, bound);
  return ok(body);
}
