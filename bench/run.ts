/**
 * The benchmark runner (`npm run bench -- [--quick] [--only=...]`): starts one emulator, runs the
 * sections, prints a table and writes bench/results.json. Not part of npm test. See bench/README.md.
 */
import * as path from "node:path";
import { startEmulator, type Emulator } from "../devkit/emulator";
import { findRepoRoot } from "../devkit/repoRoot";
import { measureColdStart } from "./coldStart";
import { measureCompletion } from "./completion";
import { snapshotBuiltTasks, type BenchContext } from "./context";
import { measureDemo } from "./demo";
import { parseOptions, type SectionName } from "./options";
import { measurePackageSize } from "./packageSize";
import { RequestClock } from "./requestClock";
import { formatReport, machineInfo, writeReport, type BenchReport, type Figure, type Skipped } from "./results";
import { Sources } from "./scenarios";
import { stageUnbundledTasks } from "./unbundled";
import { measureUpload } from "./upload";

/** The whole bench is stopped after this long (a third of it for --quick): the upload section alone runs 3 × 4 long uploads. */
const WATCHDOG_IN_MS = 45 * 60_000;

type SectionResult = { figures: Figure[]; skipped: Skipped[] };

const SECTION_RUNNERS: Record<SectionName, { title: Skipped["section"]; run: (ctx: BenchContext, emu: Emulator) => Promise<SectionResult> }> = {
  coldstart: { title: "cold start", run: measureColdStart },
  size: { title: "package size", run: (ctx) => measurePackageSize(ctx) },
  completion: { title: "completion", run: measureCompletion },
  upload: { title: "upload", run: measureUpload },
  demo: { title: "demo", run: measureDemo },
};

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const repoRoot = findRepoRoot(__dirname);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

  const snapshot = snapshotBuiltTasks(repoRoot);
  const tasks = snapshot.tasks;
  log(`built tasks: ${tasks.join(", ") || "none (run npm run build)"} (run from ${snapshot.root})`);
  const emu = await startEmulator({ timeScale: 1 });
  const sources = new Sources();
  const ctx: BenchContext = {
    repoRoot,
    options,
    tasks,
    sources,
    requestClock: new RequestClock(emu.requests),
    bundledEntry: (task) => path.join(snapshot.root, task, "index.js"),
    taskRoot: snapshot.root,
    progress: log,
  };
  try {
    ctx.unbundled = stageUnbundledTasks(repoRoot, snapshot.root, tasks);
  } catch (err) {
    ctx.unbundledProblem = (err as Error).message;
  }

  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  const report = (): BenchReport => ({
    startedAt,
    durationInMs: performance.now() - started,
    mode: options.quick ? "quick" : "full",
    machine: machineInfo(),
    figures,
    skipped,
  });
  const output = path.resolve(repoRoot, options.output);
  // A hung section must not hang the bench: write what was measured and stop.
  const watchdog = setTimeout(
    () => {
      skipped.push({
        section: "bench",
        name: "(watchdog)",
        reason: `the bench ran longer than ${WATCHDOG_IN_MS / 60_000} min and was stopped; later sections are missing`,
      });
      void writeReport(report(), output).finally(() => {
        console.log(formatReport(report()));
        process.exit(2);
      });
    },
    options.quick ? WATCHDOG_IN_MS / 3 : WATCHDOG_IN_MS,
  );
  watchdog.unref();
  try {
    for (const name of options.sections) {
      const section = SECTION_RUNNERS[name];
      log(`${section.title}…`);
      const sectionStarted = performance.now();
      try {
        await emu.reset();
        emu.clock.timeScale = 1;
        const result = await section.run(ctx, emu);
        figures.push(...result.figures);
        skipped.push(...result.skipped);
      } catch (err) {
        skipped.push({ section: section.title, name: "(whole section)", reason: `failed: ${(err as Error).stack ?? String(err)}` });
      }
      log(`${section.title} done in ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
    }
  } finally {
    ctx.requestClock.detach();
    sources.dispose();
    snapshot.dispose();
    await emu.stop();
  }

  clearTimeout(watchdog);
  const final = report();
  await writeReport(final, output);
  console.log(formatReport(final));
  console.log(`\nresults: ${path.relative(process.cwd(), output)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
