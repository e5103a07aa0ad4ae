/**
 * Upload throughput of RegisterModel's local upload (tasks/common/datastore.ts uploadArtifact,
 * the same code SubmitAzureMLPipeline uses for `code:` folders) to Azurite: one large file and
 * many small files, against a plain parallel @azure/storage-blob upload (baselineUpload.ts) of
 * the same data to the same Azurite, each in its own process, with peak RSS of each process.
 * Throughput is bytes / (spawn → exit): the task's figure includes what it does besides
 * uploading (sign-in, hashing the content, ARM calls, registering the model); the upload phase
 * alone (from its "Uploaded … in N s" line) is in the notes.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Emulator } from "../test/emulator";
import type { BenchContext } from "./context";
import { figure, formatBytes, type Figure, type Skipped } from "./results";
import { RssSampler } from "./rss";
import { REGISTER_TASK, taskRunSpec } from "./scenarios";
import { outputTail, runTaskProcess } from "./taskProcess";
import { writeLargeFile, writeSmallFiles } from "./uploadData";

export const THROUGHPUT_RATIO_TARGET = 0.9;
export const PEAK_RSS_TARGET_BYTES = 200 * 1024 * 1024;
const RSS_SAMPLE_MS = 25;

interface ProcessRun {
  wallMs: number;
  uploadMs?: number;
  peakRssBytes?: number;
  /** CPU time of the process (last sample before exit). */
  cpuTimeMs?: number;
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
  const r = await runTaskProcess({ entry: ctx.bundledEntry(REGISTER_TASK), ...spec, caCertPath: emu.caCertPath, rssSampleIntervalInMs: RSS_SAMPLE_MS, timeoutInMs: 600_000 });
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

export async function measureUpload(ctx: BenchContext, emu: Emulator): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  if (!ctx.tasks.includes(REGISTER_TASK)) {
    return { figures, skipped: [{ section: "upload", name: REGISTER_TASK, reason: "not built (build/tasks)" }] };
  }
  if (!emu.blob) return { figures, skipped: [{ section: "upload", name: REGISTER_TASK, reason: "the emulator runs without Azurite" }] };
  if (!(await emu.ml.blobContainerReady())) throw new Error("the workspace's blob container was not created in Azurite");

  // Under the sources folder: the task only takes paths inside the pipeline's working folders.
  const dataDir = await fs.promises.mkdtemp(path.join(ctx.sources.root, "upload-"));
  try {
    const largeFile = path.join(dataDir, "model.bin");
    const smallDir = path.join(dataDir, "many-files");
    ctx.progress(`upload: writing ${formatBytes(ctx.options.largeFileBytes)} and ${ctx.options.smallFiles} small files`);
    await writeLargeFile(largeFile, ctx.options.largeFileBytes);
    const smallBytes = await writeSmallFiles(smallDir, ctx.options.smallFiles);
    const cases = [
      { name: `${formatBytes(ctx.options.largeFileBytes)} file`, source: largeFile, bytes: ctx.options.largeFileBytes, files: 1 },
      { name: `${ctx.options.smallFiles} files (${formatBytes(smallBytes)})`, source: smallDir, bytes: smallBytes, files: ctx.options.smallFiles },
    ];
    for (const [i, c] of cases.entries()) {
      try {
        ctx.progress(`upload: ${c.name}: baseline`);
        const baseline = await runBaseline(ctx, emu, c.source, `case-${i}-${Date.now()}`);
        ctx.progress(`upload: ${c.name}: ${REGISTER_TASK}`);
        const task = await runRegister(ctx, emu, c.source, `u${i}${Date.now().toString(36)}`);
        figures.push(...uploadFigures(c, task, baseline));
      } catch (err) {
        skipped.push({ section: "upload", name: c.name, reason: (err as Error).message });
      }
    }
  } finally {
    await fs.promises.rm(dataDir, { recursive: true, force: true });
  }
  return { figures, skipped };
}

function uploadFigures(c: { name: string; bytes: number; files: number }, task: ProcessRun, baseline: ProcessRun): Figure[] {
  const throughput = (ms: number) => c.bytes / (ms / 1000);
  const phase =
    task.uploadMs !== undefined && baseline.uploadMs !== undefined
      ? `upload phase alone: task ${formatBytes(throughput(task.uploadMs))}/s vs baseline ${formatBytes(throughput(baseline.uploadMs))}/s (${(baseline.uploadMs / task.uploadMs).toFixed(2)}×)`
      : "the task printed no 'Uploaded … in N s' line";
  const out: Figure[] = [
    figure({
      section: "upload",
      name: `RegisterModel ${c.name} throughput`,
      value: throughput(task.wallMs),
      unit: "bytes/s",
      baseline: { label: "plain SDK upload", value: throughput(baseline.wallMs) },
      target: { of: "ratio", op: ">=", value: THROUGHPUT_RATIO_TARGET, text: `≥ ${THROUGHPUT_RATIO_TARGET} × baseline` },
      notes: [`process spawn → exit: task ${(task.wallMs / 1000).toFixed(1)} s, baseline ${(baseline.wallMs / 1000).toFixed(1)} s; ${phase}${cpu(task, baseline)}`],
      detail: { bytes: c.bytes, files: c.files, task, baseline },
    }),
  ];
  if (task.peakRssBytes !== undefined) {
    out.push(
      figure({
        section: "upload",
        name: `RegisterModel ${c.name} peak RSS`,
        value: task.peakRssBytes,
        unit: "bytes",
        ...(baseline.peakRssBytes !== undefined ? { baseline: { label: "plain SDK upload", value: baseline.peakRssBytes } } : {}),
        target: { of: "value", op: "<=", value: PEAK_RSS_TARGET_BYTES, text: "≤ 200 MiB" },
        notes: [`VmHWM of /proc/<pid>/status sampled every ${RSS_SAMPLE_MS} ms until exit`],
      }),
    );
  }
  return out;
}

function cpu(task: ProcessRun, baseline: ProcessRun): string {
  return task.cpuTimeMs !== undefined && baseline.cpuTimeMs !== undefined
    ? `; CPU time: task ${(task.cpuTimeMs / 1000).toFixed(1)} s, baseline ${(baseline.cpuTimeMs / 1000).toFixed(1)} s`
    : "";
}
