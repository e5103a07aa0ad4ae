/**
 * Jobs: list (jobType, tag, listViewType, paging), get, createOrUpdate (201, then the job runs),
 * delete (LRO, 202 + Location), cancel (LRO, 202 + Location, final-state-via location).
 *
 * Status machine (virtual durations, scriptable): NotStarted → Queued → Preparing → Running →
 * Finalizing → Completed, or Running → Failed; cancel: CancelRequested → Canceled.
 *
 * Pipeline jobs: every node of `properties.jobs` becomes a child job resource named
 * `<pipeline>_<node>` (jobType from the node's `type`), created NotStarted with the pipeline, with
 * `properties.properties["azureml.pipelinerunid"]` = the pipeline job's name and
 * `["azureml.nodeid"]` = the node name, so a client finds the children by GET (name known from
 * the node) or by listing jobs and filtering on that property. The pipeline runs its nodes in
 * dependency order (`${{parent.jobs.<node>.outputs...}}` bindings); a failed node cancels the
 * rest (or only its dependents with `settings.continue_on_step_failure`), and the pipeline fails
 * with "Pipeline has failed child jobs. Failed nodes: /<node>...".
 *
 * A failed job carries its error in `properties.properties["azureml.error.code"]` and
 * `["azureml.error.message"]` (2022-10-01's JobBase has no error field; the string map is typed
 * in every SDK). When a job completes, each output without a `uri` gets
 * `azureml://datastores/workspaceblobstore/paths/azureml/<job>/<output>/`.
 */
import type { EmuRequest, EmuResponse } from "../../framework";
import { checkBody } from "../../framework";
import { resolveAsset } from "./assets";
import { PROVIDER, asString, bodyObject, clone, isRecord, jsonEqual, notFound, ok, page, parseChildId, stampSystemData, userError, workspaceResourceId } from "./common";
import type { SystemData } from "./common";
import { resolveCompute } from "./computes";
import { DEFAULT_DATASTORE } from "./datastores";
import type { JobMetricsScript } from "./mlflow";
import { jobSchema } from "./schemas";
import type { AssetKind, MlService, WorkspaceState } from "./state";

const ACTION = "Microsoft.MachineLearningServices/workspaces/jobs";

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
  /** Pipeline: child job names by node name. */
  children: Map<string, string>;
  parentName?: string;
  nodeName?: string;
  /** Child: node names it waits for. */
  dependsOn: string[];
  /** Output URIs the job gets when it completes. */
  plannedOutputs: Record<string, string>;
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

export class JobService {
  /** Script for jobs submitted from now on. */
  defaultScript: JobScript = {};
  /** Scripts for particular job names (taken when the job is submitted). */
  readonly namedScripts = new Map<string, JobScript>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly ml: MlService) {}

  register(): void {
    const ml = this.ml;
    ml.wsRoute("GET", "/jobs", `${ACTION}/read`, (req, ws) => this.list(req, ws));
    ml.wsRoute("GET", "/jobs/:id", `${ACTION}/read`, (req, ws) => {
      const job = ws.jobs.get(req.params.id);
      return job ? ok(this.body(job)) : notFound("Job", req.params.id, ws);
    });
    ml.wsRoute("PUT", "/jobs/:id", `${ACTION}/write`, (req, ws) => this.put(req, ws));
    ml.wsRoute("DELETE", "/jobs/:id", `${ACTION}/delete`, (req, ws) => this.delete(req, ws));
    ml.wsRoute("POST", "/jobs/:id/cancel", `${ACTION}/cancel/action`, (req, ws) => {
      const job = ws.jobs.get(req.params.id);
      if (!job) return notFound("Job", req.params.id, ws);
      const op = this.cancel(job);
      return { status: 202, headers: this.ml.lro.locationHeaders(op) };
    });
  }

  body(job: JobRecord): Record<string, unknown> {
    const properties = clone(job.properties);
    properties.status = job.status;
    return {
      id: `${workspaceResourceId(job.ws)}/jobs/${job.name}`,
      name: job.name,
      type: `${PROVIDER}/workspaces/jobs`,
      properties,
      systemData: job.systemData,
    };
  }

  view(job: JobRecord): JobView {
    return {
      name: job.name,
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
    if (existing) return this.update(req, existing, props);

    const problem = this.validateReferences(ws, props);
    if (problem) return userError(400, problem.message, problem.target);

    const job = this.createRecord(req, ws, name, props, this.namedScripts.get(name) ?? this.defaultScript);
    if (props.jobType === "Pipeline") {
      const planned = this.planPipeline(req, job);
      if (typeof planned === "string") {
        ws.jobs.delete(name);
        return userError(400, planned);
      }
    }
    this.start(job);
    return ok(this.body(job), 201);
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

  private validateReferences(ws: WorkspaceState, props: Record<string, unknown>): { message: string; target?: string } | undefined {
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
    if (componentProblem) return componentProblem;
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

  private validatePipeline(ws: WorkspaceState, props: Record<string, unknown>): { message: string; target?: string } | undefined {
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
      if (!ws.datastores.has(dsName.toLowerCase())) return { message: `The datastore ${dsName} could not be found in this workspace.`, target: "settings.default_datastore" };
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
      const componentId = asString(node.componentId);
      if (!componentId) return { message: `Node '${nodeName}' has no componentId: register its component and refer to it by ARM id.`, target: `${target}.componentId` };
      const comp = resolveAsset(this.ml, ws, "components", componentId);
      if (!comp.ok) return { message: `Node '${nodeName}': ${comp.message}`, target: `${target}.componentId` };
      const nodeCompute = asString(node.computeId) ?? asString(node.compute);
      if (nodeCompute && !nodeCompute.startsWith("${{") && !isServerless(nodeCompute)) {
        const r = resolveCompute(this.ml, ws, nodeCompute);
        if (!r.ok) return { message: `Node '${nodeName}': ${r.message}`, target: `${target}.computeId` };
      }
      if (!nodeCompute && !defaultCompute && !asString(props.computeId)) {
        return { message: `Compute not set for node '${nodeName}': set its computeId, the pipeline's computeId or settings.default_compute.`, target: `${target}.computeId` };
      }
      for (const [inputName, input] of Object.entries(isRecord(node.inputs) ? node.inputs : {})) {
        const binding = bindingOf(input);
        if (binding) {
          const p = /^\$\{\{parent\.inputs\.([^}\s]+)\}\}$/.exec(binding);
          if (p && !(p[1] in pipelineInputs)) {
            return { message: `Failed to find top level definition for input binding ${binding} of node '${nodeName}'.`, target: `${target}.inputs.${inputName}` };
          }
          const j = /^\$\{\{parent\.jobs\.([^.}\s]+)\.outputs\.([^}\s]+)\}\}$/.exec(binding);
          if (j && !(j[1] in jobs)) {
            return { message: `Failed to find referenced source for input binding ${binding} of node '${nodeName}': there is no node '${j[1]}'.`, target: `${target}.inputs.${inputName}` };
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
          return { message: `Failed to find top level definition for output binding ${binding} of node '${nodeName}'.`, target: `${target}.outputs.${outputName}` };
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
        Tracking: { jobServiceType: "Tracking", port: null, endpoint: `azureml://${new URL(base).host}/mlflow/v1.0${wsId}?`, status: null, errorMessage: null, properties: null },
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
      properties,
      status: "NotStarted",
      systemData: stampSystemData(req),
      script,
      children: new Map(),
      dependsOn: [],
      plannedOutputs: {},
      history: [{ status: "NotStarted", time: new Date().toISOString() }],
    };
    for (const [outName, out] of Object.entries(isRecord(properties.outputs) ? properties.outputs : {})) {
      if (isRecord(out) && !out.uri) job.plannedOutputs[outName] = outputUri(name, outName);
    }
    ws.jobs.set(name, job);
    return job;
  }

  /** Creates the child jobs of a pipeline; returns an error message when a child name is taken. */
  private planPipeline(req: EmuRequest, parent: JobRecord): string | undefined {
    const ws = parent.ws;
    const props = parent.properties;
    const jobs = props.jobs as Record<string, Record<string, unknown>>;
    const settings = isRecord(props.settings) ? props.settings : {};
    const deps = dependencies(jobs);
    const pipelineInputs = isRecord(props.inputs) ? props.inputs : {};
    const pipelineOutputs = isRecord(props.outputs) ? props.outputs : {};
    for (const nodeName of Object.keys(jobs)) {
      const childName = `${parent.name}_${nodeName}`;
      if (ws.jobs.has(childName)) return `A job named '${childName}' (the name of node '${nodeName}' of this pipeline) already exists.`;
    }
    for (const [nodeName, node] of Object.entries(jobs)) {
      const childName = `${parent.name}_${nodeName}`;
      const comp = resolveAsset(this.ml, ws, "components", String(node.componentId));
      const spec = comp.ok && comp.version && isRecord(comp.version.properties.componentSpec) ? comp.version.properties.componentSpec : {};
      const type = (asString(node.type) ?? "command").toLowerCase();
      const inputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(isRecord(node.inputs) ? node.inputs : {})) {
        const binding = bindingOf(v);
        const p = binding && /^\$\{\{parent\.inputs\.([^}\s]+)\}\}$/.exec(binding);
        const j = binding && /^\$\{\{parent\.jobs\.([^.}\s]+)\.outputs\.([^}\s]+)\}\}$/.exec(binding);
        if (p) inputs[k] = clone(pipelineInputs[p[1]]);
        else if (j) inputs[k] = { jobInputType: "uri_folder", uri: outputUri(`${parent.name}_${j[1]}`, j[2]), mode: "ReadOnlyMount" };
        else if (isRecord(v)) inputs[k] = { jobInputType: v.job_input_type ?? v.jobInputType ?? "literal", ...(v.value !== undefined ? { value: v.value } : {}), ...(v.uri ? { uri: v.uri } : {}) };
        else inputs[k] = { jobInputType: "literal", value: String(v) };
      }
      const outputNames = new Set([...Object.keys(isRecord(spec.outputs) ? spec.outputs : {}), ...Object.keys(isRecord(node.outputs) ? node.outputs : {})]);
      const outputs: Record<string, unknown> = {};
      const planned: Record<string, string> = {};
      for (const o of outputNames) {
        const nodeOut = isRecord(node.outputs) ? node.outputs[o] : undefined;
        const binding = bindingOf(nodeOut);
        const p = binding && /^\$\{\{parent\.outputs\.([^}\s]+)\}\}$/.exec(binding);
        const parentOut = p && isRecord(pipelineOutputs[p[1]]) ? (pipelineOutputs[p[1]] as Record<string, unknown>) : undefined;
        const uri = asString(parentOut?.uri) ?? outputUri(childName, o);
        const specOut = isRecord(spec.outputs) && isRecord(spec.outputs[o]) ? spec.outputs[o] : {};
        outputs[o] = { jobOutputType: asString(parentOut?.jobOutputType) ?? asString(specOut.type) ?? "uri_folder", mode: asString(parentOut?.mode) ?? "ReadWriteMount", uri: null };
        planned[o] = uri;
        if (p && parentOut && !parentOut.uri) parent.plannedOutputs[p[1]] = uri;
      }
      const computeId = asString(node.computeId) ?? asString(settings.default_compute) ?? asString(props.computeId) ?? null;
      const childProps: Record<string, unknown> = {
        jobType: type === "sweep" ? "Sweep" : type === "pipeline" ? "Pipeline" : "Command",
        description: asString(node.description) ?? null,
        tags: isRecord(node.tags) ? clone(node.tags) : {},
        properties: {
          ...(isRecord(node.properties) ? clone(node.properties) : {}),
          "azureml.pipelinerunid": parent.name,
          "azureml.nodeid": nodeName,
          "azureml.runsource": "azureml.StepRun",
        },
        displayName: asString(node.display_name) ?? asString(node.displayName) ?? nodeName,
        experimentName: props.experimentName,
        componentId: node.componentId,
        computeId,
        ...(typeof spec.command === "string" ? { command: spec.command } : {}),
        ...(typeof spec.environment === "string" ? { environmentId: spec.environment.replace(/^azureml:(?=\/)/, "") } : {}),
        ...(typeof spec.code === "string" ? { codeId: spec.code.replace(/^azureml:(?=\/)/, "") } : {}),
        inputs,
        outputs,
      };
      const child = this.createRecord(req, ws, childName, childProps, parent.script);
      child.parentName = parent.name;
      child.nodeName = nodeName;
      child.dependsOn = deps.get(nodeName) ?? [];
      child.plannedOutputs = planned;
      parent.children.set(nodeName, childName);
    }
    return undefined;
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
    if (children.every((c) => isTerminal(c.job.status))) this.finishPipeline(parent, children.map((c) => c.job));
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
      if (status === "Completed") this.publishOutputs(job);
      if (status === "Failed" && job.error) {
        const props = (job.properties.properties as Record<string, unknown>) ?? {};
        props["azureml.error.code"] = job.error.code;
        props["azureml.error.message"] = job.error.message;
        job.properties.properties = props;
      }
    }
  }

  private publishOutputs(job: JobRecord): void {
    const outputs = isRecord(job.properties.outputs) ? job.properties.outputs : {};
    for (const [name, uri] of Object.entries(job.plannedOutputs)) {
      const out = isRecord(outputs[name]) ? outputs[name] : { jobOutputType: "uri_folder", mode: "ReadWriteMount" };
      if (!out.uri) out.uri = uri;
      outputs[name] = out;
    }
    job.properties.outputs = outputs;
  }

  private after(job: JobRecord, virtualMs: number, fn: () => void): void {
    this.stopTimer(job);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (job.timer === timer) job.timer = undefined;
      if (job.ws.jobs.get(job.name) !== job) return;
      fn();
    }, this.ml.ctx.clock.realMs(Math.max(0, virtualMs)));
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

export function outputUri(jobName: string, outputName: string): string {
  return `azureml://datastores/${DEFAULT_DATASTORE}/paths/azureml/${jobName}/${outputName}/`;
}

function phase(script: JobScript, p: JobPhase): number {
  return script.phaseDurationsMs?.[p] ?? DEFAULT_PHASES[p];
}

function isServerless(ref: string): boolean {
  return /^(azureml:)?serverless$/i.test(ref);
}

function conflict(job: JobRecord, key: string): EmuResponse {
  return userError(409, `Job '${job.name}' already exists and its '${key}' cannot be changed; submit a new job with another name.`, key);
}

/** Node IO may be a binding string, `{value: binding}` (literal) or an asset. */
function bindingOf(io: unknown): string | undefined {
  const v = typeof io === "string" ? io : isRecord(io) ? io.value : undefined;
  return typeof v === "string" && /^\$\{\{.*\}\}$/.test(v.trim()) ? v.trim() : undefined;
}

/** IO maps compared loosely: the service adds `uri`s to outputs it answers with. */
function sameIo(before: unknown, after: unknown): boolean {
  const strip = (v: unknown): unknown => {
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isRecord(x)) {
        const { uri, ...rest } = x;
        out[k] = uri === null || uri === undefined || (typeof uri === "string" && uri.startsWith(`azureml://datastores/${DEFAULT_DATASTORE}/paths/azureml/`)) ? rest : { ...rest, uri };
      } else out[k] = x;
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

