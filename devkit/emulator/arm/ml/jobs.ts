/**
 * Jobs: list (jobType, tag, listViewType, paging), get, createOrUpdate (201 + Location, then the
 * job runs), delete (LRO, 202 + Location), cancel (LRO, 202 + Location, final-state-via location).
 *
 * Status machine (virtual durations, scriptable): NotStarted → Queued → Preparing → Running →
 * Finalizing → Completed, or Running → Failed; cancel: CancelRequested → Canceled.
 *
 * Pipeline jobs, as the service runs them (recorded in Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json):
 * every node of `properties.jobs` becomes a step run named by a GUID, with the node name as its
 * display name and `azureml.nodeid` a short hash. ARM `GET jobs/<step>` answers only `id`, `name`,
 * `type` and `systemData`; status, times and errors of steps are served by run history
 * (./runHistory.ts), where the SDK reads them (azure/ai/ml/operations/_job_operations.py,
 * `_runs_operations.get_run_children`). The pipeline runs its nodes in dependency order
 * (`${{parent.jobs.<node>.outputs...}}` bindings); a failed node cancels the rest (or only its
 * dependents with `settings.continue_on_step_failure`), and the pipeline fails with "Pipeline has
 * failed child jobs. Failed nodes: /<node>...". Errors are run-history errors; the ARM job carries
 * none (2022-10-01's JobBase has no error field). Outputs keep the `uri` the request gave, else
 * `null`, also once the job completed (same recording).
 *
 * A pipeline job PUT (or a job with a user identity) must carry `x-azureml-token`, a token for
 * https://ml.azure.com: the SDK sends it (azure/ai/ml/operations/_job_operations.py,
 * `_set_headers_with_user_aml_token`, which also checks the token's audience); every check is
 * kept in `tokenChecks`.
 */
import { createHash, randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse } from "../../framework";
import { armError, checkBody } from "../../framework";
import { resolveAsset } from "./assets";
import {
  API_VERSIONS,
  PROVIDER,
  asString,
  bodyObject,
  clone,
  isRecord,
  jsonEqual,
  notFound,
  ok,
  page,
  parseChildId,
  stampSystemData,
  userError,
  workspaceResourceId,
} from "./common";
import type { SystemData } from "./common";
import { resolveCompute } from "./computes";
import { DEFAULT_DATASTORE } from "./datastores";
import { parallelNodeProblem, parallelStepRunFields } from "./parallelNodes";
import type { JobMetricsScript } from "./mlflow";
import { jobSchema } from "./schemas";
import type { AssetKind, MlService, WorkspaceState } from "./state";

const ACTION = "Microsoft.MachineLearningServices/workspaces/jobs";
const JOB_API_VERSIONS = { apiVersions: [...API_VERSIONS, "2024-04-01"] };

export type JobStatus =
  | "NotStarted"
  | "Starting"
  | "Provisioning"
  | "Preparing"
  | "Queued"
  | "Running"
  | "Finalizing"
  | "CancelRequested"
  | "Completed"
  | "Failed"
  | "Canceled"
  | "NotResponding"
  | "Paused"
  | "Unknown";

export type JobPhase = "NotStarted" | "Queued" | "Preparing" | "Running" | "Finalizing" | "CancelRequested";

const TERMINAL: ReadonlySet<JobStatus> = new Set(["Completed", "Failed", "Canceled"]);
export const isTerminal = (s: JobStatus): boolean => TERMINAL.has(s);

/** How jobs submitted while the script is active run. */
export interface JobScript {
  /** Virtual milliseconds spent in each phase (defaults: 1000, 2000, 3000, 10000, 1000, 1000). */
  phaseDurationsMs?: Partial<Record<JobPhase, number>>;
  /** Virtual running time of particular pipeline nodes (by node name). */
  stepDurationsMs?: Record<string, number>;
  /**
   * Terminal status of the job (default Completed). For a pipeline, "Failed" without `failStep`
   * fails its first node; "Canceled" cancels the pipeline while it runs.
   */
  outcome?: "Completed" | "Failed" | "Canceled";
  /** Pipeline node that fails (implies outcome Failed for the pipeline). */
  failStep?: string;
  /** Error of the failing job (defaults: UserError, a user-process exit message). */
  error?: { code?: string; message?: string };
  /** MLflow metrics the job and its steps log (served by ./mlflow.ts once each has started). */
  metrics?: JobMetricsScript;
}

const DEFAULT_PHASES: Record<JobPhase, number> = { NotStarted: 1000, Queued: 2000, Preparing: 3000, Running: 10000, Finalizing: 1000, CancelRequested: 1000 };
const DEFAULT_ERROR = {
  code: "UserError",
  message: "Execution failed. User process 'python' exited with status code 1. Please check log file 'user_logs/std_log.txt' for more details.",
};

export interface JobRecord {
  name: string;
  ws: WorkspaceState;
  /** `properties` as answered (the request's, plus what the service fills in). */
  properties: Record<string, unknown>;
  status: JobStatus;
  systemData: SystemData;
  script: JobScript;
  /** Pipeline: child job names (GUIDs) by node name. */
  children: Map<string, string>;
  parentName?: string;
  nodeName?: string;
  /** Step: `azureml.nodeid`, a short hash (8 hex digits in the recording). */
  nodeId?: string;
  /** Run-history identity: runUuid, and the experiment's id. */
  runUuid: string;
  /** Child: node names it waits for. */
  dependsOn: string[];
  error?: { code: string; message: string };
  timer?: NodeJS.Timeout;
  startTimeMs?: number;
  endTimeMs?: number;
  /** Status history with times (for tests and logs). */
  history: { status: JobStatus; time: string }[];
  deleting?: boolean;
}

/** A read-only view of a job for tests. */
export interface JobView {
  name: string;
  displayName: string;
  jobType: string;
  status: JobStatus;
  parentJobName?: string;
  nodeName?: string;
  /** Child job names by node name (pipelines). */
  children: Record<string, string>;
  outputs: Record<string, unknown>;
  error?: { code: string; message: string };
  history: { status: JobStatus; time: string }[];
  properties: Record<string, unknown>;
}

/** One check of `x-azureml-token` on a job PUT. */
export interface TokenCheck {
  job: string;
  jobType: string;
  /** Audience of the token sent (undefined: no header, or not a JWT). */
  audience?: string;
  accepted: boolean;
}

/** The audience the x-azureml-token must be for (AML resource id of the public cloud, _azureml/_cloud constants of the SDK). */
export const AML_AUDIENCE = "https://ml.azure.com";

export class JobService {
  /** Every x-azureml-token check, in order (tests read it). */
  readonly tokenChecks: TokenCheck[] = [];
  /** Script for jobs submitted from now on. */
  defaultScript: JobScript = {};
  /** Scripts for particular job names (taken when the job is submitted). */
  readonly namedScripts = new Map<string, JobScript>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ml: MlService) {}

  register(): void {
    const ml = this.ml;
    ml.wsRoute("GET", "/jobs", `${ACTION}/read`, (req, ws) => this.list(req, ws));
    // The task's jobs client (tasks/SubmitAzureMLPipelineV1/jobsRest.ts) GETs and PUTs at 2024-04-01
    // (stable/2024-04-01/mfe.json; same job shape plus queueSettings), the SDK clients at 2022-10-01.
    ml.wsRoute(
      "GET",
      "/jobs/:id",
      `${ACTION}/read`,
      (req, ws) => {
        const job = ws.jobs.get(req.params.id);
        return job ? ok(this.body(job)) : notFound("Job", req.params.id, ws);
      },
      JOB_API_VERSIONS,
    );
    ml.wsRoute("PUT", "/jobs/:id", `${ACTION}/write`, (req, ws) => this.put(req, ws), JOB_API_VERSIONS);
    ml.wsRoute("DELETE", "/jobs/:id", `${ACTION}/delete`, (req, ws) => this.delete(req, ws));
    ml.wsRoute("POST", "/jobs/:id/cancel", `${ACTION}/cancel/action`, (req, ws) => {
      const job = ws.jobs.get(req.params.id);
      if (!job) return notFound("Job", req.params.id, ws);
      const op = this.cancel(job);
      return { status: 202, headers: this.ml.lro.locationHeaders(op) };
    });
  }

  body(job: JobRecord): Record<string, unknown> {
    const id = `${workspaceResourceId(job.ws)}/jobs/${job.name}`;
    // A pipeline step through ARM: identity only (recorded GET jobs/<step GUID>; see the header).
    if (job.parentName) {
      const { createdAt, createdBy, createdByType } = job.systemData;
      return { id, name: job.name, type: `${PROVIDER}/workspaces/jobs`, systemData: { createdAt, createdBy, createdByType } };
    }
    const properties = clone(job.properties);
    properties.status = job.status;
    return { id, name: job.name, type: `${PROVIDER}/workspaces/jobs`, properties, systemData: job.systemData };
  }

  view(job: JobRecord): JobView {
    return {
      name: job.name,
      displayName: String(job.properties.displayName ?? job.name),
      jobType: String(job.properties.jobType),
      status: job.status,
      ...(job.parentName ? { parentJobName: job.parentName, nodeName: job.nodeName } : {}),
      children: Object.fromEntries(job.children),
      outputs: clone((job.properties.outputs as Record<string, unknown>) ?? {}),
      ...(job.error ? { error: { ...job.error } } : {}),
      history: job.history.map((h) => ({ ...h })),
      properties: clone(job.properties),
    };
  }

  /** Sets a job's status (tests); a terminal status stops the job and settles its pipeline. */
  setStatus(job: JobRecord, status: JobStatus, error?: { code?: string; message?: string }): void {
    this.stopTimer(job);
    if (status === "Failed") job.error = { code: error?.code ?? DEFAULT_ERROR.code, message: error?.message ?? DEFAULT_ERROR.message };
    this.transition(job, status);
    if (isTerminal(status)) {
      for (const childName of job.children.values()) {
        const child = job.ws.jobs.get(childName);
        if (child && !isTerminal(child.status)) {
          this.stopTimer(child);
          this.transition(child, "Canceled");
        }
      }
      this.settleParent(job);
    }
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  reset(): void {
    this.dispose();
    this.defaultScript = {};
    this.namedScripts.clear();
    this.tokenChecks.length = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Routes

  private list(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const view = (req.query.get("listViewType") ?? "ActiveOnly").toLowerCase();
    if (!["activeonly", "archivedonly", "all"].includes(view)) {
      return userError(400, `listViewType '${req.query.get("listViewType")}' is not one of ActiveOnly, ArchivedOnly, All.`, "listViewType");
    }
    const jobType = req.query.get("jobType");
    const tag = req.query.get("tag");
    const items = [...ws.jobs.values()]
      .filter((j) => {
        // Steps are listed by run history, not by ARM (the SDK's list(parent_job_name=...) goes there).
        if (j.parentName) return false;
        const archived = j.properties.isArchived === true;
        if (view === "activeonly" && archived) return false;
        if (view === "archivedonly" && !archived) return false;
        if (jobType && String(j.properties.jobType).toLowerCase() !== jobType.toLowerCase()) return false;
        if (tag && !(isRecord(j.properties.tags) && tag in j.properties.tags)) return false;
        return true;
      })
      .sort((a, b) => (a.systemData.createdAt < b.systemData.createdAt ? 1 : a.systemData.createdAt > b.systemData.createdAt ? -1 : 0))
      .map((j) => this.body(j));
    return page(req, items, this.ml.pageOptions());
  }

  private put(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const invalid = checkBody(req.body, jobSchema);
    if (invalid) return invalid;
    const name = req.params.id;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/.test(name)) {
      return userError(400, `Job name '${name}' is invalid: use letters, digits, '-' and '_' (at most 255 characters), starting with a letter or digit.`, "id");
    }
    const props = clone(bodyObject(req)!.properties as Record<string, unknown>);
    delete props.status;
    const existing = ws.jobs.get(name);
    if (existing?.parentName) return userError(409, `Job '${name}' is a step of pipeline job '${existing.parentName}' and cannot be changed.`, "id");
    const tokenProblem = this.checkAmlToken(req, name, props);
    if (tokenProblem) return tokenProblem;
    if (existing) return this.update(req, existing, props);

    const problem = this.validateReferences(ws, props);
    if (problem) return problem.notFound ? componentNotFound(problem.notFound) : userError(400, problem.message, problem.target);

    const job = this.createRecord(req, ws, name, props, this.namedScripts.get(name) ?? this.defaultScript);
    addServiceFields(job);
    if (props.jobType === "Pipeline") this.planPipeline(req, job);
    this.start(job);
    // 201 with Location (recorded: test_command_job_serverless.json, test_pipeline_job_get_child_run.json).
    return ok(this.body(job), 201, { Location: `${this.ml.ctx.baseUrl()}${req.url.pathname}${req.url.search}` });
  }

  /**
   * `x-azureml-token` on a pipeline job or a job with a user identity: required and for
   * https://ml.azure.com (the SDK's `_set_headers_with_user_aml_token` decodes the token and checks
   * `aud` the same way, without the signature). Answers when it is missing or for another audience.
   */
  private checkAmlToken(req: EmuRequest, name: string, props: Record<string, unknown>): EmuResponse | undefined {
    const identity = isRecord(props.identity) ? asString(props.identity.identityType) : undefined;
    if (props.jobType !== "Pipeline" && identity !== "UserIdentity") return undefined;
    const header = req.headers["x-azureml-token"];
    const token = Array.isArray(header) ? header[0] : header;
    const audience = token ? tokenAudience(token) : undefined;
    const accepted = audience !== undefined && audience.replace(/\/+$/, "").toLowerCase() === AML_AUDIENCE;
    this.tokenChecks.push({ job: name, jobType: String(props.jobType), ...(audience !== undefined ? { audience } : {}), accepted });
    if (!token)
      return userError(
        400,
        `A ${String(props.jobType).toLowerCase()} job needs the x-azureml-token header: a token for ${AML_AUDIENCE}/.default of the caller.`,
        "x-azureml-token",
      );
    if (!accepted)
      return armError(
        401,
        "InvalidAuthenticationTokenAudience",
        `The x-azureml-token has been obtained for the wrong audience '${audience ?? "(not a JWT)"}'; it should be ${AML_AUDIENCE}.`,
      );
    return undefined;
  }

  /** PUT on an existing job: only description, tags, displayName, isArchived and properties may change. */
  private update(req: EmuRequest, job: JobRecord, props: Record<string, unknown>): EmuResponse {
    const mutable = new Set(["description", "tags", "displayName", "isArchived", "properties", "services", "experimentName"]);
    for (const key of new Set([...Object.keys(props), ...Object.keys(job.properties)])) {
      if (mutable.has(key) || key === "status") continue;
      if (key === "outputs" || key === "jobs" || key === "inputs") {
        if (props[key] !== undefined && !sameIo(job.properties[key], props[key])) return conflict(job, key);
        continue;
      }
      if (props[key] !== undefined && !jsonEqual(job.properties[key], props[key])) return conflict(job, key);
    }
    for (const key of ["description", "tags", "displayName", "isArchived"]) if (key in props) job.properties[key] = clone(props[key]);
    if (isRecord(props.properties)) job.properties.properties = { ...(job.properties.properties as Record<string, unknown>), ...clone(props.properties) };
    job.systemData = stampSystemData(req, job.systemData);
    return ok(this.body(job), 200);
  }

  private delete(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const job = ws.jobs.get(req.params.id);
    if (!job) return { status: 204 };
    job.deleting = true;
    const op = this.ml.lro.start({
      ws,
      durationMs: 1000,
      complete: () => {
        for (const j of [job, ...[...job.children.values()].map((c) => ws.jobs.get(c)).filter((c): c is JobRecord => !!c)]) {
          this.stopTimer(j);
          if (ws.jobs.get(j.name) === j) ws.jobs.delete(j.name);
        }
        return undefined;
      },
    });
    return { status: 202, headers: this.ml.lro.locationHeaders(op) };
  }

  /** Starts cancelling the job (and its children); the operation ends when it is Canceled. */
  cancel(job: JobRecord) {
    if (isTerminal(job.status) || job.status === "CancelRequested") {
      return this.ml.lro.start({ ws: job.ws, durationMs: 0, complete: () => undefined });
    }
    const affected = [job, ...[...job.children.values()].map((c) => job.ws.jobs.get(c)).filter((c): c is JobRecord => !!c && !isTerminal(c.status))];
    for (const j of affected) {
      this.stopTimer(j);
      this.transition(j, "CancelRequested");
    }
    return this.ml.lro.start({
      ws: job.ws,
      durationMs: phase(job.script, "CancelRequested"),
      complete: () => {
        for (const j of affected) if (j.status === "CancelRequested") this.transition(j, "Canceled");
        this.settleParent(job);
        return undefined;
      },
    });
  }

  // -------------------------------------------------------------------------------------------
  // Validation of what a job refers to

  private validateReferences(ws: WorkspaceState, props: Record<string, unknown>): ReferenceProblem | undefined {
    const computeId = asString(props.computeId);
    if (computeId) {
      const r = resolveCompute(this.ml, ws, computeId);
      if (!r.ok) return { message: r.message, target: "computeId" };
    }
    const asset = (kind: AssetKind, ref: unknown, target: string) => {
      if (typeof ref !== "string" || ref === "") return undefined;
      const r = resolveAsset(this.ml, ws, kind, ref);
      return r.ok ? undefined : { message: r.message, target };
    };
    const componentProblem = asset("components", props.componentId, "componentId");
    if (componentProblem) return { ...componentProblem, ...missingComponent(String(props.componentId)) };
    if (props.jobType === "Command") {
      const p = asset("environments", props.environmentId, "environmentId") ?? asset("codes", props.codeId, "codeId");
      if (p) return p;
    }
    if (props.jobType === "Sweep" && isRecord(props.trial)) {
      const p = asset("environments", props.trial.environmentId, "trial.environmentId") ?? asset("codes", props.trial.codeId, "trial.codeId");
      if (p) return p;
    }
    if (isRecord(props.inputs)) {
      for (const [key, input] of Object.entries(props.inputs)) {
        const p = this.inputProblem(ws, input, `inputs.${key}`);
        if (p) return p;
      }
    }
    if (props.jobType === "Pipeline") return this.validatePipeline(ws, props);
    return undefined;
  }

  /** Data and model inputs must point at something that exists (datastore or registered asset). */
  private inputProblem(ws: WorkspaceState, input: unknown, target: string): { message: string; target: string } | undefined {
    if (!isRecord(input)) return undefined;
    const uri = asString(input.uri);
    if (!uri) return undefined;
    const ds = /^azureml:\/\/(?:subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\//i.exec(uri);
    if (ds && !ws.datastores.has(ds[1].toLowerCase())) return { message: `The datastore ${ds[1]} could not be found in this workspace.`, target };
    const type = String(input.jobInputType ?? input.job_input_type ?? "");
    const kind: AssetKind | undefined = /model/.test(type) ? "models" : type === "uri_file" || type === "uri_folder" || type === "mltable" ? "data" : undefined;
    if (kind && (/^azureml:[^/]/i.test(uri) || parseChildId(uri))) {
      const r = resolveAsset(this.ml, ws, kind, uri);
      if (!r.ok) return { message: r.message, target };
    }
    return undefined;
  }

  private validatePipeline(ws: WorkspaceState, props: Record<string, unknown>): ReferenceProblem | undefined {
    const settings = isRecord(props.settings) ? props.settings : {};
    const defaultCompute = asString(settings.default_compute) ?? asString(settings.defaultCompute);
    if (defaultCompute && !isServerless(defaultCompute)) {
      const r = resolveCompute(this.ml, ws, defaultCompute);
      if (!r.ok) return { message: r.message, target: "settings.default_compute" };
    }
    const defaultDatastore = asString(settings.default_datastore) ?? asString(settings.defaultDatastore);
    if (defaultDatastore) {
      const parsed = parseChildId(defaultDatastore);
      const dsName = parsed?.type === "datastores" ? parsed.name : defaultDatastore.replace(/^azureml:/, "");
      if (!ws.datastores.has(dsName.toLowerCase()))
        return { message: `The datastore ${dsName} could not be found in this workspace.`, target: "settings.default_datastore" };
    }
    const jobs = isRecord(props.jobs) ? props.jobs : {};
    if (Object.keys(jobs).length === 0) return { message: "A pipeline job needs at least one node in 'jobs'.", target: "jobs" };
    const pipelineInputs = isRecord(props.inputs) ? props.inputs : {};
    const pipelineOutputs = isRecord(props.outputs) ? props.outputs : {};
    for (const [nodeName, nodeValue] of Object.entries(jobs)) {
      const node = nodeValue as Record<string, unknown>;
      const target = `jobs.${nodeName}`;
      const type = asString(node.type) ?? asString(node.jobType) ?? "command";
      if (!["command", "sweep", "parallel", "pipeline", "spark", "import", "data_transfer"].includes(type.toLowerCase())) {
        return { message: `Node '${nodeName}' has an unsupported type '${type}'.`, target: `${target}.type` };
      }
      const componentId = nodeComponentId(node);
      if (!componentId)
        return {
          message: `Node '${nodeName}' has no componentId${type.toLowerCase() === "sweep" ? " in trial" : ""}: register its component and refer to it by ARM id.`,
          target: type.toLowerCase() === "sweep" ? `${target}.trial.componentId` : `${target}.componentId`,
        };
      const comp = resolveAsset(this.ml, ws, "components", componentId);
      if (!comp.ok) return { message: `Node '${nodeName}': ${comp.message}`, target: `${target}.componentId`, ...missingComponent(componentId) };
      // A registry component's spec is not known here (comp.external): nothing to check it against.
      if (type.toLowerCase() === "parallel" && comp.version && isRecord(comp.version.properties.componentSpec)) {
        const problem = parallelNodeProblem(nodeName, node, comp.version.properties.componentSpec, target);
        if (problem) return problem;
      }
      const nodeCompute = asString(node.computeId) ?? asString(node.compute);
      if (nodeCompute && !nodeCompute.startsWith("${{") && !isServerless(nodeCompute)) {
        const r = resolveCompute(this.ml, ws, nodeCompute);
        if (!r.ok) return { message: `Node '${nodeName}': ${r.message}`, target: `${target}.computeId` };
      }
      // A pipeline-component node needs no compute of its own: its inner steps name theirs (azure-ai-ml
      // entities/_builders/pipeline.py `_skip_required_compute_missing_validation` is True).
      if (!nodeCompute && !defaultCompute && !asString(props.computeId) && type.toLowerCase() !== "pipeline") {
        return {
          message: `Compute not set for node '${nodeName}': set its computeId, the pipeline's computeId or settings.default_compute.`,
          target: `${target}.computeId`,
        };
      }
      for (const [inputName, input] of Object.entries(isRecord(node.inputs) ? node.inputs : {})) {
        const binding = bindingOf(input);
        if (binding) {
          const p = /^\$\{\{parent\.inputs\.([^}\s]+)\}\}$/.exec(binding);
          if (p && !(p[1] in pipelineInputs)) {
            return {
              message: `Failed to find top level definition for input binding ${binding} of node '${nodeName}'.`,
              target: `${target}.inputs.${inputName}`,
            };
          }
          const j = /^\$\{\{parent\.jobs\.([^.}\s]+)\.outputs\.([^}\s]+)\}\}$/.exec(binding);
          if (j && !(j[1] in jobs)) {
            return {
              message: `Failed to find referenced source for input binding ${binding} of node '${nodeName}': there is no node '${j[1]}'.`,
              target: `${target}.inputs.${inputName}`,
            };
          }
        } else {
          const p = this.inputProblem(ws, input, `${target}.inputs.${inputName}`);
          if (p) return p;
        }
      }
      for (const [outputName, output] of Object.entries(isRecord(node.outputs) ? node.outputs : {})) {
        const binding = bindingOf(output);
        const p = binding ? /^\$\{\{parent\.outputs\.([^}\s]+)\}\}$/.exec(binding) : null;
        if (p && !(p[1] in pipelineOutputs)) {
          return {
            message: `Failed to find top level definition for output binding ${binding} of node '${nodeName}'.`,
            target: `${target}.outputs.${outputName}`,
          };
        }
      }
    }
    const cycle = findCycle(dependencies(jobs));
    if (cycle) return { message: `The pipeline's nodes depend on each other in a cycle: ${cycle.join(" -> ")}.`, target: "jobs" };
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Records

  private createRecord(req: EmuRequest | undefined, ws: WorkspaceState, name: string, props: Record<string, unknown>, script: JobScript): JobRecord {
    const base = this.ml.ctx.baseUrl();
    const wsId = workspaceResourceId(ws);
    const experiment = asString(props.experimentName) ?? "Default";
    const services = isRecord(props.services) ? props.services : {};
    const properties: Record<string, unknown> = {
      description: null,
      tags: {},
      properties: {},
      displayName: name,
      isArchived: false,
      ...props,
      experimentName: experiment,
      services: {
        ...services,
        Tracking: {
          jobServiceType: "Tracking",
          port: null,
          endpoint: `azureml://${new URL(base).host}/mlflow/v1.0${wsId}?`,
          status: null,
          errorMessage: null,
          properties: null,
        },
        Studio: {
          jobServiceType: "Studio",
          port: null,
          endpoint: `${base}/studio/runs/${encodeURIComponent(name)}?wsid=${wsId}&tid=${this.ml.ctx.world.tenantId}`,
          status: null,
          errorMessage: null,
          properties: null,
        },
      },
    };
    if (!properties.displayName) properties.displayName = name;
    const job: JobRecord = {
      name,
      ws,
      runUuid: randomUUID(),
      properties,
      status: "NotStarted",
      systemData: stampSystemData(req),
      script,
      children: new Map(),
      dependsOn: [],
      history: [{ status: "NotStarted", time: new Date().toISOString() }],
    };
    ws.jobs.set(name, job);
    return job;
  }

  /** Creates the step runs of a pipeline: named by GUID, the node name as display name (see the header). */
  private planPipeline(req: EmuRequest, parent: JobRecord): void {
    const ws = parent.ws;
    const props = parent.properties;
    const jobs = props.jobs as Record<string, Record<string, unknown>>;
    const settings = isRecord(props.settings) ? props.settings : {};
    const deps = dependencies(jobs);
    const pipelineInputs = isRecord(props.inputs) ? props.inputs : {};
    const pipelineOutputs = isRecord(props.outputs) ? props.outputs : {};
    const childNames = new Map(Object.keys(jobs).map((n) => [n, randomUUID()]));
    for (const [nodeName, node] of Object.entries(jobs)) {
      const childName = childNames.get(nodeName)!;
      const nodeId = shortHash(`${parent.name}/${nodeName}`);
      const comp = resolveAsset(this.ml, ws, "components", String(nodeComponentId(node)));
      const spec = comp.ok && comp.version && isRecord(comp.version.properties.componentSpec) ? comp.version.properties.componentSpec : {};
      const type = (asString(node.type) ?? "command").toLowerCase();
      const inputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(isRecord(node.inputs) ? node.inputs : {})) {
        const binding = bindingOf(v);
        const p = binding && /^\$\{\{parent\.inputs\.([^}\s]+)\}\}$/.exec(binding);
        const j = binding && /^\$\{\{parent\.jobs\.([^.}\s]+)\.outputs\.([^}\s]+)\}\}$/.exec(binding);
        if (p) inputs[k] = clone(pipelineInputs[p[1]]);
        else if (j) inputs[k] = { jobInputType: "uri_folder", uri: outputUri(childNames.get(j[1]) ?? j[1], j[2]), mode: "ReadOnlyMount" };
        else if (isRecord(v))
          inputs[k] = {
            jobInputType: v.job_input_type ?? v.jobInputType ?? "literal",
            ...(v.value !== undefined ? { value: v.value } : {}),
            ...(v.uri ? { uri: v.uri } : {}),
          };
        else inputs[k] = { jobInputType: "literal", value: String(v) };
      }
      const outputNames = new Set([...Object.keys(isRecord(spec.outputs) ? spec.outputs : {}), ...Object.keys(isRecord(node.outputs) ? node.outputs : {})]);
      const outputs: Record<string, unknown> = {};
      for (const o of outputNames) {
        const nodeOut = isRecord(node.outputs) ? node.outputs[o] : undefined;
        const binding = bindingOf(nodeOut);
        const p = binding && /^\$\{\{parent\.outputs\.([^}\s]+)\}\}$/.exec(binding);
        const parentOut = p && isRecord(pipelineOutputs[p[1]]) ? (pipelineOutputs[p[1]] as Record<string, unknown>) : undefined;
        const specOut = isRecord(spec.outputs) && isRecord(spec.outputs[o]) ? spec.outputs[o] : {};
        outputs[o] = {
          jobOutputType: asString(parentOut?.jobOutputType) ?? asString(specOut.type) ?? "uri_folder",
          mode: asString(parentOut?.mode) ?? "ReadWriteMount",
          uri: asString(parentOut?.uri) ?? null,
        };
      }
      const computeId = asString(node.computeId) ?? asString(settings.default_compute) ?? asString(props.computeId) ?? null;
      const childProps: Record<string, unknown> = {
        jobType: type === "sweep" ? "Sweep" : type === "pipeline" ? "Pipeline" : "Command",
        description: asString(node.description) ?? null,
        tags: isRecord(node.tags) ? clone(node.tags) : {},
        properties: {
          ...(isRecord(node.properties) ? clone(node.properties) : {}),
          "azureml.runsource": "azureml.StepRun",
          "azureml.nodeid": nodeId,
          ...(comp.ok && comp.version ? { "azureml.moduleid": comp.version.version, "azureml.moduleName": comp.version.name } : {}),
          "azureml.pipeline": parent.name,
          "azureml.pipelinerunid": parent.name,
        },
        displayName: asString(node.display_name) ?? asString(node.displayName) ?? nodeName,
        experimentName: props.experimentName,
        componentId: nodeComponentId(node),
        computeId,
        ...(typeof spec.command === "string" ? { command: spec.command } : {}),
        ...(typeof spec.environment === "string" ? { environmentId: spec.environment.replace(/^azureml:(?=\/)/, "") } : {}),
        ...(typeof spec.code === "string" ? { codeId: spec.code.replace(/^azureml:(?=\/)/, "") } : {}),
        ...(type === "parallel" ? parallelStepRunFields(node, spec) : {}),
        inputs,
        outputs,
      };
      const child = this.createRecord(req, ws, childName, childProps, parent.script);
      child.parentName = parent.name;
      child.nodeName = nodeName;
      child.nodeId = nodeId;
      child.dependsOn = deps.get(nodeName) ?? [];
      parent.children.set(nodeName, childName);
    }
  }

  // -------------------------------------------------------------------------------------------
  // The state machine

  private start(job: JobRecord): void {
    const isPipeline = job.properties.jobType === "Pipeline";
    this.after(job, phase(job.script, "NotStarted"), () => {
      if (isPipeline) {
        this.transition(job, "Running");
        this.advancePipeline(job);
        if (job.script.outcome === "Canceled" && !job.script.failStep) {
          this.after(job, phase(job.script, "Running"), () => this.cancel(job));
        }
      } else {
        this.runPhases(job, job.script.outcome ?? "Completed", phase(job.script, "Running"));
      }
    });
  }

  /** Queued → Preparing → Running → (Finalizing → Completed | Failed | Canceled). */
  private runPhases(job: JobRecord, outcome: "Completed" | "Failed" | "Canceled", runningMs: number): void {
    this.transition(job, "Queued");
    this.after(job, phase(job.script, "Queued"), () => {
      this.transition(job, "Preparing");
      this.after(job, phase(job.script, "Preparing"), () => {
        this.transition(job, "Running");
        this.after(job, runningMs, () => {
          if (outcome === "Failed") {
            job.error = { code: job.script.error?.code ?? DEFAULT_ERROR.code, message: job.script.error?.message ?? DEFAULT_ERROR.message };
            this.transition(job, "Failed");
            this.settleParent(job);
          } else if (outcome === "Canceled") {
            this.cancel(job);
          } else {
            this.transition(job, "Finalizing");
            this.after(job, phase(job.script, "Finalizing"), () => {
              this.transition(job, "Completed");
              this.settleParent(job);
            });
          }
        });
      });
    });
  }

  /** Starts the children whose dependencies completed; settles the pipeline when all ended. */
  private advancePipeline(parent: JobRecord): void {
    if (parent.status !== "Running") return;
    const children = [...parent.children.entries()].map(([node, name]) => ({ node, job: parent.ws.jobs.get(name)! })).filter((c) => c.job);
    const byNode = new Map(children.map((c) => [c.node, c.job]));
    const continueOnFailure = isRecord(parent.properties.settings) && parent.properties.settings.continue_on_step_failure === true;
    const failed = children.some((c) => c.job.status === "Failed" || c.job.status === "Canceled");
    for (const { node, job } of children) {
      if (job.status !== "NotStarted" || job.timer) continue;
      const deps = job.dependsOn.map((d) => byNode.get(d)).filter((d): d is JobRecord => !!d);
      if (deps.some((d) => d.status === "Failed" || d.status === "Canceled") || (failed && !continueOnFailure)) {
        this.transition(job, "Canceled");
        continue;
      }
      if (deps.every((d) => d.status === "Completed")) {
        const failing = parent.script.failStep === node || (parent.script.outcome === "Failed" && !parent.script.failStep && node === firstNode(parent));
        const runningMs = parent.script.stepDurationsMs?.[node] ?? phase(parent.script, "Running");
        this.runPhases(job, failing ? "Failed" : "Completed", runningMs);
      }
    }
    if (failed && !continueOnFailure) {
      for (const { job } of children) {
        if (!isTerminal(job.status)) {
          this.stopTimer(job);
          this.transition(job, "Canceled");
        }
      }
    }
    if (children.every((c) => isTerminal(c.job.status)))
      this.finishPipeline(
        parent,
        children.map((c) => c.job),
      );
  }

  private finishPipeline(parent: JobRecord, children: JobRecord[]): void {
    const failedNodes = children.filter((c) => c.status === "Failed").map((c) => `/${c.nodeName}`);
    if (failedNodes.length) {
      parent.error = {
        code: "UserError",
        message: `Pipeline has failed child jobs. Failed nodes: ${failedNodes.join(", ")}. For more details and logs, please go to the job detail page and check the child jobs.`,
      };
      this.transition(parent, "Failed");
      this.settleParent(parent);
    } else if (children.some((c) => c.status === "Canceled")) {
      this.transition(parent, "Canceled");
      this.settleParent(parent);
    } else {
      this.transition(parent, "Finalizing");
      this.after(parent, phase(parent.script, "Finalizing"), () => {
        this.transition(parent, "Completed");
        this.settleParent(parent);
      });
    }
  }

  /** A child ended: let its pipeline go on. */
  private settleParent(job: JobRecord): void {
    if (!job.parentName) return;
    const parent = job.ws.jobs.get(job.parentName);
    if (parent && parent.status === "Running") this.advancePipeline(parent);
  }

  private transition(job: JobRecord, status: JobStatus): void {
    if (job.status === status) return;
    job.status = status;
    const now = Date.now();
    job.history.push({ status, time: new Date(now).toISOString() });
    if ((status === "Running" || status === "Preparing") && job.startTimeMs === undefined) job.startTimeMs = now;
    if (isTerminal(status)) {
      job.endTimeMs = now;
      this.stopTimer(job);
    }
  }

  private after(job: JobRecord, virtualMs: number, fn: () => void): void {
    this.stopTimer(job);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (job.timer === timer) job.timer = undefined;
        if (job.ws.jobs.get(job.name) !== job) return;
        fn();
      },
      this.ml.ctx.clock.realMs(Math.max(0, virtualMs)),
    );
    job.timer = timer;
    this.timers.add(timer);
  }

  private stopTimer(job: JobRecord): void {
    if (job.timer) {
      clearTimeout(job.timer);
      this.timers.delete(job.timer);
      job.timer = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** What the service adds to a job it accepted (the recorded PUT answers named in each line). */
function addServiceFields(job: JobRecord): void {
  const p = job.properties;
  const own = isRecord(p.properties) ? p.properties : {};
  const settings = isRecord(p.settings) ? p.settings : {};
  const computeName = (ref: unknown) => (typeof ref === "string" ? (parseChildId(ref)?.name ?? ref.replace(/^azureml:/, "")) : undefined);
  if (p.jobType === "Pipeline") {
    // test_pipeline_job_get_child_run.json: the pipeline run's properties.
    const literals = Object.fromEntries(
      Object.entries(isRecord(p.inputs) ? p.inputs : {})
        .filter(([, v]) => isRecord(v) && v.jobInputType === "literal")
        .map(([k, v]) => [k, (v as Record<string, unknown>).value]),
    );
    const continueOnFailure = settings.continue_on_step_failure === true || settings.continue_on_step_failure === "True";
    p.properties = {
      ...own,
      "azureml.DevPlatv2": "true",
      "azureml.runsource": "azureml.PipelineRun",
      runSource: "MFE",
      runType: "HTTP",
      "azureml.parameters": JSON.stringify(literals),
      "azureml.continue_on_step_failure": continueOnFailure ? "True" : "False",
      "azureml.continue_on_failed_optional_input": "True",
      ...(computeName(settings.default_compute ?? p.computeId) ? { "azureml.defaultComputeName": computeName(settings.default_compute ?? p.computeId) } : {}),
      "azureml.defaultDataStoreName": computeName(settings.default_datastore) ?? DEFAULT_DATASTORE,
      "azureml.pipelineComponent": "pipelinerun",
    };
  } else if (p.jobType === "Command") {
    // test_command_job_serverless.json: the compute target type, and the `default` output.
    p.properties = { ...own, "_azureml.ComputeTargetType": "amlctrain" };
    p.outputs = {
      ...(isRecord(p.outputs) ? p.outputs : {}),
      default: { uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${job.name}`, mode: "ReadWriteMount", jobOutputType: "uri_folder" },
    };
  }
  for (const key of ["computeId", "componentId", "identity"]) if (p[key] === undefined) p[key] = null;
  // Outputs as answered: every field present, `uri` null unless given (also after completion).
  const outputs = isRecord(p.outputs) ? p.outputs : {};
  for (const [name, out] of Object.entries(outputs)) {
    if (isRecord(out)) outputs[name] = { description: null, uri: null, assetName: null, assetVersion: null, ...out };
  }
  if (isRecord(p.outputs)) p.outputs = outputs;
}

/** The `aud` claim of a JWT, read without checking the signature (as the SDK's check does), or undefined. */
function tokenAudience(token: string): string | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { aud?: unknown };
    return typeof claims.aud === "string" ? claims.aud : undefined;
  } catch {
    return undefined;
  }
}

/** `azureml.nodeid`: 8 hex digits, as recorded (e.g. "4d56ab7a"). */
function shortHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 8);
}

interface ReferenceProblem {
  message: string;
  target?: string;
  /** A component version the job names that does not exist (the service answers 404 NotFound). */
  notFound?: { id: string; name: string; version: string };
}

function missingComponent(ref: string): Pick<ReferenceProblem, "notFound"> {
  const parsed = parseChildId(ref);
  return parsed?.type === "components" && parsed.version ? { notFound: { id: ref.replace(/^azureml:/, ""), name: parsed.name, version: parsed.version } } : {};
}

/** Recorded: test_pipeline_job_validation_remote[non_existent_remote_version.yml].json (404, code NotFound, empty details). */
function componentNotFound(nf: NonNullable<ReferenceProblem["notFound"]>): EmuResponse {
  return armError(404, "NotFound", `key: ${nf.id}, Message: Not found component ${nf.name} (version: ${nf.version}).`, { details: [] });
}

export function outputUri(jobName: string, outputName: string): string {
  return `azureml://datastores/${DEFAULT_DATASTORE}/paths/azureml/${jobName}/${outputName}/`;
}

function phase(script: JobScript, p: JobPhase): number {
  return script.phaseDurationsMs?.[p] ?? DEFAULT_PHASES[p];
}

/**
 * `serverless`, or the workspace's `computes/serverless` id azure-ai-ml sends as a pipeline's
 * `settings.default_compute` (recording test_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json:
 * accepted 201, `azureml.defaultComputeName: serverless`).
 */
function isServerless(ref: string): boolean {
  return /^(azureml:)?serverless$/i.test(ref) || /\/workspaces\/[^/]+\/computes\/serverless$/i.test(ref);
}

function conflict(job: JobRecord, key: string): EmuResponse {
  return userError(409, `Job '${job.name}' already exists and its '${key}' cannot be changed; submit a new job with another name.`, key);
}

/** Node IO may be a binding string, `{value: binding}` (literal) or an asset. */
function bindingOf(io: unknown): string | undefined {
  const v = typeof io === "string" ? io : isRecord(io) ? io.value : undefined;
  return typeof v === "string" && /^\$\{\{.*\}\}$/.test(v.trim()) ? v.trim() : undefined;
}

/** IO maps compared loosely: the service adds null fields, and a `default` output to command jobs (addServiceFields). */
function sameIo(before: unknown, after: unknown): boolean {
  const strip = (v: unknown): unknown => {
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "default" && isRecord(x) && typeof x.uri === "string" && x.uri.startsWith("azureml://datastores/workspaceartifactstore/ExperimentRun/"))
        continue;
      out[k] = isRecord(x) ? Object.fromEntries(Object.entries(x).filter(([, f]) => f !== null && f !== undefined)) : x;
    }
    return out;
  };
  return jsonEqual(strip(before), strip(after));
}

/** Node → nodes it depends on (through `${{parent.jobs.<node>.outputs...}}` input bindings). */
function dependencies(jobs: Record<string, unknown>): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const [name, node] of Object.entries(jobs)) {
    const list = new Set<string>();
    const inputs = isRecord(node) && isRecord(node.inputs) ? node.inputs : {};
    for (const input of Object.values(inputs)) {
      const b = bindingOf(input);
      const m = b && /^\$\{\{parent\.jobs\.([^.}\s]+)\.outputs\./.exec(b);
      if (m && m[1] in jobs) list.add(m[1]);
    }
    deps.set(name, [...list]);
  }
  return deps;
}

function findCycle(deps: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "visiting") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "visiting");
    path.push(n);
    for (const d of deps.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of deps.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** The first node in dependency order (a node with no dependencies, in declaration order). */
function firstNode(parent: JobRecord): string | undefined {
  for (const [node, name] of parent.children) {
    if ((parent.ws.jobs.get(name)?.dependsOn.length ?? 0) === 0) return node;
  }
  return undefined;
}

/**
 * The component a pipeline node runs: `componentId`, or for a sweep node `trial.componentId`
 * (azure-ai-ml entities/_builders/sweep.py `_get_trial_component_rest_obj`; the service accepted and echoed
 * such a node in tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJob
 * test_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json).
 */
function nodeComponentId(node: Record<string, unknown>): string | undefined {
  const trial = isRecord(node.trial) ? node.trial : undefined;
  return asString(node.componentId) ?? ((asString(node.type) ?? "").toLowerCase() === "sweep" ? asString(trial?.componentId) : undefined);
}
