/**
 * Typed task inputs. Only task entries (their inputs.ts) call these, through `inputReader(loc)`;
 * each throws InputError with a message that names the input and says what a valid value looks like.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import * as yaml from "js-yaml";
import { type AzureNameRule, checkAzureName } from "./azureNames";
import { isInside, outsideWorkFolders, workFolderRoots } from "./confinement";
import { InputError } from "./errors";
import type { Loc } from "./loc";
import { setOwn } from "./ownKeys";
import { expandedTooLarge, sourceTooLarge, yamlParseOptions } from "./yamlLimits";

function raw(name: string): string | undefined {
  const value = tl.getInput(name, false);
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * Whether an object input's value names a .json/.yml/.yaml file rather than holding the object:
 * one line, no `{` and no `: ` (which every inline mapping has). A Windows path (`D:\\a\\1\\s\\p.json`)
 * is a file name.
 */
export function isFileName(value: string): boolean {
  return /\.(json|ya?ml)$/i.test(value) && !/[\r\n{]/.test(value) && !/:\s/.test(value);
}

/** The input readers, wording their errors with `loc` (task.json `messages`). */
export type InputReader = ReturnType<typeof inputReader>;

export function inputReader(loc: Loc) {
  function readString(name: string, options: { required: true }): string;
  function readString(name: string, options?: { required?: boolean }): string | undefined;
  function readString(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = raw(name);
    if (value === undefined && options.required) throw new InputError(name, loc("Common_InputRequired", name));
    return value;
  }

  function readBoolean(name: string, defaultValue: boolean): boolean {
    const value = raw(name);
    if (value === undefined) return defaultValue;
    if (/^(true|yes|1)$/i.test(value)) return true;
    if (/^(false|no|0)$/i.test(value)) return false;
    throw new InputError(name, loc("Common_InputNotBoolean", name, value));
  }

  function readInteger(name: string, options: { default: number; min: number; max: number }): number {
    const value = raw(name);
    if (value === undefined) return options.default;
    if (!/^[+-]?\d+$/.test(value)) throw new InputError(name, loc("Common_InputNotInteger", name, options.min, options.max, value));
    const n = Number(value);
    if (n < options.min || n > options.max) throw new InputError(name, loc("Common_InputOutOfRange", name, value, options.min, options.max));
    return n;
  }

  /**
   * A duration in minutes, fractions allowed (0.5 = 30 s), as milliseconds. With `zeroMeansNoLimit`,
   * 0 is accepted and returned as 0 (no limit); otherwise it must be greater than 0.
   */
  function readMinutesAsMs(name: string, options: { default: number; max: number; zeroMeansNoLimit: boolean }): number {
    const value = raw(name);
    if (value === undefined) return options.default * 60_000;
    const minutes = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    const tooSmall = options.zeroMeansNoLimit ? minutes < 0 : !(minutes > 0);
    if (!Number.isFinite(minutes) || tooSmall || minutes > options.max) {
      const message = options.zeroMeansNoLimit
        ? loc("Common_InputNotMinutesOrZero", name, options.max, value)
        : loc("Common_InputNotMinutes", name, options.max, value);
      throw new InputError(name, message);
    }
    return Math.round(minutes * 60_000);
  }

  function readEnum<T extends string>(name: string, values: readonly T[], defaultValue?: T): T {
    const value = raw(name);
    if (value === undefined) {
      if (defaultValue !== undefined) return defaultValue;
      throw new InputError(name, loc("Common_InputRequired", name));
    }
    const match = values.find((v) => v.toLowerCase() === value.toLowerCase());
    if (!match) throw new InputError(name, loc("Common_InputNotInList", name, value, values.join(", ")));
    return match;
  }

  /**
   * A JSON or YAML mapping given inline, or the path of a .json/.yml/.yaml file holding one.
   * Undefined when the input is empty.
   */
  function readObject(name: string): Record<string, unknown> | undefined {
    const value = raw(name);
    if (value === undefined) return undefined;
    let text = value;
    let source = name;
    if (isFileName(value)) {
      const file = resolveInsideWorkFolders(name, value);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new InputError(name, loc("Common_InputFileMissing", name, file));
      text = fs.readFileSync(file, "utf8");
      source = file;
    }
    const tooLong = sourceTooLarge(text);
    if (tooLong) throw new InputError(name, loc("Common_InputTooLarge", name, source, tooLong));
    let parsed: unknown;
    try {
      parsed = yaml.load(text, { schema: yaml.JSON_SCHEMA, ...yamlParseOptions() });
    } catch (err) {
      const mark = (err as { mark?: { line: number; column: number } }).mark;
      const where = mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : "";
      throw new InputError(name, loc("Common_InputNotObject", name, `${source}${where}: ${(err as Error).message.split("\n")[0]}`));
    }
    if (parsed === null || parsed === undefined) return undefined;
    const tooLarge = expandedTooLarge(parsed);
    if (tooLarge) throw new InputError(name, loc("Common_InputTooLarge", name, source, tooLarge));
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new InputError(name, loc("Common_InputNotObject", name, Array.isArray(parsed) ? "a list" : `the ${typeof parsed} ${JSON.stringify(parsed)}`));
    }
    return parsed as Record<string, unknown>;
  }

  /** Tags and properties: a JSON/YAML object of scalars, or `key=value` lines. */
  function readKeyValues(name: string): Record<string, string> {
    const value = raw(name);
    if (value === undefined) return {};
    if (/^\s*[{]/.test(value) || (/:\s/.test(value) && !/=/.test(value))) {
      const obj = readObject(name) ?? {};
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj)) {
        if (v !== null && typeof v === "object") throw new InputError(name, loc("Common_InputKeyValueNested", name, k));
        setOwn(out, k, String(v ?? ""));
      }
      return out;
    }
    const out: Record<string, string> = {};
    for (const [i, line] of value.split(/\r?\n/).entries()) {
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
      const eq = line.indexOf("=");
      if (eq <= 0) throw new InputError(name, loc("Common_InputKeyValueLine", name, i + 1, line.trim()));
      setOwn(out, line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
    return out;
  }

  /**
   * A file or folder that must exist, resolved against System.DefaultWorkingDirectory. Paths that
   * leave that folder (and the agent's work folder) are refused.
   */
  function readPath(name: string, options: { required: true; kind?: "file" | "folder" | "any" }): string;
  function readPath(name: string, options?: { required?: boolean; kind?: "file" | "folder" | "any" }): string | undefined;
  function readPath(name: string, options: { required?: boolean; kind?: "file" | "folder" | "any" } = {}): string | undefined {
    const value = readString(name, { required: options.required });
    if (value === undefined) return undefined;
    const file = resolveInsideWorkFolders(name, value);
    if (!fs.existsSync(file)) throw new InputError(name, loc("Common_InputPathMissing", name, file));
    const stat = fs.statSync(file);
    if (options.kind === "file" && !stat.isFile()) throw new InputError(name, loc("Common_InputNotFile", name, file));
    if (options.kind === "folder" && !stat.isDirectory()) throw new InputError(name, loc("Common_InputNotFolder", name, file));
    return file;
  }

  function readAzureName(name: string, rule: AzureNameRule, options: { required: true }): string;
  function readAzureName(name: string, rule: AzureNameRule, options?: { required?: boolean }): string | undefined;
  function readAzureName(name: string, rule: AzureNameRule, options: { required?: boolean } = {}): string | undefined {
    const value = readString(name, options);
    if (value === undefined) return undefined;
    const problem = checkAzureName(value, rule);
    if (problem) throw new InputError(name, loc("Common_InputBadName", name, value, rule.kind, problem));
    return value;
  }

  /**
   * `value` resolved against System.DefaultWorkingDirectory; paths that leave the pipeline's
   * folders (sources, build directory, agent temp), as written or through a link, are refused
   * (confinement.ts: the same rule as for paths inside YAML files).
   */
  function resolveInsideWorkFolders(name: string, value: string): string {
    const file = path.resolve(tl.getVariable("System.DefaultWorkingDirectory") || process.cwd(), value);
    const roots = workFolderRoots();
    if (roots.length > 0 && !roots.some((root) => isInside(root, file))) {
      throw new InputError(name, loc("Common_InputPathOutside", name, value, roots[0]));
    }
    const real = outsideWorkFolders(file, roots);
    if (real !== undefined) throw new InputError(name, loc("Common_InputPathLinksOutside", name, value, real, roots[0]));
    return file;
  }

  return { readString, readBoolean, readInteger, readMinutesAsMs, readEnum, readObject, readKeyValues, readPath, readAzureName };
}
