/**
 * YAML parsing with source positions.
 *
 * js-yaml 5 builds the value; a second pass over its parser events records where every key and value
 * starts, so later checks can say "key X at line N". The schema is YAML 1.1 (what PyYAML, and so the CLI,
 * reads: `yes`/`no` are booleans, `1e3` is a string, merge keys work) without timestamps, which PyYAML
 * would turn into dates whose `str()` is the text as written, so they are kept as strings.
 */
import { EVENT_ID, Schema, YAML11_SCHEMA, YAMLException, getScalarValue, load, parseEvents, SCALAR_STYLE } from "js-yaml";
import { JobDefinitionError, type SourceLocation } from "./errors";

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

/** A parsed YAML file: its value and the position of every node by path. */
export class YamlSource {
  constructor(
    readonly filePath: string,
    readonly value: unknown,
    private readonly positions: ReadonlyMap<string, NodePosition>,
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
  locationOf(path: YamlPath): SourceLocation {
    const p = this.positionOf(path);
    if (!p) return { filePath: this.filePath };
    return { filePath: this.filePath, line: p.keyLine ?? p.line, column: p.keyColumn ?? p.column };
  }

  /** Whether the value at `path` was written as a float literal (`1.0`, `1e-05`, `.inf`). */
  isFloatLiteral(path: YamlPath): boolean {
    const text = this.positions.get(pathKey(path))?.plainScalar;
    return text !== undefined && /[.eE]|inf|nan/i.test(text) && !/^[-+]?0x/i.test(text);
  }
}

const YAML_SCHEMA = new Schema(YAML11_SCHEMA.tags.filter((t) => !t.tagName.endsWith(":timestamp")));

/** Parses one YAML document; throws {@link JobDefinitionError} `YamlSyntax` with line and column. */
export function parseYamlSource(text: string, filePath: string): YamlSource {
  let value: unknown;
  let events;
  try {
    events = parseEvents(text, { filename: filePath });
    value = load(text, { filename: filePath, schema: YAML_SCHEMA });
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? error.mark.line + 1 : undefined;
      const column = error.mark ? error.mark.column + 1 : undefined;
      throw new JobDefinitionError("YamlSyntax", `YAML syntax error: ${error.reason}`, {
        location: { filePath, line, column },
        cause: error,
      });
    }
    throw error;
  }
  return new YamlSource(filePath, value, collectPositions(text, events));
}

interface Frame {
  kind: "map" | "seq";
  path: (string | number)[];
  nextIndex: number;
  expectingKey: boolean;
  pendingKey?: { name: string; offset: number };
}

function collectPositions(text: string, events: ReturnType<typeof parseEvents>): Map<string, NodePosition> {
  const lines = lineStarts(text);
  const where = (offset: number) => {
    const line = lineIndexOf(lines, offset);
    return { line: line + 1, column: offset - lines[line] + 1 };
  };
  const positions = new Map<string, NodePosition>();
  const stack: Frame[] = [];
  for (const ev of events) {
    if (ev.type === EVENT_ID.DOCUMENT) continue;
    if (ev.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    const offset =
      ev.type === EVENT_ID.SCALAR ? (ev.anchorStart >= 0 ? ev.anchorStart : ev.tagStart >= 0 ? ev.tagStart : ev.valueStart)
      : ev.type === EVENT_ID.ALIAS ? ev.anchorStart - 1
      : ev.start;
    const top = stack[stack.length - 1];
    if (top?.kind === "map" && top.expectingKey) {
      top.expectingKey = false;
      top.pendingKey = { name: ev.type === EVENT_ID.SCALAR ? getScalarValue(text, ev) : "?", offset };
      if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
        stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", path: [...top.path, "?"], nextIndex: 0, expectingKey: true });
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
      stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", path: nodePath, nextIndex: 0, expectingKey: true });
    }
  }
  return positions;
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
