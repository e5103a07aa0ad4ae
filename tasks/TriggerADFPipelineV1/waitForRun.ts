/**
 * Polls a pipeline run until it ends: intervals back off up to the polling interval, a
 * Retry-After from the service is honoured, throttling and transient failures of a status
 * request are waited out (a GET is safe to repeat), and a line is logged only when the status
 * changes.
 */
import type { DataFactoryManagementClient, PipelineRun } from "@azure/arm-datafactory";
import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { adfError } from "./adfErrors";
import { errorText } from "../common/errors";
import { formatDuration, type TaskLog } from "../common/logging";
import { statusOf } from "../common/restErrors";
import { retryAfterInMs, waitFor } from "../common/wait";
import type { Loc } from "../common/loc";
import type { RunRef } from "./runRef";
import { isFinalStatus } from "./runRef";

export interface WaitForRunOptions {
  /** The longest pause between two status requests. */
  pollingIntervalInMs: number;
  /** Aborted on cancellation or when the task's wait limit passes (operationContext): the wait then rejects with its reason. */
  abortSignal: AbortSignal;
  log: TaskLog;
  loc: Loc;
  /** Called with every new status. */
  onStatus?: (status: string) => void;
  /** The first pause (default: the smaller of 2 s and the polling interval). */
  initialIntervalInMs?: number;
  /** Consecutive failed status requests tolerated before the task fails (default 5). */
  maxConsecutiveFailures?: number;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export async function waitForRun(client: DataFactoryManagementClient, run: RunRef, options: WaitForRunOptions): Promise<PipelineRun> {
  const { log, loc } = options;
  const started = Date.now();
  const maxFailures = options.maxConsecutiveFailures ?? 5;
  let lastStatus: string | undefined;
  let last: PipelineRun = { runId: run.runId };
  let failures = 0;
  const context = { resource: loc("ResourceRun", run.runId, run.factoryName), resourceGroupName: run.resourceGroupName };

  return waitFor<PipelineRun>(
    async (signal) => {
      let serverRetryAfter: number | undefined;
      try {
        last = await client.pipelineRuns.get(run.resourceGroupName, run.factoryName, run.runId, {
          abortSignal: signal,
          onResponse: (response) => {
            serverRetryAfter = retryAfterInMs(response.headers);
          },
        });
        failures = 0;
      } catch (err) {
        if (signal.aborted || !isTransient(err) || ++failures > maxFailures) throw adfError(err, loc, context);
        const wait = retryAfterInMs((err as RestError).response?.headers);
        log.debug(`Status request ${failures}/${maxFailures} failed (${errorText(err)}); next in ${wait ?? "the polling interval"} ms`);
        return { done: false, value: last, retryAfterInMs: wait };
      }
      const status = last.status ?? "Unknown";
      if (status !== lastStatus) {
        lastStatus = status;
        log.info(loc("RunStatus", run.runId, status, formatDuration(Date.now() - started)));
        options.onStatus?.(status);
      }
      return { done: isFinalStatus(status), value: last, retryAfterInMs: serverRetryAfter };
    },
    {
      initialIntervalInMs: options.initialIntervalInMs ?? Math.min(2000, options.pollingIntervalInMs),
      maxIntervalInMs: options.pollingIntervalInMs,
      abortSignal: options.abortSignal,
    },
  );
}

/** Throttling, server errors and dropped connections: worth asking again. */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  return isRestError(err) || (err as { code?: string }).code !== undefined;
}
