/**
 * What a task prints: plain lines, debug lines, collapsible groups, tables, durations, the build
 * summary, output variables and the task result. Operations receive a `TaskLog` and never call
 * task-lib themselves.
 *
 * This file is the only writer of stdout (test/common/logChannel.test.ts fails on any other):
 * every line passes `neutralizeCommands` (no text can issue a logging command, whatever its
 * source) and `maskSecrets` (registered secrets and quoted credentials are masked).
 * What task-lib does itself (5.281, taskcommand.js): it escapes `%`, CR and LF in a command's data
 * (`##vso[task.issue ...]message`, task.debug, task.complete, a variable's value), so data cannot
 * start a new line, and the agent runs only the first command of a line; it does not touch a
 * `##vso[` inside the data, nor anything printed with console.log. So debug, warning and result
 * messages are safe through task-lib alone, plain lines are not: all of them are neutralised here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { neutralizeCommands, remoteText } from "./remoteText";
import { maskSecrets, registerSecret } from "./secrets";

export interface TaskLog {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  group(title: string): void;
  endGroup(): void;
}

/** `message` as it may reach stdout: no logging command in any line, secrets masked. */
export function safeLogText(message: string): string {
  return neutralizeCommands(maskSecrets(message));
}

/** The log the agent shows: stdout lines, `##[group]`, and task-lib's debug/warning commands. */
export const agentLog: TaskLog = {
  info: (message) => console.log(safeLogText(message)),
  debug: (message) => tl.debug(safeLogText(message)),
  warning: (message) => tl.warning(safeLogText(message)),
  group: (title) => console.log(`##[group]${remoteText(maskSecrets(title))}`),
  endGroup: () => console.log("##[endgroup]"),
};

/** The step's result (task.complete; a Failed result also writes its message as an error issue). */
export function setTaskResult(result: tl.TaskResult, message: string): void {
  tl.setResult(result, safeLogText(message));
}

/** A log that records lines (tests, and operations run outside the agent). */
export class MemoryLog implements TaskLog {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(message);
  }
  debug(message: string): void {
    this.lines.push(`debug: ${message}`);
  }
  warning(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  group(title: string): void {
    this.lines.push(`group: ${title}`);
  }
  endGroup(): void {
    this.lines.push("endgroup");
  }
}

/** A fixed-width text table for the log; cells are single-line. */
export function formatTable(headers: string[], rows: string[][]): string {
  const clean = (cell: string) => cell.replace(/\s*[\r\n]+\s*/g, " ");
  const all = [headers, ...rows].map((row) => row.map(clean));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (cell ?? "").padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** A Markdown table; pipes and line breaks in cells are escaped. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  return [`| ${headers.map(cell).join(" | ")} |`, `|${headers.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`)].join(
    "\n",
  );
}

/** 950 → "950ms", 65_000 → "1m 05s", 3_723_000 → "1h 02m 03s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * Writes `markdown` to a file under Agent.TempDirectory and attaches it to the build summary
 * tab (the file name becomes the section title).
 */
export function uploadMarkdownSummary(title: string, markdown: string): void {
  const dir = tl.getVariable("Agent.TempDirectory") || process.cwd();
  const file = path.join(dir, `${title.replace(/[^\w .-]+/g, "_")}.md`);
  fs.writeFileSync(file, maskSecrets(markdown), "utf8");
  tl.uploadSummary(file);
}

/** An output variable (`name` in the task's outputVariables, readable as `<step>.<name>`). */
export function setOutput(name: string, value: string): void {
  tl.setVariable(name, value, false, true);
}

/** A secret output variable: masked by the agent, never printed by the task. */
export function setSecretOutput(name: string, value: string): void {
  registerSecret(value);
  tl.setVariable(name, value, true, true);
}
