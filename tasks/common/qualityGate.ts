/**
 * The quality gate of RegisterModel and DeployToAKS: the `qualityGate` input, one condition a line —
 * `<metric> <op> <number>` or `<metric> <op> champion [+|- <number>]`, `op` one of `>= > <= < == !=`,
 * blank lines and `#` comments ignored — parsed before any Azure call, then evaluated against the
 * candidate's metrics (and the champion's). Pure: no task-lib, no network.
 */
import { InputError, RemoteRunError } from "./errors";
import { formatTable, markdownTable } from "./logging";
import { remoteText } from "./remoteText";

import type { Loc } from "./loc";

export type { Loc };

export const GATE_OPERATORS = [">=", ">", "<=", "<", "==", "!="] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

export type GateThreshold = { kind: "number"; value: number } | { kind: "champion"; offset: number };

export interface GateCondition {
  /** 1-based line of the input. */
  line: number;
  /** The line as written (trimmed). */
  text: string;
  metric: string;
  op: GateOperator;
  threshold: GateThreshold;
}

/** What the task does when a condition fails: fail the step, or skip its action (SucceededWithIssues). */
export type GateFailureAction = "fail" | "skip";
export const GATE_FAILURE_ACTIONS: readonly GateFailureAction[] = ["fail", "skip"];

// A metric name as MLflow accepts it (letters, digits, `_ - . space /`), here without spaces.
const UNSIGNED = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const CONDITION = new RegExp(String.raw`^([A-Za-z0-9_.\-/]+)\s*(>=|<=|==|!=|>|<)\s*(?:([+-]?${UNSIGNED})|champion(?:\s*([+-])\s*(${UNSIGNED}))?)$`);

/**
 * Parses the input's text; throws an InputError naming `inputName` and the line for the first
 * malformed condition. Empty text → no conditions (no gate).
 */
export function parseQualityGate(text: string | undefined, loc: Loc, inputName = "qualityGate"): GateCondition[] {
  const conditions: GateCondition[] = [];
  (text ?? "").split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = CONDITION.exec(line);
    if (!m) throw new InputError(inputName, loc("Common_GateLineInvalid", inputName, index + 1, line));
    const threshold: GateThreshold =
      m[3] !== undefined
        ? { kind: "number", value: Number(m[3]) }
        : { kind: "champion", offset: m[5] === undefined ? 0 : (m[4] === "-" ? -1 : 1) * Number(m[5]) };
    const value = threshold.kind === "number" ? threshold.value : threshold.offset;
    if (!Number.isFinite(value)) throw new InputError(inputName, loc("Common_GateLineInvalid", inputName, index + 1, line));
    conditions.push({ line: index + 1, text: line, metric: m[1], op: m[2] as GateOperator, threshold });
  });
  return conditions;
}

export function needsChampion(conditions: readonly GateCondition[]): boolean {
  return conditions.some((c) => c.threshold.kind === "champion");
}

export interface GateRow {
  condition: GateCondition;
  candidate: number;
  /** The champion's value (undefined when there is no champion or it lacks the metric). */
  champion?: number;
  /** The value compared with (undefined: nothing to compare with, the condition passes). */
  threshold?: number;
  passed: boolean;
}

export interface GateResult {
  rows: GateRow[];
  passed: boolean;
  /** Who the champion is (e.g. `model:3`), for the log; undefined when there is none. */
  championName?: string;
}

/** Comparisons tolerate this much (metrics travel as decimal strings; 0.81 + 0.01 is not 0.82 in binary). */
const TOLERANCE = 1e-9;

export function compare(a: number, op: GateOperator, b: number): boolean {
  switch (op) {
    case ">=":
      return a >= b - TOLERANCE;
    case ">":
      return a > b + TOLERANCE;
    case "<=":
      return a <= b + TOLERANCE;
    case "<":
      return a < b - TOLERANCE;
    case "==":
      return Math.abs(a - b) <= TOLERANCE;
    case "!=":
      return Math.abs(a - b) > TOLERANCE;
  }
}

/**
 * Evaluates every condition. A metric the candidate never logged is an InputError listing the
 * metrics it did log. A condition against the champion passes when there is no champion (the
 * first model becomes it) or the champion never recorded that metric.
 */
export function evaluateGate(
  conditions: readonly GateCondition[],
  candidate: Readonly<Record<string, number>>,
  champion: { name: string; metrics: Readonly<Record<string, number>> } | undefined,
  loc: Loc,
  inputName = "qualityGate",
): GateResult {
  const rows = conditions.map((condition): GateRow => {
    const value = candidate[condition.metric];
    if (value === undefined) {
      const logged = Object.keys(candidate).sort().map(remoteText);
      throw new InputError(
        inputName,
        loc("Common_GateMetricMissing", inputName, condition.line, condition.metric, logged.length ? logged.join(", ") : loc("Common_GateNoMetrics")),
      );
    }
    const championValue = champion?.metrics[condition.metric];
    const threshold =
      condition.threshold.kind === "number" ? condition.threshold.value : championValue === undefined ? undefined : championValue + condition.threshold.offset;
    return {
      condition,
      candidate: value,
      ...(championValue !== undefined ? { champion: championValue } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      passed: threshold === undefined ? true : compare(value, condition.op, threshold),
    };
  });
  return { rows, passed: rows.every((r) => r.passed), ...(champion ? { championName: champion.name } : {}) };
}

function cells(row: GateRow, loc: Loc): string[] {
  const verdict = row.threshold === undefined ? loc("Common_GateNoChampionValue") : row.passed ? loc("Common_GatePass") : loc("Common_GateFail");
  return [
    row.condition.text,
    formatNumber(row.candidate),
    row.champion === undefined ? "-" : formatNumber(row.champion),
    row.threshold === undefined ? "-" : formatNumber(row.threshold),
    verdict,
  ];
}

function headers(loc: Loc): string[] {
  return [
    loc("Common_GateColumnCondition"),
    loc("Common_GateColumnCandidate"),
    loc("Common_GateColumnChampion"),
    loc("Common_GateColumnThreshold"),
    loc("Common_GateColumnVerdict"),
  ];
}

/** The log's table of evaluated conditions (metric, candidate, champion, threshold, verdict). */
export function gateTable(result: GateResult, loc: Loc): string {
  return formatTable(
    headers(loc),
    result.rows.map((r) => cells(r, loc)),
  );
}

/** The same table as Markdown, for the build summary. */
export function gateMarkdown(result: GateResult, loc: Loc): string {
  return markdownTable(
    headers(loc),
    result.rows.map((r) => cells(r, loc).map((c, i) => (i === 0 ? `\`${c}\`` : c))),
  );
}

/** Up to 6 significant digits, no exponent for ordinary metric values. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** Model-version properties that carry metrics (`metric.<name>`), as RegisterModel writes them. */
export const METRIC_PROPERTY_PREFIX = "metric.";

export function metricProperties(metrics: Readonly<Record<string, number>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [`${METRIC_PROPERTY_PREFIX}${name}`, String(value)]));
}

/** The metrics recorded in a model version's properties (non-numeric values ignored). */
export function metricsFromProperties(properties: Readonly<Record<string, string | null | undefined>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, raw] of Object.entries(properties ?? {})) {
    if (!key.startsWith(METRIC_PROPERTY_PREFIX) || raw === null || raw === undefined || raw.trim() === "") continue;
    const value = Number(raw);
    if (Number.isFinite(value)) out[key.slice(METRIC_PROPERTY_PREFIX.length)] = value;
  }
  return out;
}

/** A gate that failed with `onGateFailure: fail`; the table was printed before. */
export class GateFailedError extends RemoteRunError {}

/** The sentence for a failed gate: the failing conditions, and what `skip` would have done. */
export function gateFailureMessage(result: GateResult, what: string, loc: Loc): string {
  const failed = result.rows
    .filter((r) => !r.passed)
    .map((r) => `${r.condition.text} (${formatNumber(r.candidate)} vs ${r.threshold === undefined ? "-" : formatNumber(r.threshold)})`);
  return loc("Common_GateFailed", what, failed.join("; "));
}

/** The gate's table for the log and for the build summary, under a heading naming the candidate and the champion. */
export function gateReport(result: GateResult, candidateName: string, loc: Loc): { text: string; markdown: string } {
  const heading = loc("Common_GateHeading", result.championName ? `${candidateName} vs ${result.championName}` : candidateName);
  const verdict = result.passed ? loc("Common_GatePassed", result.rows.length, result.rows.map((r) => r.condition.text).join("; ")) : "";
  return { text: `${heading}\n${gateTable(result, loc)}\n${verdict}`, markdown: `### ${heading}\n\n${gateMarkdown(result, loc)}\n` };
}
