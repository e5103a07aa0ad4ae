/**
 * What the task knows about a job and its pipeline steps, built from successive GETs: each step's status,
 * when the task first saw it start and end (2022-10-01 jobs carry no start/end times), and its error.
 * `update` returns what changed, so the log gets one line per change instead of one per poll.
 */
import type { JobResource } from "./jobsRest";
import { isTerminalStatus } from "./request";

export interface StepState {
  /** Node name in the pipeline's `jobs`. */
  node: string;
  /** Child job name, once known. */
  jobName?: string;
  status: string;
  /** When the task first saw the step past NotStarted/Queued (ms since epoch). */
  startedAtMs?: number;
  /** When the task first saw the step in a terminal status. */
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

const STARTED = new Set(["Preparing", "Provisioning", "Starting", "Running", "Finalizing", "CancelRequested", "Completed", "Failed", "Canceled", "NotResponding"]);

/** The error a failed job carries in `properties.properties` (azureml.error.code / azureml.error.message). */
export function jobError(job: JobResource | undefined): JobError | undefined {
  const props = job?.properties.properties ?? {};
  const message = props["azureml.error.message"];
  if (!message) return undefined;
  return { code: props["azureml.error.code"] ?? undefined, message };
}

/** Node names of a pipeline job (empty for other job types). */
export function pipelineNodes(job: JobResource): string[] {
  const props = job.properties;
  return props.jobType === "Pipeline" && props.jobs ? Object.keys(props.jobs) : [];
}

export class JobState {
  job?: JobResource;
  status = "Unknown";
  startedAtMs?: number;
  endedAtMs?: number;
  readonly steps = new Map<string, StepState>();
  /** Where nextOpenSteps resumes. */
  private turn = 0;

  constructor(
    readonly jobName: string,
    private readonly now: () => number = Date.now,
  ) {}

  get isTerminal(): boolean {
    return isTerminalStatus(this.status);
  }

  /** Steps that may still change (their child job is worth another GET). */
  openSteps(): StepState[] {
    return [...this.steps.values()].filter((s) => !isTerminalStatus(s.status));
  }

  /** Up to `count` open steps, taking turns across calls so every step is read in time. */
  nextOpenSteps(count: number): StepState[] {
    const open = this.openSteps();
    if (open.length <= count) return open;
    const start = this.turn % open.length;
    this.turn += count;
    return [...open.slice(start), ...open.slice(0, start)].slice(0, count);
  }

  /** Adds the pipeline's nodes as NotStarted steps (before the first GET of the children). */
  learnNodes(job: JobResource): void {
    for (const node of pipelineNodes(job)) {
      if (!this.steps.has(node)) this.steps.set(node, { node, status: "NotStarted" });
    }
  }

  /** Records the job and the children fetched this poll (undefined: not created yet); returns the changes. */
  update(job: JobResource, children: ReadonlyMap<string, JobResource | undefined>): StatusChange[] {
    const changes: StatusChange[] = [];
    const at = this.now();
    this.job = job;
    this.learnNodes(job);
    for (const [node, child] of children) {
      const step = this.steps.get(node) ?? { node, status: "NotStarted" };
      this.steps.set(node, step);
      if (!child) continue;
      step.jobName = child.name ?? step.jobName;
      const status = child.properties.status ?? "Unknown";
      if (status === step.status) continue;
      step.status = status;
      if (STARTED.has(status) && step.startedAtMs === undefined && !isTerminalStatus(status)) step.startedAtMs = at;
      if (isTerminalStatus(status)) {
        step.endedAtMs = at;
        step.error = jobError(child);
      }
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

  /** The job's own error (for a pipeline: the service's summary, e.g. "Pipeline has failed child jobs"). */
  get error(): JobError | undefined {
    return jobError(this.job);
  }

  /** Outputs of the job with their URIs (pipeline outputs after completion). */
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
