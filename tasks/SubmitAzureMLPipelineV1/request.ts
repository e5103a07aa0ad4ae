/**
 * The typed request the entry builds from the task inputs, and what the operation hands back.
 * Nothing here reads task inputs: the entry does (index.ts).
 */
import type { WorkspaceScope } from "../common/azureml/workspace";

export interface SubmitPipelineRequest {
  workspace: WorkspaceScope;
  /** Absolute path of the CLI v2 job YAML. */
  jobFile: string;
  /** `--set`-style overrides, one `key.path=value` a line. */
  overrides?: string;
  /** The pipeline's working folders: local paths in the job files must really be inside one (none: no check). */
  workFolders?: readonly string[];
  /** Job name from the input (wins over the YAML's `name:`). */
  jobName?: string;
  /** Name to use when neither the input nor the YAML names the job (derived from the build: see jobName.ts). */
  defaultJobName?: string;
  experimentName?: string;
  /** Experiment when neither the input nor the YAML names one. */
  defaultExperimentName?: string;
  displayName?: string;
  /** Merged over the YAML's tags. */
  tags?: Record<string, string>;
  /** Added to the job's `properties` when the YAML sets none (the CLI adds git properties this way). */
  defaultProperties?: Record<string, string>;
  /** Load, resolve and check every reference; upload, register and submit nothing. */
  validateOnly: boolean;
  waitForCompletion: boolean;
  /** The task's own limit on waiting for the job (waitTimeoutInMinutes); 0 = none (the step's timeout governs). */
  timeoutInMs: number;
  /** Cancel the job when the pipeline is cancelled. */
  cancelOnStop: boolean;
  /** Cancel the job when the task's own limit passes (otherwise it keeps running). */
  cancelOnTimeout: boolean;
}

/** Terminal and non-terminal job statuses (JobStatus of 2022-10-01). */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["Completed", "Failed", "Canceled", "NotResponding"]);

export function isTerminalStatus(status: string | undefined): boolean {
  return status !== undefined && TERMINAL_STATUSES.has(status);
}
