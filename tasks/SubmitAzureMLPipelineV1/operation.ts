/**
 * The task's operation: submit (or attach to, or only validate) the job, then follow it to the end and
 * judge it. On pipeline cancellation the remote job is cancelled when `cancelOnStop` says so; when the task's
 * own wait limit passes, only when `cancelOnTimeout` says so. The wait limit covers following the job: its
 * context (operationContext) is made when the wait starts.
 */
import type { HttpClient } from "@azure/core-rest-pipeline";
import { DiscoveryError, discoverApiHost, runHistoryClient, type RunHistory } from "../common/azureml/runHistory";
import { AzureOperationError, CancelledError, WaitTimeoutError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { formatDuration } from "../common/logging";
import { operationContext } from "../common/operation";
import { JobState } from "./jobState";
import { outputUris, stepTable, studioUrl, summaryMarkdown, verdict, type Verdict } from "./report";
import type { SubmitPipelineRequest } from "./request";
import { submitJob, type SubmitDependencies, type SubmitOutcome } from "./submit";
import { refresh, watchJob } from "./watch";

export interface RunDependencies extends SubmitDependencies {
  /** The cloud's Azure ML studio URL (CloudEndpoints.mlStudioUrl). */
  mlStudioUrl: string;
  /** Longest pause between status polls. */
  pollingIntervalInMs: number;
  /** Called as soon as the job's name and link are known (before waiting), so outputs exist even if the wait fails. */
  onJob?: (job: { jobName: string; studioUrl: string }) => void;
  /** How long a cancel request may take when the task is stopping. */
  cancelTimeoutInMs?: number;
  now?: () => number;
  /** Client for requests sent without a token (the discovery document); default: core-rest-pipeline's. */
  anonymousHttpClient?: HttpClient;
}

export interface RunResult {
  jobName: string;
  mode: SubmitOutcome["mode"];
  /** Last known status ("Validated" when only validated). */
  status: string;
  studioUrl?: string;
  /** Output name → URI. */
  outputs: Record<string, string>;
  verdict: Verdict;
  /** Markdown for the build summary (absent when only validated). */
  summary?: string;
  /** The steps' runs (MLflow run id = child job name), once the job was followed to its end. */
  stepRuns?: { stepName: string; runId: string }[];
}

export async function runSubmitPipeline(request: SubmitPipelineRequest, deps: RunDependencies): Promise<RunResult> {
  const { log, loc } = deps;
  const outcome = await submitJob(request, deps);
  const { jobName } = outcome;
  if (outcome.mode === "validated") {
    return { jobName, mode: outcome.mode, status: "Validated", outputs: {}, verdict: { result: "Succeeded" } };
  }
  const link = studioUrl(deps.mlStudioUrl, outcome.workspaceId, jobName);
  log.info(loc("StudioLink", link));
  deps.onJob?.({ jobName, studioUrl: link });

  const runHistory = lazyRunHistory(deps, request, outcome.discoveryUrl);
  let state: JobState;
  if (!request.waitForCompletion) {
    state = new JobState(jobName, deps.now);
    await refresh(state, { jobs: deps.jobs, runHistory, workspace: request.workspace, loc }, deps.abortSignal);
    log.info(loc("NotWaiting", jobName, remoteText(state.status)));
    const judged = state.isTerminal ? verdict(state, loc) : ({ result: "Succeeded" } as const);
    return {
      jobName,
      mode: outcome.mode,
      status: state.status,
      studioUrl: link,
      outputs: outputUris(state),
      verdict: judged,
      summary: summaryMarkdown(state, { studioUrl: link }, loc),
    };
  }

  try {
    const waiting = operationContext(deps, request.timeoutInMs, loc("WaitTimedOut", jobName, formatDuration(request.timeoutInMs)));
    state = await watchJob(jobName, {
      jobs: deps.jobs,
      runHistory,
      workspace: request.workspace,
      log,
      loc,
      abortSignal: waiting.abortSignal,
      pollingIntervalInMs: deps.pollingIntervalInMs,
      now: deps.now,
    });
  } catch (error) {
    if (error instanceof WaitTimeoutError || error instanceof CancelledError) {
      const timedOut = error instanceof WaitTimeoutError;
      if (timedOut ? request.cancelOnTimeout : request.cancelOnStop) await cancelJob(request, deps, jobName);
      else log.info(loc("LeftRunning", jobName, timedOut ? "cancelOnTimeout" : "cancelOnStop"));
    }
    throw error;
  }

  const table = stepTable(state);
  if (table) log.info(`\n${table}\n`);
  const judged = verdict(state, loc);
  const outputs = outputUris(state);
  for (const [name, uri] of Object.entries(outputs)) log.info(loc("OutputUri", remoteText(name), remoteText(uri)));
  const took = state.startedAtMs !== undefined && state.endedAtMs !== undefined ? formatDuration(state.endedAtMs - state.startedAtMs) : "";
  log.info(loc("JobEnded", jobName, remoteText(state.status), took || "-"));
  const stepRuns = [...state.steps.values()].flatMap((s) => (s.runId ? [{ stepName: s.node, runId: s.runId }] : []));
  return {
    jobName,
    mode: outcome.mode,
    status: state.status,
    studioUrl: link,
    outputs,
    verdict: judged,
    summary: summaryMarkdown(state, { studioUrl: link }, loc),
    stepRuns,
  };
}

/**
 * The workspace's run history, discovered on first use from its `discoveryUrl` (the `api` host) and
 * called with the ARM client's credential (see tasks/common/azureml/runHistory.ts). A discovery that
 * fails is an error naming the workspace and the URL.
 */
function lazyRunHistory(
  deps: RunDependencies,
  request: SubmitPipelineRequest,
  discoveryUrl: string | undefined,
): (abortSignal: AbortSignal) => Promise<RunHistory> {
  let client: Promise<RunHistory> | undefined;
  return (abortSignal) => {
    client ??= discoverApiHost(deps.ml, discoveryUrl, abortSignal, deps.anonymousHttpClient).then(
      (api) => runHistoryClient(deps.ml, api, request.workspace),
      (error: unknown) => {
        client = undefined;
        if (error instanceof DiscoveryError)
          throw new AzureOperationError(
            deps.loc("RunHistoryUnavailable", request.workspace.workspaceName, remoteText(error.discoveryUrl), remoteText(error.reason)),
          );
        throw error;
      },
    );
    return client;
  };
}

/** Asks the service to cancel the job (does not wait for Canceled: the task is stopping). */
async function cancelJob(request: SubmitPipelineRequest, deps: RunDependencies, jobName: string): Promise<void> {
  const { resourceGroupName: rg, workspaceName: wsName } = request.workspace;
  deps.log.info(deps.loc("CancellingJob", jobName));
  try {
    await deps.ml.jobs.beginCancel(rg, wsName, jobName, { abortSignal: AbortSignal.timeout(deps.cancelTimeoutInMs ?? 6000) });
    deps.log.info(deps.loc("CancelRequested", jobName));
  } catch (error) {
    deps.log.warning(deps.loc("CancelFailed", jobName, error instanceof Error ? error.message : String(error)));
  }
}
