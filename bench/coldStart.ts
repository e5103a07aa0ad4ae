/**
 * Cold start: from spawning `node <task>/index.js` to the first request the emulator answers
 * (the token request: nothing reaches Azure before the task-lib, the SDKs and the inputs are
 * loaded). The task is killed once that request is seen.
 *
 * Baselines, each measured in the same rounds (interleaved, so drift on the shared machine hits
 * them alike), per node binary:
 * - `node -e 0` spawned clean (PATH only: no NODE_EXTRA_CA_CERTS inherited from the machine);
 * - an empty script spawned with the task's own environment (bench/taskProcess.ts: the emulator's
 *   CA in NODE_EXTRA_CA_CERTS, as tasks get theirs from the agent);
 * - the floor, *node + one HTTPS request*: a script that sends one GET to the emulator, spawned with
 *   the task's own environment. Targets are ratios to this floor.
 * Each task is measured with its code cache (scripts/codeCache.ts; written beside the bundle by an
 * earlier run, as on an agent that ran the task before) and without it (the first run on an agent).
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Emulator } from "../devkit/emulator";
import type { BenchContext } from "./context";
import { figure, type Figure, type Skipped } from "./results";
import { taskRunSpec } from "./scenarios";
import { median, quantile, summarize } from "./stats";
import { outputTail, startTask } from "./taskProcess";

const FIRST_REQUEST_TIMEOUT_IN_MS = 30_000;
/** Cold start per task (with its code cache) ≤ this × the node + one HTTPS request floor. */
export const COLD_START_FLOOR_RATIO_TARGET = 2.0;
/** How long the warm-up run may go on so that its code cache is written (the loader saves at 2 s or exit). */
const WARM_UP_IN_MS = 3500;

interface NodeBinary {
  path: string;
  version: string;
  v8: string;
  label: string;
}

function describeNode(binary: string): NodeBinary {
  const [version, v8] = execFileSync(binary, ["-p", "process.version + ' ' + process.versions.v8"], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "" },
  })
    .trim()
    .split(" ");
  return { path: binary, version, v8, label: `node ${version.replace(/^v/, "").split(".")[0]}` };
}

/** Spawn → exit of `node -e 0` with PATH only, in ms. */
export function bareNodeStart(node = process.execPath): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, ["-e", "0"], { stdio: "ignore", env: { PATH: process.env["PATH"] ?? "" } });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - started));
  });
}

/** Scripts the baselines run with a task's environment: one that does nothing, one that sends one HTTPS GET. */
function baselineScripts(dir: string, emu: Emulator): { empty: string; oneRequest: string } {
  const empty = path.join(dir, "empty.js");
  const oneRequest = path.join(dir, "one-request.js");
  fs.writeFileSync(empty, "");
  fs.writeFileSync(
    oneRequest,
    `require("https").get(${JSON.stringify(`${emu.url}/_bench/first-request`)}, (r) => { r.resume(); r.on("end", () => process.exit(0)); }).on("error", () => process.exit(1));\n`,
  );
  return { empty, oneRequest };
}

/** Spawn → exit of `script` run with the task's own environment. */
async function scriptWithTaskEnvironment(ctx: BenchContext, emu: Emulator, node: string, script: string, task: string): Promise<number> {
  const spec = taskRunSpec(task, emu, ctx.sources)!;
  const r = await startTask({ entry: script, node, ...spec, caCertPath: emu.caCertPath, timeoutInMs: 30_000 }).done;
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.stderr.slice(-500)}`);
  return r.exitedAt - r.spawnedAt;
}

/** The floor: spawn → first request logged, for a script sending one GET with the task's environment. */
export async function nodeFirstRequest(ctx: BenchContext, emu: Emulator, node: string, script: string, task: string): Promise<number> {
  const spec = taskRunSpec(task, emu, ctx.sources)!;
  const proc = startTask({ entry: script, node, ...spec, caCertPath: emu.caCertPath, timeoutInMs: 30_000 });
  const first = await Promise.race([
    ctx.requestClock.next(proc.spawnedAt, (r) => r.path === "/_bench/first-request"),
    proc.done.then(() => new Promise<undefined>((resolve) => setTimeout(resolve, 1000))),
  ]);
  proc.kill("SIGKILL");
  await proc.done;
  if (!first) throw new Error("node sent no request to the emulator");
  return first.at - proc.spawnedAt;
}

/** Spawn → first request logged by the emulator, in ms; the task is killed then (or after `keepRunningMs`). */
export async function taskFirstRequest(
  ctx: BenchContext,
  emu: Emulator,
  task: string,
  entry: string,
  node = process.execPath,
  keepRunningMs = 0,
): Promise<number> {
  const spec = taskRunSpec(task, emu, ctx.sources, { unique: `cold${Date.now()}` });
  if (!spec) throw new Error(`no scenario for ${task}`);
  const proc = startTask({ entry, node, ...spec, caCertPath: emu.caCertPath, timeoutInMs: FIRST_REQUEST_TIMEOUT_IN_MS + 5000 });
  const first = ctx.requestClock.next(proc.spawnedAt);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    first.then((t) => ({ at: t.at })),
    proc.done.then((r) => ({ exited: r })),
    new Promise<{ timeout: true }>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), FIRST_REQUEST_TIMEOUT_IN_MS))),
  ]);
  clearTimeout(timer);
  if (keepRunningMs > 0) await Promise.race([proc.done, new Promise((resolve) => setTimeout(resolve, keepRunningMs))]);
  proc.kill("SIGKILL");
  const result = await proc.done;
  if ("at" in outcome) return outcome.at - proc.spawnedAt;
  if ("exited" in outcome) {
    throw new Error(`${task} exited (${result.exitCode}) before any request: ${result.resultMessage ?? ""}\n${outputTail(result.stdout, result.stderr)}`);
  }
  throw new Error(`${task} sent no request within ${FIRST_REQUEST_TIMEOUT_IN_MS} ms`);
}

/** The code cache files of a bundled task for one V8 version. */
function cacheFiles(entry: string, v8: string): string[] {
  const dir = path.dirname(entry);
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(".v8-cache-") && f.endsWith(".bin") && f.includes(`-${v8}-`))
    .map((f) => path.join(dir, f));
}

/** Runs `fn` with the task's code cache moved aside (the first run on an agent). */
async function withoutCache<T>(entry: string, v8: string, fn: () => Promise<T>): Promise<T> {
  const moved = cacheFiles(entry, v8).map((f) => [f, `${f}.aside`] as const);
  for (const [from, to] of moved) fs.renameSync(from, to);
  try {
    return await fn();
  } finally {
    for (const f of cacheFiles(entry, v8)) fs.rmSync(f, { force: true });
    for (const [from, to] of moved) fs.renameSync(to, from);
  }
}

type Kind = "cached" | "uncached" | "unbundled";

export async function measureColdStart(ctx: BenchContext, emu: Emulator): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  const runs = ctx.options.coldStartRuns;
  const tasks = ctx.tasks.filter((task) => {
    if (taskRunSpec(task, emu, ctx.sources)) return true;
    skipped.push({ section: "cold start", name: task, reason: "the bench has no input scenario for this task yet (bench/scenarios.ts)" });
    return false;
  });
  if (tasks.length === 0) return { figures, skipped };
  const nodes: NodeBinary[] = [];
  for (const binary of [process.execPath, ...ctx.options.extraNodes]) {
    try {
      nodes.push(describeNode(binary));
    } catch (err) {
      skipped.push({ section: "cold start", name: binary, reason: `cannot run this node binary: ${(err as Error).message}` });
    }
  }
  const scriptDir = fs.mkdtempSync(path.join(ctx.sources.root, "cold-start-"));
  const scripts = baselineScripts(scriptDir, emu);
  const envTask = tasks[0];

  type Samples = { bareClean: number[]; bareEnv: number[]; floor: number[]; task: Map<string, number[]> };
  const samples = new Map<string, Samples>(nodes.map((n) => [n.path, { bareClean: [], bareEnv: [], floor: [], task: new Map() }]));
  const key = (task: string, kind: Kind) => `${task} ${kind}`;
  const failures = new Map<string, string>();
  const kindsFor = (node: NodeBinary): Kind[] => (node === nodes[0] && ctx.unbundled ? ["cached", "uncached", "unbundled"] : ["cached", "uncached"]);
  const entryOf = (task: string, kind: Kind) => (kind === "unbundled" ? ctx.unbundled?.entry(task) : ctx.bundledEntry(task));

  try {
    // Warm-up (disk cache, TLS) and the code cache each node writes beside the bundle.
    for (const node of nodes) {
      await bareNodeStart(node.path);
      await nodeFirstRequest(ctx, emu, node.path, scripts.oneRequest, envTask);
      for (const task of tasks) {
        for (const kind of kindsFor(node)) {
          if (kind === "uncached") continue;
          const entry = entryOf(task, kind)!;
          try {
            await taskFirstRequest(ctx, emu, task, entry, node.path, kind === "cached" ? WARM_UP_IN_MS : 0);
            if (kind === "cached" && cacheFiles(entry, node.v8).length === 0)
              failures.set(`${node.path} ${key(task, kind)}`, "the warm-up run wrote no code cache");
          } catch (err) {
            failures.set(`${node.path} ${key(task, kind)}`, (err as Error).message);
          }
        }
      }
    }
    for (let i = 0; i < runs; i++) {
      for (const node of nodes) {
        const s = samples.get(node.path)!;
        s.bareClean.push(await bareNodeStart(node.path));
        s.bareEnv.push(await scriptWithTaskEnvironment(ctx, emu, node.path, scripts.empty, envTask));
        s.floor.push(await nodeFirstRequest(ctx, emu, node.path, scripts.oneRequest, envTask));
        for (const task of tasks) {
          // Alternate the order of the kinds from round to round.
          const kinds = i % 2 === 0 ? kindsFor(node) : [...kindsFor(node)].reverse();
          for (const kind of kinds) {
            const id = `${node.path} ${key(task, kind)}`;
            const entry = entryOf(task, kind);
            if (!entry || failures.has(id)) continue;
            try {
              const measure = () => taskFirstRequest(ctx, emu, task, entry, node.path);
              const ms = kind === "uncached" ? await withoutCache(entry, node.v8, measure) : await measure();
              if (!s.task.has(key(task, kind))) s.task.set(key(task, kind), []);
              s.task.get(key(task, kind))!.push(ms);
            } catch (err) {
              failures.set(id, (err as Error).message);
            }
          }
        }
      }
      ctx.progress(`cold start: round ${i + 1}/${runs}`);
    }
  } finally {
    fs.rmSync(scriptDir, { recursive: true, force: true });
  }

  for (const node of nodes) {
    const s = samples.get(node.path)!;
    const floor = median(s.floor);
    const spread = (values: number[]) =>
      `median of ${values.length}, spread ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms (p10–p90 ${quantile(values, 0.1).toFixed(0)}–${quantile(values, 0.9).toFixed(0)})`;
    figures.push(
      figure({
        section: "cold start",
        name: `${node.label}: bare node -e 0, clean environment`,
        value: median(s.bareClean),
        unit: "ms",
        notes: [`${node.version}: spawn → exit with PATH only (no NODE_EXTRA_CA_CERTS from the machine), ${spread(s.bareClean)}`],
        detail: { node: node.version, samples: s.bareClean, summary: summarize(s.bareClean) },
      }),
      figure({
        section: "cold start",
        name: `${node.label}: bare node, the tasks' environment`,
        value: median(s.bareEnv),
        unit: "ms",
        baseline: { label: "clean", value: median(s.bareClean) },
        notes: [`an empty script spawned as the tasks are (the emulator's CA in NODE_EXTRA_CA_CERTS), ${spread(s.bareEnv)}`],
        detail: { node: node.version, samples: s.bareEnv, summary: summarize(s.bareEnv) },
      }),
      figure({
        section: "cold start",
        name: `${node.label}: node + one HTTPS request (floor)`,
        value: floor,
        unit: "ms",
        baseline: { label: "clean bare node", value: median(s.bareClean) },
        notes: [`spawn → first request logged, one https.get with the tasks' environment, ${spread(s.floor)}: what any task pays before its own code`],
        detail: { node: node.version, samples: s.floor, summary: summarize(s.floor) },
      }),
    );
    for (const task of tasks) {
      for (const kind of kindsFor(node)) {
        const failure = failures.get(`${node.path} ${key(task, kind)}`);
        const values = s.task.get(key(task, kind)) ?? [];
        const name = `${node.label}: ${task} ${kind === "cached" ? "bundled, code cache" : kind === "uncached" ? "bundled, first run (no cache)" : "unbundled"}`;
        if (failure || values.length === 0) {
          skipped.push({ section: "cold start", name, reason: failure ?? (kind === "unbundled" ? (ctx.unbundledProblem ?? "not staged") : "no samples") });
          continue;
        }
        // Ratios of each round's task run to the same round's floor: the spread of the ratio itself.
        const paired = values.map((v, i) => v / s.floor[i]);
        figures.push(
          figure({
            section: "cold start",
            name,
            value: median(values),
            unit: "ms",
            baseline: { label: "floor", value: floor },
            ...(kind === "unbundled"
              ? {}
              : {
                  target: { of: "ratio", op: "<=", value: COLD_START_FLOOR_RATIO_TARGET, text: `≤ ${COLD_START_FLOOR_RATIO_TARGET}× node + one HTTPS request` },
                }),
            notes: [
              `spawn → first request answered by the emulator, ${spread(values)}; per-round ratio to the floor: median ${median(paired).toFixed(2)}×, ${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}×`,
            ],
            detail: { node: node.version, samples: values, summary: summarize(values), pairedRatios: paired },
          }),
        );
      }
    }
  }
  return { figures, skipped };
}
