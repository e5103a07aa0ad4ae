/**
 * Package size: the .vsix (packaged now with scripts/package.ts) and each task's share of it,
 * against the same tasks shipped with node_modules (closure.ts: the package folders each entry
 * reaches plus its own compiled files, stored as a zip stores them). Each task folder of an
 * unbundled extension carries its own node_modules, as in microsoft/azure-pipelines-tasks.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageExtension } from "../scripts/package";
import { ClosureSizer, type TaskClosure } from "./closure";
import type { BenchContext } from "./context";
import { figure, type Figure, type Skipped } from "./results";
import { storedFileSize, zipEntrySizes, type ZipEntrySize } from "./zipSizes";

export const VSIX_TARGET_BYTES = 2_000_000;

export async function measurePackageSize(ctx: BenchContext): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  let entries: ZipEntrySize[] | undefined;
  let vsixBytes: number | undefined;
  let vsixName = "";
  if (ctx.options.packageVsix) {
    try {
      // From the snapshot of build/tasks, into build/bench/ (dist/ is left alone).
      const packaged = await packageExtension({
        repoRoot: ctx.repoRoot,
        environment: "prod",
        taskRoot: ctx.taskRoot,
        stagingDir: path.join(ctx.repoRoot, "build", "bench", "vsix"),
        outputDir: path.join(ctx.repoRoot, "build", "bench", "dist"),
      });
      const zip = fs.readFileSync(packaged.vsixPath);
      vsixBytes = zip.length;
      vsixName = path.basename(packaged.vsixPath);
      entries = zipEntrySizes(zip);
    } catch (err) {
      skipped.push({ section: "package size", name: ".vsix", reason: `packaging failed in this run: ${(err as Error).message.split("\n")[0]}` });
    }
  } else {
    skipped.push({ section: "package size", name: ".vsix", reason: "--no-vsix" });
  }

  const sizer = new ClosureSizer(ctx.repoRoot);
  const closures: TaskClosure[] = [];
  let bundledShares = 0;
  for (const task of ctx.tasks) {
    let closure: TaskClosure;
    try {
      closure = await sizer.measure(task);
    } catch (err) {
      skipped.push({ section: "package size", name: task, reason: `cannot resolve its dependency closure: ${(err as Error).message.split("\n")[0]}` });
      continue;
    }
    closures.push(closure);
    // The loader (index.js) and the code it runs (index.code, and rest.code when split: scripts/codeCache.ts).
    const bundleFiles = ["index.js", "index.code", "rest.code"].filter((f) => fs.existsSync(path.join(ctx.taskRoot, task, f)));
    const inVsix = entries ? bundleFiles.map((f) => entries.find((e) => e.name === `${task}/${f}`)) : [];
    const found = inVsix.length === bundleFiles.length && inVsix.every((e) => e !== undefined);
    const bundleStored = bundleFiles.reduce(
      (sum, f, i) => sum + (found ? inVsix[i]!.storedBytes : storedFileSize(path.join(ctx.taskRoot, task, f), `${task}/${f}`).stored),
      0,
    );
    const bundleRaw = bundleFiles.reduce((sum, f) => sum + fs.statSync(path.join(ctx.taskRoot, task, f)).size, 0);
    bundledShares += bundleStored;
    figures.push(
      figure({
        section: "package size",
        name: `${task} bundle (in .vsix)`,
        value: bundleStored,
        unit: "bytes",
        baseline: { label: "with node_modules", value: closure.storedBytes },
        notes: [
          `bundle ${fmt(bundleRaw)} raw; unbundled: ${closure.packages.length} packages + ${closure.ownFiles.length} own files, ${fmt(closure.rawBytes)} raw, ${fmt(closure.storedBytes)} deflated per file (${found ? "bundle size read from the .vsix" : "bundle deflated here"})`,
        ],
        detail: {
          bundleRawBytes: bundleRaw,
          bundleStoredBytes: bundleStored,
          unbundledRawBytes: closure.rawBytes,
          unbundledStoredBytes: closure.storedBytes,
          ownStoredBytes: closure.ownStoredBytes,
          packages: closure.packages,
        },
      }),
    );
  }

  if (entries && vsixBytes !== undefined) {
    // The unbundled extension: the same .vsix with every task's index.js replaced by its closure.
    const estimate = vsixBytes - bundledShares + closures.reduce((a, c) => a + c.storedBytes, 0);
    figures.push(
      figure({
        section: "package size",
        name: `.vsix (${ctx.tasks.length} tasks)`,
        value: vsixBytes,
        unit: "bytes",
        baseline: { label: "with node_modules, est.", value: estimate },
        target: { of: "value", op: "<=", value: VSIX_TARGET_BYTES, text: "≤ 2 MB" },
        notes: [
          `${vsixName} packaged with tfx in this run; ${entries.length} entries. Baseline: the same .vsix with each bundle replaced by the task's node_modules closure and compiled files.`,
        ],
        detail: { entries: entries.length, unbundledEstimateBytes: estimate, tasks: ctx.tasks },
      }),
    );
  }
  return { figures, skipped };
}

function fmt(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
