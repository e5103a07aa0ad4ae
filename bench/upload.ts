/**
 * Upload throughput of RegisterModel's local upload (tasks/common/datastore.ts uploadArtifact,
 * the same code SubmitAzureMLPipeline uses for `code:` folders) to Azurite: one large file and
 * many small files, against a plain parallel @azure/storage-blob upload (baselineUpload.ts) of
 * the same data, each in its own process, with peak RSS of each process.
 *
 * Every run gets a fresh emulator + Azurite (Azurite's cost per PUT grows with the blobs it holds,
 * so a second upload to the same one is slower whatever it is), task and baseline alternate which
 * goes first, and each case is repeated (--upload-runs, default 5: one run against Azurite varies
 * by ±30 %): medians and spread.
 * Throughput is bytes / (spawn → exit): the task's figure includes what it does besides
 * uploading (sign-in, hashing the content, ARM calls, registering the model); for the large file
 * the baseline also pays a plain MD5 pass (the CLI's `LocalUpload/<md5>/` path needs the hash
 * before the upload). The baseline writes the same blob names as the task (the CLI's
 * `LocalUpload/<md5>/<name>/…`): Azurite's cost per PUT depends on the names (measured with this
 * baseline and 10,000 files, 2026-12-05: 27.5 s under `p/`, 63.6 s under a `LocalUpload/<md5>/…`
 * prefix), so a baseline with shorter names would not be uploading the same thing. The upload
 * phase alone (from the task's "Uploaded … in N s" line) and the hash phase (the tasks'
 * hashLocalArtifact timed alone, bench/hashPass.ts) are reported too.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type Emulator } from "../devkit/emulator";
import { hashLocalArtifact } from "../tasks/common/contentHash";
import type { BenchContext } from "./context";
import { figure, formatBytes, type Figure, type Skipped } from "./results";
import { median } from "./stats";
import { RssSampler } from "./rss";
import { REGISTER_TASK, taskRunSpec } from "./scenarios";
import { outputTail, runTaskProcess } from "./taskProcess";
import { writeLargeFile, writeSmallFiles } from "./uploadData";

/** 1 GiB: task ≥ 0.9 × (plain SDK upload + the MD5 pass it would need). */
export const LARGE_RATIO_TARGET = 0.9;
/** 10,000 small files: task ≥ 1.0 × plain SDK upload. */
export const SMALL_FILES_RATIO_TARGET = 1.0;
export const HASH_PHASE_TARGET_MS = 1000;
export const PEAK_RSS_TARGET_BYTES = 200 * 1024 * 1024;
export const SMALL_FILES_PEAK_RSS_TARGET_BYTES = 160 * 1024 * 1024;
const RSS_SAMPLE_MS = 25;

interface ProcessRun {
  wallMs: number;
  uploadMs?: number;
  peakRssBytes?: number;
  /** CPU time of the process (last sample before exit). */
  cpuTimeMs?: number;
}

/** The folder the task's blobs go under (`LocalUpload/<md5>/<folder>`, or the file blob's folder), for the baseline to use the same names. */
async function taskBlobFolder(source: string): Promise<string> {
  const artifact = await hashLocalArtifact(source);
  return artifact.isDirectory ? artifact.blobPrefix : path.posix.dirname(artifact.blobPrefix);
}

async function runBaseline(ctx: BenchContext, emu: Emulator, source: string, prefix: string): Promise<ProcessRun> {
  const blob = emu.blob!;
  const args = { containerUrl: `${blob.endpoint}/bench-baseline`, accountName: blob.accountName, accountKey: blob.accountKey, source, prefix };
  const script = path.join(ctx.repoRoot, "out", "bench", "baselineUpload.js");
  const started = performance.now();
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env["PATH"] ?? "", NODE_EXTRA_CA_CERTS: emu.caCertPath, BENCH_UPLOAD: JSON.stringify(args) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const sampler = child.pid !== undefined ? new RssSampler(child.pid, RSS_SAMPLE_MS) : undefined;
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => resolve(code));
  });
  const wallMs = performance.now() - started;
  sampler?.stop();
  if (exitCode !== 0) throw new Error(`baseline upload failed (${exitCode}): ${stderr.slice(-2000)}`);
  const line = JSON.parse(stdout.trim().split("\n").pop()!) as { uploadMs: number };
  return {
    wallMs,
    uploadMs: line.uploadMs,
    ...(sampler?.peakBytes !== undefined ? { peakRssBytes: sampler.peakBytes } : {}),
    ...(sampler?.cpuTimeMs !== undefined ? { cpuTimeMs: sampler.cpuTimeMs } : {}),
  };
}

async function runRegister(ctx: BenchContext, emu: Emulator, modelPath: string, unique: string): Promise<ProcessRun> {
  const spec = taskRunSpec(REGISTER_TASK, emu, ctx.sources, { modelPath, unique })!;
  const r = await runTaskProcess({
    entry: ctx.bundledEntry(REGISTER_TASK),
    ...spec,
    caCertPath: emu.caCertPath,
    rssSampleIntervalInMs: RSS_SAMPLE_MS,
    timeoutInMs: 600_000,
  });
  if (r.exitCode !== 0 || r.reportedResult !== "Succeeded") {
    throw new Error(`${REGISTER_TASK} did not succeed (exit ${r.exitCode}, ${r.reportedResult}): ${r.resultMessage}\n${outputTail(r.stdout, r.stderr)}`);
  }
  const uploaded = /Uploaded \d+ file\(s\), [^,]+, in ([\d.]+) s/.exec(r.stdout);
  return {
    wallMs: r.exitedAt - r.spawnedAt,
    ...(uploaded ? { uploadMs: Number(uploaded[1]) * 1000 } : {}),
    ...(r.peakRssBytes !== undefined ? { peakRssBytes: r.peakRssBytes } : {}),
    ...(r.cpuTimeMs !== undefined ? { cpuTimeMs: r.cpuTimeMs } : {}),
  };
}

interface UploadCase {
  name: string;
  source: string;
  bytes: number;
  files: number;
  /** Ratio target of task throughput to baseline throughput. */
  ratioTarget: number;
  /** Add a plain MD5 pass over the data to the baseline's time (the CLI's upload path needs it first). */
  baselineHashPass: boolean;
  peakRssTargetBytes: number;
  /** Target of the task's hash phase (ms), if any. */
  hashTargetMs?: number;
}

/** Runs out/bench/hashPass.js (`task`: the tasks' hashLocalArtifact; `md5`: a plain MD5 of a file); its time in ms. */
function hashPass(ctx: BenchContext, mode: "task" | "md5", source: string): Promise<number> {
  const script = path.join(ctx.repoRoot, "out", "bench", "hashPass.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, mode, source], { env: { PATH: process.env["PATH"] ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve((JSON.parse(out.trim()) as { hashMs: number }).hashMs) : reject(new Error(`hash pass failed (${code}): ${err.slice(-1000)}`)),
    );
  });
}

/** Starts a fresh emulator with its own Azurite for one run: Azurite's cost per PUT grows with the blobs it holds. */
async function onFreshEmulator<T>(fn: (emu: Emulator) => Promise<T>): Promise<T> {
  const emu = await startEmulator({ timeScale: 1 });
  try {
    if (!emu.blob) throw new Error("the emulator runs without Azurite");
    if (!(await emu.ml.blobContainerReady())) throw new Error("the workspace's blob container was not created in Azurite");
    return await fn(emu);
  } finally {
    await emu.stop();
  }
}

export async function measureUpload(ctx: BenchContext): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  if (!ctx.tasks.includes(REGISTER_TASK)) {
    return { figures, skipped: [{ section: "upload", name: REGISTER_TASK, reason: "not built (build/tasks)" }] };
  }

  // Under the sources folder: the task only takes paths inside the pipeline's working folders.
  const dataDir = await fs.promises.mkdtemp(path.join(ctx.sources.root, "upload-"));
  try {
    const largeFile = path.join(dataDir, "model.bin");
    const smallDir = path.join(dataDir, "many-files");
    const wanted = ctx.options.uploadCases;
    ctx.progress(
      `upload: writing ${wanted.includes("large") ? formatBytes(ctx.options.largeFileBytes) : "no large file"} and ${wanted.includes("files") ? ctx.options.smallFiles : 0} small files`,
    );
    if (wanted.includes("large")) await writeLargeFile(largeFile, ctx.options.largeFileBytes);
    const smallBytes = wanted.includes("files") ? await writeSmallFiles(smallDir, ctx.options.smallFiles) : 0;
    const allCases: (UploadCase & { id: (typeof wanted)[number] })[] = [
      {
        id: "large",
        name: `${formatBytes(ctx.options.largeFileBytes)} file`,
        source: largeFile,
        bytes: ctx.options.largeFileBytes,
        files: 1,
        ratioTarget: LARGE_RATIO_TARGET,
        baselineHashPass: true,
        peakRssTargetBytes: PEAK_RSS_TARGET_BYTES,
      },
      {
        id: "files",
        name: `${ctx.options.smallFiles} files (${formatBytes(smallBytes)})`,
        source: smallDir,
        bytes: smallBytes,
        files: ctx.options.smallFiles,
        ratioTarget: SMALL_FILES_RATIO_TARGET,
        baselineHashPass: false,
        peakRssTargetBytes: SMALL_FILES_PEAK_RSS_TARGET_BYTES,
        hashTargetMs: HASH_PHASE_TARGET_MS,
      },
    ];
    const cases = allCases.filter((c) => wanted.includes(c.id));
    for (const [i, c] of cases.entries()) {
      try {
        const task: ProcessRun[] = [];
        const baseline: ProcessRun[] = [];
        const taskHash: number[] = [];
        const md5: number[] = [];
        const blobFolder = await taskBlobFolder(c.source);
        for (let rep = 0; rep < ctx.options.uploadRuns; rep++) {
          // Task and baseline alternate which goes first; each on its own fresh emulator + Azurite.
          const order = rep % 2 === 0 ? (["task", "baseline"] as const) : (["baseline", "task"] as const);
          for (const kind of order) {
            ctx.progress(`upload: ${c.name}: run ${rep + 1}/${ctx.options.uploadRuns}: ${kind === "task" ? REGISTER_TASK : "baseline"}`);
            if (kind === "task") task.push(await onFreshEmulator((emu) => runRegister(ctx, emu, c.source, `u${i}r${rep}${Date.now().toString(36)}`)));
            else baseline.push(await onFreshEmulator((emu) => runBaseline(ctx, emu, c.source, blobFolder)));
          }
          taskHash.push(await hashPass(ctx, "task", c.source));
          if (c.baselineHashPass) md5.push(await hashPass(ctx, "md5", c.source));
        }
        figures.push(...uploadFigures(c, task, baseline, taskHash, md5));
      } catch (err) {
        skipped.push({ section: "upload", name: c.name, reason: (err as Error).message });
      }
    }
  } finally {
    await fs.promises.rm(dataDir, { recursive: true, force: true });
  }
  return { figures, skipped };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const spreadOf = (values: number[], show: (v: number) => string) =>
  values.length > 1 ? `${show(Math.min(...values))}–${show(Math.max(...values))}` : show(values[0]);

function uploadFigures(c: UploadCase, task: ProcessRun[], baseline: ProcessRun[], taskHash: number[], md5: number[]): Figure[] {
  const throughput = (ms: number) => c.bytes / (ms / 1000);
  const taskWall = task.map((r) => r.wallMs);
  const baseWall = baseline.map((r, i) => r.wallMs + (c.baselineHashPass ? md5[i] : 0));
  const paired = taskWall.map((t, i) => baseWall[i] / t);
  const phases = task.every((r) => r.uploadMs !== undefined) && baseline.every((r) => r.uploadMs !== undefined);
  const phase = phases
    ? `upload phase alone: task ${seconds(median(task.map((r) => r.uploadMs!)))} vs baseline ${seconds(median(baseline.map((r) => r.uploadMs!)))} (medians)`
    : "the task printed no 'Uploaded … in N s' line";
  const baselineText = c.baselineHashPass
    ? `baseline = plain SDK upload (spawn → exit) + a plain MD5 pass over the file (${spreadOf(md5, seconds)}), as the CLI's LocalUpload/<md5>/ path needs the hash first`
    : "baseline = plain SDK upload (spawn → exit)";
  const names = "the baseline writes the task's blob names (LocalUpload/<md5>/…)";
  const out: Figure[] = [
    figure({
      section: "upload",
      name: `RegisterModel ${c.name} throughput`,
      value: throughput(median(taskWall)),
      unit: "bytes/s",
      baseline: { label: c.baselineHashPass ? "SDK upload + MD5 pass" : "plain SDK upload", value: throughput(median(baseWall)) },
      target: { of: "ratio", op: ">=", value: c.ratioTarget, text: `≥ ${c.ratioTarget} × baseline` },
      notes: [
        `${task.length} runs each, task and baseline alternating, each on a fresh emulator + Azurite. Task spawn → exit ${seconds(median(taskWall))} (${spreadOf(taskWall, seconds)}), ${baselineText}: ${seconds(median(baseWall))} (${spreadOf(baseWall, seconds)}); per-run ratios ${spreadOf(paired, (v) => `${v.toFixed(2)}×`)}; ${phase}${cpu(task, baseline)}; ${names}`,
      ],
      detail: { bytes: c.bytes, files: c.files, task, baseline, md5PassMs: md5, pairedRatios: paired },
    }),
  ];
  if (c.hashTargetMs !== undefined) {
    out.push(
      figure({
        section: "upload",
        name: `RegisterModel ${c.name} hash phase`,
        value: median(taskHash),
        unit: "ms",
        target: { of: "value", op: "<=", value: c.hashTargetMs, text: `≤ ${seconds(c.hashTargetMs)}` },
        notes: [
          `the tasks' hashLocalArtifact over the same folder in its own process (bench/hashPass.ts), median of ${taskHash.length} (${spreadOf(taskHash, (v) => `${v.toFixed(0)} ms`)})`,
        ],
        detail: { samples: taskHash },
      }),
    );
  }
  const peaks = task.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
  const basePeaks = baseline.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
  if (peaks.length > 0) {
    out.push(
      figure({
        section: "upload",
        name: `RegisterModel ${c.name} peak RSS`,
        value: median(peaks),
        unit: "bytes",
        ...(basePeaks.length > 0 ? { baseline: { label: "plain SDK upload", value: median(basePeaks) } } : {}),
        target: { of: "value", op: "<=", value: c.peakRssTargetBytes, text: `≤ ${formatBytes(c.peakRssTargetBytes)}` },
        notes: [`VmHWM of /proc/<pid>/status sampled every ${RSS_SAMPLE_MS} ms until exit; median of ${peaks.length} (${spreadOf(peaks, formatBytes)})`],
        detail: { samples: peaks, baselineSamples: basePeaks },
      }),
    );
  }
  return out;
}

function cpu(task: ProcessRun[], baseline: ProcessRun[]): string {
  const t = task.map((r) => r.cpuTimeMs).filter((v): v is number => v !== undefined);
  const b = baseline.map((r) => r.cpuTimeMs).filter((v): v is number => v !== undefined);
  return t.length > 0 && b.length > 0 ? `; CPU time (medians): task ${seconds(median(t))}, baseline ${seconds(median(b))}` : "";
}
