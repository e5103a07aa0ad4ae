/**
 * Cold start: from spawning `node <task>/index.js` to the first request the emulator answers
 * (the token request: nothing reaches Azure before the task-lib, the SDKs and the inputs are
 * loaded). The task is killed once that request is seen. Compared with bare `node -e 0`
 * (spawn → exit) and with the same task unbundled (tsc output + node_modules).
 * Runs of the three kinds are interleaved so that drift on the machine hits them alike.
 */
import { spawn } from "node:child_process";
import type { Emulator } from "../test/emulator";
import type { BenchContext } from "./context";
import { figure, type Figure, type Skipped } from "./results";
import { taskRunSpec } from "./scenarios";
import { median, summarize } from "./stats";
import { outputTail, startTask } from "./taskProcess";

const FIRST_REQUEST_TIMEOUT_IN_MS = 30_000;
export const COLD_START_OVERHEAD_TARGET_IN_MS = 150;

/** Spawn → exit of `node -e 0`, in ms. */
export function bareNodeStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - started));
  });
}

/**
 * The floor any task pays: spawn → first request logged for a bare node that trusts the
 * emulator's CA (NODE_EXTRA_CA_CERTS, as tasks get it) and sends one HTTPS GET.
 */
export async function nodeFirstRequest(ctx: BenchContext, emu: Emulator): Promise<number> {
  const script = `require("https").get(${JSON.stringify(`${emu.url}/_bench/first-request`)}, (r) => { r.resume(); r.on("end", () => process.exit(0)); }).on("error", () => process.exit(1));`;
  const started = performance.now();
  const child = spawn(process.execPath, ["-e", script], { stdio: "ignore", env: { PATH: process.env["PATH"] ?? "", NODE_EXTRA_CA_CERTS: emu.caCertPath } });
  const first = await Promise.race([
    ctx.requestClock.next(started, (r) => r.path === "/_bench/first-request"),
    new Promise<undefined>((resolve) => child.on("exit", () => setTimeout(resolve, 1000))),
  ]);
  child.kill("SIGKILL");
  if (!first) throw new Error("node sent no request to the emulator");
  return first.at - started;
}

/** Spawn → first request logged by the emulator, in ms; the task is killed then. */
export async function taskFirstRequest(ctx: BenchContext, emu: Emulator, task: string, entry: string): Promise<number> {
  const spec = taskRunSpec(task, emu, ctx.sources, { unique: `cold${Date.now()}` });
  if (!spec) throw new Error(`no scenario for ${task}`);
  const proc = startTask({ entry, ...spec, caCertPath: emu.caCertPath, timeoutInMs: FIRST_REQUEST_TIMEOUT_IN_MS + 5000 });
  const first = ctx.requestClock.next(proc.spawnedAt);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    first.then((t) => ({ at: t.at })),
    proc.done.then((r) => ({ exited: r })),
    new Promise<{ timeout: true }>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), FIRST_REQUEST_TIMEOUT_IN_MS))),
  ]);
  clearTimeout(timer);
  proc.kill("SIGKILL");
  const result = await proc.done;
  if ("at" in outcome) return outcome.at - proc.spawnedAt;
  if ("exited" in outcome) {
    throw new Error(`${task} exited (${result.exitCode}) before any request: ${result.resultMessage ?? ""}\n${outputTail(result.stdout, result.stderr)}`);
  }
  throw new Error(`${task} sent no request within ${FIRST_REQUEST_TIMEOUT_IN_MS} ms`);
}

export async function measureColdStart(ctx: BenchContext, emu: Emulator): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  const runs = ctx.options.coldStartRuns;
  const tasks = ctx.tasks.filter((task) => {
    if (taskRunSpec(task, emu, ctx.sources)) return true;
    skipped.push({ section: "cold start", name: task, reason: "the bench has no input scenario for this task yet (bench/scenarios.ts)" });
    return false;
  });

  // Warm-up (disk cache, the emulator's first TLS handshake): one unrecorded run of each.
  await bareNodeStart();
  await nodeFirstRequest(ctx, emu);
  const bare: number[] = [];
  const floor: number[] = [];
  const bundled = new Map<string, number[]>(tasks.map((t) => [t, []]));
  const unbundled = new Map<string, number[]>(tasks.map((t) => [t, []]));
  const failures = new Map<string, string>();
  for (const task of tasks) {
    for (const [kind, entry] of [["bundled", ctx.bundledEntry(task)], ["unbundled", ctx.unbundled?.entry(task)]] as const) {
      if (!entry) continue;
      try {
        await taskFirstRequest(ctx, emu, task, entry);
      } catch (err) {
        failures.set(`${task} ${kind}`, (err as Error).message);
      }
    }
  }
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNodeStart());
    floor.push(await nodeFirstRequest(ctx, emu));
    for (const task of tasks) {
      for (const [kind, entry, samples] of [
        ["bundled", ctx.bundledEntry(task), bundled.get(task)!],
        ["unbundled", ctx.unbundled?.entry(task), unbundled.get(task)!],
      ] as const) {
        if (!entry || failures.has(`${task} ${kind}`)) continue;
        try {
          samples.push(await taskFirstRequest(ctx, emu, task, entry));
        } catch (err) {
          failures.set(`${task} ${kind}`, (err as Error).message);
        }
      }
    }
    ctx.progress(`cold start: round ${i + 1}/${runs}`);
  }

  const bareMedian = median(bare);
  figures.push(
    figure({
      section: "cold start",
      name: "bare node -e 0",
      value: bareMedian,
      unit: "ms",
      notes: [`spawn → exit, median of ${bare.length}`],
      detail: { samples: bare, summary: summarize(bare) },
    }),
  );
  const floorMedian = median(floor);
  figures.push(
    figure({
      section: "cold start",
      name: "node + one HTTPS request (floor)",
      value: floorMedian,
      unit: "ms",
      baseline: { label: "bare node", value: bareMedian },
      notes: [`spawn → first request logged, node -e with NODE_EXTRA_CA_CERTS and one https.get, median of ${floor.length}: what any task pays before its own code`],
      detail: { samples: floor, summary: summarize(floor) },
    }),
  );
  for (const task of tasks) {
    for (const kind of ["bundled", "unbundled"] as const) {
      const failure = failures.get(`${task} ${kind}`);
      const samples = (kind === "bundled" ? bundled : unbundled).get(task)!;
      if (failure || samples.length === 0) {
        skipped.push({ section: "cold start", name: `${task} ${kind}`, reason: failure ?? (kind === "unbundled" ? ctx.unbundledProblem ?? "not staged" : "no samples") });
        continue;
      }
      const value = median(samples);
      figures.push(
        figure({
          section: "cold start",
          name: `${task} ${kind}`,
          value,
          unit: "ms",
          baseline: { label: "bare node", value: bareMedian },
          ...(kind === "bundled" ? { target: { of: "overhead", op: "<=", value: COLD_START_OVERHEAD_TARGET_IN_MS, text: `≤ +${COLD_START_OVERHEAD_TARGET_IN_MS} ms over bare node` } } : {}),
          notes:
            kind === "bundled"
              ? [`spawn → first request answered by the emulator, median of ${samples.length}; overhead over bare node ${(value - bareMedian).toFixed(0)} ms, over the node + HTTPS floor ${(value - floorMedian).toFixed(0)} ms`]
              : undefined,
          detail: { samples, summary: summarize(samples), overheadOverBareNodeInMs: value - bareMedian },
        }),
      );
    }
    const b = bundled.get(task)!;
    const u = unbundled.get(task)!;
    if (b.length > 0 && u.length > 0) {
      figures.push(
        figure({
          section: "cold start",
          name: `${task} bundled vs unbundled`,
          value: median(b),
          unit: "ms",
          baseline: { label: "unbundled", value: median(u) },
        }),
      );
    }
  }
  return { figures, skipped };
}
