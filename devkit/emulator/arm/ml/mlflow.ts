/**
 * The workspace's MLflow tracking server: the three read routes the tasks use, under the workspace's
 * `mlFlowTrackingUri` (`azureml://<host>/mlflow/v1.0/<workspace id>` → `https://<host>/mlflow/v1.0/<workspace id>`,
 * MicrosoftDocs/azure-docs articles/machine-learning/includes/machine-learning-mlflow-configure-tracking.md;
 * azureml-mlflow also speaks `/mlflow/v2.0` with MLflow >= 2, AzureMLAbstractRestStore.get_host_credentials in
 * azureml.mlflow._store.azureml_reststore, so both are served; no api-version, as the MLflow REST API takes none:
 * Azure/azureml-examples sdk/python/using-mlflow/using-rest-api/using_mlflow_rest_api.ipynb):
 *
 * - `GET  .../api/2.0/mlflow/runs/get?run_id=` → `{run: {info, data: {metrics, params, tags}}}`, metrics holding
 *   the latest value of each key (mlflow.org/docs/latest/rest-api.html "Get Run"; RunData.metrics).
 * - `GET  .../api/2.0/mlflow/metrics/get-history?run_id=&metric_key=` → `{metrics: [...]}` (rest-api.html "Get Metric History").
 * - `POST .../api/2.0/mlflow/runs/search {experiment_ids, filter}` → `{runs: [...]}`; only the filter
 *   `tags.mlflow.parentRunId = '<id>'` (and `attributes.run_id = '<id>'`) is understood (rest-api.html "Search Runs";
 *   the tag: mlflow/mlflow mlflow/utils/mlflow_tags.py MLFLOW_PARENT_RUN_ID).
 * - Errors `{error_code, message}`: a missing run is 404 RESOURCE_DOES_NOT_EXIST, a missing parameter 400
 *   INVALID_PARAMETER_VALUE (mlflow/mlflow mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS). No permission is the
 *   framework's ARM 403 AuthorizationFailed (see devkit/emulator/GUESSES.md "MLflow").
 *
 * A run is an Azure ML job (run id = job name; MLflow "Runs are jobs" in learn.microsoft.com/azure/machine-learning/
 * how-to-track-experiments-mlflow). Its metrics are scripted: per job/step through JobScript.metrics (taken when the
 * job is submitted) or per run id through `scriptRunMetrics`; they appear once the run has started.
 */
import { createHash } from "node:crypto";
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError, resourceNotFound } from "../../framework";
import { WORKSPACE_PATTERN, isRecord, workspaceKey } from "./common";
import type { JobRecord, JobStatus } from "./jobs";
import type { MlService, WorkspaceState } from "./state";

const READ = "Microsoft.MachineLearningServices/workspaces/experiments/runs/read";
const BASE = `/mlflow/:apiVersion${WORKSPACE_PATTERN}/api/2.0/mlflow`;

/** Values a metric takes, in logging order (the last is its value); one number = logged once. */
export type ScriptedMetrics = Record<string, number | number[]>;

/** Metrics of a job submitted while the script is active: of the job itself, and of its steps by node name. */
export interface JobMetricsScript {
  job?: ScriptedMetrics;
  steps?: Record<string, ScriptedMetrics>;
}

interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

function mlflowError(status: number, code: string, message: string): EmuResponse {
  return { status, body: { error_code: code, message } };
}

/** MLflow run status for an Azure ML job status (mlflow RunStatus: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED). */
function runStatus(status: JobStatus): string {
  if (status === "Completed") return "FINISHED";
  if (status === "Failed") return "FAILED";
  if (status === "Canceled") return "KILLED";
  if (status === "Running" || status === "Finalizing" || status === "CancelRequested") return "RUNNING";
  return "SCHEDULED";
}

/** A stable id per experiment name (MLflow experiment ids on Azure ML are GUIDs). */
function experimentId(ws: WorkspaceState, name: string): string {
  const h = createHash("sha256")
    .update(`${workspaceKey(ws)}|${name}`)
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class MlflowService {
  /**
   * Principals (client ids) whose role lacks the runs read action although it lets them use jobs (a custom
   * role, or a data action denied): their MLflow reads get the same 403 the server's RBAC check gives.
   */
  readonly deniedReaders = new Set<string>();
  /** Metrics scripted per run id (wins over the job's script), by workspace key. */
  private readonly runScripts = new Map<string, Map<string, ScriptedMetrics>>();

  constructor(private readonly ml: MlService) {}

  register(): void {
    const route = (method: string, suffix: string, handler: (req: EmuRequest, ws: WorkspaceState) => EmuResponse) =>
      this.ml.ctx.router.add(
        method,
        `${BASE}${suffix}`,
        (req) => {
          if (!/^v[12]\.0$/.test(req.params.apiVersion)) return mlflowError(404, "ENDPOINT_NOT_FOUND", `No API found for '${req.path}'`);
          const ws = this.ml.workspace({
            subscriptionId: req.params.subscriptionId,
            resourceGroupName: req.params.resourceGroupName,
            workspaceName: req.params.workspaceName,
          });
          if (!ws) return resourceNotFound("Microsoft.MachineLearningServices/workspaces", req.params.workspaceName, req.params.resourceGroupName);
          const p = req.principal;
          if (p && this.deniedReaders.has(p.clientId.toLowerCase())) {
            return armError(
              403,
              "AuthorizationFailed",
              `The client '${p.clientId}' with object id '${p.objectId}' does not have authorization to perform action '${READ}' over scope '${req.path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
            );
          }
          return handler(req, ws);
        },
        { auth: "arm", action: READ, noApiVersion: true },
      );
    route("GET", "/runs/get", (req, ws) => this.getRun(req, ws));
    route("GET", "/metrics/get-history", (req, ws) => this.history(req, ws));
    route("POST", "/runs/search", (req, ws) => this.search(req, ws));
  }

  scriptRunMetrics(ws: WorkspaceState, runId: string, metrics: ScriptedMetrics | undefined): void {
    const key = workspaceKey(ws);
    const map = this.runScripts.get(key) ?? new Map<string, ScriptedMetrics>();
    if (metrics) map.set(runId, metrics);
    else map.delete(runId);
    this.runScripts.set(key, map);
  }

  reset(): void {
    this.runScripts.clear();
    this.deniedReaders.clear();
  }

  private getRun(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const runId = req.query.get("run_id") ?? req.query.get("run_uuid");
    if (!runId) return mlflowError(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'.");
    const job = ws.jobs.get(runId);
    if (!job) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", `Run '${runId}' not found.`);
    return { status: 200, body: { run: this.run(ws, job) } };
  }

  private history(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const runId = req.query.get("run_id") ?? req.query.get("run_uuid");
    const key = req.query.get("metric_key");
    if (!runId) return mlflowError(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'run_id'.");
    if (!key) return mlflowError(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'metric_key'.");
    const job = ws.jobs.get(runId);
    if (!job) return mlflowError(404, "RESOURCE_DOES_NOT_EXIST", `Run '${runId}' not found.`);
    return { status: 200, body: { metrics: this.metrics(ws, job).filter((m) => m.key === key) } };
  }

  private search(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const body = isRecord(req.body) ? req.body : {};
    const ids = Array.isArray(body.experiment_ids) ? body.experiment_ids.filter((x): x is string => typeof x === "string") : [];
    if (ids.length === 0) return mlflowError(400, "INVALID_PARAMETER_VALUE", "Search runs needs at least one experiment id in 'experiment_ids'.");
    const filter = typeof body.filter === "string" ? body.filter.trim() : "";
    const m = /^(tags\.(?:mlflow\.parentRunId|`mlflow\.parentRunId`)|attributes\.run_id)\s*=\s*'((?:[^'\\]|\\.)*)'$/.exec(filter);
    if (filter && !m) return mlflowError(400, "INVALID_PARAMETER_VALUE", `Unsupported filter in the emulator: '${filter}'.`);
    const wanted = m?.[2].replace(/\\(.)/g, "$1");
    const runs = [...ws.jobs.values()]
      .filter((job) => ids.includes(experimentId(ws, this.experimentName(job))))
      .filter((job) => !m || (m[1] === "attributes.run_id" ? job.name === wanted : job.parentName === wanted))
      .map((job) => this.run(ws, job));
    return { status: 200, body: { runs } };
  }

  private experimentName(job: JobRecord): string {
    return typeof job.properties.experimentName === "string" ? job.properties.experimentName : "Default";
  }

  private run(ws: WorkspaceState, job: JobRecord): Record<string, unknown> {
    const all = this.metrics(ws, job);
    const latest = new Map<string, Metric>();
    for (const m of all) latest.set(m.key, m);
    const displayName = typeof job.properties.displayName === "string" ? job.properties.displayName : job.name;
    const tags = [
      { key: "mlflow.runName", value: displayName },
      ...(job.parentName ? [{ key: "mlflow.parentRunId", value: job.parentName }] : []),
      ...(job.nodeName ? [{ key: "azureml.nodeid", value: job.nodeName }] : []),
    ];
    return {
      info: {
        run_id: job.name,
        run_uuid: job.name,
        run_name: displayName,
        experiment_id: experimentId(ws, this.experimentName(job)),
        status: runStatus(job.status),
        ...(job.startTimeMs !== undefined ? { start_time: job.startTimeMs } : {}),
        ...(job.endTimeMs !== undefined ? { end_time: job.endTimeMs } : {}),
        lifecycle_stage: "active",
      },
      data: { metrics: [...latest.values()], params: [], tags },
    };
  }

  /** Every logged value, in logging order; nothing before the run has started. */
  private metrics(ws: WorkspaceState, job: JobRecord): Metric[] {
    const scripted = this.runScripts.get(workspaceKey(ws))?.get(job.name) ?? this.fromJobScript(ws, job);
    if (!scripted || job.startTimeMs === undefined) return [];
    const start = job.startTimeMs;
    const out: Metric[] = [];
    for (const [key, raw] of Object.entries(scripted)) {
      const values = Array.isArray(raw) ? raw : [raw];
      values.forEach((value, step) => out.push({ key, value, timestamp: start + step + 1, step }));
    }
    return out.sort((a, b) => a.timestamp - b.timestamp);
  }

  private fromJobScript(ws: WorkspaceState, job: JobRecord): ScriptedMetrics | undefined {
    if (job.parentName && job.nodeName) return ws.jobs.get(job.parentName)?.script.metrics?.steps?.[job.nodeName];
    return job.script.metrics?.job;
  }
}
