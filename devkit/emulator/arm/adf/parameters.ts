/**
 * Pipeline parameters of a createRun: every given name must be declared, every required one
 * (no defaultValue) given, and each value must fit its declared type. Int, Float and Bool also
 * take their string forms ("5", "0.5", "true"), as values typed in the portal or a CLI arrive.
 */
import type { PipelineRecord, ParameterType } from "./state";

/** The value as the run holds it, or undefined when it does not fit the type. */
export function checkParameterValue(type: ParameterType, value: unknown): unknown {
  switch (type) {
    case "String":
    case "SecureString":
      return typeof value === "string" ? value : undefined;
    case "Int":
      if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
      return typeof value === "string" && /^[-+]?\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : undefined;
    case "Float":
      if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : undefined;
    case "Bool":
      if (typeof value === "boolean") return value;
      return typeof value === "string" && /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === "true" : undefined;
    case "Array":
      return Array.isArray(value) ? value : undefined;
    case "Object":
      return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  }
}

export type ParameterProblem = { kind: "undeclared" | "missing" | "type"; name: string; message: string };

/** Effective parameters of a run (given values plus defaults), or the first problem. */
export function resolveParameters(
  pipeline: PipelineRecord,
  given: Record<string, unknown>,
): { values: Record<string, unknown> } | { problem: ParameterProblem } {
  const declared = pipeline.parameters;
  for (const name of Object.keys(given)) {
    if (!(name in declared)) {
      const known = Object.keys(declared);
      return {
        problem: {
          kind: "undeclared",
          name,
          message: `The parameter '${name}' is not defined in pipeline '${pipeline.name}'. Declared parameters: ${known.length ? known.map((k) => `'${k}'`).join(", ") : "none"}.`,
        },
      };
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const v = given[name];
    if (v === undefined || v === null) {
      if (spec.defaultValue === undefined) {
        return {
          problem: {
            kind: "missing",
            name,
            message: `The required pipeline parameter '${name}' of pipeline '${pipeline.name}' is not provided and has no default value.`,
          },
        };
      }
      values[name] = spec.defaultValue;
      continue;
    }
    const checked = checkParameterValue(spec.type, v);
    if (checked === undefined) {
      return {
        problem: {
          kind: "type",
          name,
          message: `The value ${JSON.stringify(v)} of pipeline parameter '${name}' is not valid for its declared type '${spec.type}'.`,
        },
      };
    }
    values[name] = checked;
  }
  return { values };
}

/** How a run reports its parameters (PipelineRun.parameters is a string map; SecureString values masked). */
export function parameterStrings(pipeline: PipelineRecord, values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, pipeline.parameters[k]?.type === "SecureString" ? "**********" : typeof v === "string" ? v : JSON.stringify(v)]),
  );
}
