/**
 * How long the emulator was scripted to keep remote work in progress during a window: the union
 * of the intervals in which an ADF run, an Azure ML job or a long-running operation (endpoint,
 * deployment, compute attach…) was running. That time is Azure's, not the tasks'.
 */
import type { Emulator } from "../devkit/emulator";

type Interval = [number, number];

export class RemoteTime {
  private readonly operations: Interval[] = [];
  private readonly original: Emulator["operations"]["start"];

  constructor(private readonly emu: Emulator) {
    const ops = emu.operations;
    this.original = ops.start;
    ops.start = (options) => {
      const now = Date.now();
      this.operations.push([now, now + emu.clock.realMs(options.durationMs)]);
      return this.original.call(ops, options);
    };
  }

  detach(): void {
    this.emu.operations.start = this.original;
  }

  /** Epoch-ms intervals of every run, job and operation seen. */
  intervals(): Interval[] {
    const out: Interval[] = [...this.operations];
    for (const run of this.emu.datafactory.runs()) {
      const start = Date.parse(run.runStart);
      const end = run.terminalAt ?? (run.runEnd ? Date.parse(run.runEnd) : Date.now());
      out.push([start, end]);
    }
    for (const job of this.emu.ml.jobs()) {
      const times = job.history.map((h) => Date.parse(h.time));
      if (times.length > 0) out.push([Math.min(...times), Math.max(...times)]);
    }
    return out;
  }

  /** Milliseconds of [from, to] (epoch ms) covered by at least one interval. */
  coveredMs(from: number, to: number): number {
    return unionLength(
      this.intervals()
        .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as Interval)
        .filter(([a, b]) => b > a),
    );
  }
}

export function unionLength(intervals: Interval[]): number {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  let total = 0;
  let current: Interval | undefined;
  for (const [a, b] of sorted) {
    if (!current || a > current[1]) {
      if (current) total += current[1] - current[0];
      current = [a, b];
    } else if (b > current[1]) {
      current[1] = b;
    }
  }
  if (current) total += current[1] - current[0];
  return total;
}
