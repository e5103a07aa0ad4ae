/**
 * How a finished run is shown: the activity table for the log, the Markdown summary for the
 * build's summary tab, and the sentence that fails the task.
 */
import { formatDuration, formatTable, markdownTable } from "../common/logging";
import type { ActivityRow } from "./activityRuns";
import type { Loc } from "../common/loc";
import type { RunRef } from "./runRef";
import { isFailedStatus } from "./runRef";

export interface RunReport extends RunRef {
  status: string;
  runUrl: string;
  /** The run's own message (set by the service when it failed or was cancelled). */
  message: string;
  durationInMs?: number;
  activities: ActivityRow[];
  /** Parameter values to show (SecureString ones already masked). */
  parameters: Record<string, string>;
}

function headers(loc: Loc): string[] {
  return loc("ActivityTableHeaders").split("|");
}

function cells(row: ActivityRow): string[] {
  return [row.name, row.type, row.status, formatDuration(row.durationInMs), row.error];
}

/** The plain-text table for the log. */
export function activityTable(rows: ActivityRow[], loc: Loc): string {
  return formatTable(headers(loc), rows.map(cells));
}

/** The Markdown run summary uploaded to the build summary tab. */
export function summaryMarkdown(report: RunReport, loc: Loc): string {
  const lines = [
    `**${loc("SummaryPipeline")}** ${report.pipelineName} · **${loc("SummaryFactory")}** ${report.factoryName} (${report.resourceGroupName})`,
    "",
    `**${loc("SummaryStatus")}** ${report.status}${report.durationInMs !== undefined ? ` · ${formatDuration(report.durationInMs)}` : ""} · [${report.runId}](${report.runUrl})`,
  ];
  if (report.message) lines.push("", `> ${report.message}`);
  const parameterRows = Object.entries(report.parameters);
  if (parameterRows.length > 0) {
    lines.push(
      "",
      markdownTable(
        loc("SummaryParameterHeaders").split("|"),
        parameterRows.map(([k, v]) => [k, `\`${v}\``]),
      ),
    );
  }
  lines.push("", report.activities.length > 0 ? markdownTable(headers(loc), report.activities.map(cells)) : loc("NoActivityRuns"));
  return `${lines.join("\n")}\n`;
}

/**
 * Why the run did not succeed, from its failed activities ("Name (Type): error"), else from the
 * run's own message.
 */
export function failureDetail(report: Pick<RunReport, "activities" | "message">, loc: Loc): string {
  const failed = report.activities.filter((a) => isFailedStatus(a.status));
  if (failed.length > 0) {
    return failed.map((a) => loc("FailedActivity", a.name, a.type, a.error || loc("NoErrorMessage"))).join("; ");
  }
  return report.message || loc("NoErrorMessage");
}
