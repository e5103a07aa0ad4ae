/**
 * The MLflow metrics of a finished job and of its steps (tasks/common/azureml/mlflow.ts): a table in
 * the log, a Markdown table for the build summary, and the `Metrics` / `Metric_<step>_<name>` outputs.
 * Metrics never decide the job's verdict: when they cannot be read the task warns and goes on.
 */
import { CancelledError, errorText } from "../common/errors";
import { formatTable, markdownTable, type TaskLog } from "../common/logging";
import { formatNumber } from "../common/qualityGate";
import { readJobMetrics, workspaceMlflowClient, type JobMetrics, type MlflowTransport, type StepRun } from "../common/azureml/mlflow";
import { remoteText } from "../common/remoteText";
import type { WorkspaceScope } from "../common/azureml/workspace";
import type { Loc } from "../common/loc";

export interface JobMetricsDeps {
  ml: Parameters<typeof workspaceMlflowClient>[0] & MlflowTransport;
  workspace: WorkspaceScope;
  log: TaskLog;
  loc: Loc;
  abortSignal: AbortSignal;
}

export interface JobMetricsReport {
  byStep: JobMetrics["byStep"];
  /** Every logged value of the metrics asked for, by `<step>/<metric>`. */
  history: JobMetrics["history"];
  /** Markdown for the build summary (absent when nothing was logged). */
  markdown?: string;
}

/** Reads and reports the metrics; undefined when they could not be read (a warning says why). */
export async function reportJobMetrics(
  deps: JobMetricsDeps,
  job: { runId: string; steps: readonly StepRun[]; historyOf?: readonly string[] },
): Promise<JobMetricsReport | undefined> {
  const { log, loc } = deps;
  let metrics: JobMetrics;
  try {
    const client = await workspaceMlflowClient(deps.ml, deps.workspace, { abortSignal: deps.abortSignal, loc });
    metrics = await readJobMetrics(client, job);
  } catch (err) {
    if (err instanceof CancelledError || deps.abortSignal.aborted) throw err;
    log.warning(loc("MetricsUnavailable", job.runId, remoteText(errorText(err))));
    return undefined;
  }
  if (metrics.missingRuns.length > 0) log.debug(`MLflow knows no run ${metrics.missingRuns.join(", ")}`);
  const rows = Object.entries(metrics.byStep).flatMap(([step, values]) => Object.entries(values).map(([name, value]) => [step, name, formatNumber(value)]));
  if (rows.length === 0) {
    log.info(loc("NoMetricsLogged", job.runId));
    return { byStep: {}, history: {} };
  }
  const headers = [loc("ColumnStep"), loc("ColumnMetric"), loc("ColumnValue")];
  log.info(
    `${loc("MetricsHeading", job.runId)}\n${formatTable(
      headers,
      rows.map((r) => r.map(remoteText)),
    )}\n`,
  );
  return {
    byStep: metrics.byStep,
    history: metrics.history,
    markdown: `#### ${loc("MetricsHeading", job.runId)}\n\n${markdownTable(
      headers,
      rows.map((r) => r.map(remoteText)),
    )}\n`,
  };
}
