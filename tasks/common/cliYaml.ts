/**
 * The one reader for every Azure ML CLI v2 file the tasks read (jobs, components, environments, conda
 * files, endpoints, deployments), with the semantics of the CLI's parser.
 *
 * The CLI reads these files with PyYAML's `yaml.safe_load` (Azure/azure-sdk-for-python,
 * sdk/ml/azure-ai-ml/azure/ai/ml/_utils/utils.py `load_yaml`), so plain scalars are resolved by PyYAML's
 * implicit resolvers (yaml/pyyaml lib/yaml/resolver.py, `Resolver.add_implicit_resolver`) and built by
 * its SafeConstructor (lib/yaml/constructor.py `construct_yaml_bool/int/float`):
 * - bool: exactly `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`;
 *   `y`, `Y`, `n`, `N` stay strings (unlike js-yaml's YAML 1.1 set).
 * - int: `0b…` binary, `0…` octal, decimal, `0x…` hex, `1:30` base 60; `_` ignored.
 * - float: only with a dot (`1.0`, `1.`, `.5`, `1.0e+3`; the exponent needs a sign, so `1e3` and
 *   `1.0e3` are strings), base-60 floats, `.inf`, `.nan`.
 * - null: `~`, `null|Null|NULL`, empty.
 * - `<<` merge keys; a plain `=` is refused as safe_load refuses it (no constructor for
 *   `tag:yaml.org,2002:value`).
 * - timestamps are kept as the text written (PyYAML makes dates, whose `str()` the SDK sends).
 * - a key given twice: the last wins (`BaseConstructor.construct_mapping` assigns in order); we also
 *   report it, naming both lines.
 *
 * Positions: a pass over the parser events records where every key and value starts, so messages can
 * say "key X at line N". Limits (size, aliases, expanded nodes, depth) keep a hostile file from
 * exhausting the agent; they are far above any real job file.
 */
import {
  EVENT_ID,
  NOT_RESOLVED,
  SCALAR_STYLE,
  Schema,
  YAML11_SCHEMA,
  YAMLException,
  constructFromEvents,
  defineScalarTag,
  getScalarValue,
  parseEvents,
} from "js-yaml";
import { pythonFloatRepr } from "./pythonFloat";

export type YamlPath = readonly (string | number)[];

/** Where one node sits in the file. */
export interface NodePosition {
  /** Of the mapping key, for mapping entries. */
  keyLine?: number;
  keyColumn?: number;
  /** Of the value. */
  line: number;
  column: number;
  /** Plain (unquoted) scalar text as written, to tell `1.0` (a float) from `1`. */
  plainScalar?: string;
}

/** A key written twice in one mapping: PyYAML keeps the last value. */
export interface DuplicateKey {
  path: YamlPath;
  firstLine: number;
  line: number;
}

export interface YamlLocation {
  filePath: string;
  line?: number;
  column?: number;
}

/** Bounds on one file. */
export interface CliYamlLimits {
  maxBytes: number;
  maxAliases: number;
  /** Nodes of the document with every alias expanded (what a serializer would walk). */
  maxExpandedNodes: number;
  maxDepth: number;
}

export const DEFAULT_CLI_YAML_LIMITS: CliYamlLimits = { maxBytes: 4 * 1024 * 1024, maxAliases: 1000, maxExpandedNodes: 200_000, maxDepth: 100 };

/** A file the CLI's parser would refuse too (or that exceeds a limit), with where. */
export class CliYamlError extends Error {
  override readonly name = "CliYamlError";
  constructor(
    readonly reason: string,
    readonly location: YamlLocation,
    options?: { cause?: unknown },
  ) {
    super(
      `${reason} (${location.filePath}${location.line === undefined ? "" : `:${location.line}${location.column === undefined ? "" : `:${location.column}`}`})`,
      options,
    );
  }
}

/** A parsed YAML file: its value, the position of every node by path, and its duplicate keys. */
export class YamlSource {
  constructor(
    readonly filePath: string,
    readonly value: unknown,
    private readonly positions: ReadonlyMap<string, NodePosition>,
    readonly duplicateKeys: readonly DuplicateKey[] = [],
  ) {}

  /** Position of the node at `path`, or of its nearest ancestor that has one (nodes added by overrides have none). */
  positionOf(path: YamlPath): NodePosition | undefined {
    for (let n = path.length; n >= 0; n--) {
      const found = this.positions.get(pathKey(path.slice(0, n)));
      if (found) return found;
    }
    return undefined;
  }

  /** Position recorded for exactly this path (no fallback). */
  exactPositionOf(path: YamlPath): NodePosition | undefined {
    return this.positions.get(pathKey(path));
  }

  /** Location of the key of `path` (its value's when it has no key), for error messages. */
  locationOf(path: YamlPath): YamlLocation {
    const p = this.positionOf(path);
    if (!p) return { filePath: this.filePath };
    return { filePath: this.filePath, line: p.keyLine ?? p.line, column: p.keyColumn ?? p.column };
  }

  /** Whether the value at `path` was written as a float literal (`1.0`, `1.0e-05`, `.inf`). */
  isFloatLiteral(path: YamlPath): boolean {
    const text = this.positions.get(pathKey(path))?.plainScalar;
    return text !== undefined && FLOAT.test(text);
  }

  /** One sentence per duplicate key, naming both lines. */
  duplicateKeyWarnings(): string[] {
    return this.duplicateKeys.map(
      (d) =>
        `${this.filePath}: key '${d.path.map(String).join(".")}' is given at line ${d.firstLine} and again at line ${d.line}; the value at line ${d.line} is used, as the CLI (PyYAML) does.`,
    );
  }
}

// PyYAML lib/yaml/resolver.py, the implicit resolvers, verbatim.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const VALUE = /^(?:=)$/;

/** SafeConstructor.construct_yaml_int. */
function pyInt(text: string): number {
  let value = text.replace(/_/g, "");
  const sign = value[0] === "-" ? -1 : 1;
  if ("+-".includes(value[0])) value = value.slice(1);
  if (value === "0") return 0;
  if (value.startsWith("0b")) return sign * parseInt(value.slice(2), 2);
  if (value.startsWith("0x")) return sign * parseInt(value.slice(2), 16);
  if (value[0] === "0") return sign * parseInt(value, 8);
  if (value.includes(":")) return sign * base60(value.split(":").map(Number));
  return sign * Number(value);
}

/** SafeConstructor.construct_yaml_float. */
function pyFloat(text: string): number {
  let value = text.replace(/_/g, "").toLowerCase();
  const sign = value[0] === "-" ? -1 : 1;
  if ("+-".includes(value[0])) value = value.slice(1);
  if (value === ".inf") return sign * Infinity;
  if (value === ".nan") return NaN;
  if (value.includes(":")) return sign * base60(value.split(":").map(Number));
  return sign * Number(value);
}

function base60(digits: number[]): number {
  return digits.reduce((total, digit) => total * 60 + digit, 0);
}

/**
 * One implicit scalar tag: a plain scalar is resolved by PyYAML's regex; an explicit tag (`!!float 1`) is
 * built from any text the SafeConstructor accepts (bool: its lower-cased word list; numbers: what parses).
 * Dumped as PyYAML's SafeRepresenter writes it.
 */
const strictScalar = <T>(
  tagName: string,
  pattern: RegExp,
  firstChars: readonly string[],
  construct: (text: string) => T,
  identify: (v: unknown) => boolean,
  represent: (v: T) => string,
) =>
  defineScalarTag<T>(tagName, {
    implicit: true,
    implicitFirstChars: firstChars,
    resolve: (source, isExplicit) => {
      if (pattern.test(source)) return construct(source);
      if (!isExplicit) return NOT_RESOLVED;
      if (tagName.endsWith(":bool")) return /^(?:yes|no|true|false|on|off)$/i.test(source) ? construct(source) : NOT_RESOLVED;
      const value = construct(source.trim());
      return typeof value === "number" && Number.isNaN(value) ? NOT_RESOLVED : value;
    },
    identify,
    represent,
  });

// represent_float (lib/yaml/representer.py): repr(), lower case, `.inf`/`.nan`, and `1e-05` written `1.0e-05`.
const representFloat = (v: number): string =>
  Number.isNaN(v) ? ".nan" : !Number.isFinite(v) ? (v > 0 ? ".inf" : "-.inf") : pythonFloatRepr(v).replace(/^(-?\d+)e/, "$1.0e");

const PYYAML_SCALARS = [
  strictScalar(
    "tag:yaml.org,2002:null",
    NULL,
    ["~", "n", "N", ""],
    () => null,
    (v) => v === null,
    () => "null",
  ),
  strictScalar(
    "tag:yaml.org,2002:bool",
    BOOL,
    [..."yYnNtTfFoO"],
    (s) => /^(?:yes|true|on)$/i.test(s),
    (v) => typeof v === "boolean",
    (v) => (v ? "true" : "false"),
  ),
  strictScalar(
    "tag:yaml.org,2002:int",
    INT,
    [..."-+0123456789"],
    pyInt,
    (v) => typeof v === "number" && Number.isInteger(v),
    (v) => String(v),
  ),
  strictScalar("tag:yaml.org,2002:float", FLOAT, [..."-+0123456789."], pyFloat, (v) => typeof v === "number" && !Number.isInteger(v), representFloat),
];
const REPLACED = new Set([...PYYAML_SCALARS.map((t) => t.tagName), "tag:yaml.org,2002:timestamp"]);

/** PyYAML's SafeLoader schema (timestamps kept as text, see above). */
export const PYYAML_SAFE_SCHEMA = new Schema([...YAML11_SCHEMA.tags.filter((t) => !REPLACED.has(t.tagName)), ...PYYAML_SCALARS]);

/** Parses one YAML document as `yaml.safe_load` does; throws {@link CliYamlError} with line and column. */
export function parseCliYaml(text: string, filePath: string, limits: CliYamlLimits = DEFAULT_CLI_YAML_LIMITS): YamlSource {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) {
    throw new CliYamlError(`The file is ${bytes} bytes; YAML files over ${limits.maxBytes} bytes are refused. Check that this is the right file`, { filePath });
  }
  let value: unknown;
  let events: ReturnType<typeof parseEvents>;
  try {
    events = parseEvents(text, { filename: filePath, maxDepth: limits.maxDepth });
    const docs = constructFromEvents(events, { source: text, filename: filePath, schema: PYYAML_SAFE_SCHEMA, json: true, maxAliases: limits.maxAliases });
    if (docs.length > 1) throw new CliYamlError("YAML syntax error: the file holds several documents (---); the CLI reads exactly one", { filePath });
    value = docs.length ? docs[0] : null;
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? error.mark.line + 1 : undefined;
      const column = error.mark ? error.mark.column + 1 : undefined;
      throw new CliYamlError(`YAML syntax error: ${error.reason}`, { filePath, line, column }, { cause: error });
    }
    throw error;
  }
  const { positions, duplicates } = collectPositions(text, filePath, events);
  checkExpandedSize(value, filePath, limits.maxExpandedNodes);
  return new YamlSource(filePath, value, positions, duplicates);
}

/** Refuses alias cycles and documents whose alias expansion exceeds `max` nodes (counted without expanding). */
function checkExpandedSize(root: unknown, filePath: string, max: number): void {
  const sizes = new Map<object, number>();
  const active = new Set<object>();
  const tooBig = () =>
    new CliYamlError(`YAML file too large once its aliases (*name) are expanded: more than ${max} values. Write the repeated parts out or use fewer aliases`, {
      filePath,
    });
  const size = (node: unknown): number => {
    if (node === null || typeof node !== "object") return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (active.has(node))
      throw new CliYamlError("YAML alias cycle: a node contains an alias to itself, which no job or deployment can be made of", { filePath });
    active.add(node);
    let total = 1;
    const children = node instanceof Map || node instanceof Set ? [...node.values()] : Object.values(node);
    for (const child of children) {
      total += size(child);
      if (total > max) throw tooBig();
    }
    active.delete(node);
    sizes.set(node, total);
    return total;
  };
  if (size(root) > max) throw tooBig();
}

interface Frame {
  kind: "map" | "seq";
  path: (string | number)[];
  nextIndex: number;
  expectingKey: boolean;
  pendingKey?: { name: string; offset: number };
  keyLines?: Map<string, number>;
}

function collectPositions(text: string, filePath: string, events: ReturnType<typeof parseEvents>) {
  const lines = lineStarts(text);
  const where = (offset: number) => {
    const line = lineIndexOf(lines, offset);
    return { line: line + 1, column: offset - lines[line] + 1 };
  };
  const positions = new Map<string, NodePosition>();
  const duplicates: DuplicateKey[] = [];
  const stack: Frame[] = [];
  const frame = (kind: "map" | "seq", path: (string | number)[]): Frame => ({
    kind,
    path,
    nextIndex: 0,
    expectingKey: true,
    ...(kind === "map" ? { keyLines: new Map() } : {}),
  });
  for (const ev of events) {
    if (ev.type === EVENT_ID.DOCUMENT) continue;
    if (ev.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    const offset =
      ev.type === EVENT_ID.SCALAR
        ? ev.anchorStart >= 0
          ? ev.anchorStart
          : ev.tagStart >= 0
            ? ev.tagStart
            : ev.valueStart
        : ev.type === EVENT_ID.ALIAS
          ? ev.anchorStart - 1
          : ev.start;
    if (ev.type === EVENT_ID.SCALAR && ev.style === SCALAR_STYLE.PLAIN && ev.tagStart < 0 && VALUE.test(getScalarValue(text, ev))) {
      throw new CliYamlError("YAML error: a plain '=' cannot be read (PyYAML has no constructor for tag:yaml.org,2002:value); quote it: '='", {
        filePath,
        ...where(offset),
      });
    }
    const top = stack[stack.length - 1];
    if (top?.kind === "map" && top.expectingKey) {
      top.expectingKey = false;
      const name = ev.type === EVENT_ID.SCALAR ? getScalarValue(text, ev) : "?";
      top.pendingKey = { name, offset };
      const keyLine = where(offset).line;
      const first = top.keyLines!.get(name);
      if (ev.type === EVENT_ID.SCALAR && name !== "<<") {
        if (first !== undefined) duplicates.push({ path: [...top.path, name], firstLine: first, line: keyLine });
        top.keyLines!.set(name, keyLine);
      }
      if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
        stack.push(frame(ev.type === EVENT_ID.MAPPING ? "map" : "seq", [...top.path, "?"]));
      }
      continue;
    }
    let nodePath: (string | number)[] = [];
    const position: NodePosition = { ...where(Math.max(offset, 0)) };
    if (top?.kind === "map") {
      const key = top.pendingKey!;
      nodePath = [...top.path, key.name];
      const k = where(key.offset);
      position.keyLine = k.line;
      position.keyColumn = k.column;
      top.expectingKey = true;
    } else if (top?.kind === "seq") {
      nodePath = [...top.path, top.nextIndex++];
    }
    if (ev.type === EVENT_ID.SCALAR && ev.style === SCALAR_STYLE.PLAIN && ev.tagStart < 0) {
      position.plainScalar = getScalarValue(text, ev);
    }
    positions.set(pathKey(nodePath), position);
    if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
      stack.push(frame(ev.type === EVENT_ID.MAPPING ? "map" : "seq", nodePath));
    }
  }
  return { positions, duplicates };
}

function pathKey(path: YamlPath): string {
  return path.map(String).join("\u0000");
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

function lineIndexOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
