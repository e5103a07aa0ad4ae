/**
 * Pipeline parameters checked against the pipeline definition before a run starts: no
 * undeclared names, every parameter without a default given, and each value of its declared
 * type (String, Int, Float, Bool, Array, Object, SecureString). Values that YAML or a pipeline
 * variable turn into strings ("5", "true", "[1,2]") are converted to the declared type.
 */
import { InputError } from "../common/errors";
import { hasOwn, ownValue, setOwn } from "../common/ownKeys";
import type { Loc } from "../common/loc";

/** The `parameters` of a pipeline definition (PipelineResource.parameters). */
export type DeclaredParameters = Record<string, { type: string; defaultValue?: unknown }>;

export const PARAMETERS_INPUT = "parameters";

/** Declared parameter names of type SecureString (their values are never logged). */
export function secureParameterNames(declared: DeclaredParameters | undefined): Set<string> {
  return new Set(
    Object.entries(declared ?? {})
      .filter(([, spec]) => String(spec?.type ?? "").toLowerCase() === "securestring")
      .map(([name]) => name),
  );
}

/**
 * Returns the values to send (converted to the declared types), or throws an InputError for
 * the `parameters` input listing every problem.
 */
export function checkParameters(
  declared: DeclaredParameters | undefined,
  given: Record<string, unknown>,
  context: { pipelineName: string; loc: Loc },
): Record<string, unknown> {
  const { loc, pipelineName } = context;
  const specs = declared ?? {};
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const declaredNames = Object.keys(specs);

  for (const [name, value] of Object.entries(given)) {
    const spec = lookupIgnoringCase(specs, name);
    if (!spec) {
      problems.push(declaredNames.length === 0 ? loc("ParameterNotDeclaredNone", name) : loc("ParameterNotDeclared", name, declaredNames.join(", ")));
      continue;
    }
    const converted = convert(value, spec.type);
    if (converted.ok) {
      setOwn(values, spec.name, converted.value);
    } else {
      problems.push(loc("ParameterWrongType", name, spec.type, describeValue(value)));
    }
  }
  const givenLower = new Set(Object.keys(given).map((n) => n.toLowerCase()));
  for (const [name, spec] of Object.entries(specs)) {
    if (spec?.defaultValue === undefined && !givenLower.has(name.toLowerCase())) {
      problems.push(loc("ParameterMissing", name, spec?.type));
    }
  }
  if (problems.length > 0) {
    throw new InputError(PARAMETERS_INPUT, loc("ParametersInvalid", pipelineName, problems.join("; ")));
  }
  return values;
}

/** The declared parameter `name` names (an exact match first, then ignoring case); its declared spelling is what gets sent. */
function lookupIgnoringCase(specs: DeclaredParameters, name: string): { name: string; type: string } | undefined {
  const match = hasOwn(specs, name) ? name : Object.keys(specs).find((declaredName) => declaredName.toLowerCase() === name.toLowerCase());
  return match === undefined ? undefined : { name: match, type: String(ownValue(specs, match)?.type ?? "") };
}

type Conversion = { ok: true; value: unknown } | { ok: false };

/** `value` as the declared `type`, or not ok. Unknown types pass through unchanged. */
export function convert(value: unknown, type: string): Conversion {
  const ok = (v: unknown): Conversion => ({ ok: true, value: v });
  const fail: Conversion = { ok: false };
  if (value === null || value === undefined) return fail;
  switch (type.toLowerCase()) {
    case "string":
    case "securestring":
      return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? ok(String(value)) : fail;
    case "int": {
      if (typeof value === "number") return Number.isSafeInteger(value) ? ok(value) : fail;
      if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) {
        const n = Number(value);
        return Number.isSafeInteger(n) ? ok(n) : fail;
      }
      return fail;
    }
    case "float": {
      if (typeof value === "number") return Number.isFinite(value) ? ok(value) : fail;
      if (typeof value === "string" && value.trim() !== "") {
        const n = Number(value);
        return Number.isFinite(n) ? ok(n) : fail;
      }
      return fail;
    }
    case "bool":
    case "boolean": {
      if (typeof value === "boolean") return ok(value);
      if (typeof value === "string" && /^\s*(true|false)\s*$/i.test(value)) return ok(value.trim().toLowerCase() === "true");
      return fail;
    }
    case "array": {
      const parsed = typeof value === "string" ? parseJson(value) : value;
      return Array.isArray(parsed) ? ok(parsed) : fail;
    }
    case "object": {
      const parsed = typeof value === "string" ? parseJson(value) : value;
      return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? ok(parsed) : fail;
    }
    default:
      return ok(value);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A short description of a wrong value for the message. Only strings given for non-string types
 * are quoted (a SecureString parameter accepts any string, so a secret never lands here).
 */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "no value";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `the ${typeof value} ${String(value)}`;
}
