/**
 * What the task knows about a job and its pipeline steps: the job's status from ARM (`GET jobs/<name>`),
 * the steps from the workspace's run history (ARM serves a step's identity only): each step's status,
 * start and end times and error as run history reports them, and the job's own run error once it ended.
 * `update` returns what changed, so the log gets one line per change instead of one per poll.
 */
import { runError, type RunDetails } from "../common/azureml/runHistory";
import type { JobResource } from "./jobsRest";
import { isTerminalStatus } from "./request";

export interface StepState {
  /** Node name in the pipeline's `jobs`. */
  node: string;
  /** Step run id (a GUID), once run history lists the step. */
  runId?: string;
  status: string;
  /** When the step started (run history's startTimeUtc, else when the task first saw it running). */
  startedAtMs?: number;
  /** When the step ended (run history's endTimeUtc, else when the task first saw it ended). */
  endedAtMs?: number;
  error?: JobError;
}

export interface JobError {
  code?: string;
  message: string;
}

export interface StatusChange {
  /** Node name, or undefined for the job itself. */
  node?: string;
  status: string;
  durationInMs?: number;
}

const STARTED = new Set([
  "Preparing",
  "Provisioning",
  "Starting",
  "Running",
  "Finalizing",
  "CancelRequested",
  "Completed",
  "Failed",
  "Canceled",
  "NotResponding",
]);

/** Node names of a pipeline job (empty for other job types). */
export function pipelineNodes(job: JobResource): string[] {
  const props = job.properties;
  return props.jobType === "Pipeline" && props.jobs ? Object.keys(props.jobs) : [];
}

/**
 * Node name of each step run: run history names a step run by the node's display name (recorded in
 * Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/
 * test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json), which is the
 * node's `display_name` when it sets one.
 */
function nodeByDisplayName(job: JobResource): Map<string, string> {
  const map = new Map<string, string>();
  for (const node of pipelineNodes(job)) {
    const spec = job.properties.jobs?.[node] as { display_name?: unknown; displayName?: unknown } | undefined;
    const display = typeof spec?.display_name === "string" ? spec.display_name : typeof spec?.displayName === "string" ? spec.displayName : node;
    map.set(display, node);
  }
  return map;
}

function timeOf(text: string | null | undefined): number | undefined {
  const t = text ? Date.parse(text) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

export class JobState {
  job?: JobResource;
  status = "Unknown";
  startedAtMs?: number;
  endedAtMs?: number;
  readonly steps = new Map<string, StepState>();
  /** The job's own run error (run history), once read. */
  private runErrorValue?: JobError;
  /** Whether the job's own run details were read after it ended. */
  runRead = false;

  constructor(
    readonly jobName: string,
    private readonly now: () => number = Date.now,
  ) {}

  get isTerminal(): boolean {
    return isTerminalStatus(this.status);
  }

  /** Steps that may still change. */
  openSteps(): StepState[] {
    return [...this.steps.values()].filter((s) => !isTerminalStatus(s.status));
  }

  /** Adds the pipeline's nodes as NotStarted steps (before run history lists them). */
  learnNodes(job: JobResource): void {
    for (const node of pipelineNodes(job)) {
      if (!this.steps.has(node)) this.steps.set(node, { node, status: "NotStarted" });
    }
  }

  /** Records the job and, when read this poll, its step runs from run history; returns the changes. */
  update(job: JobResource, children?: readonly RunDetails[]): StatusChange[] {
    const changes: StatusChange[] = [];
    const at = this.now();
    this.job = job;
    this.learnNodes(job);
    const nodes = nodeByDisplayName(job);
    for (const run of children ?? []) {
      const node = nodes.get(run.displayName ?? "") ?? run.displayName ?? run.runId;
      const step = this.steps.get(node) ?? { node, status: "NotStarted" };
      this.steps.set(node, step);
      step.runId = run.runId;
      step.startedAtMs = timeOf(run.startTimeUtc) ?? step.startedAtMs;
      step.endedAtMs = timeOf(run.endTimeUtc) ?? step.endedAtMs;
      step.error = runError(run) ?? step.error;
      const status = run.status ?? "Unknown";
      if (status === step.status) continue;
      step.status = status;
      if (STARTED.has(status) && step.startedAtMs === undefined && !isTerminalStatus(status)) step.startedAtMs = at;
      if (isTerminalStatus(status) && step.endedAtMs === undefined) step.endedAtMs = at;
      changes.push({ node, status, durationInMs: isTerminalStatus(status) ? duration(step.startedAtMs, step.endedAtMs) : undefined });
    }
    const status = job.properties.status ?? "Unknown";
    if (status !== this.status) {
      this.status = status;
      if (STARTED.has(status) && this.startedAtMs === undefined && !isTerminalStatus(status)) this.startedAtMs = at;
      if (isTerminalStatus(status)) this.endedAtMs = at;
      changes.push({ status, durationInMs: isTerminalStatus(status) ? duration(this.startedAtMs, this.endedAtMs) : undefined });
    }
    return changes;
  }

  /** Records the job's own run details (read from run history once it ended): its error and times. */
  setRun(run: RunDetails): void {
    this.runRead = true;
    this.runErrorValue = runError(run);
    this.startedAtMs = timeOf(run.startTimeUtc) ?? this.startedAtMs;
    this.endedAtMs = timeOf(run.endTimeUtc) ?? this.endedAtMs;
  }

  /** A step that failed without its error in the children list (read its run details then). */
  stepsMissingErrors(): StepState[] {
    return [...this.steps.values()].filter((s) => s.status === "Failed" && !s.error && s.runId);
  }

  /** The job's own error (for a pipeline: the service's summary, e.g. "Pipeline has failed child jobs"). */
  get error(): JobError | undefined {
    return this.runErrorValue;
  }

  /** Outputs of the job with the URIs the service reports (null until it reports one). */
  outputs(): Record<string, string | undefined> {
    const outputs = this.job?.properties.outputs ?? {};
    const result: Record<string, string | undefined> = {};
    for (const [name, output] of Object.entries(outputs)) result[name] = output?.uri ?? undefined;
    return result;
  }

  /** `settings.continue_on_step_failure` of a pipeline job. */
  get continueOnStepFailure(): boolean {
    const settings = this.job?.properties.settings;
    const value = settings?.["continue_on_step_failure"] ?? settings?.["continueOnStepFailure"];
    return value === true || value === "true" || value === "True";
  }
}

function duration(start: number | undefined, end: number | undefined): number | undefined {
  return start !== undefined && end !== undefined ? end - start : undefined;
}
