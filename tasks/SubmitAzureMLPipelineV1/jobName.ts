/**
 * The job name a pipeline step submits under when neither the task input nor the YAML names the job.
 * It is derived from what identifies the step in this run — collection, project, build (or release and
 * stage), job and step — and NOT from the attempt (System.JobAttempt), so a retried run of the same
 * step finds the job the first attempt submitted and attaches to it instead of submitting it twice.
 */
import { createHash } from "node:crypto";

/** The predefined variables that identify one step of one run (agent names in comments). */
export interface StepIdentity {
  /** System.CollectionId (or System.CollectionUri when the id is absent). */
  collection?: string;
  /** System.TeamProjectId */
  projectId?: string;
  /** Build.BuildId */
  buildId?: string;
  /** Release.ReleaseId (classic releases: Build.BuildId is then the artifact's build, shared by releases). */
  releaseId?: string;
  /** Release.EnvironmentId */
  releaseEnvironmentId?: string;
  /** System.StageName */
  stageName?: string;
  /** System.PhaseName (the job's name in YAML) */
  phaseName?: string;
  /** System.JobName / Agent.JobName (matrix and parallel legs) */
  jobName?: string;
  /** System.TaskInstanceId (the step's id in the plan, the same in every attempt) */
  taskInstanceId?: string;
  /** System.TaskInstanceName (the step's name) */
  taskInstanceName?: string;
}

/**
 * `azdo_<build or release id>_<12 hex>`: a valid Azure ML job name (letters, digits, `_`, `-`), short
 * enough for pipeline children named `<job>_<node>`. Undefined outside a build or release.
 */
export function stepJobName(identity: StepIdentity): string | undefined {
  const run = identity.releaseId ? `r${identity.releaseId}` : identity.buildId ? `b${identity.buildId}` : undefined;
  if (!run || !/^[A-Za-z0-9]+$/.test(run)) return undefined;
  const parts = [
    identity.collection,
    identity.projectId,
    identity.buildId,
    identity.releaseId,
    identity.releaseEnvironmentId,
    identity.stageName,
    identity.phaseName,
    identity.jobName,
    identity.taskInstanceId,
    identity.taskInstanceName,
  ].map((p) => (p ?? "").trim().toLowerCase());
  const digest = createHash("sha256").update(parts.join("\n"), "utf8").digest("hex").slice(0, 12);
  return `azdo_${run}_${digest}`;
}

/**
 * The job property (an immutable job property, set at creation) that names the step of the pipeline
 * run that submitted the job: its value is that step's `stepJobName`. A job of the same name is
 * attached to only when it carries this step's value — a name fixed in the YAML and reused by a
 * later build, or another pipeline's job, is never taken for this run's job.
 */
export const STEP_RUN_PROPERTY = "azdo.stepRun";

/** Whether a job with these properties was submitted by the step `stepRun` (any attempt of it). */
export function submittedByStep(properties: Record<string, string | null> | undefined, stepRun: string | undefined): boolean {
  return !!stepRun && !!properties && Object.hasOwn(properties, STEP_RUN_PROPERTY) && properties[STEP_RUN_PROPERTY] === stepRun;
}
