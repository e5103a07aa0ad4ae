/**
 * Submits a CLI v2 job YAML as `az ml job create --file … --set …` would — or attaches to the job when
 * one of that name exists already (a retried run of the same step), or only validates it.
 *
 *   load (overrides) → workspace → existing job? attach : resolve references → [validateOnly: stop]
 *   → upload / register code, environments, components → PUT jobs/<name>
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { workspaceId as workspaceIdOf } from "../common/azureml/workspace";
import { InputError } from "../common/errors";
import { isConflict, isNotFound } from "../common/restErrors";
import { remoteText } from "../common/remoteText";
import type { ArtifactStore } from "./artifactStore";
import { STEP_RUN_PROPERTY, submittedByStep } from "./jobName";
import type { JobResource, JobsClient } from "./jobsRest";
import { loadPlan } from "./jobFile";
import { generateJobName, type JobBody, type JobPlan } from "./loader";
import { plannedCodeIds, registerAssets, withServiceIds } from "./registerAssets";
import type { SubmitPipelineRequest } from "./request";
import type { Loc } from "../common/loc";
import type { EntryContext } from "../common/operation";
import { resolveReferences } from "./resolveReferences";

export { loadPlan } from "./jobFile";

/** The entry's context (log, loc, the cancellation signal) and the clients. */
export interface SubmitDependencies extends EntryContext {
  ml: AzureMachineLearningWorkspaces;
  /** Job GET/PUT as JSON (the SDK's job serializer drops data input URIs: see jobsRest.ts). */
  jobs: JobsClient;
  store: ArtifactStore;
  /** The job file, when the entry has loaded it already (local checks come before signing in). */
  plan?: JobPlan;
  /** A token of the connection for the Azure ML resource, sent as `x-azureml-token` (see jobNeedsAmlToken). */
  amlToken: (abortSignal: AbortSignal) => Promise<string>;
}

export interface SubmitOutcome {
  jobName: string;
  /** ARM id of the workspace (Studio's `wsid`). */
  workspaceId: string;
  /** The workspace's discovery document (where its run history lives). */
  discoveryUrl?: string;
  plan: JobPlan;
  /** "submitted": PUT now; "attached": the job existed; "validated": validateOnly, nothing sent. */
  mode: "submitted" | "attached" | "validated";
  /** The job as the service answered (absent when only validated). */
  job?: JobResource;
  /** The body sent (or that would be sent, when only validated). */
  body?: JobBody;
}

export async function submitJob(request: SubmitPipelineRequest, deps: SubmitDependencies): Promise<SubmitOutcome> {
  const { ml, log, loc, abortSignal } = deps;
  const { resourceGroupName: rg, workspaceName: wsName } = request.workspace;

  const plan = deps.plan ?? (await loadPlan(request, abortSignal, loc));
  for (const warning of plan.warnings) log.warning(warning);
  log.info(loc("Loaded", plan.filePath, plan.kind, plan.uploads.length, plan.references.length));

  const workspace = await ml.workspaces.get(rg, wsName, { abortSignal }).catch((error: unknown) => {
    throw asAzureOperationError(error, loc, { resource: `workspace '${wsName}'`, resourceGroupName: rg });
  });
  const workspaceId = workspace.id ?? workspaceIdOf(request.workspace);
  const discoveryUrl = workspace.discoveryUrl;
  const jobName = request.jobName ?? plan.name ?? request.defaultJobName ?? generateJobName();

  if (!request.validateOnly) {
    const existing = await getJob(deps.jobs, request, jobName, { abortSignal, loc });
    if (existing) {
      refuseUnlessOurs(existing, request, jobName, loc);
      log.info(loc("Attaching", jobName, existing.properties.status ?? "Unknown"));
      return { jobName, workspaceId, discoveryUrl, plan, mode: "attached", job: existing };
    }
  }

  const referenceIds = await resolveReferences(plan, { ml, workspace: request.workspace, workspaceId, log, loc, abortSignal });

  if (request.validateOnly) {
    // The datastores local files would go to must exist too; nothing is uploaded.
    for (const datastore of new Set(plan.uploads.map((u) => u.datastoreName))) await deps.store.containerUrl(datastore);
    const body = buildBody(plan, request, jobName, { workspaceId, codeIds: plannedCodeIds(plan, workspaceId), referenceIds });
    log.debug(`Job body: ${JSON.stringify(body)}`);
    log.info(
      loc(
        "Validated",
        plan.filePath,
        plan.uploads.length,
        plan.componentVersions({ workspaceId, codeIds: plannedCodeIds(plan, workspaceId), referenceIds }).length,
      ),
    );
    return { jobName, workspaceId, discoveryUrl, plan, mode: "validated", body };
  }

  const { resolved, serviceIds } = await registerAssets(plan, {
    ml,
    store: deps.store,
    workspace: request.workspace,
    workspaceId,
    referenceIds,
    log,
    loc,
    abortSignal,
  });
  // The ids the service answered with (a deduplicated anonymous component is another version's id).
  const body = withServiceIds(buildBody(plan, request, jobName, resolved), serviceIds);
  log.debug(`Job body: ${JSON.stringify(body)}`);
  try {
    const headers = jobNeedsAmlToken(body) ? { "x-azureml-token": await deps.amlToken(abortSignal) } : undefined;
    const job = await deps.jobs.put(request.workspace, jobName, body, abortSignal, headers);
    log.info(loc("Submitted", jobName, job.properties.status ?? "NotStarted"));
    return { jobName, workspaceId, discoveryUrl, plan, mode: "submitted", job, body };
  } catch (error) {
    // Another attempt of this step may have submitted it meanwhile: attach to that one.
    if (isConflict(error)) {
      const existing = await getJob(deps.jobs, request, jobName, { abortSignal, loc });
      if (existing) {
        refuseUnlessOurs(existing, request, jobName, loc);
        log.info(loc("Attaching", jobName, existing.properties.status ?? "Unknown"));
        return { jobName, workspaceId, discoveryUrl, plan, mode: "attached", job: existing, body };
      }
    }
    throw asAzureOperationError(error, loc, { resource: `job '${jobName}' in workspace '${wsName}'`, resourceGroupName: rg });
  }
}

/**
 * Whether the PUT carries `x-azureml-token`: a pipeline job, or a job with a user identity, as the SDK
 * decides (azure/ai/ml/operations/_job_operations.py, Azure/azure-sdk-for-python: `create_or_update`
 * calls `_set_headers_with_user_aml_token` for RestJobType.PIPELINE or a UserIdentity).
 */
export function jobNeedsAmlToken(body: JobBody): boolean {
  const props = body.properties as { jobType?: string; identity?: { identityType?: string } | null };
  return props.jobType === "Pipeline" || props.identity?.identityType === "UserIdentity";
}

function buildBody(plan: JobPlan, request: SubmitPipelineRequest, jobName: string, resolved: Parameters<JobPlan["buildJobBody"]>[0]): JobBody {
  const body = plan.buildJobBody(resolved, {
    jobName,
    defaultExperimentName: request.defaultExperimentName,
    defaultProperties: request.defaultProperties,
  });
  const props = body.properties;
  if (request.experimentName) props.experimentName = request.experimentName;
  if (request.displayName) props.displayName = request.displayName;
  if (request.tags && Object.keys(request.tags).length > 0) props.tags = { ...(props.tags ?? {}), ...request.tags };
  // Which step of which run submitted the job: a later attempt of this step may attach to it, nothing else may.
  if (request.defaultJobName) props.properties = { ...(props.properties ?? {}), [STEP_RUN_PROPERTY]: request.defaultJobName };
  return body;
}

/**
 * A job of this name exists: it is this run's job only when this step submitted it (an earlier
 * attempt); otherwise the name is taken — fail, naming where the name comes from.
 */
function refuseUnlessOurs(existing: JobResource, request: SubmitPipelineRequest, jobName: string, loc: Loc): void {
  if (submittedByStep(existing.properties.properties, request.defaultJobName)) return;
  const input = request.jobName ? "jobName" : "jobFile";
  const source = request.jobName ? "input jobName" : `name: in ${remoteText(request.jobFile)}`;
  throw new InputError(input, loc("JobNameTaken", jobName, source, existing.properties.status ?? "Unknown"));
}

async function getJob(
  jobs: JobsClient,
  request: SubmitPipelineRequest,
  jobName: string,
  { abortSignal, loc }: { abortSignal: AbortSignal; loc: Loc },
): Promise<JobResource | undefined> {
  const { resourceGroupName: rg, workspaceName: wsName } = request.workspace;
  try {
    return await jobs.get(request.workspace, jobName, abortSignal);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw asAzureOperationError(error, loc, { resource: `job '${jobName}' in workspace '${wsName}'`, resourceGroupName: rg });
  }
}
