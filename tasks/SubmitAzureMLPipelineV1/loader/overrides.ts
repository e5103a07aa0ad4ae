/**
 * `--set`-style overrides (`key.path=value`, one a line), applied to the raw YAML document before it is
 * validated, as `az ml job create --set` does: split at the first `=`, dotted path, intermediate mappings
 * created, numeric segments index existing lists, values kept as strings (typed fields coerce them later,
 * as the CLI's schema does: `true` → boolean for `settings.continue_on_step_failure`, while a literal
 * input stays the string `"0.1"`). Setting below a string (e.g. `component: azureml:x:1`) is refused.
 */
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
export function parseOverrides(text: string): Override[] {
  const overrides: Override[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const lineNumber = index + 1;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      throw overrideError(lineNumber, line, "is not of the form key.path=value");
    }
    const key = line.slice(0, eq).trim();
    const path = key.split(".");
    if (path.some((segment) => segment.trim() === "" || /\s/.test(segment))) {
      throw overrideError(lineNumber, line, `has an invalid key path '${key}' (use dotted names such as inputs.learning_rate)`);
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
}

/** Applies overrides in order to `document` (mutated) and returns where each came from. */
export function applyOverrides(document: Record<string, unknown>, overrides: readonly Override[], options: ApplyOverridesOptions): OverrideOrigins {
  const origins = new OverrideOrigins();
  for (const override of overrides) {
    const [root] = override.path;
    if (!options.allowedRootKeys.has(root)) {
      throw overrideError(
        override.lineNumber,
        override.text,
        `sets '${root}', which is not a key of a ${options.jobType} job (allowed: ${[...options.allowedRootKeys].sort().join(", ")})`,
      );
    }
    let container: Record<string, unknown> | unknown[] = document;
    for (let i = 0; i < override.path.length - 1; i++) {
      const segment = override.path[i];
      const next: unknown = getChild(container, segment);
      const walked = override.path.slice(0, i + 1).join(".");
      if (next === undefined || next === null) {
        if (Array.isArray(container)) {
          throw overrideError(override.lineNumber, override.text, `indexes '${walked}' beyond the end of its list`);
        }
        const created: Record<string, unknown> = {};
        container[segment] = created;
        container = created;
      } else if (typeof next === "object") {
        container = next as Record<string, unknown> | unknown[];
      } else if (typeof next === "string") {
        throw overrideError(override.lineNumber, override.text, `cannot set a property below '${walked}': it is defined by a reference string ('${next}')`);
      } else {
        throw overrideError(
          override.lineNumber,
          override.text,
          `cannot set a property below '${walked}': it is a ${typeof next} (${String(next)}), not a mapping`,
        );
      }
    }
    const last = override.path[override.path.length - 1];
    if (Array.isArray(container)) {
      const index = Number(last);
      if (!Number.isInteger(index) || index < 0 || index > container.length) {
        throw overrideError(override.lineNumber, override.text, `uses '${last}' as an index into a list of ${container.length} items`);
      }
      container[index] = override.value;
    } else {
      container[last] = override.value;
    }
    origins.record(override);
  }
  return origins;
}

function getChild(container: Record<string, unknown> | unknown[], segment: string): unknown {
  if (Array.isArray(container)) {
    const index = Number(segment);
    return Number.isInteger(index) && index >= 0 ? container[index] : undefined;
  }
  return Object.hasOwn(container, segment) ? container[segment] : undefined;
}

function overrideError(lineNumber: number, text: string, problem: string): JobDefinitionError {
  return new JobDefinitionError("BadOverride", `Override line ${lineNumber} '${text}' ${problem}.`);
}
