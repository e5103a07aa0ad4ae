/**
 * The human side of a watched job: the verdict (does the task fail, and with which sentence), the table
 * of steps for the log, the Markdown for the build summary, the Studio link and the output URIs.
 */
import { formatDuration, formatTable, markdownTable } from "../common/logging";
import { remoteText } from "../common/remoteText";
import type { JobState, StepState } from "./jobState";
import type { Loc } from "../common/loc";

export type Verdict = { result: "Succeeded" } | { result: "SucceededWithIssues" | "Failed"; message: string };

/** `https://ml.azure.com/runs/<job>?wsid=<workspace ARM id>` for the connection's cloud. */
export function studioUrl(mlStudioUrl: string, workspaceId: string, jobName: string): string {
  return `${mlStudioUrl.replace(/\/+$/, "")}/runs/${encodeURIComponent(jobName)}?wsid=${workspaceId}`;
}

/**
 * Completed → Succeeded; Failed/Canceled/NotResponding → Failed, naming the failed steps and their errors.
 * With `settings.continue_on_step_failure`, failed steps of a pipeline the service still completed only
 * make the task succeed with issues; without it they fail the task.
 */
export function verdict(state: JobState, loc: Loc): Verdict {
  const failedSteps = [...state.steps.values()].filter((s) => s.status === "Failed");
  const stepErrors = failedSteps.map((s) => loc("StepFailed", s.node, s.error?.message ?? loc("NoErrorMessage"))).join(" ");
  switch (state.status) {
    case "Completed":
      if (failedSteps.length === 0) return { result: "Succeeded" };
      return state.continueOnStepFailure
        ? { result: "SucceededWithIssues", message: `${loc("CompletedWithFailedSteps", state.jobName)} ${stepErrors}` }
        : { result: "Failed", message: `${loc("JobFailed", state.jobName)} ${stepErrors}` };
    case "Canceled":
      return { result: "Failed", message: loc("JobCanceled", state.jobName) };
    case "Failed": {
      const detail = stepErrors || state.error?.message || loc("NoErrorMessage");
      const completed = [...state.steps.values()].filter((s) => s.status === "Completed").map((s) => s.node);
      const continued = state.continueOnStepFailure && completed.length > 0 ? ` ${loc("OtherStepsCompleted", completed.join(", "))}` : "";
      return { result: "Failed", message: `${loc("JobFailed", state.jobName)} ${detail}${continued}` };
    }
    default:
      return { result: "Failed", message: loc("JobEndedIn", state.jobName, state.status) };
  }
}

function stepDuration(step: StepState): string {
  return step.startedAtMs !== undefined && step.endedAtMs !== undefined ? formatDuration(step.endedAtMs - step.startedAtMs) : "";
}

function stepRows(state: JobState): string[][] {
  return [...state.steps.values()].map((s) => [
    remoteText(s.node),
    remoteText(s.status),
    stepDuration(s),
    s.error ? remoteText(firstLine(s.error.message)) : "",
  ]);
}

/** The log's table of steps (empty for a job without steps). */
export function stepTable(state: JobState): string {
  if (state.steps.size === 0) return "";
  return formatTable(["Step", "Status", "Duration", "Error"], stepRows(state));
}

/**
 * `Output_<name>` values: the URI the service reports, else — a completed pipeline reports `uri: null`
 * (recorded: Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/
 * test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json) — the job-output URI
 * `azureml://jobs/<job>/outputs/<name>` (the SDK's JOB_URI_FORMAT in azure/ai/ml/constants/_common.py,
 * at the output's root), which RegisterModel and the service accept.
 */
export function outputUris(state: JobState): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, uri] of Object.entries(state.outputs())) {
    result[name] = uri ?? `azureml://jobs/${state.jobName}/outputs/${name}`;
  }
  return result;
}

export function summaryMarkdown(state: JobState, links: { studioUrl: string }, loc: Loc): string {
  const lines = [`### ${loc("SummaryTitle", state.jobName, state.status)}`, "", `[${loc("OpenInStudio")}](${links.studioUrl})`, ""];
  const jobDuration = state.startedAtMs !== undefined && state.endedAtMs !== undefined ? formatDuration(state.endedAtMs - state.startedAtMs) : "";
  if (jobDuration) lines.push(loc("SummaryDuration", jobDuration), "");
  if (state.steps.size > 0) lines.push(markdownTable(["Step", "Status", "Duration", "Error"], stepRows(state)), "");
  const outputs = Object.entries(outputUris(state));
  if (outputs.length > 0)
    lines.push(
      markdownTable(
        ["Output", "URI"],
        outputs.map(([name, uri]) => [name, `\`${uri}\``]),
      ),
      "",
    );
  if (state.error && state.status !== "Completed") lines.push(`**${loc("SummaryError")}** ${state.error.message}`, "");
  return lines.join("\n");
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0];
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
