/**
 * Follows a job until it ends: GET the job, then GET each pipeline step that can still change
 * (`<job>_<node>`; when the service names children otherwise, they are found by listing jobs and matching
 * `azureml.pipelinerunid` / `azureml.nodeid`). The log gets one compact line when something changed —
 * never a line per poll. Polling backs off up to the polling interval (tasks/common/wait.ts).
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { JobResource, JobsClient } from "./jobsRest";
import { asAzureOperationError } from "../common/armErrors";
import { formatDuration, type TaskLog } from "../common/logging";
import { remoteText } from "../common/remoteText";
import { waitFor } from "../common/wait";
import { JobState, type StatusChange } from "./jobState";
import { isTerminalStatus, type Loc, type WorkspaceTarget } from "./request";
import { isNotFound } from "./workspaceAssets";

export interface WatchOptions {
  ml: AzureMachineLearningWorkspaces;
  jobs: JobsClient;
  workspace: WorkspaceTarget;
  log: TaskLog;
  loc: Loc;
  abortSignal: AbortSignal;
  /** 0 = no limit. */
  timeoutInMs: number;
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
      const changes = await refresh(state, options, signal, STEPS_PER_POLL);
      if (changes.length > 0) options.log.info(changeLine(changes, jobName, (options.now ?? Date.now)() - started));
      return { done: state.isTerminal, value: state };
    },
    {
      initialIntervalInMs: options.initialIntervalInMs ?? Math.min(2000, options.pollingIntervalInMs),
      maxIntervalInMs: options.pollingIntervalInMs,
      timeoutInMs: options.timeoutInMs,
      abortSignal: options.abortSignal,
      timeoutMessage: options.loc("WaitTimedOut", jobName, formatDuration(options.timeoutInMs)),
    },
  );
  return state;
}

/**
 * While the job runs, each poll reads the job and at most this many of its open steps, in turn,
 * so a long pipeline costs a few status requests a minute whatever its number of steps; once
 * the job has ended, every open step is read for the final table.
 */
export const STEPS_PER_POLL = 1;

/** One GET of the job and of its open steps (see STEPS_PER_POLL); updates `state` and returns the changes. */
export async function refresh(
  state: JobState,
  options: Pick<WatchOptions, "ml" | "jobs" | "workspace">,
  signal: AbortSignal,
  stepsPerPoll = Number.POSITIVE_INFINITY,
): Promise<StatusChange[]> {
  const { ml, jobs, workspace } = options;
  const rg = workspace.resourceGroupName;
  const wsName = workspace.workspaceName;
  const context = { resource: `job '${state.jobName}' in workspace '${wsName}'`, resourceGroupName: rg };
  let job: JobResource;
  try {
    job = await jobs.get(workspace, state.jobName, signal);
  } catch (error) {
    throw asAzureOperationError(error, context);
  }
  state.learnNodes(job);
  const open = isTerminalStatus(job.properties.status) ? state.openSteps() : state.nextOpenSteps(stepsPerPoll);
  const children = new Map<string, JobResource | undefined>();
  let missing = false;
  await Promise.all(
    open.map(async (step) => {
      const childName = step.jobName ?? `${state.jobName}_${step.node}`;
      try {
        children.set(step.node, await jobs.get(workspace, childName, signal));
      } catch (error) {
        if (!isNotFound(error)) throw asAzureOperationError(error, { ...context, resource: `step '${step.node}' of ${context.resource}` });
        children.set(step.node, undefined);
        missing = true;
      }
    }),
  );
  if (missing && job.properties.status !== "NotStarted") {
    for (const [node, child] of await childrenByListing(ml, workspace, state.jobName, signal)) {
      if (children.has(node) && children.get(node) === undefined) children.set(node, child);
    }
  }
  // Steps first, then the job: its status change ends the log line.
  return state.update(job, children);
}

async function childrenByListing(ml: AzureMachineLearningWorkspaces, workspace: WorkspaceTarget, jobName: string, signal: AbortSignal): Promise<Map<string, JobResource>> {
  const found = new Map<string, JobResource>();
  try {
    for await (const job of ml.jobs.list(workspace.resourceGroupName, workspace.workspaceName, { abortSignal: signal })) {
      const props = job.properties.properties ?? {};
      if (props["azureml.pipelinerunid"] === jobName && props["azureml.nodeid"]) found.set(props["azureml.nodeid"], job as unknown as JobResource);
    }
  } catch (error) {
    throw asAzureOperationError(error, { resource: `the jobs of workspace '${workspace.workspaceName}'`, resourceGroupName: workspace.resourceGroupName });
  }
  return found;
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
