/**
 * Follows a job until it ends: GET the job (ARM) each poll and, for a pipeline, its step runs from the
 * workspace's run history (one paged `children` request a poll: ARM's `GET jobs/<step>` gives a step's
 * identity only). Once the job ended, its own run details give its error. The log gets one compact line
 * when something changed — never a line per poll. Polling backs off up to the polling interval
 * (tasks/common/wait.ts).
 */
import type { RunDetails, RunHistory } from "../common/azureml/runHistory";
import type { JobResource, JobsClient } from "./jobsRest";
import { asAzureOperationError } from "../common/armErrors";
import { formatDuration, type TaskLog } from "../common/logging";
import { remoteText } from "../common/remoteText";
import { waitFor } from "../common/wait";
import { JobState, pipelineNodes, type StatusChange } from "./jobState";
import type { WorkspaceScope } from "../common/azureml/workspace";
import { isTerminalStatus } from "./request";
import type { Loc } from "../common/loc";

export interface WatchOptions {
  jobs: JobsClient;
  /** The workspace's run history (discovered once, on first use: see operation.ts). */
  runHistory: (abortSignal: AbortSignal) => Promise<RunHistory>;
  workspace: WorkspaceScope;
  log: TaskLog;
  loc: Loc;
  /** Aborted on cancellation or when the task's wait limit passes (operationContext): the wait then rejects with its reason. */
  abortSignal: AbortSignal;
  /** Longest pause between polls. */
  pollingIntervalInMs: number;
  /** First pause (default: the smaller of 2 s and the polling interval). */
  initialIntervalInMs?: number;
  now?: () => number;
}

/** Polls until the job is terminal; returns what was seen. Throws WaitTimeoutError / CancelledError. */
export async function watchJob(jobName: string, options: WatchOptions): Promise<JobState> {
  const state = new JobState(jobName, options.now);
  const started = (options.now ?? Date.now)();
  await waitFor(
    async (signal) => {
      const changes = await refresh(state, options, signal);
      if (changes.length > 0) options.log.info(changeLine(changes, jobName, (options.now ?? Date.now)() - started));
      return { done: state.isTerminal, value: state };
    },
    {
      initialIntervalInMs: options.initialIntervalInMs ?? Math.min(2000, options.pollingIntervalInMs),
      maxIntervalInMs: options.pollingIntervalInMs,
      abortSignal: options.abortSignal,
    },
  );
  return state;
}

/** One GET of the job, of its step runs (pipelines, once started) and, once it ended, of its run details; updates `state`. */
export async function refresh(
  state: JobState,
  options: Pick<WatchOptions, "jobs" | "runHistory" | "workspace" | "loc">,
  signal: AbortSignal,
): Promise<StatusChange[]> {
  const { jobs, workspace } = options;
  const context = { resource: `job '${state.jobName}' in workspace '${workspace.workspaceName}'`, resourceGroupName: workspace.resourceGroupName };
  let job: JobResource;
  try {
    job = await jobs.get(workspace, state.jobName, signal);
  } catch (error) {
    throw asAzureOperationError(error, options.loc, context);
  }
  const status = job.properties.status;
  const ended = isTerminalStatus(status);
  const history = { ...context, resource: `the run history of ${context.resource}` };
  let children: RunDetails[] | undefined;
  try {
    if (pipelineNodes(job).length > 0 && status !== "NotStarted" && (ended || state.openSteps().length > 0 || state.steps.size === 0)) {
      const runHistory = await options.runHistory(signal);
      children = await runHistory.children(state.jobName, signal);
    }
    // Steps first, then the job: its status change ends the log line.
    const changes = state.update(job, children);
    if (ended && (children !== undefined || !state.runRead)) {
      const runHistory = await options.runHistory(signal);
      for (const step of state.stepsMissingErrors()) state.update(job, [{ ...(await runHistory.details(step.runId!, signal)) }]);
      if (!state.runRead && status !== "Completed") state.setRun(await runHistory.details(state.jobName, signal));
    }
    return changes;
  } catch (error) {
    throw asAzureOperationError(error, options.loc, history);
  }
}

/** `[01:05] prep: Completed (42s) · train: Running` — the job itself is named by its name. */
export function changeLine(changes: readonly StatusChange[], jobName: string, elapsedInMs: number): string {
  const parts = changes.map((c) => {
    const took = c.durationInMs !== undefined ? ` (${formatDuration(c.durationInMs)})` : "";
    return `${remoteText(c.node ?? jobName)}: ${remoteText(c.status)}${took}`;
  });
  return `[${clock(elapsedInMs)}] ${parts.join(" · ")}`;
}

function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}
