/**
 * Matching a response body against the shape an exchange recorded from real Azure shows. A shape
 * is plain JSON (compared exactly at the leaves) with matchers where a recorded value cannot be
 * the same here (ids, times, hosts): `any`, `absent`, `ofType`, `like`, `oneOf`, `each`, `exact`.
 * Objects match when every key of the shape matches (keys the shape does not name are free) unless
 * wrapped in `exact`, which also refuses keys the shape does not name.
 */
const MATCHER = Symbol("matcher");

export interface Matcher {
  [MATCHER]: true;
  describe: string;
  /** Problems found at `where` (empty when it matches). `present` is false for a missing key. */
  test(value: unknown, where: string, present: boolean): string[];
}

function matcher(describe: string, test: Matcher["test"]): Matcher {
  return { [MATCHER]: true, describe, test };
}

function isMatcher(v: unknown): v is Matcher {
  return typeof v === "object" && v !== null && (v as Matcher)[MATCHER] === true;
}

export type Shape = Matcher | string | number | boolean | null | Shape[] | { [key: string]: Shape };

/** Present, any value (null included). */
export const any: Matcher = matcher("any value", (_v, where, present) => (present ? [] : [`${where}: missing`]));

/** The key must not be there. */
export const absent: Matcher = matcher("absent", (v, where, present) => (present ? [`${where}: expected no such key, got ${JSON.stringify(v)}`] : []));

export function ofType(type: "string" | "number" | "boolean" | "object" | "array" | "null"): Matcher {
  return matcher(type, (v, where, present) => {
    if (!present) return [`${where}: missing (expected ${type})`];
    const actual = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    return actual === type ? [] : [`${where}: expected ${type}, got ${JSON.stringify(v)}`];
  });
}

/** A string matching `pattern`. */
export function like(pattern: RegExp): Matcher {
  return matcher(String(pattern), (v, where, present) => {
    if (!present) return [`${where}: missing (expected ${pattern})`];
    return typeof v === "string" && pattern.test(v) ? [] : [`${where}: expected ${pattern}, got ${JSON.stringify(v)}`];
  });
}

export function oneOf(...shapes: Shape[]): Matcher {
  return matcher(`one of ${shapes.map(describe).join(" | ")}`, (v, where, present) => {
    for (const s of shapes) if (check(s, v, where, present).length === 0) return [];
    return [`${where}: expected one of ${shapes.map(describe).join(" | ")}, got ${present ? JSON.stringify(v) : "nothing"}`];
  });
}

/** An array (of at least `minItems` items) whose every item matches `shape`. */
export function each(shape: Shape, minItems = 1): Matcher {
  return matcher(`array of ${describe(shape)}`, (v, where, present) => {
    if (!present || !Array.isArray(v)) return [`${where}: expected an array, got ${present ? JSON.stringify(v) : "nothing"}`];
    if (v.length < minItems) return [`${where}: expected at least ${minItems} item(s), got ${v.length}`];
    return v.flatMap((item, i) => check(shape, item, `${where}[${i}]`, true));
  });
}

/** An object with exactly the keys of `shape`, each matching. */
export function exact(shape: { [key: string]: Shape }): Matcher {
  return matcher("exact object", (v, where, present) => {
    const problems = check(shape, v, where, present);
    if (problems.length || typeof v !== "object" || v === null) return problems;
    const extra = Object.keys(v).filter((k) => !(k in shape));
    return extra.length ? [`${where}: unexpected key(s) ${extra.join(", ")}`] : [];
  });
}

function describe(shape: Shape): string {
  return isMatcher(shape) ? shape.describe : JSON.stringify(shape);
}

/** Every difference between `value` and `shape`, as "path: problem" lines. */
export function check(shape: Shape, value: unknown, where = "body", present = true): string[] {
  if (isMatcher(shape)) return shape.test(value, where, present);
  if (!present) return [`${where}: missing (expected ${describe(shape)})`];
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return [`${where}: expected an array, got ${JSON.stringify(value)}`];
    if (value.length !== shape.length) return [`${where}: expected ${shape.length} item(s), got ${value.length}`];
    return shape.flatMap((s, i) => check(s, value[i], `${where}[${i}]`, true));
  }
  if (shape !== null && typeof shape === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${where}: expected an object, got ${JSON.stringify(value)}`];
    const obj = value as Record<string, unknown>;
    return Object.entries(shape).flatMap(([k, s]) => check(s, obj[k], `${where}.${k}`, Object.hasOwn(obj, k)));
  }
  return Object.is(shape, value) ? [] : [`${where}: expected ${JSON.stringify(shape)}, got ${JSON.stringify(value)}`];
}
