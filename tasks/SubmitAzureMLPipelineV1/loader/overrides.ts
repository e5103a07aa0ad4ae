/**
 * `--set`-style overrides (`key.path=value`, one a line), applied to the raw YAML document before it is
 * validated, as `az ml job create --set` does: split at the first `=`, dotted path, intermediate mappings
 * created, numeric segments index existing lists, values kept as strings (typed fields coerce them later,
 * as the CLI's schema does: `true` → boolean for `settings.continue_on_step_failure`, while a literal
 * input stays the string `"0.1"`). Setting below a string (e.g. `component: azureml:x:1`) is refused.
 */
import type { Loc } from "../../common/loc";
import { JobDefinitionError } from "./errors";

export interface Override {
  /** 1-based line in the overrides text. */
  lineNumber: number;
  /** The line as written (trimmed). */
  text: string;
  path: string[];
  value: string;
}

/** Parses the overrides text; blank lines and `#` comment lines are skipped. */
export function parseOverrides(text: string, loc: Loc): Override[] {
  const overrides: Override[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const lineNumber = index + 1;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      throw overrideError(loc("LoaderOverrideNotKeyValue", lineNumber, line));
    }
    const key = line.slice(0, eq).trim();
    const path = key.split(".");
    if (path.some((segment) => segment.trim() === "" || /\s/.test(segment))) {
      throw overrideError(loc("LoaderOverrideBadKeyPath", lineNumber, line, key));
    }
    overrides.push({ lineNumber, text: line, path, value: line.slice(eq + 1).trim() });
  });
  return overrides;
}

/** Records which document paths overrides set, to name the override in later errors. */
export class OverrideOrigins {
  private readonly byPath = new Map<string, Override>();

  record(override: Override): void {
    this.byPath.set(override.path.join("."), override);
  }

  /** The override that set `path` or one of its ancestors. */
  originOf(path: readonly (string | number)[]): Override | undefined {
    for (let n = path.length; n > 0; n--) {
      const found = this.byPath.get(path.slice(0, n).join("."));
      if (found) return found;
    }
    return undefined;
  }
}

export interface ApplyOverridesOptions {
  /** Top-level keys the document's job type allows. */
  allowedRootKeys: ReadonlySet<string>;
  jobType: string;
  loc: Loc;
}

/** Applies overrides in order to `document` (mutated) and returns where each came from. */
export function applyOverrides(document: Record<string, unknown>, overrides: readonly Override[], options: ApplyOverridesOptions): OverrideOrigins {
  const { loc } = options;
  const origins = new OverrideOrigins();
  for (const override of overrides) {
    const [root] = override.path;
    if (!options.allowedRootKeys.has(root)) {
      const allowed = [...options.allowedRootKeys].sort().join(", ");
      throw overrideError(loc("LoaderOverrideUnknownRoot", override.lineNumber, override.text, root, options.jobType, allowed));
    }
    const container = parentOf(document, override, loc);
    const last = override.path[override.path.length - 1];
    if (Array.isArray(container)) {
      const index = Number(last);
      if (!Number.isInteger(index) || index < 0 || index > container.length) {
        throw overrideError(loc("LoaderOverrideBadIndex", override.lineNumber, override.text, last, container.length));
      }
      container[index] = override.value;
    } else {
      container[last] = override.value;
    }
    origins.record(override);
  }
  return origins;
}

/** The mapping or list the override's last segment is set in, creating missing mappings on the way. */
function parentOf(document: Record<string, unknown>, override: Override, loc: Loc): Record<string, unknown> | unknown[] {
  let container: Record<string, unknown> | unknown[] = document;
  for (let i = 0; i < override.path.length - 1; i++) {
    const segment = override.path[i];
    const next: unknown = getChild(container, segment);
    const walked = override.path.slice(0, i + 1).join(".");
    if (next === undefined || next === null) {
      if (Array.isArray(container)) {
        throw overrideError(loc("LoaderOverrideBeyondList", override.lineNumber, override.text, walked));
      }
      const created: Record<string, unknown> = {};
      container[segment] = created;
      container = created;
    } else if (typeof next === "object") {
      container = next as Record<string, unknown> | unknown[];
    } else if (typeof next === "string") {
      throw overrideError(loc("LoaderOverrideBelowReference", override.lineNumber, override.text, walked, next));
    } else {
      throw overrideError(loc("LoaderOverrideBelowScalar", override.lineNumber, override.text, walked, typeof next, String(next)));
    }
  }
  return container;
}

function getChild(container: Record<string, unknown> | unknown[], segment: string): unknown {
  if (Array.isArray(container)) {
    const index = Number(segment);
    return Number.isInteger(index) && index >= 0 ? container[index] : undefined;
  }
  return Object.hasOwn(container, segment) ? container[segment] : undefined;
}

function overrideError(message: string): JobDefinitionError {
  return new JobDefinitionError("BadOverride", message);
}
