/** The typed request the entry builds from the task inputs. */
import type { PipelineRef } from "./runRef";

/** Which final run statuses fail the task. */
export const FAIL_ON_STATUS = ["failedOrCancelled", "failed", "never"] as const;
export type FailOnStatus = (typeof FAIL_ON_STATUS)[number];

export interface RerunRequest {
  referencePipelineRunId: string;
  startFromFailure: boolean;
  startActivityName?: string;
}

export interface TriggerRequest extends PipelineRef {
  /** Parameter values as given (empty when none). */
  parameters: Record<string, unknown>;
  rerun?: RerunRequest;
  waitForCompletion: boolean;
  /** The longest pause between status requests. */
  pollingIntervalInMs: number;
  /** The task's own limit on waiting (waitTimeoutInMinutes); 0 = none (the step's timeout governs). */
  timeoutInMs: number;
  /** Cancel the run when the pipeline is cancelled. */
  cancelOnStop: boolean;
  /** Cancel the run when the task's own limit passes (otherwise it keeps running). */
  cancelOnTimeout: boolean;
  failOnStatus: FailOnStatus;
}
