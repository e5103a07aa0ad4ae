/**
 * Pipeline runs: the state machine and the activity scheduler.
 *
 * Queued → InProgress → Succeeded | Failed, or (cancel) Canceling → Cancelled. Activities start
 * when their dependencies end in a state their dependency conditions accept (Succeeded by
 * default; Completed = Succeeded or Failed); an activity whose conditions can no longer hold is
 * Skipped. The run's outcome follows ADF's documented rule: evaluate every leaf activity (a
 * skipped leaf is replaced by its parents); the run succeeds only when all evaluated activities
 * succeeded, else it fails with "Operation on target <activity> failed: <message>".
 *
 * Reruns (recovery): activities taken over from the reference run as Succeeded are not run again
 * and do not appear in the new run's activity runs.
 *
 * Durations are virtual (scripted durations divided by the clock's time scale in real time);
 * `durationInMs` reports virtual time, timestamps are real.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../framework";
import { clone, factoryResourceId } from "./common";
import { parameterStrings } from "./parameters";
import type { DependencyCondition, FactoryState, PipelineRecord } from "./state";

export type RunStatus = "Queued" | "InProgress" | "Succeeded" | "Failed" | "Canceling" | "Cancelled";
export type ActivityStatus = "InProgress" | "Succeeded" | "Failed" | "Cancelled" | "Skipped";

const TERMINAL: ReadonlySet<RunStatus> = new Set(["Succeeded", "Failed", "Cancelled"]);
export const isTerminalRun = (s: RunStatus): boolean => TERMINAL.has(s);

/** How runs created while the script is active behave (virtual milliseconds). */
export interface RunScript {
  /** Time spent Queued (default 1000). */
  queuedMs?: number;
  /** Running time of particular activities, by name. */
  activityDurationsMs?: Record<string, number>;
  /** Running time of the other activities (default by type: Copy 3000, DatabricksNotebook 5000, else 2000). */
  defaultActivityMs?: number;
  /** Activity that fails (the run then fails unless a dependency path handles it). */
  failActivity?: string;
  /** Error of the failing activity (default by type). */
  error?: { errorCode?: string; message?: string; failureType?: string };
  /** Cancels the run this long after it was created, as if someone cancelled it in the portal. */
  cancelAfterMs?: number;
  /** Time spent Canceling before Cancelled (default 1000). */
  cancelDurationMs?: number;
}

export interface ActivityError {
  errorCode: string;
  message: string;
  failureType: string;
  target: string;
}

export interface ActivityRunRecord {
  activityRunId: string;
  name: string;
  type: string;
  status: ActivityStatus;
  startMs: number;
  endMs?: number;
  lastUpdatedMs: number;
  /** Scripted (virtual) running time, when the activity ran to its end. */
  virtualDurationMs?: number;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  error?: ActivityError;
}

export interface RunRecord {
  runId: string;
  factory: FactoryState;
  /** The pipeline definition as it was when the run was created. */
  pipeline: PipelineRecord;
  parameters: Record<string, unknown>;
  runGroupId: string;
  status: RunStatus;
  message: string;
  createdMs: number;
  runStartMs: number;
  runEndMs?: number;
  lastUpdatedMs: number;
  /** Real epoch ms at which the run turned terminal. */
  terminalAt?: number;
  script: RunScript;
  /** Activity runs of this run, in start order, by activity name. */
  activities: Map<string, ActivityRunRecord>;
  /** Activities taken over as Succeeded from the reference run (not run again). */
  carriedOver: Set<string>;
  rerun?: { referencePipelineRunId: string; isRecovery: boolean; startActivityName?: string; startFromFailure?: boolean };
  cancelRecursive?: boolean;
  history: { status: RunStatus; time: string }[];
  timers: Set<NodeJS.Timeout>;
}

/** A read-only view of a run for tests. */
export interface RunView {
  runId: string;
  pipelineName: string;
  factoryName: string;
  status: RunStatus;
  message: string;
  runGroupId: string;
  isLatest: boolean;
  parameters: Record<string, unknown>;
  runStart: string;
  runEnd?: string;
  /** Real epoch ms at which the run turned terminal (for completion-latency measurements). */
  terminalAt?: number;
  rerun?: RunRecord["rerun"];
  cancelRecursive?: boolean;
  activities: { name: string; type: string; status: ActivityStatus; activityRunId: string; error?: ActivityError }[];
  /** Activities not run again because the reference run had them Succeeded. */
  carriedOver: string[];
  history: { status: RunStatus; time: string }[];
}

const TYPE_DURATIONS: Record<string, number> = { Copy: 3000, DatabricksNotebook: 5000 };
const TYPE_ERRORS: Record<string, { errorCode: string; message: string }> = {
  Copy: {
    errorCode: "2200",
    message:
      "ErrorCode=UserErrorSourceBlobNotExists,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=The required Blob is missing. Folder path: raw/.,Source=Microsoft.DataTransfer.ClientLibrary,'",
  },
  DatabricksNotebook: { errorCode: "3204", message: "Job execution failed: notebook exited with an exception." },
};
const DEFAULT_ERROR = { errorCode: "2011", message: "The activity failed." };

export class RunEngine {
  /** Script for runs created from now on. */
  defaultScript: RunScript = {};
  /** Scripts by pipeline name (lower case), taken when a run is created. */
  readonly pipelineScripts = new Map<string, RunScript>();

  constructor(private readonly clock: Clock) {}

  scriptFor(pipelineName: string): RunScript {
    return { ...this.defaultScript, ...(this.pipelineScripts.get(pipelineName.toLowerCase()) ?? {}) };
  }

  /** Creates a run (Queued) and starts its clock. */
  create(
    factory: FactoryState,
    pipeline: PipelineRecord,
    parameters: Record<string, unknown>,
    options: { runGroupId?: string; carriedOver?: Set<string>; rerun?: RunRecord["rerun"] } = {},
  ): RunRecord {
    const now = this.clock.now();
    const runId = randomUUID();
    const run: RunRecord = {
      runId,
      factory,
      pipeline: clone(pipeline),
      parameters: clone(parameters),
      runGroupId: options.runGroupId ?? runId,
      status: "Queued",
      message: "",
      createdMs: now,
      runStartMs: now,
      lastUpdatedMs: now,
      script: this.scriptFor(pipeline.name),
      activities: new Map(),
      carriedOver: options.carriedOver ?? new Set(),
      ...(options.rerun ? { rerun: options.rerun } : {}),
      history: [{ status: "Queued", time: new Date(now).toISOString() }],
      timers: new Set(),
    };
    factory.runs.set(runId, run);
    this.after(run, run.script.queuedMs ?? 1000, () => this.start(run));
    if (run.script.cancelAfterMs !== undefined) this.after(run, run.script.cancelAfterMs, () => this.cancel(run, false), "cancel");
    return run;
  }

  /** Requests cancellation; false when the run already ended. */
  cancel(run: RunRecord, recursive: boolean): boolean {
    if (isTerminalRun(run.status)) return false;
    if (recursive) run.cancelRecursive = true;
    if (run.status === "Canceling") return true;
    this.clearTimers(run, true);
    this.setStatus(run, "Canceling");
    this.after(run, run.script.cancelDurationMs ?? 1000, () => this.settle(run, "Cancelled"));
    return true;
  }

  /**
   * Forces a status (tests). Terminal statuses stop the run at once: Succeeded completes every
   * activity still to run, Failed fails the running ones (others are not run), Cancelled
   * cancels the running ones. InProgress starts a queued run; Canceling cancels.
   */
  force(run: RunRecord, status: RunStatus, options: { message?: string; error?: { errorCode?: string; message?: string } } = {}): void {
    if (isTerminalRun(run.status)) throw new Error(`run ${run.runId} already ended (${run.status})`);
    if (status === "Queued") throw new Error("a run cannot go back to Queued");
    if (status === "InProgress") {
      if (run.status === "Queued") {
        this.clearTimers(run, false);
        this.start(run);
      }
      return;
    }
    if (status === "Canceling") {
      this.cancel(run, false);
      return;
    }
    this.clearTimers(run, true);
    this.settle(run, status, options);
  }

  view(run: RunRecord): RunView {
    return {
      runId: run.runId,
      pipelineName: run.pipeline.name,
      factoryName: run.factory.factoryName,
      status: run.status,
      message: run.message,
      runGroupId: run.runGroupId,
      isLatest: this.isLatest(run),
      parameters: clone(run.parameters),
      runStart: new Date(run.runStartMs).toISOString(),
      ...(run.runEndMs !== undefined ? { runEnd: new Date(run.runEndMs).toISOString() } : {}),
      ...(run.terminalAt !== undefined ? { terminalAt: run.terminalAt } : {}),
      ...(run.rerun ? { rerun: { ...run.rerun } } : {}),
      ...(run.cancelRecursive ? { cancelRecursive: true } : {}),
      activities: [...run.activities.values()].map((a) => ({
        name: a.name,
        type: a.type,
        status: a.status,
        activityRunId: a.activityRunId,
        ...(a.error ? { error: { ...a.error } } : {}),
      })),
      carriedOver: [...run.carriedOver],
      history: run.history.map((h) => ({ ...h })),
    };
  }

  /** The newest run of its run group is the latest. */
  isLatest(run: RunRecord): boolean {
    let latest: RunRecord | undefined;
    for (const r of run.factory.runs.values()) if (r.runGroupId === run.runGroupId) latest = r;
    return latest === run;
  }

  /** PipelineRun as the REST API answers it. */
  body(run: RunRecord): Record<string, unknown> {
    return {
      id: `${factoryResourceId(run.factory)}/pipelineruns/${run.runId}`,
      runId: run.runId,
      debugRunId: null,
      runGroupId: run.runGroupId,
      isLatest: this.isLatest(run),
      pipelineName: run.pipeline.name,
      parameters: parameterStrings(run.pipeline, run.parameters),
      runDimensions: {},
      invokedBy: { name: "Manual", id: run.runId.replace(/-/g, ""), invokedByType: "Manual" },
      runStart: new Date(run.runStartMs).toISOString(),
      runEnd: run.runEndMs !== undefined ? new Date(run.runEndMs).toISOString() : null,
      durationInMs: run.runEndMs !== undefined ? Math.round(this.clock.virtualMs(run.runEndMs - run.runStartMs)) : null,
      status: run.status,
      message: run.message,
      lastUpdated: new Date(run.lastUpdatedMs).toISOString(),
      annotations: [...run.pipeline.annotations],
      ...(run.rerun?.isRecovery ? { recoveryStatus: "Recovered" } : {}),
    };
  }

  /** ActivityRun as the REST API answers it. */
  activityBody(run: RunRecord, a: ActivityRunRecord): Record<string, unknown> {
    return {
      activityRunEnd: a.endMs !== undefined ? new Date(a.endMs).toISOString() : null,
      activityName: a.name,
      activityRunStart: new Date(a.startMs).toISOString(),
      activityType: a.type,
      durationInMs: a.endMs !== undefined ? Math.round(a.virtualDurationMs ?? this.clock.virtualMs(a.endMs - a.startMs)) : null,
      retryAttempt: null,
      error: a.error ? { ...a.error } : { errorCode: "", message: "", failureType: "", target: a.name },
      activityRunId: a.activityRunId,
      iterationHash: "",
      input: clone(a.input),
      linkedServiceName: "",
      output: clone(a.output),
      userProperties: {},
      pipelineName: run.pipeline.name,
      pipelineRunId: run.runId,
      status: a.status,
      recoveryStatus: "None",
      activityAttemptStatus: null,
    };
  }

  dispose(runs: Iterable<RunRecord>): void {
    for (const r of runs) this.clearTimers(r, true);
  }

  // -------------------------------------------------------------------------------------------

  private start(run: RunRecord): void {
    if (run.status !== "Queued") return;
    this.setStatus(run, "InProgress");
    this.schedule(run);
  }

  /** Starts what can start, skips what never will, and ends the run when nothing is left. */
  private schedule(run: RunRecord): void {
    if (run.status !== "InProgress") return;
    let changed = true;
    while (changed) {
      changed = false;
      for (const a of run.pipeline.activities) {
        if (run.carriedOver.has(a.name) || run.activities.has(a.name)) continue;
        const states = a.dependsOn.map((d) => ({ state: this.stateOf(run, d.activity), conditions: d.dependencyConditions }));
        if (states.some((s) => s.state === undefined || s.state === "InProgress")) continue;
        const satisfied = states.every((s) => s.conditions.some((c) => conditionHolds(c, s.state as ActivityStatus)));
        if (satisfied) this.startActivity(run, a.name, a.type, a.typeProperties);
        else this.record(run, a.name, a.type, "Skipped");
        changed = true;
      }
    }
    if ([...run.activities.values()].some((a) => a.status === "InProgress")) return;
    const failed = this.failedLeaf(run);
    if (failed) this.settle(run, "Failed", { message: `Operation on target ${failed.name} failed: ${failed.error?.message ?? ""}` });
    else this.settle(run, "Succeeded");
  }

  private stateOf(run: RunRecord, activity: string): ActivityStatus | undefined {
    if (run.carriedOver.has(activity)) return "Succeeded";
    return run.activities.get(activity)?.status;
  }

  /** ADF's outcome rule: the first evaluated leaf (skipped leaves replaced by their parents) that did not succeed. */
  private failedLeaf(run: RunRecord): ActivityRunRecord | undefined {
    const acts = run.pipeline.activities;
    const hasChild = new Set(acts.flatMap((a) => a.dependsOn.map((d) => d.activity)));
    const seen = new Set<string>();
    const evaluate = (name: string): ActivityRunRecord | undefined => {
      if (seen.has(name)) return undefined;
      seen.add(name);
      if (run.carriedOver.has(name)) return undefined;
      const rec = run.activities.get(name);
      if (!rec || rec.status === "Skipped") {
        for (const d of acts.find((a) => a.name === name)?.dependsOn ?? []) {
          const bad = evaluate(d.activity);
          if (bad) return bad;
        }
        return undefined;
      }
      return rec.status === "Succeeded" ? undefined : rec;
    };
    for (const a of acts) {
      if (hasChild.has(a.name)) continue;
      const bad = evaluate(a.name);
      if (bad) return bad;
    }
    return undefined;
  }

  private startActivity(run: RunRecord, name: string, type: string, typeProperties: Record<string, unknown>): void {
    const rec = this.record(run, name, type, "InProgress");
    rec.input = activityInput(type, typeProperties, run);
    const duration = run.script.activityDurationsMs?.[name] ?? run.script.defaultActivityMs ?? TYPE_DURATIONS[type] ?? 2000;
    this.after(run, duration, () => {
      if (rec.status !== "InProgress" || run.status !== "InProgress") return;
      rec.virtualDurationMs = duration;
      if (run.script.failActivity === name) this.endActivity(run, rec, "Failed", this.errorFor(run, rec));
      else {
        rec.output = activityOutput(type, run, duration);
        this.endActivity(run, rec, "Succeeded");
      }
      this.schedule(run);
    });
  }

  private errorFor(run: RunRecord, rec: ActivityRunRecord, given?: { errorCode?: string; message?: string; failureType?: string }): ActivityError {
    const base = TYPE_ERRORS[rec.type] ?? DEFAULT_ERROR;
    const e = given ?? run.script.error ?? {};
    return { errorCode: e.errorCode ?? base.errorCode, message: e.message ?? base.message, failureType: e.failureType ?? "UserError", target: rec.name };
  }

  private record(run: RunRecord, name: string, type: string, status: ActivityStatus): ActivityRunRecord {
    const now = this.clock.now();
    const rec: ActivityRunRecord = {
      activityRunId: randomUUID(),
      name,
      type,
      status,
      startMs: now,
      ...(status !== "InProgress" ? { endMs: now } : {}),
      lastUpdatedMs: now,
      input: {},
      output: {},
    };
    run.activities.set(name, rec);
    run.lastUpdatedMs = now;
    return rec;
  }

  private endActivity(run: RunRecord, rec: ActivityRunRecord, status: ActivityStatus, error?: ActivityError): void {
    const now = this.clock.now();
    rec.status = status;
    rec.endMs = now;
    rec.lastUpdatedMs = now;
    if (error) {
      rec.error = error;
      rec.output = { errors: [{ Code: Number(error.errorCode) || 0, Message: error.message }] };
    }
    run.lastUpdatedMs = now;
  }

  /** Ends the run with a terminal status, settling its activities. */
  private settle(run: RunRecord, status: RunStatus, options: { message?: string; error?: { errorCode?: string; message?: string } } = {}): void {
    if (isTerminalRun(run.status)) return;
    this.clearTimers(run, true);
    if (status === "Succeeded") {
      for (const a of run.pipeline.activities) {
        if (run.carriedOver.has(a.name)) continue;
        const rec = run.activities.get(a.name) ?? this.record(run, a.name, a.type, "InProgress");
        if (rec.status === "InProgress") {
          rec.input = Object.keys(rec.input).length ? rec.input : activityInput(a.type, a.typeProperties, run);
          rec.output = activityOutput(a.type, run, this.clock.virtualMs(this.clock.now() - rec.startMs));
          this.endActivity(run, rec, "Succeeded");
        }
      }
    }
    let failedMessage: string | undefined;
    for (const rec of run.activities.values()) {
      if (rec.status !== "InProgress") continue;
      if (status === "Failed") {
        const error = this.errorFor(run, rec, options.error);
        this.endActivity(run, rec, "Failed", error);
        failedMessage ??= `Operation on target ${rec.name} failed: ${error.message}`;
      } else this.endActivity(run, rec, "Cancelled");
    }
    const now = this.clock.now();
    run.runEndMs = now;
    run.terminalAt = now;
    run.message =
      options.message ??
      (status === "Failed" ? (failedMessage ?? options.error?.message ?? "The pipeline run failed.") : status === "Cancelled" ? "Pipeline run cancelled." : "");
    this.setStatus(run, status);
  }

  private setStatus(run: RunRecord, status: RunStatus): void {
    const now = this.clock.now();
    run.status = status;
    run.lastUpdatedMs = now;
    run.history.push({ status, time: new Date(now).toISOString() });
  }

  private after(run: RunRecord, virtualMs: number, fn: () => void, kind: "step" | "cancel" = "step"): void {
    const timer = setTimeout(
      () => {
        run.timers.delete(timer);
        fn();
      },
      this.clock.realMs(Math.max(0, virtualMs)),
    );
    (timer as NodeJS.Timeout & { kind?: string }).kind = kind;
    run.timers.add(timer);
  }

  /** Stops pending steps (and, when `all`, the scripted self-cancel too). */
  private clearTimers(run: RunRecord, all: boolean): void {
    for (const t of run.timers) {
      if (!all && (t as NodeJS.Timeout & { kind?: string }).kind === "cancel") continue;
      clearTimeout(t);
      run.timers.delete(t);
    }
  }
}

function conditionHolds(condition: DependencyCondition, state: ActivityStatus): boolean {
  switch (condition) {
    case "Succeeded":
      return state === "Succeeded";
    case "Failed":
      return state === "Failed";
    case "Skipped":
      return state === "Skipped";
    case "Completed":
      return state === "Succeeded" || state === "Failed";
  }
}

function activityInput(type: string, typeProperties: Record<string, unknown>, run: RunRecord): Record<string, unknown> {
  if (type === "Copy") return { source: clone(typeProperties.source ?? {}), sink: clone(typeProperties.sink ?? {}), enableStaging: false };
  if (type === "DatabricksNotebook") {
    return { notebookPath: typeProperties.notebookPath ?? "", baseParameters: parameterStrings(run.pipeline, run.parameters) };
  }
  return clone(typeProperties);
}

function activityOutput(type: string, run: RunRecord, virtualDurationMs: number): Record<string, unknown> {
  const region = `AutoResolveIntegrationRuntime (${run.factory.location})`;
  if (type === "Copy") {
    const bytes = 1_048_576;
    const seconds = Math.max(1, Math.round(virtualDurationMs / 1000));
    return {
      dataRead: bytes,
      dataWritten: bytes,
      filesRead: 4,
      filesWritten: 4,
      sourcePeakConnections: 1,
      sinkPeakConnections: 1,
      copyDuration: seconds,
      throughput: Math.round((bytes / 1024 / seconds) * 1000) / 1000,
      errors: [],
      effectiveIntegrationRuntime: region,
      usedDataIntegrationUnits: 4,
      billingReference: { activityType: "DataMovement" },
      usedParallelCopies: 1,
      executionDetails: [{ source: { type: "AzureBlobStorage" }, sink: { type: "AzureBlobStorage" }, status: "Succeeded", duration: seconds }],
    };
  }
  if (type === "DatabricksNotebook") {
    return {
      runPageUrl: `https://adb-emulated.azuredatabricks.net/?o=1#job/1/run/${run.runId.slice(0, 8)}`,
      effectiveIntegrationRuntime: region,
      executionDuration: Math.round(virtualDurationMs / 1000),
    };
  }
  return { effectiveIntegrationRuntime: region, executionDuration: Math.round(virtualDurationMs / 1000) };
}
