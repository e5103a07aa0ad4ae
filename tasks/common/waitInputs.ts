/**
 * The wait inputs the tasks that wait share, read with one set of rules so that the same YAML means
 * the same thing in every task:
 * - `waitTimeoutInMinutes` (YAML alias `timeoutInMinutes`, mapped by the server before the agent
 *   sees it): the task's own limit on waiting; default 0 = none of its own, the step's and job's
 *   `timeoutInMinutes` govern (https://learn.microsoft.com/azure/devops/pipelines/process/phases#timeouts);
 * - `pollingIntervalSeconds`: the longest pause between two status requests.
 */
import type { InputReader } from "./inputs";

export const WAIT_TIMEOUT_INPUT = "waitTimeoutInMinutes";
/** 30 days, in every task. */
export const MAX_WAIT_TIMEOUT_IN_MINUTES = 30 * 24 * 60;
export const DEFAULT_POLLING_INTERVAL_SECONDS = 30;

export interface WaitInputs {
  /** 0 = no limit of the task's own. */
  timeoutInMs: number;
  pollingIntervalInMs: number;
}

export function readWaitInputs(read: InputReader): WaitInputs {
  return {
    timeoutInMs: read.readMinutesAsMs(WAIT_TIMEOUT_INPUT, { default: 0, max: MAX_WAIT_TIMEOUT_IN_MINUTES, zeroMeansNoLimit: true }),
    pollingIntervalInMs: read.readInteger("pollingIntervalSeconds", { default: DEFAULT_POLLING_INTERVAL_SECONDS, min: 1, max: 3600 }) * 1000,
  };
}
