/**
 * Completion latency: a task waits for a remote run; the bench turns the run terminal in the
 * emulator D after it was created and measures how long the task process takes to exit after
 * that. Also counts the ARM requests the task sends per minute while it waits.
 *
 * Time scaling (what is real, what is scaled): the emulator's scripted durations are divided by
 * the time scale, the flip moment is D / scale after the run was created, and the task's polling
 * cap is scaled with the `pollingIntervalSeconds` input (its default 30 s → 30 / scale, at least
 * 1 s). The tasks' first poll interval (min(2 s, cap)) and back-off factor (×1.5) are fixed in
 * code and are NOT scaled: a scaled run's back-off phase is shorter than a real one's; its steady
 * state (polls every cap) is faithful. The latency of a scaled run is reported in virtual time as
 * (first status answer after the flip − flip) × scale + (exit − that answer): the wait for the
 * next poll scales, the work after it (activity query, summary, exit) is real and is not scaled.
 */
import type { Emulator, LoggedRequest } from "../devkit/emulator";
import type { BenchContext } from "./context";
import { figure, type Figure, type Skipped } from "./results";
import { ADF_TASK, AML_TASK, taskRunSpec } from "./scenarios";
import { outputTail, startTask, type TaskProcessResult } from "./taskProcess";
import type { TimedRequest } from "./requestClock";

/** The tasks' default polling cap (task.json pollingIntervalSeconds). */
const DEFAULT_POLLING_INTERVAL_SECONDS = 30;
export const STATUS_REQUESTS_PER_MINUTE_TARGET = 6;
const HUGE_MS = 10 * 24 * 3600 * 1000;

interface Waiter {
  task: string;
  provider: RegExp;
  /** The request that created the remote run. */
  isCreate(r: LoggedRequest): boolean;
  /** Status requests for the run `id` (its GET; for pipelines also its steps). */
  isStatus(r: LoggedRequest, id: string): boolean;
  /** The id of the run from its create request. */
  idOf(r: LoggedRequest, emu: Emulator): string;
  prepare(emu: Emulator): void;
  /** Turns the run terminal now. */
  finish(emu: Emulator, id: string): void;
}

const ADF: Waiter = {
  task: ADF_TASK,
  provider: /\/providers\/Microsoft\.DataFactory\//i,
  isCreate: (r) => r.method === "POST" && /\/pipelines\/[^/]+\/createRun$/i.test(r.path) && r.status < 300,
  isStatus: (r, id) => r.method === "GET" && r.path.toLowerCase().endsWith(`/pipelineruns/${id.toLowerCase()}`),
  // One TriggerADFPipeline task runs at a time, after a reset: the newest run is its run.
  idOf: (_r, emu) => {
    const runs = emu.datafactory.runs();
    const run = runs[runs.length - 1];
    if (!run) throw new Error("createRun answered but the emulator has no run");
    return run.runId;
  },
  prepare: (emu) => emu.datafactory.scriptRun("prepare-training-data", { queuedMs: 100, defaultActivityMs: HUGE_MS }),
  finish: (emu, id) => void emu.datafactory.finishRun(id, "Succeeded"),
};

const AML: Waiter = {
  task: AML_TASK,
  provider: /\/providers\/Microsoft\.MachineLearningServices\//i,
  isCreate: (r) =>
    r.method === "PUT" &&
    /\/jobs\/[^/]+$/i.test(r.path) &&
    r.status < 300 &&
    (r.body as { properties?: { jobType?: string } })?.properties?.jobType === "Pipeline",
  isStatus: (r, id) => r.method === "GET" && new RegExp(`/jobs/${escapeRegExp(id)}(_[^/]+)?$`, "i").test(r.path),
  idOf: (r) => r.path.slice(r.path.lastIndexOf("/") + 1),
  prepare: (emu) => emu.ml.scriptJobs({ phaseDurationsMs: { NotStarted: 100, Queued: 100, Preparing: 100, Running: HUGE_MS, Finalizing: 100 } }),
  finish: (emu, id) => {
    const job = emu.ml.job(id);
    if (!job) throw new Error(`no job ${id}`);
    for (const child of Object.values(job.children)) {
      const status = emu.ml.job(child)?.status;
      if (status && !["Completed", "Failed", "Canceled"].includes(status)) emu.ml.setJobStatus(child, "Completed");
    }
    const parent = emu.ml.job(id)!.status;
    if (!["Completed", "Failed", "Canceled"].includes(parent)) emu.ml.setJobStatus(id, "Completed");
  },
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface CompletionSample {
  task: string;
  virtualSeconds: number;
  timeScale: number;
  pollingIntervalSeconds: number;
  /** performance.now() moments. */
  createdAt: number;
  terminalAt: number;
  firstTerminalAnswerAt?: number;
  exitedAt: number;
  realLatencyMs: number;
  virtualLatencyMs: number;
  /** Real ms from the flip to the status answer that showed it (× scale = virtual). */
  waitForPollMs?: number;
  /** Status requests (virtual) per minute over the second half of the wait. */
  statusPerMinute: number;
  armPerMinute: number;
  statusRequests: number;
  /** Times of the status requests, virtual seconds after creation. */
  pollSchedule: number[];
  result?: string;
  resultMessage?: string;
}

async function runOne(ctx: BenchContext, emu: Emulator, w: Waiter, virtualSeconds: number, timeScale: number): Promise<CompletionSample> {
  const pollingIntervalSeconds = Math.max(1, Math.round(DEFAULT_POLLING_INTERVAL_SECONDS / timeScale));
  const spec = taskRunSpec(w.task, emu, ctx.sources, { pollingIntervalSeconds, unique: `c${Date.now().toString(36)}` })!;
  const proc = startTask({ entry: ctx.bundledEntry(w.task), ...spec, caCertPath: emu.caCertPath, timeoutInMs: (virtualSeconds / timeScale) * 1000 + 180_000 });
  const created = await Promise.race([ctx.requestClock.next(proc.spawnedAt, (r) => w.isCreate(r)), proc.done.then((r) => r)]);
  if (!("request" in created)) throw new Error(`${w.task} exited before it started a run: ${describe(created)}`);
  const id = w.idOf(created.request, emu);
  const flipInMs = (virtualSeconds * 1000) / timeScale;
  const terminalAt = await new Promise<number>((resolve, reject) => {
    setTimeout(
      () => {
        try {
          w.finish(emu, id);
          resolve(performance.now());
        } catch (err) {
          reject(err);
        }
      },
      Math.max(0, created.at + flipInMs - performance.now()),
    );
  });
  const result = await proc.done;
  if (result.exitCode !== 0 && result.reportedResult !== "Succeeded") throw new Error(`${w.task} did not succeed: ${describe(result)}`);

  const mine = ctx.requestClock.between(proc.spawnedAt, result.exitedAt).filter((t) => w.provider.test(t.request.path));
  const status = mine.filter((t) => w.isStatus(t.request, id));
  const firstTerminal = status.find((t) => t.at >= terminalAt);
  const realLatencyMs = result.exitedAt - terminalAt;
  const waitForPollMs = firstTerminal ? firstTerminal.at - terminalAt : undefined;
  const virtualLatencyMs = waitForPollMs !== undefined ? waitForPollMs * timeScale + (result.exitedAt - firstTerminal!.at) : realLatencyMs * timeScale;
  // Steady state: the second half of the wait, in virtual minutes.
  const windowStart = created.at + flipInMs / 2;
  const windowMinutes = ((terminalAt - windowStart) * timeScale) / 60_000;
  const inWindow = (list: TimedRequest[]) => list.filter((t) => t.at >= windowStart && t.at < terminalAt).length;
  return {
    task: w.task,
    virtualSeconds,
    timeScale,
    pollingIntervalSeconds,
    createdAt: created.at,
    terminalAt,
    ...(firstTerminal ? { firstTerminalAnswerAt: firstTerminal.at } : {}),
    exitedAt: result.exitedAt,
    realLatencyMs,
    virtualLatencyMs,
    ...(waitForPollMs !== undefined ? { waitForPollMs } : {}),
    // Counts over a window whose edges fall anywhere between polls: keep two decimals, not the edge noise.
    statusPerMinute: round2(inWindow(status) / windowMinutes),
    armPerMinute: round2(inWindow(mine.filter((t) => t.request.path.startsWith("/subscriptions/"))) / windowMinutes),
    statusRequests: status.length,
    pollSchedule: status.map((t) => Number((((t.at - created.at) * timeScale) / 1000).toFixed(2))),
    result: result.reportedResult,
    resultMessage: result.resultMessage,
  };
}

function describe(r: TaskProcessResult): string {
  return `exit ${r.exitCode}, ${r.reportedResult ?? "no result"}: ${r.resultMessage ?? ""}\n${outputTail(r.stdout, r.stderr)}`;
}

export async function measureCompletion(ctx: BenchContext, emu: Emulator): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  const waiters = [ADF, AML].filter((w) => {
    if (ctx.tasks.includes(w.task)) return true;
    skipped.push({ section: "completion", name: w.task, reason: "not built (build/tasks)" });
    return false;
  });
  const longest = new Map<string, CompletionSample>();
  for (const { virtualSeconds, timeScale } of ctx.options.completionRuns) {
    await emu.reset();
    emu.clock.timeScale = timeScale;
    for (const w of waiters) w.prepare(emu);
    ctx.progress(`completion: ${virtualSeconds} s runs (×${timeScale}), ${waiters.map((w) => w.task).join(" and ")} side by side`);
    // The two tasks wait side by side (different providers, one emulator): their polls are idle time.
    const outcomes = await Promise.allSettled(waiters.map((w) => runOne(ctx, emu, w, virtualSeconds, timeScale)));
    outcomes.forEach((o, i) => {
      const task = waiters[i].task;
      const name = `${task} ${label(virtualSeconds)} run`;
      if (o.status === "rejected") {
        skipped.push({ section: "completion", name, reason: (o.reason as Error).message });
        return;
      }
      const s = o.value;
      const elapsedMs = virtualSeconds * 1000;
      const targetMs = Math.max(2000, 0.05 * elapsedMs);
      const scaled = timeScale !== 1;
      figures.push(
        figure({
          section: "completion",
          name,
          value: s.virtualLatencyMs,
          unit: "ms",
          baseline: { label: "run time", value: elapsedMs },
          target: { of: "value", op: "<=", value: targetMs, text: `≤ ${(targetMs / 1000).toFixed(1)} s` },
          notes: [
            scaled
              ? `scaled ×${timeScale} (pollingIntervalSeconds ${s.pollingIntervalSeconds} ≙ ${DEFAULT_POLLING_INTERVAL_SECONDS} s): measured ${s.realLatencyMs.toFixed(0)} ms real, of which ${(s.waitForPollMs ?? 0).toFixed(0)} ms waiting for the next poll (× ${timeScale}) and ${(s.realLatencyMs - (s.waitForPollMs ?? 0)).toFixed(0)} ms after it (real); worst case ≈ ${DEFAULT_POLLING_INTERVAL_SECONDS} s + that`
              : `real time, default pollingIntervalSeconds (${DEFAULT_POLLING_INTERVAL_SECONDS}); ${(s.waitForPollMs ?? 0).toFixed(0)} ms waiting for the next poll, ${(s.realLatencyMs - (s.waitForPollMs ?? 0)).toFixed(0)} ms from that answer to exit`,
            `status polls at (virtual s after creation): ${s.pollSchedule.join(", ")}`,
          ],
          detail: { ...s },
        }),
      );
      const prev = longest.get(task);
      if (!prev || prev.virtualSeconds < s.virtualSeconds) longest.set(task, s);
    });
  }
  for (const [task, s] of longest) {
    figures.push(
      figure({
        section: "completion",
        name: `${task} status requests/min (${label(s.virtualSeconds)} run)`,
        value: s.statusPerMinute,
        unit: "req/min",
        target: { of: "value", op: "<=", value: STATUS_REQUESTS_PER_MINUTE_TARGET, text: `≤ ${STATUS_REQUESTS_PER_MINUTE_TARGET}/min` },
        notes: [
          `second half of the wait, per virtual minute${s.timeScale !== 1 ? ` (×${s.timeScale})` : ""}; all ARM requests of the task in that window: ${s.armPerMinute.toFixed(1)}/min`,
        ],
        detail: { statusPerMinute: s.statusPerMinute, armPerMinute: s.armPerMinute, virtualSeconds: s.virtualSeconds, timeScale: s.timeScale },
      }),
    );
  }
  return { figures, skipped };
}

function label(seconds: number): string {
  return seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
