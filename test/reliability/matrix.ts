/**
 * The fault matrix, generated from the scenario table: for every task and every remote call it
 * makes, transient faults (429 with Retry-After, 500, 503, connection reset; twice in a row) that
 * the task must ride out, a persistent 500 that must fail it with a clear message, and a 30 s
 * stall of a status poll that must not hold it past its timeoutInMinutes.
 *
 * Transient faults of one kind are injected on all of a task's calls in one run (each call's
 * fault is checked to have been delivered); calls marked `solo` get a run of their own. Every
 * run has its own world, so all runs of the matrix go at once.
 */
import type { Emulator, FaultSpec } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { armFault, matches, type ArmedFault, type RequestMatch } from "./requestWatch";
import { runScenario } from "./scenarioRun";
import type { ConnectionScheme } from "../../devkit/harness/agentRunner";
import { ADF, AUTH_ROUTES, SCENARIOS, type AuthRoute, type RouteSpec, type TaskScenario } from "./scenarios";
import type { World } from "./worlds";

export type TransientKind = "throttle" | "500" | "503" | "reset";
export const TRANSIENT_KINDS: readonly TransientKind[] = ["throttle", "500", "503", "reset"];
export type CellKind = TransientKind | "persistent 500" | "stall 30 s";

/** Transient: this many faults in a row on each call. */
export const TRANSIENT_COUNT = 2;
/** Persistent: more faults than any retry budget will spend in a run. */
export const PERSISTENT_COUNT = 1000;
export const STALL_MS = 30_000;

export interface Cell {
  id: string;
  scenario: TaskScenario;
  kind: CellKind;
  routes: RouteSpec[];
  expect: "success" | "failure";
  /** Why a failure is expected for a transient fault. */
  reason?: string;
  inputs?: Record<string, string>;
  timeoutInMs: number;
  /** Connection scheme of the run (default: client secret). */
  scheme?: ConnectionScheme;
  /** Cells of one lane run one after another (they fault a shared sign-in path). */
  lane?: AuthRoute["lane"];
}

/** Per-cell input changes (documented in RELIABILITY.md). */
const PERSISTENT_INPUTS: Record<string, Record<string, string>> = {
  // The status poll tolerates failed polls until timeoutInMinutes: keep that bounded.
  "TriggerADFPipeline/pipelineRuns get (status poll)": { timeoutInMinutes: "1.5" },
  // With the operation status down, a rollback's DELETE could not be followed either.
  "DeployToAKS/operation status get (deployment LRO poll)": { rollbackOnFailure: "false" },
};
/** Stall cells: the task's own timeout, well under the stall. */
const STALL_TIMEOUT_IN_MINUTES: Record<string, string> = { DeployToAKS: "0.35" };

export function buildCells(scenarios: readonly TaskScenario[] = SCENARIOS): Cell[] {
  const cells: Cell[] = [];
  for (const s of scenarios) {
    for (const kind of TRANSIENT_KINDS) {
      const combined = s.routes.filter((r) => !r.solo);
      cells.push({
        id: `${s.label} · ${kind} ×${TRANSIENT_COUNT} on ${combined.length} calls`,
        scenario: s,
        kind,
        routes: combined,
        expect: "success",
        timeoutInMs: 120_000,
      });
      for (const r of s.routes.filter((x) => x.solo)) {
        const reason = r.transientFails?.[kind];
        cells.push({
          id: `${s.label} · ${kind} ×${TRANSIENT_COUNT} on ${r.name}`,
          scenario: s,
          kind,
          routes: [r],
          expect: reason ? "failure" : "success",
          ...(reason ? { reason } : {}),
          timeoutInMs: 120_000,
        });
      }
    }
    for (const r of s.routes) {
      const inputs = PERSISTENT_INPUTS[`${s.label}/${r.name}`];
      const expect = r.reportOnly ? "success" : "failure";
      cells.push({
        id: `${s.label} · persistent 500 on ${r.name}`,
        scenario: s,
        kind: "persistent 500",
        routes: [r],
        expect,
        ...(r.reportOnly ? { reason: r.reportOnly } : {}),
        ...(inputs ? { inputs } : {}),
        timeoutInMs: 200_000,
      });
    }
    const stalled = s.routes.find((r) => r.loop);
    if (stalled) {
      const minutes = STALL_TIMEOUT_IN_MINUTES[s.label] ?? "0.25";
      cells.push({
        id: `${s.label} · 30 s stall of ${stalled.name}, timeoutInMinutes ${minutes}`,
        scenario: s,
        kind: "stall 30 s",
        routes: [stalled],
        expect: "failure",
        inputs: { timeoutInMinutes: minutes },
        timeoutInMs: 90_000,
      });
    }
  }
  return cells;
}

/** Sign-in calls: TriggerADFPipeline stands for every task (one shared credential factory). */
export function buildAuthCells(routes: readonly AuthRoute[] = AUTH_ROUTES): Cell[] {
  const cells: Cell[] = [];
  const schemes = [...new Set(routes.map((r) => r.scheme))];
  for (const kind of TRANSIENT_KINDS) {
    for (const scheme of schemes) {
      const group = routes.filter((r) => r.scheme === scheme);
      cells.push({
        id: `sign-in (${scheme}) · ${kind} ×${TRANSIENT_COUNT} on ${group.map((r) => r.name).join(" + ")}`,
        scenario: ADF,
        kind,
        routes: group,
        expect: "success",
        timeoutInMs: 120_000,
        scheme,
        lane: group[0].lane,
      });
    }
  }
  for (const r of routes) {
    cells.push({
      id: `sign-in (${r.scheme}) · persistent 500 on ${r.name}`,
      scenario: ADF,
      kind: "persistent 500",
      routes: [r],
      expect: "failure",
      timeoutInMs: 200_000,
      scheme: r.scheme,
      lane: r.lane,
    });
  }
  return cells;
}

export interface CellOutcome {
  cell: Cell;
  world: World;
  r?: AgentRunResult;
  /** Thrown by the harness (e.g. a secret in the output). */
  error?: Error;
  /** Faulted requests per route name. */
  delivered: Record<string, number>;
  /** Epoch ms the run ended. */
  endedAt: number;
  problems: string[];
}

function faultSpec(kind: CellKind, route: RequestMatch & { method: string }): FaultSpec {
  switch (kind) {
    case "persistent 500":
      return { method: route.method, path: route.path, kind: "500", count: PERSISTENT_COUNT };
    case "stall 30 s":
      return { method: route.method, path: route.path, kind: "delay", delayMs: STALL_MS, count: 1 };
    case "throttle":
      return { method: route.method, path: route.path, kind: "throttle", retryAfterSeconds: 1, count: TRANSIENT_COUNT };
    default:
      return { method: route.method, path: route.path, kind, count: TRANSIENT_COUNT };
  }
}

/** Injects the cell's faults into world `w` (some armed only after their trigger), by route name. */
export function injectCell(emu: Emulator, cell: Cell, w: World): Map<string, ArmedFault> {
  const armed = new Map<string, ArmedFault>();
  for (const r of cell.routes) armed.set(r.name, armFault(emu, faultSpec(cell.kind, { method: r.method, path: r.path(w) }), r.after?.(w)));
  return armed;
}

/** Faulted requests per route of the cell, splitting calls that share a path at their trigger. */
export function deliveredFaults(emu: Emulator, cell: Cell, w: World, armed: Map<string, ArmedFault>): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = emu.requests.all();
  for (const r of cell.routes) {
    if (cell.kind === "stall 30 s") {
      // A stalled request is logged only when answered: count the fault as taken.
      out[r.name] = armed.get(r.name)?.consumed() ? 1 : 0;
      continue;
    }
    const m = { method: r.method, path: r.path(w) };
    const trigger = r.after?.(w) ?? cell.routes.find((o) => o !== r && o.after && o.method === r.method && o.path(w).source === m.path.source)?.after?.(w);
    const cut = trigger ? entries.findIndex((e) => matches(e, trigger) && e.status >= 200 && e.status < 300) : -1;
    const slice = !trigger || cut < 0 ? entries : r.after ? entries.slice(cut + 1) : entries.slice(0, cut);
    out[r.name] = slice.filter((e) => e.fault !== undefined && matches(e, m)).length;
  }
  return out;
}

/** A message a user cannot act on: the catch-all sentence, a serialised object, nothing. */
const UNCLEAR = /Unexpected error|\[object Object\]|^\s*(undefined|null)?\s*$/;
const TIMED_OUT = /timeoutInMinutes|did not finish|timed out|time ?out/i;

/** Judges one finished cell run. */
export function judgeCell(emu: Emulator, o: Omit<CellOutcome, "problems">): string[] {
  const { cell, world: w, r } = o;
  if (o.error) return [`the harness failed the run: ${o.error.message}`];
  if (!r) return ["no result"];
  const problems: string[] = [];
  for (const [route, n] of Object.entries(o.delivered)) if (n === 0) problems.push(`the fault on '${route}' was never delivered (the call was not made)`);
  if (r.timedOut) problems.push(`the task hung: killed by the harness after ${Math.round(r.durationMs)} ms`);
  const message = r.resultMessage ?? "";
  if (cell.expect === "success") {
    if (r.result !== "Succeeded") problems.push(`expected the task to ride out the faults, but it ended ${r.result}: ${message}`);
    else problems.push(...cell.scenario.verifySucceeded(emu, w, r));
    if (cell.kind === "persistent 500" && !r.issues.some((i) => i.type === "warning")) problems.push("a call that kept failing left no warning in the log");
    return problems;
  }
  if (r.result === "Succeeded") {
    const wrong = cell.scenario.verifySucceeded(emu, w, r);
    if (wrong.length > 0) problems.push(`reported success for a run that did not succeed: ${wrong.join("; ")}`);
    else if (cell.kind !== "stall 30 s") problems.push("expected a failure, but the task succeeded");
    return problems;
  }
  if (r.result !== "Failed") problems.push(`expected Failed, got ${r.result}`);
  if (!message || UNCLEAR.test(message)) problems.push(`the failure message is not clear: '${message}'`);
  if (cell.kind === "stall 30 s") {
    if (!TIMED_OUT.test(message)) problems.push(`expected a timeout message, got '${message}'`);
    const route = cell.routes[0];
    const answered = emu.requests.filter(route.method, route.path(w)).some((e) => e.fault === "delay");
    if (answered) problems.push("the task was still running when the stalled request was answered: it waited for the stall");
  } else {
    const names = cell.routes[0].names ?? cell.scenario.names(w);
    if (!names.test(message)) problems.push(`the failure message names none of the run's resources: '${message}'`);
    // The call kept failing: blaming timeoutInMinutes sends the user after the wrong cause.
    if (TIMED_OUT.test(message) && !/500|InternalServerError|server error/i.test(message))
      problems.push(`the failure is reported as a timeout, without the failing call: '${message}'`);
  }
  return problems;
}

/** Takes the remaining uses of fault `id` (the emulator has no way to remove one fault). */
export function retireFault(emu: Emulator, id: number, method: string, path: string): void {
  for (let i = 0; i < 100_000 && emu.faults.list().some((f) => f.id === id); i++) emu.faults.take(method, path);
}

/** Runs one cell: world seeded by the caller, faults injected, task run, outcome judged. */
export async function runCell(emu: Emulator, cell: Cell, w: World, sources: string): Promise<CellOutcome> {
  const armed = injectCell(emu, cell, w);
  let r: AgentRunResult | undefined;
  let error: Error | undefined;
  try {
    r = await runScenario(emu, cell.scenario, w, {
      sources,
      inputs: cell.inputs,
      timeoutInMs: cell.timeoutInMs,
      ...(cell.scheme ? { scheme: cell.scheme } : {}),
    });
  } catch (e) {
    error = e as Error;
  } finally {
    for (const a of armed.values()) a.disarm();
    // A shared sign-in path must not keep failing for the next run of its lane.
    for (const r of cell.routes) {
      const literal = (r as Partial<AuthRoute>).literal;
      const added = armed.get(r.name)?.added;
      if (literal && added) retireFault(emu, added.id, r.method, literal(w));
    }
  }
  const endedAt = Date.now();
  const delivered = deliveredFaults(emu, cell, w, armed);
  const partial = { cell, world: w, ...(r ? { r } : {}), ...(error ? { error } : {}), delivered, endedAt };
  return { ...partial, problems: judgeCell(emu, partial) };
}
