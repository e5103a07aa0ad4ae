/**
 * Typed, position-aware access to a parsed YAML document: every read names the key and the line when it
 * fails, and every mapping is checked against an explicit allow-list (nothing is silently dropped).
 */
import type { Loc } from "../../common/loc";
import { ownValue } from "../../common/ownKeys";
import { JobDefinitionError, type JobDefinitionErrorCode, type SourceLocation } from "./errors";
import type { OverrideOrigins } from "./overrides";
import type { YamlPath, YamlSource } from "./yamlSource";

export type Scalar = string | number | boolean;

/** Keys of one object kind: those read, and those recognised but refused with a reason. */
export interface KeyRules {
  /** A human name for the object, e.g. "pipeline job" or "command step". */
  kind: string;
  allowed: readonly string[];
  /** Keys the CLI accepts but this task does not, with the reason. */
  unsupported?: Readonly<Record<string, string>>;
}

const TRUTHY = new Set(["t", "true", "on", "y", "yes", "1"]);
const FALSY = new Set(["f", "false", "off", "n", "no", "0"]);

export class DocumentReader {
  constructor(
    readonly source: YamlSource,
    readonly root: unknown,
    /** The task's messages: every refusal and warning of the loader is one of them. */
    readonly loc: Loc,
    private readonly origins?: OverrideOrigins,
  ) {}

  get filePath(): string {
    return this.source.filePath;
  }

  /** `jobs.train.inputs.lr` */
  static describe(path: YamlPath): string {
    return path.length === 0 ? "the document" : path.map(String).join(".");
  }

  /** Builds an error located at `path` (or at the override that set it). */
  error(code: JobDefinitionErrorCode, message: string, path: YamlPath): JobDefinitionError {
    const origin = this.origins?.originOf(path);
    if (origin) {
      return new JobDefinitionError(code, `${message} ${this.loc("LoaderSetByOverride", origin.lineNumber, origin.text)}`, {
        location: { filePath: this.source.filePath },
        keyPath: DocumentReader.describe(path),
      });
    }
    return new JobDefinitionError(code, message, { location: this.source.locationOf(path), keyPath: DocumentReader.describe(path) });
  }

  /** Where `path` is, with its key path: what a workspace reference records so a refusal can name file, line and key. */
  locate(path: YamlPath): SourceLocation {
    return { ...this.source.locationOf(path), keyPath: DocumentReader.describe(path) };
  }

  /** The line of `path`'s key (or nearest ancestor), for messages. */
  lineOf(path: YamlPath): number | undefined {
    return this.source.locationOf(path).line;
  }

  get(path: YamlPath): unknown {
    let node: unknown = this.root;
    for (const segment of path) {
      if (node === null || typeof node !== "object") return undefined;
      node = Array.isArray(node) ? node[segment as number] : Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment as string] : undefined;
    }
    return node;
  }

  has(path: YamlPath): boolean {
    const value = this.get(path);
    return value !== undefined && value !== null;
  }

  /** A mapping (or absent/null → undefined), its keys checked against `rules`. */
  mapping(path: YamlPath, rules?: KeyRules): Record<string, unknown> | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) {
      const what = DocumentReader.describe(path);
      const message = rules
        ? this.loc("LoaderMustBeMappingOfKind", what, rules.kind, describeValue(value, this.loc))
        : this.loc("LoaderMustBeMapping", what, describeValue(value, this.loc));
      throw this.error("InvalidValue", message, path);
    }
    if (rules) this.checkKeys(path, value as Record<string, unknown>, rules);
    return value as Record<string, unknown>;
  }

  requireMapping(path: YamlPath, rules?: KeyRules): Record<string, unknown> {
    const m = this.mapping(path, rules);
    if (!m) throw this.error("MissingKey", this.loc("LoaderMissingKey", DocumentReader.describe(path)), path);
    return m;
  }

  checkKeys(path: YamlPath, value: Record<string, unknown>, rules: KeyRules): void {
    for (const key of Object.keys(value)) {
      if (rules.allowed.includes(key)) continue;
      const keyPath = [...path, key];
      const reason = ownValue(rules.unsupported, key);
      // The line of the key, or of its nearest ancestor in the file (a key an override adds is not in it).
      const line = this.lineOf(keyPath);
      const owner = path.length === 0 ? this.loc("LoaderOwnerDocument", rules.kind) : this.loc("LoaderOwnerAt", rules.kind, DocumentReader.describe(path));
      if (reason !== undefined) throw this.error("Unsupported", this.loc("LoaderUnsupportedKey", key, line, owner, reason), keyPath);
      throw this.error("UnknownKey", this.loc("LoaderUnknownKey", key, line, owner, [...rules.allowed].sort().join(", ")), keyPath);
    }
  }

  string(path: YamlPath, options: { required?: boolean; allowNumbers?: boolean } = {}): string | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) {
      if (options.required) throw this.error("MissingKey", this.loc("LoaderMissingKey", DocumentReader.describe(path)), path);
      return undefined;
    }
    if (typeof value === "string") return value;
    if (options.allowNumbers && (typeof value === "number" || typeof value === "boolean")) return this.scalarText(path);
    throw this.error("InvalidValue", this.loc("LoaderMustBeString", DocumentReader.describe(path), describeValue(value, this.loc)), path);
  }

  requireString(path: YamlPath): string {
    return this.string(path, { required: true })!;
  }

  /** Booleans; strings are coerced as marshmallow does (`true`, `yes`, `1`, …). */
  boolean(path: YamlPath): boolean | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    if (typeof value === "number" && (value === 0 || value === 1)) return value === 1;
    if (typeof value === "string") {
      const v = value.trim().toLowerCase();
      if (TRUTHY.has(v)) return true;
      if (FALSY.has(v)) return false;
    }
    throw this.error("InvalidValue", this.loc("LoaderMustBeBoolean", DocumentReader.describe(path), describeValue(value, this.loc)), path);
  }

  /** Integers; numeric strings (from overrides) are coerced. */
  integer(path: YamlPath, options: { min?: number } = {}): number | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    const n = typeof value === "string" && /^[-+]?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw this.error("InvalidValue", this.loc("LoaderMustBeInteger", DocumentReader.describe(path), describeValue(value, this.loc)), path);
    }
    if (options.min !== undefined && n < options.min) {
      throw this.error("InvalidValue", this.loc("LoaderMustBeAtLeast", DocumentReader.describe(path), options.min, String(n)), path);
    }
    return n;
  }

  /** Numbers (seconds and the like); numeric strings are coerced. */
  number(path: YamlPath): number | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    const n = typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isFinite(n)) {
      throw this.error("InvalidValue", this.loc("LoaderMustBeNumber", DocumentReader.describe(path), describeValue(value, this.loc)), path);
    }
    return n;
  }

  /** A mapping of names to scalars, sent as strings (tags, properties, environment variables). */
  stringMap(path: YamlPath): Record<string, string> | undefined {
    const m = this.mapping(path);
    if (!m) return undefined;
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(m)) {
      if (value === null || value === undefined) {
        out[key] = "";
      } else if (typeof value === "object") {
        throw this.error("InvalidValue", this.loc("LoaderMustBeString", DocumentReader.describe([...path, key]), describeValue(value, this.loc)), [
          ...path,
          key,
        ]);
      } else {
        out[key] = typeof value === "string" ? value : this.scalarText([...path, key]);
      }
    }
    return out;
  }

  /** A scalar as the YAML wrote it (for numbers and booleans given where strings are expected). */
  scalarText(path: YamlPath): string {
    const value = this.get(path);
    const plain = this.source.exactPositionOf(path)?.plainScalar;
    if (typeof value === "number" && plain !== undefined && !this.origins?.originOf(path)) return plain;
    return String(value);
  }

  /** Whether the YAML wrote the value at `path` as a float literal (overridden values are strings). */
  isFloatLiteral(path: YamlPath): boolean {
    return !this.origins?.originOf(path) && this.source.isFloatLiteral(path);
  }
}

/** What a wrong value is, for messages: "a list", "the string 'x'", "number 5". */
export function describeValue(value: unknown, loc: Loc): string {
  if (value === null || value === undefined) return loc("LoaderValueNothing");
  if (Array.isArray(value)) return loc("LoaderValueList");
  if (typeof value === "object") return loc("LoaderValueMapping");
  if (typeof value === "string") return loc("LoaderValueString", value);
  return loc("LoaderValueScalar", typeof value, String(value));
}
