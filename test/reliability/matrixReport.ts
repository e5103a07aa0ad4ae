/** Prints which cells of the fault matrix were covered: task × call × fault, with the outcome. */
import type { Cell, CellKind, CellOutcome } from "./matrix";

function rowLabel(c: Cell): string {
  return c.lane ? `sign-in (${c.scheme ?? "secret"})` : c.scenario.label;
}

const COLUMNS: CellKind[] = ["throttle", "500", "503", "reset", "persistent 500", "stall 30 s"];

/**
 * One row per task and call; a column per fault: "ok" (fault delivered, outcome as expected),
 * "FAIL" (delivered, wrong outcome), "not reached" (the call was never made with the fault),
 * "bug" (known bug, not run), "-" (not in the matrix: stalls only on status polls).
 */
export function printCoverage(cells: readonly Cell[], outcomes: readonly CellOutcome[], knownBugs: Record<string, string>): void {
  const byCell = new Map(outcomes.map((o) => [o.cell.id, o]));
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const cell of cells) {
    for (const route of cell.routes) {
      const label = rowLabel(cell);
      const key = `${label}\u0000${route.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = [label, route.name];
      for (const kind of COLUMNS) {
        const c = cells.find((x) => rowLabel(x) === label && x.kind === kind && x.routes.some((r) => r.name === route.name));
        if (!c) row.push("-");
        else if (knownBugs[c.id]) row.push("bug");
        else {
          const o = byCell.get(c.id);
          if (!o) row.push("?");
          else if ((o.delivered[route.name] ?? 0) === 0) row.push("not reached");
          else row.push(o.problems.length === 0 ? "ok" : "FAIL");
        }
      }
      rows.push(row);
    }
  }
  const headers = ["task", "call", ...COLUMNS];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i])).join("  ");
  const covered = rows.reduce((n, r) => n + r.slice(2).filter((x) => x === "ok").length, 0);
  const total = rows.reduce((n, r) => n + r.slice(2).filter((x) => x !== "-").length, 0);
  console.log(`\n      Fault matrix coverage: ${covered}/${total} cells ok\n`);
  console.log([line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].map((l) => `      ${l}`).join("\n"));
  for (const o of outcomes) {
    if (o.cell.expect === "failure" && o.r) console.log(`      [${o.cell.id}] ${o.r.result}: ${o.r.resultMessage ?? ""}`);
  }
}
