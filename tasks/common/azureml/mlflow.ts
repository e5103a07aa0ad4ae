/**
 * MLflow metrics of Azure ML runs, read through the workspace's MLflow tracking server.
 *
 * Where each fact comes from:
 * - The tracking URI is the workspace's `properties.mlFlowTrackingUri`,
 *   `azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>`
 *   (MicrosoftDocs/azure-docs articles/machine-learning/includes/machine-learning-mlflow-configure-tracking.md).
 *   For REST calls "replace the protocol from `azureml` to `https`" and append the MLflow REST path
 *   `api/2.0/mlflow/...` (Azure/azureml-examples sdk/python/using-mlflow/using-rest-api/using_mlflow_rest_api.ipynb);
 *   the azureml-mlflow plugin (PyPI package azureml-mlflow) builds its host the same way (`host_url="https://" +
 *   parsed_url.netloc` in its tracking-URI service-context helpers) and appends `/mlflow/v2.0` (MLflow >= 2) or
 *   `/mlflow/v1.0` + the workspace scope (AzureMLAbstractRestStore.get_host_credentials, azureml.mlflow._store.azureml_reststore).
 * - Auth: a bearer token for Azure Resource Manager — the notebook above asks for `resource=https://management.azure.com`,
 *   azureml-mlflow for `cloud._get_default_scope()` = `<resource_manager>/.default` (azureml.mlflow._common._cloud.cloud).
 *   So the requests go through the ARM client's own pipeline: its credential and scope, retries (429 with
 *   Retry-After, 5xx, dropped connections), proxy and user agent.
 * - Routes and answers (mlflow.org/docs/latest/rest-api.html): `GET 2.0/mlflow/runs/get?run_id=` →
 *   `{run: {info, data: {metrics: [{key, value, timestamp, step}], tags}}}` where `data.metrics` holds the latest
 *   value of each metric (mlflow.org python API, `RunData.metrics`: "the metric value with the latest timestamp");
 *   `GET 2.0/mlflow/metrics/get-history?run_id=&metric_key=[&page_token=]` → `{metrics: [...], next_page_token}`;
 *   `POST 2.0/mlflow/runs/search {experiment_ids, filter, max_results, page_token}` → `{runs: [...], next_page_token}`.
 * - Errors: `{error_code, message}`; RESOURCE_DOES_NOT_EXIST → 404, PERMISSION_DENIED → 403
 *   (mlflow/mlflow mlflow/exceptions.py, ERROR_CODE_TO_HTTP_STATUS). Azure ML's own gateway answers ARM-style
 *   `{error: {code, message}}` bodies; both shapes are read.
 * - Child runs carry the tag `mlflow.parentRunId` (mlflow/mlflow mlflow/utils/mlflow_tags.py MLFLOW_PARENT_RUN_ID) and
 *   are found with `runs/search` filter `tags.mlflow.parentRunId = '<run id>'`; on Azure ML a run is a job and a
 *   pipeline step a child job (learn.microsoft.com/azure/machine-learning/how-to-track-experiments-mlflow).
 *
 * The reader takes run ids only: how steps are found (job resources, run history) is the caller's business.
 */
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { allowTokenOrigin } from "../armClients";
import { sendJson, type JsonTransport } from "./jsonRequest";
import { asAzureOperationError } from "../armErrors";
import type { Loc } from "../loc";
import { AzureOperationError } from "../errors";
import { remoteText } from "../remoteText";
import { isNotFound } from "../restErrors";

/** What sends a request with the connection's ARM credential: an `@azure/arm-*` client fits. */
export type MlflowTransport = JsonTransport;

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface MlflowRun {
  info: { run_id?: string; run_uuid?: string; run_name?: string; experiment_id?: string; status?: string };
  data: { metrics?: MlflowMetric[]; tags?: { key: string; value: string }[] };
}

/** An MLflow REST answer ≥ 400. */
export class MlflowError extends AzureOperationError {
  constructor(
    message: string,
    readonly errorCode: string | undefined,
    statusCode: number,
  ) {
    super(message, { statusCode, ...(errorCode ? { code: errorCode } : {}) });
  }
  get notFound(): boolean {
    return isNotFound(this) || this.errorCode === "RESOURCE_DOES_NOT_EXIST";
  }
}

/** `azureml://host/path` → `https://host/path` (no trailing slash); an https URI is kept. */
export function trackingBaseUrl(mlFlowTrackingUri: string): string {
  const uri = mlFlowTrackingUri
    .trim()
    .replace(/^azureml:\/\//i, "https://")
    .replace(/\/+$/, "");
  if (!/^https:\/\/[^/]+\//i.test(uri)) throw new Error(`not an Azure ML MLflow tracking URI: ${uri}`);
  return uri;
}

const PAGE_SIZE = 1000;

export interface MlflowClientOptions {
  abortSignal: AbortSignal;
  loc: Loc;
  /** For messages. */
  workspaceName: string;
}

export class MlflowClient {
  private readonly api: string;

  constructor(
    private readonly transport: MlflowTransport,
    mlFlowTrackingUri: string,
    private readonly options: MlflowClientOptions,
  ) {
    this.api = `${trackingBaseUrl(mlFlowTrackingUri)}/api/2.0/mlflow`;
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const body = await this.send("GET", `runs/get?run_id=${encodeURIComponent(runId)}`, undefined, `run '${runId}'`);
    const run = (body as { run?: MlflowRun }).run;
    if (!run || typeof run !== "object") throw new MlflowError(this.options.loc("Common_MlflowNoJson", 200, `run '${remoteText(runId)}'`), undefined, 200);
    return run;
  }

  /** Every logged value of one metric, oldest first (pages followed). */
  async metricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const all: MlflowMetric[] = [];
    let token: string | undefined;
    do {
      const query = `run_id=${encodeURIComponent(runId)}&metric_key=${encodeURIComponent(key)}&max_results=${PAGE_SIZE}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
      const body = (await this.send("GET", `metrics/get-history?${query}`, undefined, `metric '${key}' of run '${runId}'`)) as {
        metrics?: MlflowMetric[];
        next_page_token?: string;
      };
      all.push(...(body.metrics ?? []));
      token = body.next_page_token || undefined;
    } while (token);
    return all;
  }

  /** Runs of these experiments matching an MLflow filter (pages followed). */
  async searchRuns(experimentIds: string[], filter: string): Promise<MlflowRun[]> {
    const all: MlflowRun[] = [];
    let token: string | undefined;
    do {
      const body = (await this.send(
        "POST",
        "runs/search",
        { experiment_ids: experimentIds, filter, max_results: PAGE_SIZE, ...(token ? { page_token: token } : {}) },
        `runs matching ${filter}`,
      )) as {
        runs?: MlflowRun[];
        next_page_token?: string;
      };
      all.push(...(body.runs ?? []));
      token = body.next_page_token || undefined;
    } while (token);
    return all;
  }

  private async send(method: "GET" | "POST", route: string, body: unknown, what: string): Promise<unknown> {
    const answer = await sendJson(this.transport, { method, url: `${this.api}/${route}`, body, abortSignal: this.options.abortSignal });
    const parsed = answer.text === "" ? {} : answer.body;
    if (answer.status >= 400) {
      const p = (parsed ?? {}) as { error_code?: string; message?: string; error?: { code?: string; message?: string } };
      const code = p.error_code ?? p.error?.code;
      const message = p.message ?? p.error?.message ?? `HTTP ${answer.status}`;
      const detail = remoteText(code ? `${code}: ${message}` : message).replace(/\.+$/, "");
      const { loc, workspaceName } = this.options;
      const denied = answer.status === 401 || answer.status === 403;
      const sentence = denied
        ? loc("Common_MlflowDenied", remoteText(what), workspaceName, detail)
        : loc("Common_MlflowReadFailed", remoteText(what), workspaceName, detail);
      throw new MlflowError(sentence, code, answer.status);
    }
    if (parsed === undefined || typeof parsed !== "object")
      throw new MlflowError(this.options.loc("Common_MlflowNoJson", answer.status, remoteText(what)), undefined, answer.status);
    return parsed;
  }
}

/** Last value of each metric of a run. */
export function lastValues(run: MlflowRun): Record<string, number> {
  const out: Record<string, number> = {};
  const latest: Record<string, number> = {};
  for (const m of run.data?.metrics ?? []) {
    const value = typeof m.value === "number" ? m.value : Number(m.value);
    if (typeof m.key !== "string" || !Number.isFinite(value)) continue;
    const ts = m.timestamp ?? 0;
    if (latest[m.key] === undefined || ts >= latest[m.key]) {
      latest[m.key] = ts;
      out[m.key] = value;
    }
  }
  return out;
}

export interface StepRun {
  /** How the step is named in outputs and tables. */
  stepName: string;
  runId: string;
}

/** The key of the job's own metrics in `JobMetrics.byStep` and the `Metrics` output. */
export const JOB_KEY = "job";

export interface JobMetrics {
  /** step name (and JOB_KEY for the job itself) → metric → last value; steps without metrics left out. */
  byStep: Record<string, Record<string, number>>;
  /** `<step>/<metric>` → every value, oldest first, for the metrics asked for. */
  history: Record<string, MlflowMetric[]>;
  /** Runs that do not exist (yet) in MLflow: a step that never started. */
  missingRuns: string[];
}

/**
 * Metrics of a job and of its steps: the last value of every metric (runs/get), and the history of
 * the metrics named in `historyOf`. A run MLflow does not know (RESOURCE_DOES_NOT_EXIST) counts as
 * having no metrics; other errors are thrown (MlflowError).
 */
export async function readJobMetrics(
  client: MlflowClient,
  job: { runId: string; steps: readonly StepRun[]; historyOf?: readonly string[] },
): Promise<JobMetrics> {
  const result: JobMetrics = { byStep: {}, history: {}, missingRuns: [] };
  const runs: StepRun[] = [{ stepName: JOB_KEY, runId: job.runId }, ...job.steps];
  await Promise.all(
    runs.map(async ({ stepName, runId }) => {
      let run: MlflowRun;
      try {
        run = await client.getRun(runId);
      } catch (err) {
        if (err instanceof MlflowError && err.notFound) {
          result.missingRuns.push(runId);
          return;
        }
        throw err;
      }
      const values = lastValues(run);
      if (Object.keys(values).length > 0) result.byStep[stepName] = values;
      for (const key of job.historyOf ?? []) {
        if (key in values) result.history[`${stepName}/${key}`] = await client.metricHistory(runId, key);
      }
    }),
  );
  // Stable order: the job first, then the steps as given.
  const ordered: Record<string, Record<string, number>> = {};
  for (const { stepName } of runs) if (result.byStep[stepName]) ordered[stepName] = result.byStep[stepName];
  result.byStep = ordered;
  return result;
}

/**
 * The child runs of a job as MLflow knows them (tag `mlflow.parentRunId`), named by their run name:
 * for RegisterModel and the like, which have only the job's name.
 */
export async function childRuns(client: MlflowClient, parent: MlflowRun, parentRunId: string): Promise<StepRun[]> {
  const experimentId = parent.info?.experiment_id;
  if (!experimentId) return [];
  const children = await client.searchRuns([experimentId], `tags.mlflow.parentRunId = '${parentRunId.replace(/'/g, "\\'")}'`);
  return children
    .map((run) => {
      const runId = run.info?.run_id ?? run.info?.run_uuid ?? "";
      const tagName = run.data?.tags?.find((t) => t.key === "mlflow.runName")?.value;
      return { stepName: run.info?.run_name || tagName || runId, runId };
    })
    .filter((s) => s.runId);
}

/**
 * One metric namespace for the gate: `<step>.<metric>` for every step metric, and the bare
 * `<metric>` for the job's own metrics and for a metric only one step logged.
 */
export function flattenMetrics(metrics: JobMetrics["byStep"]): Record<string, number> {
  const out: Record<string, number> = {};
  const bare = new Map<string, number[]>();
  for (const [step, values] of Object.entries(metrics)) {
    for (const [name, value] of Object.entries(values)) {
      if (step === JOB_KEY) {
        out[name] = value;
        continue;
      }
      out[`${step}.${name}`] = value;
      bare.set(name, [...(bare.get(name) ?? []), value]);
    }
  }
  for (const [name, values] of bare) if (!(name in (metrics[JOB_KEY] ?? {})) && values.length === 1) out[name] = values[0];
  return out;
}

/**
 * An output-variable name: Azure Pipelines variable names hold letters, digits, `.` and `_`
 * (learn.microsoft.com/azure/devops/pipelines/process/variables, "Variable naming restrictions"), and the agent
 * turns `.` into `_` in environment variables; so every other character, and `.`, becomes `_`.
 */
export function variableName(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_]/g, "_")).join("_");
}

/** `Metric_<step>_<name>` → value, one per metric. */
export function metricVariables(byStep: JobMetrics["byStep"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [step, values] of Object.entries(byStep))
    for (const [name, value] of Object.entries(values)) out[variableName("Metric", step, name)] = String(value);
  return out;
}

/** An MLflow client for a workspace: its tracking URI from a workspace GET, requests through `ml`'s pipeline. */
export async function workspaceMlflowClient(
  ml: MlflowTransport & {
    pipeline?: { getOrderedPolicies(): PipelinePolicy[] };
    workspaces: { get(rg: string, ws: string, options: { abortSignal: AbortSignal }): Promise<{ mlFlowTrackingUri?: string | null }> };
  },
  workspace: { resourceGroupName: string; workspaceName: string },
  options: { abortSignal: AbortSignal; loc: Loc },
): Promise<MlflowClient> {
  const { abortSignal, loc } = options;
  let ws;
  try {
    ws = await ml.workspaces.get(workspace.resourceGroupName, workspace.workspaceName, { abortSignal });
  } catch (err) {
    throw asAzureOperationError(err, loc, { resource: `workspace '${workspace.workspaceName}'`, resourceGroupName: workspace.resourceGroupName });
  }
  if (!ws.mlFlowTrackingUri) throw new AzureOperationError(loc("Common_MlflowNoTrackingUri", workspace.workspaceName));
  allowTokenOrigin(ml, trackingBaseUrl(ws.mlFlowTrackingUri));
  return new MlflowClient(ml, ws.mlFlowTrackingUri, { abortSignal, loc, workspaceName: workspace.workspaceName });
}
