/**
 * One benchmark figure with what it is compared with, and the report made of them: a table for
 * the terminal and bench/results.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export type Section = "cold start" | "package size" | "completion" | "upload" | "demo" | "bench";

/** A target: the figure must be at most / at least `value` (in the figure's unit, or of the ratio). */
export interface Target {
  /** What is compared with `value`: the figure itself, its ratio to the baseline, or its excess over the baseline. */
  of: "value" | "ratio" | "overhead";
  op: "<=" | ">=";
  value: number;
  /** Human form, e.g. "≤ 150 ms over bare node". */
  text: string;
}

export interface Figure {
  section: Section;
  /** e.g. "TriggerADFPipelineV1 bundled". */
  name: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline.value. */
  ratio?: number;
  target?: Target;
  /** undefined: no target. */
  met?: boolean;
  /** What is real, what is scaled, how it was measured. */
  notes?: string[];
  /** Raw samples and other detail for results.json. */
  detail?: Record<string, unknown>;
}

/** A row that could not be measured, with the reason. */
export interface Skipped {
  section: Section;
  name: string;
  reason: string;
}

export interface BenchReport {
  startedAt: string;
  durationInMs: number;
  mode: "full" | "quick";
  machine: { cpus: number; cpuModel: string; totalMemoryInBytes: number; platform: string; node: string };
  figures: Figure[];
  skipped: Skipped[];
}

/** Fills in ratio and met from value, baseline and target. */
export function figure(f: Omit<Figure, "ratio" | "met">): Figure {
  const ratio = f.baseline && f.baseline.value !== 0 ? f.value / f.baseline.value : undefined;
  let met: boolean | undefined;
  if (f.target) {
    const compared = targetOperand(f.target.of, f.value, f.baseline?.value, ratio);
    met = compared === undefined ? undefined : f.target.op === "<=" ? compared <= f.target.value : compared >= f.target.value;
  }
  return { ...f, ...(ratio !== undefined ? { ratio } : {}), ...(met !== undefined ? { met } : {}) };
}

function targetOperand(of: Target["of"], value: number, baseline: number | undefined, ratio: number | undefined): number | undefined {
  switch (of) {
    case "value":
      return value;
    case "ratio":
      return ratio;
    case "overhead":
      return baseline === undefined ? undefined : value - baseline;
  }
}

export function machineInfo(): BenchReport["machine"] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    totalMemoryInBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case "ms":
      return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value >= 100 ? 0 : 1)} ms`;
    case "bytes":
      return formatBytes(value);
    case "bytes/s":
      return `${formatBytes(value)}/s`;
    default:
      return `${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`.trim();
  }
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** The report as a fixed-width text table, then the skipped rows and the notes. */
export function formatReport(report: BenchReport): string {
  const headers = ["section", "figure", "value", "baseline", "ratio", "target", "result"];
  const rows = report.figures.map((f) => [
    f.section,
    f.name,
    formatValue(f.value, f.unit),
    f.baseline ? `${formatValue(f.baseline.value, f.unit)} (${f.baseline.label})` : "",
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : "",
    f.target?.text ?? "",
    f.met === undefined ? "" : f.met ? "met" : "MISSED",
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  if (report.skipped.length > 0) {
    out.push("", "Skipped:");
    for (const s of report.skipped) out.push(`  ${s.section} / ${s.name}: ${s.reason}`);
  }
  const notes = report.figures.filter((f) => f.notes?.length);
  if (notes.length > 0) {
    out.push("", "Notes:");
    for (const f of notes) for (const n of f.notes ?? []) out.push(`  [${f.name}] ${n}`);
  }
  const m = report.machine;
  out.push(
    "",
    `${report.mode} run, ${(report.durationInMs / 1000).toFixed(0)} s, ${m.cpus} × ${m.cpuModel}, ${formatBytes(m.totalMemoryInBytes)}, ${m.platform}, node ${m.node}`,
  );
  return out.join("\n");
}

export async function writeReport(report: BenchReport, file: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}
