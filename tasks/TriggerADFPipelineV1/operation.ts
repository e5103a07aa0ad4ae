/**
 * The TriggerADFPipeline operation: read the factory and the pipeline definition, check the
 * request against it, start the run (once), follow it, report its activities, and decide the
 * outcome. Cancellation and timeout cancel the remote run when the request says so. The task's
 * wait limit (waitTimeoutInMinutes) covers waiting for the run: its context (operationContext)
 * is made when the wait starts.
 */
import type { DataFactoryManagementClient, PipelineResource, PipelineRun } from "@azure/arm-datafactory";
import { asAzureOperationError } from "../common/armErrors";
import { adfError } from "./adfErrors";
import { CancelledError, InputError, RemoteRunError, WaitTimeoutError, errorText } from "../common/errors";
import { formatDuration } from "../common/logging";
import { type EntryContext, operationContext } from "../common/operation";
import { listActivityRuns, type ActivityRow } from "./activityRuns";
import { remoteText } from "../common/remoteText";
import { isNotFound } from "../common/restErrors";
import type { TriggerRequest } from "./request";
import type { RunRef } from "./runRef";
import { isCancelledStatus, isFailedStatus } from "./runRef";
import { planRun } from "./runPlan";
import { activityTable, failureDetail, summaryMarkdown, type RunReport } from "./runReport";
import { factoryResourceId, pipelineRunUrl } from "./runUrl";
import { parameterStrings, startRun } from "./startRun";
import { waitForRun } from "./waitForRun";

/** What the entry does with news about the run (output variables, the build summary). */
export interface RunEvents {
  started(run: { runId: string; runUrl: string }): void;
  statusChanged(status: string): void;
  finished(report: RunReport, markdown: string): void;
}

/** The entry's context (log, loc, the cancellation signal) and the task's clients. */
export interface TriggerDeps extends EntryContext {
  client: DataFactoryManagementClient;
  /** Same connection, SDK retries off: used for createRun only. */
  startClient: DataFactoryManagementClient;
  /** Same connection, few SDK retries, for status polls: the wait loop rides out failures itself (default: client). */
  pollClient?: DataFactoryManagementClient;
  subscriptionId: string;
  adfStudioUrl: string;
  events: RunEvents;
  /** Time allowed for cancelling the run and reporting after a stop (default 6000 ms). */
  cleanupInMs?: number;
  /** Options for the lost-answer lookup (tests shorten it). */
  lookupIntervalInMs?: number;
}

export interface TriggerResult {
  runId: string;
  runUrl: string;
  status: string;
  report?: RunReport;
}

export async function triggerPipeline(request: TriggerRequest, deps: TriggerDeps): Promise<TriggerResult> {
  const { client, log, loc, abortSignal } = deps;
  const { resourceGroupName, factoryName, pipelineName } = request;

  const factoryId = await readFactoryId(request, deps);
  const pipeline = await readPipeline(request, deps);
  const plan = planRun(request, pipeline, loc);
  const reference = plan.rerun ? await readReferenceRun(request, plan.rerun.referencePipelineRunId, deps) : undefined;
  const shownParameters = reference?.parameters ?? maskSecure(parameterStrings(plan.parameters), plan.secureNames);

  log.info(
    plan.rerun
      ? loc("RerunStarting", pipelineName, factoryName, resourceGroupName, plan.rerun.referencePipelineRunId)
      : loc("RunStarting", pipelineName, factoryName, resourceGroupName),
  );
  const started = await startRun(
    request,
    { ...plan, expectedParameters: reference?.parameters },
    {
      client,
      startClient: deps.startClient,
      log,
      loc,
      abortSignal,
      ...(deps.lookupIntervalInMs !== undefined ? { lookupIntervalInMs: deps.lookupIntervalInMs } : {}),
    },
  );
  const run: RunRef = { resourceGroupName, factoryName, pipelineName, runId: started.runId };
  const runUrl = pipelineRunUrl(deps.adfStudioUrl, run.runId, factoryId);
  log.info(loc("RunStarted", run.runId, runUrl));
  deps.events.started({ runId: run.runId, runUrl });

  if (!request.waitForCompletion) {
    const status = await currentStatus(run, deps, abortSignal);
    deps.events.statusChanged(status);
    log.info(loc("NotWaiting", run.runId, status));
    return { runId: run.runId, runUrl, status };
  }

  let final: PipelineRun;
  try {
    const timedOut = loc("RunTimedOut", run.runId, run.pipelineName, formatDuration(request.timeoutInMs));
    const waiting = operationContext(deps, request.timeoutInMs, timedOut);
    final = await waitForRun(deps.pollClient ?? client, run, {
      pollingIntervalInMs: request.pollingIntervalInMs,
      abortSignal: waiting.abortSignal,
      log,
      loc,
      onStatus: (status) => deps.events.statusChanged(status),
    });
  } catch (err) {
    if (err instanceof CancelledError || err instanceof WaitTimeoutError || abortSignal.aborted) {
      await stopRun(run, request, err instanceof WaitTimeoutError, { ...deps, runUrl, shownParameters });
    }
    throw err;
  }

  const report = await reportRun(run, final, { ...deps, runUrl, shownParameters }, abortSignal);
  judge(report, request, deps);
  return { runId: run.runId, runUrl, status: report.status, report };
}

async function readFactoryId(request: TriggerRequest, deps: TriggerDeps): Promise<string> {
  try {
    const factory = await deps.client.factories.get(request.resourceGroupName, request.factoryName, { abortSignal: deps.abortSignal });
    return factory.id ?? factoryResourceId(deps.subscriptionId, request.resourceGroupName, request.factoryName);
  } catch (err) {
    throw adfError(err, deps.loc, { resource: deps.loc("ResourceFactory", request.factoryName), resourceGroupName: request.resourceGroupName });
  }
}

async function readPipeline(request: TriggerRequest, deps: TriggerDeps): Promise<PipelineResource> {
  try {
    return await deps.client.pipelines.get(request.resourceGroupName, request.factoryName, request.pipelineName, { abortSignal: deps.abortSignal });
  } catch (err) {
    const resource = deps.loc("ResourcePipeline", request.pipelineName, request.factoryName);
    throw adfError(err, deps.loc, { resource, resourceGroupName: request.resourceGroupName });
  }
}

/** The reference run of a rerun: it must exist and be a run of this pipeline. */
async function readReferenceRun(request: TriggerRequest, runId: string, deps: TriggerDeps): Promise<PipelineRun> {
  let reference: PipelineRun;
  try {
    reference = await deps.client.pipelineRuns.get(request.resourceGroupName, request.factoryName, runId, { abortSignal: deps.abortSignal });
  } catch (err) {
    if (isNotFound(err)) {
      throw new InputError("referencePipelineRunId", deps.loc("ReferenceRunNotFound", runId, request.factoryName, request.resourceGroupName));
    }
    throw adfError(err, deps.loc, { resource: deps.loc("ResourceRun", runId, request.factoryName), resourceGroupName: request.resourceGroupName });
  }
  if (reference.pipelineName && reference.pipelineName.toLowerCase() !== request.pipelineName.toLowerCase()) {
    throw new InputError("referencePipelineRunId", deps.loc("ReferenceRunOtherPipeline", runId, reference.pipelineName, request.pipelineName));
  }
  return reference;
}

async function currentStatus(run: RunRef, deps: TriggerDeps, abortSignal: AbortSignal): Promise<string> {
  try {
    return (await deps.client.pipelineRuns.get(run.resourceGroupName, run.factoryName, run.runId, { abortSignal })).status ?? "Queued";
  } catch (err) {
    deps.log.debug(`Reading the status of run ${run.runId} failed: ${errorText(err)}`);
    return "Queued";
  }
}

interface ReportDeps extends TriggerDeps {
  runUrl: string;
  shownParameters: Record<string, string>;
}

/**
 * The task stopped waiting (pipeline cancelled: cancelOnStop decides; its own limit passed:
 * cancelOnTimeout decides): cancel the run if asked, and report what is known.
 */
async function stopRun(run: RunRef, request: TriggerRequest, timedOut: boolean, deps: ReportDeps): Promise<void> {
  const { log, loc } = deps;
  const signal = AbortSignal.timeout(deps.cleanupInMs ?? 6000);
  const setting = timedOut ? "cancelOnTimeout" : "cancelOnStop";
  if (!(timedOut ? request.cancelOnTimeout : request.cancelOnStop)) {
    log.warning(loc("RunLeftRunning", setting, run.runId, deps.runUrl));
    return;
  }
  log.info(loc("CancellingRun", run.runId, setting));
  try {
    await deps.client.pipelineRuns.cancel(run.resourceGroupName, run.factoryName, run.runId, { isRecursive: true, abortSignal: signal });
  } catch (err) {
    log.warning(loc("CancelRunFailed", run.runId, asAzureOperationError(err, loc, { resource: loc("ResourceRun", run.runId, run.factoryName) }).message));
    return;
  }
  try {
    const now = await deps.client.pipelineRuns.get(run.resourceGroupName, run.factoryName, run.runId, { abortSignal: signal });
    log.info(loc("RunCancelRequested", run.runId, now.status ?? "Canceling"));
    await reportRun(run, now, deps, signal);
  } catch (err) {
    deps.events.statusChanged("Canceling");
    log.debug(`Reporting run ${run.runId} after cancelling it failed: ${errorText(err)}`);
  }
}

async function reportRun(run: RunRef, final: PipelineRun, deps: ReportDeps, signal: AbortSignal): Promise<RunReport> {
  const { log, loc } = deps;
  const status = final.status ?? "Unknown";
  let activities: ActivityRow[] = [];
  try {
    activities = await listActivityRuns(deps.client, { ...run, runStart: final.runStart, runEnd: final.runEnd }, signal);
  } catch (err) {
    if (deps.abortSignal.aborted && signal === deps.abortSignal) throw err;
    log.warning(
      loc("ActivityRunsUnavailable", run.runId, asAzureOperationError(err, loc, { resource: loc("ResourceRun", run.runId, run.factoryName) }).message),
    );
  }
  const report: RunReport = {
    ...run,
    status,
    runUrl: deps.runUrl,
    message: remoteText(final.message),
    durationInMs: typeof final.durationInMs === "number" ? final.durationInMs : undefined,
    activities,
    parameters: deps.shownParameters,
  };
  log.info(activities.length > 0 ? `${loc("ActivityRunsTitle", run.runId)}\n${activityTable(activities, loc)}` : loc("NoActivityRuns"));
  deps.events.statusChanged(status);
  deps.events.finished(report, summaryMarkdown(report, loc));
  return report;
}

/** Succeeded passes; Failed and Cancelled fail the task unless failOnStatus says otherwise. */
function judge(report: RunReport, request: TriggerRequest, deps: TriggerDeps): void {
  const { loc, log } = deps;
  const duration = formatDuration(report.durationInMs);
  const failed = isFailedStatus(report.status);
  const cancelled = isCancelledStatus(report.status);
  if (!failed && !cancelled) {
    log.info(loc("RunSucceeded", request.pipelineName, report.runId, duration));
    return;
  }
  const detail = failureDetail(report, loc).replace(/[.\s]+$/, "");
  const message = failed
    ? loc("RunFailed", request.pipelineName, report.runId, detail, report.runUrl)
    : loc("RunCancelled", request.pipelineName, report.runId, detail, report.runUrl);
  const fails = request.failOnStatus === "failedOrCancelled" || (request.failOnStatus === "failed" && failed);
  if (fails) throw new RemoteRunError(message);
  log.warning(loc("RunEndedNotFailing", message, request.failOnStatus));
}

function maskSecure(values: Record<string, string>, secureNames: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secureNames.has(k) ? "***" : v]));
}
