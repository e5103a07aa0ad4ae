/**
 * The run-history data plane of a workspace (`<api host>/history/v1.0/...`, the host named `api`
 * by the discovery document of the workspace's `discoveryUrl`): run details and the children of a
 * run. This is where the Azure ML SDK reads a pipeline's steps, with their status, times and
 * errors (azure/ai/ml/operations/_job_operations.py: `_runs_operations.get_run_children`,
 * `get_run_details`; paths and query parameters from
 * azure/ai/ml/_restclient/runhistory/operations/_runs_operations.py). Bodies follow the recorded
 * answers in Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json.
 *
 * The SDK's run-history client signs in with the ARM scope (runhistory/_configuration.py:
 * credential_scopes default `https://management.azure.com/.default`), so these routes take ARM
 * tokens.
 */
import { createHash } from "node:crypto";
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError } from "../../framework";
import { isRecord, ok, userError, workspaceResourceId } from "./common";
import type { JobRecord } from "./jobs";
import type { MlService, WorkspaceState } from "./state";

const RUNS =
  "/history/v1.0/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.MachineLearningServices/workspaces/:workspaceName/runs/:runId";
const ACTION = "Microsoft.MachineLearningServices/workspaces/experiments/runs/read";

export function registerRunHistoryRoutes(ml: MlService): void {
  const withRun = (handler: (req: EmuRequest, ws: WorkspaceState, run: JobRecord) => EmuResponse) => (req: EmuRequest) => {
    const ws = ml.workspace({
      subscriptionId: req.params.subscriptionId,
      resourceGroupName: req.params.resourceGroupName,
      workspaceName: req.params.workspaceName,
    });
    if (!ws) return armError(404, "UserError", `Workspace '${req.params.workspaceName}' was not found in resource group '${req.params.resourceGroupName}'.`);
    const run = ws.jobs.get(req.params.runId);
    if (!run) return armError(404, "UserError", `Run ${req.params.runId} was not found.`);
    return handler(req, ws, run);
  };
  // Role assignments apply to the workspace the run belongs to.
  const options = {
    auth: "arm" as const,
    action: ACTION,
    noApiVersion: true,
    rbacScope: (req: EmuRequest) =>
      workspaceResourceId({
        subscriptionId: req.params.subscriptionId,
        resourceGroupName: req.params.resourceGroupName,
        workspaceName: req.params.workspaceName,
      }),
  };
  ml.ctx.router.add(
    "GET",
    RUNS,
    withRun((_req, _ws, run) => ok(runBody(ml, run))),
    options,
  );
  ml.ctx.router.add(
    "GET",
    `${RUNS}/children`,
    withRun((req, ws, run) => children(ml, req, ws, run)),
    options,
  );
}

/** `$top` items from `$continuationtoken` (an offset here); `continuationToken` and `nextLink` only when more follow. */
function children(ml: MlService, req: EmuRequest, ws: WorkspaceState, run: JobRecord): EmuResponse {
  const all = [...run.children.values()].map((name) => ws.jobs.get(name)).filter((j): j is JobRecord => !!j);
  const token = req.query.get("$continuationtoken");
  const offset = token ? Number(token) : 0;
  if (!Number.isInteger(offset) || offset < 0) return userError(400, `The continuation token '${token}' is not valid.`, "$continuationtoken");
  const topText = req.query.get("$top");
  const top = topText ? Number(topText) : ml.pageSize;
  if (!Number.isInteger(top) || top < 1) return userError(400, `$top '${topText}' is not a positive integer.`, "$top");
  const end = Math.min(all.length, offset + top);
  const body: Record<string, unknown> = { value: all.slice(offset, end).map((j) => runBody(ml, j)) };
  if (end < all.length) {
    // The query as the client sent it ($-names unencoded, as ARM's nextLinks), with the new token.
    const kept = req.url.search
      .replace(/^\?/, "")
      .split("&")
      .filter((p) => p && !/^(\$|%24)continuationtoken=/i.test(p));
    kept.push(`$continuationtoken=${end}`);
    body.continuationToken = String(end);
    body.nextLink = `${ml.ctx.baseUrl()}${req.url.pathname}?${kept.join("&")}`;
  }
  return ok(body);
}

/** A run as run history answers it (recorded fields; nulls where the recording has nulls). */
export function runBody(ml: MlService, job: JobRecord): Record<string, unknown> {
  const parent = job.parentName ? job.ws.jobs.get(job.parentName) : undefined;
  const root = parent ?? job;
  const props = isRecord(job.properties.properties) ? (job.properties.properties as Record<string, string>) : {};
  const user = {
    userObjectId: job.systemData.createdBy,
    userPuId: null,
    userIdp: null,
    userAltSecId: null,
    userIss: null,
    userTenantId: ml.ctx.world.tenantId,
    userName: job.systemData.createdBy,
    upn: null,
  };
  const start = job.startTimeMs !== undefined ? new Date(job.startTimeMs).toISOString() : null;
  const end = job.endTimeMs !== undefined ? new Date(job.endTimeMs).toISOString() : null;
  const duration = job.startTimeMs !== undefined ? timeSpan((job.endTimeMs ?? Date.now()) - job.startTimeMs) : null;
  const runType = job.parentName ? "azureml.StepRun" : job.properties.jobType === "Pipeline" ? "azureml.PipelineRun" : "azureml.scriptrun";
  const cancelUri = `${ml.ctx.baseUrl()}/studioservice/apiv2/subscriptions/${job.ws.subscriptionId}/resourceGroups/${job.ws.resourceGroupName}/workspaces/${job.ws.workspaceName}/runs/${job.name}/Cancel`;
  return {
    runNumber: Math.floor(Date.parse(root.systemData.createdAt) / 1000),
    rootRunId: root.name,
    createdUtc: job.systemData.createdAt,
    createdBy: user,
    userId: job.systemData.createdBy,
    token: null,
    tokenExpiryTimeUtc: null,
    error: job.status === "Failed" && job.error ? errorResponse(job.error, end) : null,
    warnings: null,
    revision: job.history.length,
    statusRevision: 0,
    runUuid: job.runUuid,
    parentRunUuid: parent?.runUuid ?? null,
    rootRunUuid: root.runUuid,
    lastStartTimeUtc: null,
    currentComputeTime: null,
    computeDuration: duration,
    effectiveStartTimeUtc: null,
    lastModifiedBy: user,
    lastModifiedUtc: job.history[job.history.length - 1]?.time ?? job.systemData.createdAt,
    duration,
    cancelationReason: null,
    currentAttemptId: null,
    runId: job.name,
    parentRunId: parent?.name ?? null,
    experimentId: experimentId(String(root.properties.experimentName ?? "Default")),
    status: job.status,
    startTimeUtc: start,
    endTimeUtc: end,
    scheduleId: null,
    displayName: String(job.properties.displayName ?? job.name),
    name: props["azureml.moduleName"] ?? null,
    dataContainerId: `dcid.${job.name}`,
    description: job.properties.description ?? null,
    hidden: false,
    runType,
    runTypeV2: { orchestrator: null, traits: [runType], attribution: null, computeType: null },
    properties: { ...props },
    parameters: {},
    actionUris: { Cancel: cancelUri },
    scriptName: null,
    target: computeName(job.properties.computeId),
    uniqueChildRunComputeTargets: [],
    tags: job.parentName
      ? { "azureml.nodeid": job.nodeId ?? null, "azureml.pipeline": job.parentName }
      : { ...(isRecord(job.properties.tags) ? job.properties.tags : {}) },
    settings: {},
    services: {},
    inputDatasets: [],
    outputDatasets: [],
    runDefinition: null,
    jobSpecification: null,
    primaryMetricName: null,
    createdFrom: null,
    cancelUri,
    completeUri: null,
    diagnosticsUri: null,
    computeRequest: null,
    compute: null,
    retainForLifetimeOfWorkspace: null,
    queueingInfo: null,
    inputs: null,
    outputs: null,
  };
}

/**
 * A failed run's `error`: the run-history ErrorResponse (an `error` RootError with code and
 * message, plus correlation fields), as modelled by the SDK
 * (azure/ai/ml/_restclient/runhistory/models/_models_py3.py, ErrorResponse / RootError).
 */
function errorResponse(error: { code: string; message: string }, time: string | null): Record<string, unknown> {
  return {
    error: {
      code: error.code,
      severity: null,
      message: error.message,
      messageFormat: null,
      messageParameters: null,
      referenceCode: null,
      detailsUri: null,
      target: null,
      details: [],
      innerError: null,
      debugInfo: null,
      additionalInfo: null,
    },
    correlation: null,
    environment: null,
    location: null,
    time,
    componentName: null,
  };
}

function computeName(computeId: unknown): string | null {
  return typeof computeId === "string" ? (computeId.split("/").pop() ?? computeId) : null;
}

/** .NET TimeSpan text as recorded ("00:00:00.0448784"). */
function timeSpan(ms: number): string {
  const total = Math.max(0, ms);
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const frac = String(Math.round((total % 1000) * 10_000)).padStart(7, "0");
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${frac}`;
}

/** One experiment id per experiment name (a GUID, as recorded). */
function experimentId(name: string): string {
  const hex = createHash("md5").update(name, "utf8").digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
