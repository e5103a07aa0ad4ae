/**
 * Peak resident memory of another process on Linux: VmHWM ("high water mark") from
 * /proc/<pid>/status, sampled. VmHWM never decreases, so the last sample before exit misses at
 * most the growth of the final interval.
 */
import * as fs from "node:fs";

/** VmHWM of `pid` in bytes, or undefined (process gone, or not Linux). */
export function readPeakRss(pid: number): number | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/**
 * CPU time (user + system) `pid` has used, in ms, from /proc/<pid>/stat (clock ticks of 10 ms,
 * the Linux USER_HZ), or undefined.
 */
export function readCpuTimeMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}

export class RssSampler {
  private peak: number | undefined;
  private cpu: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalInMs: number,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalInMs);
  }

  /** Highest VmHWM seen, in bytes (undefined when none could be read). */
  get peakBytes(): number | undefined {
    return this.peak;
  }

  /** CPU time (ms) the process had used at the last sample. */
  get cpuTimeMs(): number | undefined {
    return this.cpu;
  }

  sample(): void {
    this.cpu = readCpuTimeMs(this.pid) ?? this.cpu;
    const value = readPeakRss(this.pid);
    if (value !== undefined && (this.peak === undefined || value > this.peak)) this.peak = value;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
