/**
 * Ids that are only known once the workspace is resolved (code versions registered, `@latest` looked up,
 * computes read) are written into body templates as placeholders and filled in by {@link materialize}.
 */

export type IdTarget =
  /** A workspace reference (compute, datastore, named asset); key into `JobPlan.references`. */
  | { kind: "reference"; key: string }
  /** A code version the task registers; key into `JobPlan.codeVersions`. */
  | { kind: "code"; key: string }
  /** An anonymous environment; key into `JobPlan.environmentVersions`. */
  | { kind: "environment"; key: string }
  /** An anonymous component; key into the plan's anonymous components. */
  | { kind: "component"; key: string };

/** Stands for an ARM id (optionally prefixed, e.g. `azureml:`) inside a body template. */
export class IdPlaceholder {
  constructor(
    readonly target: IdTarget,
    readonly prefix = "",
  ) {}
}

export type IdLookup = (target: IdTarget) => string;

/** A deep copy of `template` with every placeholder replaced by its id; `undefined` members are dropped. */
export function materialize<T>(template: T, lookup: IdLookup): T {
  return fill(template, lookup) as T;
}

function fill(value: unknown, lookup: IdLookup): unknown {
  if (value instanceof IdPlaceholder) return value.prefix + lookup(value.target);
  if (Array.isArray(value)) return value.map((v) => fill(v, lookup));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = fill(v, lookup);
    }
    return out;
  }
  return value;
}
