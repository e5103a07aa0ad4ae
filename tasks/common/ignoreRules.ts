/**
 * Which files of a local folder the Azure ML CLI v2 uploads (code folders, local data, model folders).
 *
 * What the CLI (azure-ai-ml `_asset_utils.get_ignore_file` / `IgnoreFile`) does, reproduced here:
 * - Only the ignore file in the uploaded folder's root is read (nested ignore files are ordinary files);
 *   `.amlignore` takes precedence over `.gitignore` (when both exist, `.gitignore` is not read at all).
 * - Patterns follow gitwildmatch semantics as implemented by the `pathspec` package the CLI vendors:
 *   `#` comments, blank lines, `!` negation, `\` escapes, leading `/` anchors, a `/` inside a pattern
 *   anchors it to the root, a pattern without `/` matches at any depth, a trailing `/` matches what is
 *   inside a directory, `**` spans directories, `*`/`?`/`[...]` never cross `/`. Lines are trimmed.
 * - The last matching pattern decides (newer azure-ai-ml; older releases used the first match).
 * - Code of components additionally always excludes `__pycache__` (appended last, so it cannot be
 *   re-included); data and model folders have no built-in exclusions. The CLI excludes nothing else
 *   by default: `.git`, `.amlignore` and `.gitignore` are uploaded unless a pattern says otherwise.
 * - A path below an excluded directory is excluded too (git semantics; the CLI's hash walk never descends
 *   into an excluded directory, so the file list must not either).
 *
 * Paths given to the matcher are relative to the root, with `/` separators, directories without a
 * trailing slash (that is how the CLI passes them).
 *
 * The pattern compiler follows the copy of pathspec the CLI ships, azure-ai-ml
 * `azure/ai/ml/_utils/_pathspec.py` `GitWildMatchPattern.pattern_to_regex` / `_translate_segment_glob`,
 * including its edge cases: `**` runs collapse, the pattern two-stars-slash matches every path below the root (not the
 * root's own entries), `[^...]` is a literal caret (only `[!...]` negates; newer pathspec releases
 * differ), and a lone `!` or a trailing `\` is an invalid pattern the CLI refuses.
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/** Ignore files the CLI reads, in precedence order. */
export const IGNORE_FILE_NAMES = [".amlignore", ".gitignore"] as const;

/** Entries the CLI always excludes from component (and command job) code. */
export const COMPONENT_CODE_ALWAYS_IGNORED = ["__pycache__"] as const;

/** One compiled ignore-file line. */
export interface IgnorePattern {
  /** The line as written (trimmed). */
  readonly source: string;
  /** 1-based line in the ignore file (0 for built-in patterns). */
  readonly line: number;
  /** `true` excludes, `false` re-includes (a `!` pattern). */
  readonly exclude: boolean;
  readonly regex: RegExp;
}

/** The rules that apply to one folder. */
export interface IgnoreRules {
  /** Absolute path of the ignore file that was read, if any. */
  readonly ignoreFilePath?: string;
  readonly patterns: readonly IgnorePattern[];
  /** Whether a path (relative to the root, `/`-separated, no trailing slash) is excluded itself or below an excluded directory. */
  isExcluded(relativePath: string): boolean;
  /** Whether the path itself matches (no ancestor check): what the CLI's hash walk asks per entry. */
  matches(relativePath: string): boolean;
}

export interface LoadIgnoreRulesOptions {
  /** Extra patterns appended after the ignore file's (e.g. {@link COMPONENT_CODE_ALWAYS_IGNORED}). */
  extraPatterns?: readonly string[];
}

/** Reads `.amlignore` (else `.gitignore`) in `rootDir` and compiles it with the extra patterns. */
export async function loadIgnoreRules(rootDir: string, options: LoadIgnoreRulesOptions = {}): Promise<IgnoreRules> {
  for (const name of IGNORE_FILE_NAMES) {
    const candidate = path.join(rootDir, name);
    let text: string;
    try {
      const stat = statSync(candidate);
      if (!stat.isFile()) continue;
      text = readFileSync(candidate, "utf8");
    } catch (error) {
      if (isNotFound(error)) continue;
      throw error;
    }
    return compileIgnoreRules(text, { extraPatterns: options.extraPatterns, ignoreFilePath: candidate });
  }
  return compileIgnoreRules("", { extraPatterns: options.extraPatterns });
}

export interface CompileIgnoreRulesOptions extends LoadIgnoreRulesOptions {
  ignoreFilePath?: string;
}

/** A line pathspec cannot compile (`GitWildMatchPatternError`): the CLI fails on it too. */
export class IgnorePatternError extends Error {
  override readonly name = "IgnorePatternError";
  constructor(
    readonly pattern: string,
    readonly line: number,
    readonly reason: string,
    readonly ignoreFilePath?: string,
  ) {
    super(
      `Invalid pattern '${pattern}' at line ${line}${ignoreFilePath ? ` of ${ignoreFilePath}` : ""}: ${reason}. The CLI (pathspec) refuses it too: escape it with \\ or remove it.`,
    );
  }
}

/** Compiles ignore-file text (gitwildmatch) into rules; throws {@link IgnorePatternError} for an invalid line. */
export function compileIgnoreRules(text: string, options: CompileIgnoreRulesOptions = {}): IgnoreRules {
  const patterns: IgnorePattern[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    let compiled;
    try {
      compiled = compileIgnorePattern(raw, index + 1);
    } catch (error) {
      if (error instanceof IgnorePatternError) throw new IgnorePatternError(error.pattern, error.line, error.reason, options.ignoreFilePath);
      throw error;
    }
    if (compiled) patterns.push(compiled);
  });
  for (const extra of options.extraPatterns ?? []) {
    const compiled = compileIgnorePattern(extra, 0);
    if (compiled) patterns.push(compiled);
  }
  return new CompiledIgnoreRules(patterns, options.ignoreFilePath);
}

class CompiledIgnoreRules implements IgnoreRules {
  constructor(
    readonly patterns: readonly IgnorePattern[],
    readonly ignoreFilePath?: string,
  ) {}

  matches(relativePath: string): boolean {
    const normalized = normalizeRelativePath(relativePath);
    let excluded = false;
    for (const pattern of this.patterns) {
      if (pattern.regex.test(normalized)) excluded = pattern.exclude;
    }
    return excluded;
  }

  isExcluded(relativePath: string): boolean {
    if (this.patterns.length === 0) return false;
    const segments = normalizeRelativePath(relativePath).split("/");
    for (let i = 1; i <= segments.length; i++) {
      if (this.matches(segments.slice(0, i).join("/"))) return true;
    }
    return false;
  }
}

/** `./a\\b/` → `a/b` (what pathspec's `normalize_file` does, plus Windows separators). */
export function normalizeRelativePath(relativePath: string): string {
  let p = relativePath.replace(/\\/g, "/");
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/\/+$/, "");
  return p;
}

/**
 * Compiles one gitwildmatch line; `undefined` for blank lines, comments and the lone `/`
 * (which pathspec treats as matching nothing).
 */
export function compileIgnorePattern(rawLine: string, line: number): IgnorePattern | undefined {
  let pattern = rawLine.trim();
  if (pattern === "" || pattern.startsWith("#") || pattern === "/") return undefined;
  let exclude = true;
  if (pattern.startsWith("!")) {
    exclude = false;
    pattern = pattern.slice(1);
  }
  let segments = pattern.split("/");
  // Collapse runs of `**` (pathspec does the same).
  segments = segments.filter((seg, i) => !(seg === "**" && i > 0 && segments[i - 1] === "**"));
  // `**/` (also `**/**/`): everything except the root's own entries (pathspec's override regex).
  if (segments.length === 2 && segments[0] === "**" && segments[1] === "") {
    return { source: rawLine.trim(), line, exclude, regex: /^.+\/.*$/s };
  }
  if (segments[0] === "") {
    segments.shift(); // leading slash: anchored to the root
  } else if (segments.length === 1 || (segments.length === 2 && segments[1] === "")) {
    if (segments[0] !== "**") segments.unshift("**"); // no slash: any depth
  }
  if (segments.length === 0) throw new IgnorePatternError(rawLine.trim(), line, "nothing is left to match");
  if (segments.length > 1 && segments[segments.length - 1] === "") segments[segments.length - 1] = "**"; // `dir/` → contents

  let regex = "^";
  let needSlash = false;
  const end = segments.length - 1;
  segments.forEach((seg, i) => {
    if (seg === "**") {
      if (i === 0 && i === end) {
        regex += ".+";
      } else if (i === 0) {
        regex += "(?:.+/)?";
        needSlash = false;
      } else if (i === end) {
        regex += "/.*";
      } else {
        regex += "(?:/.+)?";
        needSlash = true;
      }
    } else if (seg === "*") {
      if (needSlash) regex += "/";
      regex += "[^/]+";
      if (i === end) regex += "(?:/.*)?";
      needSlash = true;
    } else {
      if (needSlash) regex += "/";
      regex += translateSegmentGlob(seg, rawLine.trim(), line);
      if (i === end) regex += "(?:/.*)?";
      needSlash = true;
    }
  });
  regex += "$";
  return { source: rawLine.trim(), line, exclude, regex: new RegExp(regex, "s") };
}

/** Translates one path segment's glob (`*`, `?`, `[...]`, `\` escapes) to a regex fragment. */
function translateSegmentGlob(segment: string, pattern: string, line: number): string {
  let out = "";
  let escaped = false;
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (escaped) {
      out += escapeRegex(ch);
      escaped = false;
    } else if (ch === "\\") {
      escaped = true;
    } else if (ch === "*") {
      out += "[^/]*";
    } else if (ch === "?") {
      out += "[^/]";
    } else if (ch === "[") {
      let j = i + 1;
      if (j < segment.length && segment[j] === "!") j++;
      if (j < segment.length && segment[j] === "]") j++;
      while (j < segment.length && segment[j] !== "]") j++;
      if (j < segment.length) {
        let body = segment.slice(i + 1, j);
        let head = "";
        if (body.startsWith("!")) {
          head = "^";
          body = body.slice(1);
        } else if (body.startsWith("^")) {
          head = "\\^"; // the vendored pathspec escapes a leading caret: a literal, not a negation
          body = body.slice(1);
        }
        out += `[${head}${body.replace(/\\/g, "\\\\").replace(/]/g, "\\]").replace(/\[/g, "\\[")}]`;
        i = j;
      } else {
        out += "\\[";
      }
    } else {
      out += escapeRegex(ch);
    }
  }
  if (escaped) throw new IgnorePatternError(pattern, line, "it ends with an escape character (\\) with nothing to escape");
  return out;
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? `\\${ch}` : ch;
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
