/**
 * Timestamps every request the emulator logs on this process's monotonic clock. The emulator's
 * own log keeps an ISO time (millisecond wall clock) taken when the answer is sent; wrapping
 * RequestLog.add gives the same moment as performance.now(), comparable with the spawn time of
 * a task process started from this process.
 */
import type { LoggedRequest, RequestLog } from "../devkit/emulator";

export interface TimedRequest {
  at: number;
  request: LoggedRequest;
}

export class RequestClock {
  readonly timed: TimedRequest[] = [];
  private waiters: { after: number; match: (r: LoggedRequest) => boolean; resolve: (t: TimedRequest) => void }[] = [];
  private readonly original: RequestLog["add"];

  constructor(private readonly log: RequestLog) {
    this.original = log.add;
    log.add = (entry: LoggedRequest) => {
      const at = performance.now();
      this.original.call(log, entry);
      const timed = { at, request: entry };
      this.timed.push(timed);
      this.waiters = this.waiters.filter((w) => {
        if (at >= w.after && w.match(entry)) {
          w.resolve(timed);
          return false;
        }
        return true;
      });
    };
  }

  /** The first request logged at or after `after` (performance.now()) that `match`es. */
  next(after: number, match: (r: LoggedRequest) => boolean = () => true): Promise<TimedRequest> {
    const seen = this.timed.find((t) => t.at >= after && match(t.request));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ after, match, resolve }));
  }

  /** Requests logged in [from, to]. */
  between(from: number, to: number): TimedRequest[] {
    return this.timed.filter((t) => t.at >= from && t.at <= to);
  }

  clear(): void {
    this.timed.length = 0;
  }

  detach(): void {
    this.log.add = this.original;
  }
}
