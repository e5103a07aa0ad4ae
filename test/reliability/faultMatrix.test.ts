/**
 * Fault matrix (issue "Reliability and security"): every task × every remote call it makes ×
 * {429 with Retry-After, 500, 503, connection reset} twice in a row → the task completes
 * correctly; a persistent 500 → it fails with a clear message; a 30 s stall of a status poll →
 * it ends by its own timeoutInMinutes. Never hangs, never reports success for a failed run.
 * All runs go at once (each in its own world); each cell is then judged by its own test, and the
 * covered cells are printed as a table.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Emulator } from "../../devkit/emulator";
import { buildAuthCells, buildCells, runCell, type Cell, type CellOutcome } from "./matrix";
import { KNOWN_BUGS } from "./knownBugs";
import { printCoverage } from "./matrixReport";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import { makeSources, seedWorld } from "./worlds";

/** Spacing of run starts, so 60 processes do not all load their bundles at the same instant. */
const STAGGER_MS = 150;
/**
 * The Entra ID lane faults the token path every client-secret run signs in through: it starts
 * once the other runs have signed in (they keep their hour-long tokens from then on).
 */
const ENTRA_LANE_DELAY_MS = 15_000;

describe("Reliability: fault matrix", function () {
  this.timeout(240_000);
  const cells: Cell[] = [...buildCells(), ...buildAuthCells()];
  const outcomes = new Map<string, Promise<CellOutcome>>();
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: 100 });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    const todo = cells.filter((c) => !KNOWN_BUGS[c.id]);
    const worlds = await Promise.all(todo.map((_, i) => seedWorld(emu, i + 1)));
    const worldOf = new Map(todo.map((c, i) => [c.id, worlds[i]]));
    const launch = (cell: Cell, after: Promise<unknown>) => {
      const outcome = after.then(() => runCell(emu, cell, worldOf.get(cell.id)!, sources));
      outcome.catch(() => undefined);
      outcomes.set(cell.id, outcome);
      return outcome.catch(() => undefined);
    };
    // Slow cells first: persistent faults wait out the SDK's retries, stalls their timeout.
    const batch = todo.filter((c) => !c.lane).sort((a, b) => weight(b) - weight(a));
    batch.forEach((cell, i) => launch(cell, delay(i * STAGGER_MS)));
    for (const lane of ["msi", "entra"] as const) {
      let previous: Promise<unknown> = delay(lane === "entra" ? batch.length * STAGGER_MS + ENTRA_LANE_DELAY_MS : 0);
      for (const cell of todo.filter((c) => c.lane === lane)) previous = launch(cell, previous);
    }
  });

  after(async () => {
    const settled = await Promise.all([...outcomes.values()].map((p) => p.catch(() => undefined)));
    printCoverage(
      cells,
      settled.filter((o): o is CellOutcome => o !== undefined),
      KNOWN_BUGS,
    );
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  it("lists known bugs only for cells of the matrix", () => {
    const ids = new Set(cells.map((c) => c.id));
    assert.deepEqual(
      Object.keys(KNOWN_BUGS).filter((id) => !ids.has(id)),
      [],
    );
  });

  for (const cell of cells) {
    const title = `${cell.id} → ${cell.expect === "success" ? "completes correctly" : cell.kind === "stall 30 s" ? "ends by its timeout" : "fails clearly"}`;
    if (KNOWN_BUGS[cell.id]) {
      it.skip(`${title} (${KNOWN_BUGS[cell.id]})`, () => undefined);
      continue;
    }
    it(title, async () => {
      const o = await outcomes.get(cell.id)!;
      assert.deepEqual(
        o.problems,
        [],
        `${cell.id}:\n${o.problems.join("\n")}\n${o.r ? `result ${o.r.result}: ${o.r.resultMessage}\n${o.r.stdout.slice(-3000)}` : o.error?.message}`,
      );
    });
  }
});

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function weight(c: Cell): number {
  return c.kind === "persistent 500" ? 3 : c.kind === "stall 30 s" ? 2 : 1;
}
