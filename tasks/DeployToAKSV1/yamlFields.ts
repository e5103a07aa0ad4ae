/**
 * Typed reads of CLI v2 YAML fields, with errors that name the file and the key. Used by
 * endpointSpec.ts for the Kubernetes endpoint and deployment files.
 */
import * as fs from "node:fs";
import { load } from "js-yaml";
import { setOwn } from "../common/ownKeys";
import { expandedTooLarge, sourceTooLarge, yamlParseOptions } from "../common/yamlLimits";

/** A CLI v2 YAML file the task was given. */
export interface YamlDocument {
  /** Absolute path; local paths inside are relative to its folder. */
  path: string;
  value: Record<string, unknown>;
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
  const tooLong = sourceTooLarge(text);
  if (tooLong) throw new SpecError(inputName, `${filePath} ${tooLong}.`);
  let value: unknown;
  try {
    value = load(text, { filename: filePath, ...yamlParseOptions() });
  } catch (err) {
    throw new SpecError(inputName, `${filePath} is not valid YAML: ${(err as Error).message}`);
  }
  const tooLarge = expandedTooLarge(value);
  if (tooLarge) throw new SpecError(inputName, `${filePath} ${tooLarge}: write the values out without YAML anchors and aliases (&name / *name).`);
  if (!isMapping(value)) throw new SpecError(inputName, `${filePath} must hold a YAML mapping (key: value lines).`);
  return { path: filePath, value };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

  boolean(key: string, map: Record<string, unknown> = this.doc.value, prefix = ""): boolean | undefined {
    const v = map[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw this.error(prefix + key, "must be true or false");
    return v;
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

  error(key: string, problem: string): SpecError {
    return new SpecError(this.inputName, `${this.doc.path}: '${key}' ${problem}.`);
  }
}
