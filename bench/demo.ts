/**
 * Whole demo: wall time of scripts/demo.ts's runDemo (the sample azure-pipelines.yml, every task
 * in order, then a prediction from the deployed endpoint) against the bench's emulator at the
 * demo's own time scale, minus the time the emulator was scripted to keep remote work running
 * (remoteTime.ts). What is left is the tasks' own time: process starts, sign-in, uploads, ARM
 * calls, and the wait between a remote run ending and the next poll noticing it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Emulator } from "../devkit/emulator";
import type { BenchContext } from "./context";
import { RemoteTime } from "./remoteTime";
import { figure, type Figure, type Skipped } from "./results";

/** scripts/demo.ts's default time scale. */
const DEMO_TIME_SCALE = 30;

interface DemoModule {
  runDemo?: (options: { emulator?: Emulator; taskRoot?: string; write?: (line: string) => void }) => Promise<{
    succeeded: boolean;
    steps: { displayName: string; result: string; durationMs: number }[];
  }>;
}

export async function measureDemo(ctx: BenchContext, emu: Emulator): Promise<{ figures: Figure[]; skipped: Skipped[] }> {
  const skip = (reason: string) => ({ figures: [], skipped: [{ section: "demo" as const, name: "whole demo", reason }] });
  const compiled = path.join(ctx.repoRoot, "out", "scripts", "demo.js");
  if (!fs.existsSync(compiled)) return skip("scripts/demo.ts does not exist (out/scripts/demo.js not built)");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const demo = require(compiled) as DemoModule;
  if (typeof demo.runDemo !== "function") return skip("scripts/demo.ts exports no runDemo(options)");

  emu.clock.timeScale = DEMO_TIME_SCALE;
  const remote = new RemoteTime(emu);
  const lines: string[] = [];
  const startedEpoch = Date.now();
  const started = performance.now();
  let result: Awaited<ReturnType<NonNullable<DemoModule["runDemo"]>>>;
  try {
    result = await demo.runDemo({ emulator: emu, taskRoot: ctx.taskRoot, write: (line) => lines.push(line) });
  } finally {
    remote.detach();
  }
  const wallMs = performance.now() - started;
  const remoteMs = remote.coveredMs(startedEpoch, Date.now());
  if (!result.succeeded) return skip(`the demo failed: ${lines.slice(-12).join("\n")}`);
  return {
    figures: [
      figure({
        section: "demo",
        name: "whole demo minus scripted remote time",
        value: wallMs - remoteMs,
        unit: "ms",
        baseline: { label: "demo wall time", value: wallMs },
        notes: [
          `emulator time scale ×${DEMO_TIME_SCALE} (the demo's own), pollingIntervalSeconds 1; wall ${(wallMs / 1000).toFixed(1)} s, remote work scripted in progress ${(remoteMs / 1000).toFixed(1)} s (union of ADF runs, ML jobs and ARM operations)`,
          `steps: ${result.steps.map((s) => `${s.displayName} ${s.result} ${(s.durationMs / 1000).toFixed(1)} s`).join("; ")}`,
        ],
        detail: { wallMs, remoteMs, steps: result.steps.map((s) => ({ displayName: s.displayName, result: s.result, durationMs: s.durationMs })) },
      }),
    ],
    skipped: [],
  };
}
