/**
 * Python value formatting the CLI's REST bodies depend on: `str()` of YAML scalars (literal job inputs are
 * sent as `str(value)`), `json.dumps(sort_keys=True)` and MD5-as-UUID (anonymous component versions), and
 * seconds → ISO-8601 durations (`limits.timeout`).
 */
import { md5Uuid } from "../../common/azureml/assetNames";
import { pythonFloatRepr } from "../../common/pythonFloat";

export { pythonFloatRepr };

/** Python `str()` of a YAML scalar. `isFloat` says the YAML text was a float literal (`1.0` → `"1.0"`). */
export function pythonStr(value: string | number | boolean | null, isFloat = false): string {
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return isFloat || !Number.isInteger(value) ? pythonFloatRepr(value) : String(value);
  return value;
}

/** Python `json.dumps(value, sort_keys=True)` (default separators, `ensure_ascii=True`). */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    return Number.isInteger(value) ? String(value) : pythonFloatRepr(value);
  }
  if (typeof value === "string") return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value as object).sort(comparePythonStrings);
    return `{${keys.map((k) => `${pythonJsonString(k)}: ${pythonJsonDumps((value as Record<string, unknown>)[k])}`).join(", ")}}`;
  }
  throw new TypeError(`Cannot serialize a ${typeof value}.`);
}

function pythonJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Python sorts `str` keys by code point. */
function comparePythonStrings(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i] - cb[i];
  return ca.length - cb.length;
}

/** The SDK's `hash_dict`: MD5 of `json.dumps(d, sort_keys=True)` formatted as a UUID (8-4-4-4-12). */
export function hashDictAsUuid(value: Record<string, unknown>): string {
  return md5Uuid(pythonJsonDumps(value));
}

/** Seconds → ISO-8601 duration as isodate prints it (`3600` → `PT1H`, `90` → `PT1M30S`, `86400` → `P1D`). */
export function secondsToIsoDuration(totalSeconds: number): string {
  let rest = totalSeconds;
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const seconds = Math.round(rest * 1e6) / 1e6;
  let out = "P";
  if (days) out += `${days}D`;
  if (hours || minutes || seconds) {
    out += "T";
    if (hours) out += `${hours}H`;
    if (minutes) out += `${minutes}M`;
    if (seconds) out += `${seconds}S`;
  }
  return out === "P" ? "P0D" : out;
}
