/**
 * Typed reads of CLI v2 YAML fields, with errors that name the file and the key. Used by
 * endpointSpec.ts for the Kubernetes endpoint and deployment files.
 */
import * as fs from "node:fs";
import { CliYamlError, parseCliYaml, type YamlSource } from "../common/cliYaml";
import { setOwn } from "../common/ownKeys";

/** A CLI v2 YAML file the task was given. */
export interface YamlDocument {
  /** Absolute path; local paths inside are relative to its folder. */
  path: string;
  value: Record<string, unknown>;
  /** Where each key is (absent for documents built in code). */
  source?: YamlSource;
}

/** A YAML file that cannot be used as it is; the message names the file, the key and the fix. */
export class SpecError extends Error {
  override readonly name = "SpecError";
  constructor(
    /** The task input the problem belongs to (endpointFile, deploymentFile or another input). */
    readonly inputName: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads and parses a YAML mapping. */
export function readYamlDocument(filePath: string, inputName: string): YamlDocument {
  let text: string;
  try {
    text = fs.readFileSync(filePath, "utf8");
  } catch (err) {
    throw new SpecError(inputName, `Cannot read ${filePath}: ${(err as Error).message}`);
  }
  let source: YamlSource;
  try {
    source = parseCliYaml(text, filePath);
  } catch (err) {
    if (err instanceof CliYamlError) throw new SpecError(inputName, `${filePath} is not valid YAML: ${err.message}`);
    throw err;
  }
  if (!isMapping(source.value)) throw new SpecError(inputName, `${filePath} must hold a YAML mapping (key: value lines).`);
  return { path: filePath, value: source.value, source };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// marshmallow fields.Boolean.truthy / .falsy (marshmallow-code/marshmallow src/marshmallow/fields.py).
const TRUTHY = new Set(["t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"]);
const FALSY = new Set(["f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"]);

/** Field reader bound to one document. */
export class Fields {
  constructor(
    readonly doc: YamlDocument,
    readonly inputName: string,
  ) {}

  /** Fails on keys outside `known` (the CLI rejects unknown fields too). */
  onlyKnown(known: readonly string[], map: Record<string, unknown> = this.doc.value, prefix = ""): void {
    const unknown = Object.keys(map).filter((k) => !known.includes(k));
    if (unknown.length) {
      throw this.error(`${prefix}${unknown[0]}`, `is not a field of this file (known: ${known.join(", ")})`);
    }
  }

  string(key: string, map: Record<string, unknown> = this.doc.value, prefix = ""): string | undefined {
    const v = map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw this.error(prefix + key, "must be a string");
  }

  integer(key: string, map: Record<string, unknown> = this.doc.value, prefix = "", min = 0): number | undefined {
    const v = map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw this.error(prefix + key, `must be an integer of at least ${min}`);
    return v;
  }

  /** Booleans; strings as marshmallow's `fields.Boolean` reads them (the CLI's schemas), e.g. `y`, `on`, `1`. */
  boolean(key: string, map: Record<string, unknown> = this.doc.value, prefix = ""): boolean | undefined {
    const v = map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "boolean") return v;
    if (v === 1 || (typeof v === "string" && TRUTHY.has(v))) return true;
    if (v === 0 || (typeof v === "string" && FALSY.has(v))) return false;
    throw this.error(prefix + key, "must be true or false");
  }

  mapping(key: string, map: Record<string, unknown> = this.doc.value, prefix = ""): Record<string, unknown> | undefined {
    const v = map[key];
    if (v === undefined || v === null) return undefined;
    if (!isMapping(v)) throw this.error(prefix + key, "must be a mapping");
    return v;
  }

  /** A mapping of scalars, as strings (tags, properties, environment variables). */
  stringMap(key: string, map: Record<string, unknown> = this.doc.value, prefix = ""): Record<string, string> | undefined {
    const m = this.mapping(key, map, prefix);
    if (!m) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m)) {
      if (v !== null && typeof v === "object") throw this.error(`${prefix}${key}.${k}`, "must be a string");
      setOwn(out, k, v === null ? "" : String(v));
    }
    return out;
  }

  /** `<file>:<line>: '<key>' <problem>.` (the line of the key, or of its nearest ancestor in the file). */
  error(key: string, problem: string): SpecError {
    const line = this.doc.source?.locationOf(key.split(".")).line;
    return new SpecError(this.inputName, `${this.doc.path}${line === undefined ? "" : `:${line}`}: '${key}' ${problem}.`);
  }
}
