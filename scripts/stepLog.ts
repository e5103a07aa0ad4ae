/**
 * A task's stdout turned into the log a person reads, like the pipeline's web view shows it:
 * `##[group]` sections indented under a marker, warnings and errors labelled, output variables
 * listed, other `##vso[...]` commands and debug lines hidden, and every secret masked with ***.
 */

/** The readable lines of a task's stdout. */
export function readableLog(stdout: string, secrets: readonly string[]): string[] {
  const mask = masker(secrets);
  const lines: string[] = [];
  let depth = 0;
  const indent = () => "  ".repeat(depth);
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const formatted = line.match(/^##\[(\w+)\](.*)$/);
    if (formatted) {
      const [, kind, text] = formatted;
      switch (kind.toLowerCase()) {
        case "group":
          lines.push(`${indent()}▸ ${mask(text)}`);
          depth++;
          break;
        case "endgroup":
          depth = Math.max(0, depth - 1);
          break;
        case "warning":
          lines.push(`${indent()}WARNING: ${mask(text)}`);
          break;
        case "error":
          lines.push(`${indent()}ERROR: ${mask(text)}`);
          break;
        case "section":
          lines.push(`${indent()}${mask(text)}`);
          break;
        default: // debug, command
          break;
      }
      continue;
    }
    const command = line.match(/^##vso\[([\w.]+)([^\]]*)\](.*)$/);
    if (command) {
      const [, area, props, message] = command;
      if (area === "task.logissue") {
        const type = /type=(\w+)/i.exec(props)?.[1]?.toLowerCase();
        lines.push(`${indent()}${type === "error" ? "ERROR" : "WARNING"}: ${mask(message)}`);
      } else if (area === "task.setvariable") {
        const name = /variable=([^;]+)/i.exec(props)?.[1] ?? "?";
        const secret = /issecret=true/i.test(props);
        const output = /isoutput=true/i.test(props);
        lines.push(`${indent()}→ ${output ? "output " : ""}variable ${name} = ${secret ? "***" : mask(unescapeData(message))}`);
      }
      continue;
    }
    if (line.length > 0) lines.push(`${indent()}${mask(line)}`);
  }
  return lines;
}

/** Undoes task-lib's escaping of a logging command's data (`%AZP25` → `%`, `%0D`, `%0A`). */
function unescapeData(text: string): string {
  return text
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%AZP25/g, "%");
}

/** Replaces every secret (longest first, so a secret containing another is masked whole) with ***. */
export function masker(secrets: readonly string[]): (text: string) => string {
  const ordered = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join("***"), text);
}
