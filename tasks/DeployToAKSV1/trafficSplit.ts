/**
 * Blue/green traffic arithmetic: the new deployment gets `percent`, the deployments that serve
 * traffic now share the rest in proportion to what they have (whole percentages, largest
 * remainder first, total exactly 100). Pure.
 */

export type TrafficMap = Record<string, number>;

export interface SplitResult {
  traffic: TrafficMap;
  /** Set when the split differs from what was asked (nothing else serves traffic). */
  note?: string;
}

/** Case-insensitive lookup of a deployment's share. */
export function shareOf(traffic: TrafficMap, deployment: string): number {
  const key = Object.keys(traffic).find((k) => k.toLowerCase() === deployment.toLowerCase());
  return key === undefined ? 0 : traffic[key];
}

/** Drops zero entries and orders keys by name, for comparisons and logs. */
export function normalizeTraffic(traffic: TrafficMap | undefined): TrafficMap {
  return Object.fromEntries(
    Object.entries(traffic ?? {})
      .filter(([, v]) => v > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export function sameTraffic(a: TrafficMap | undefined, b: TrafficMap | undefined): boolean {
  return JSON.stringify(normalizeTraffic(a)) === JSON.stringify(normalizeTraffic(b));
}

/** "blue=90 green=10" (or "none"). */
export function describeTraffic(traffic: TrafficMap | undefined): string {
  const entries = Object.entries(normalizeTraffic(traffic));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(" ") : "none";
}

/** The split after giving `deployment` `percent` % of the traffic. */
export function splitTraffic(current: TrafficMap | undefined, deployment: string, percent: number): SplitResult {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`traffic percent must be an integer from 0 to 100, not ${percent}`);
  const others = Object.entries(normalizeTraffic(current)).filter(([k]) => k.toLowerCase() !== deployment.toLowerCase());
  const othersTotal = others.reduce((s, [, v]) => s + v, 0);
  if (othersTotal === 0) {
    if (percent === 0) return { traffic: {} };
    return {
      traffic: { [deployment]: 100 },
      ...(percent < 100 ? { note: `No other deployment serves traffic, so '${deployment}' gets 100% instead of ${percent}%.` } : {}),
    };
  }
  const rest = 100 - percent;
  const exact = others.map(([name, v]) => ({ name, exact: (v * rest) / othersTotal }));
  const shares = exact.map((e) => ({ name: e.name, share: Math.floor(e.exact), remainder: e.exact - Math.floor(e.exact) }));
  let left = rest - shares.reduce((s, e) => s + e.share, 0);
  for (const e of [...shares].sort((a, b) => b.remainder - a.remainder || a.name.localeCompare(b.name))) {
    if (left <= 0) break;
    e.share += 1;
    left -= 1;
  }
  const traffic: TrafficMap = {};
  for (const e of shares) if (e.share > 0) traffic[e.name] = e.share;
  if (percent > 0) traffic[deployment] = percent;
  return { traffic };
}
