/**
 * Limits for YAML/JSON the tasks parse from users (task inputs such as `parameters` and `tags`,
 * and the files they name; the job-file reader can apply the same ones). YAML anchors and
 * aliases share one node, so a few hundred bytes can stand for gigabytes once the value is
 * serialised (a request body, a summary): a 347-byte "billion laughs" document becomes a 33 MB
 * body, a 485-byte one never finishes. Parsing is bounded by the parser options (aliases, depth);
 * the value is then measured as it would be serialised, with every alias expanded, stopping as
 * soon as a limit is passed (so the check itself is bounded too, cycles included).
 */

export interface YamlLimits {
  /** Source text, in UTF-16 code units (default 1,000,000). */
  maxSourceChars: number;
  /** Alias nodes (`*name`) in one document (default 100). */
  maxAliases: number;
  /** Nesting depth of collections (default 64). */
  maxDepth: number;
  /** Scalars, keys and collections counted with aliases expanded (default 100,000). */
  maxExpandedNodes: number;
  /** Characters of keys and string values counted with aliases expanded (default 2,000,000). */
  maxExpandedChars: number;
}

export const DEFAULT_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxSourceChars: 1_000_000,
  maxAliases: 100,
  maxDepth: 64,
  maxExpandedNodes: 100_000,
  maxExpandedChars: 2_000_000,
});

/** js-yaml (5.x) load options enforcing the parse-time limits. */
export function yamlParseOptions(limits: YamlLimits = DEFAULT_YAML_LIMITS): { maxAliases: number; maxDepth: number } {
  return { maxAliases: limits.maxAliases, maxDepth: limits.maxDepth };
}

/** Which limit `text` passes before parsing, as a phrase for an error message; undefined when within. */
export function sourceTooLarge(text: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): string | undefined {
  return text.length > limits.maxSourceChars ? `is ${text.length} characters long (at most ${limits.maxSourceChars})` : undefined;
}

/**
 * Which limit the parsed `value` passes once every alias is expanded (as JSON.stringify would
 * write it), as a phrase for an error message; undefined when within. Stops at the first limit.
 */
export function expandedTooLarge(value: unknown, limits: YamlLimits = DEFAULT_YAML_LIMITS): string | undefined {
  let nodes = 0;
  let chars = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (++nodes > limits.maxExpandedNodes) return `holds more than ${limits.maxExpandedNodes} values once its aliases (*name) are expanded`;
    if (depth > limits.maxDepth) return `nests deeper than ${limits.maxDepth} levels once its aliases (*name) are expanded`;
    if (typeof v === "string") chars += v.length;
    else if (v !== null && typeof v === "object") {
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: depth + 1 });
      } else {
        for (const [key, item] of Object.entries(v)) {
          chars += key.length;
          stack.push({ value: item, depth: depth + 1 });
        }
      }
      if (stack.length > limits.maxExpandedNodes) return `holds more than ${limits.maxExpandedNodes} values once its aliases (*name) are expanded`;
    }
    if (chars > limits.maxExpandedChars) return `holds more than ${limits.maxExpandedChars} characters once its aliases (*name) are expanded`;
  }
  return undefined;
}
