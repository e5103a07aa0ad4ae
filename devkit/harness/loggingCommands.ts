/**
 * The `##vso[area.action key=value;key=value]message` logging-command wire format, parsed the
 * way azure-pipelines-task-lib's `commandFromString` does (the agent accepts the same lines).
 */

export interface LoggingCommand {
  /** e.g. "task" */
  area: string;
  /** e.g. "setvariable" */
  action: string;
  /** Property names as written (task-lib writes `isOutput`, `issecret`); values unescaped. */
  properties: Record<string, string>;
  /** Unescaped message (the text after `]`). */
  message: string;
}

const PREFIX = "##vso[";

/** Property values: task-lib escapes `%` `\r` `\n` `]` `;`. */
export function escapePropertyValue(value: string): string {
  return value.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/]/g, "%5D").replace(/;/g, "%3B");
}

export function unescapePropertyValue(value: string): string {
  return value
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%5D/g, "]")
    .replace(/%3B/g, ";")
    .replace(/%AZP25/g, "%");
}

/** Messages: task-lib escapes `%` `\r` `\n` only. */
export function escapeMessage(message: string): string {
  return message.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function unescapeMessage(message: string): string {
  return message
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%AZP25/g, "%");
}

/** Formats a command as task-lib's TaskCommand.toString does (empty values are left out). */
export function formatLoggingCommand(command: LoggingCommand): string {
  const properties = Object.entries(command.properties)
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${escapePropertyValue(value)};`)
    .join("");
  return `${PREFIX}${command.area}.${command.action}${properties ? ` ${properties}` : ""}]${escapeMessage(command.message)}`;
}

/**
 * Parses one output line. Returns undefined for a line that is not a logging command or is
 * malformed (the agent prints those as plain output). Like the agent, the command may start
 * anywhere in the line.
 */
export function parseLoggingCommand(line: string): LoggingCommand | undefined {
  const start = line.indexOf(PREFIX);
  if (start < 0) {
    return undefined;
  }
  const end = line.indexOf("]", start);
  if (end < 0) {
    return undefined;
  }
  const info = line.substring(start + PREFIX.length, end).trim();
  const space = info.indexOf(" ");
  const name = space > 0 ? info.substring(0, space) : info;
  const dot = name.indexOf(".");
  if (dot <= 0 || dot === name.length - 1) {
    return undefined;
  }
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const part of info.substring(space + 1).split(";")) {
      const pair = part.trim();
      if (pair.length === 0) {
        continue;
      }
      const eq = pair.indexOf("=");
      if (eq <= 0) {
        return undefined;
      }
      properties[pair.substring(0, eq)] = unescapePropertyValue(pair.substring(eq + 1));
    }
  }
  return {
    area: name.substring(0, dot).toLowerCase(),
    action: name.substring(dot + 1).toLowerCase(),
    properties,
    message: unescapeMessage(line.substring(end + 1)),
  };
}

/** Case-insensitive property lookup (task-lib writes `isOutput`, the agent reads `isoutput`). */
export function commandProperty(command: LoggingCommand, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(command.properties)) {
    if (key.toLowerCase() === wanted) {
      return value;
    }
  }
  return undefined;
}

/** Splits a stream of text chunks into lines (`\n` or `\r\n`), holding back a partial last line. */
export class LineSplitter {
  private pending = "";

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines = text.split("\n");
    this.pending = lines.pop() ?? "";
    return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  }

  /** The last line when the stream ends without a newline. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = "";
    return rest.length > 0 ? [rest.endsWith("\r") ? rest.slice(0, -1) : rest] : [];
  }
}
