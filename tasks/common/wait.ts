/**
 * Waiting for a remote run: poll at an interval that grows with the time waited (up to a cap),
 * honour the service's Retry-After, and stop at once when the signal aborts: on cancellation, or
 * when the task's wait limit passes (the signal of an OperationContext, operation.ts, carries it).
 */
import { CancelledError } from "./errors";

export interface PollResult<T> {
  done: boolean;
  value: T;
  /** The service asked to wait this long before the next request (Retry-After). */
  retryAfterInMs?: number;
}

export interface WaitOptions {
  /** Shortest interval between polls (the first ones). */
  initialIntervalInMs: number;
  /** Intervals grow with the time waited up to this cap. */
  maxIntervalInMs: number;
  /** Aborted on cancellation or when the wait limit passes (operationContext); its reason is what waitFor throws. */
  abortSignal: AbortSignal;
  /**
   * The interval is this share of the time waited so far (default 0.05), between the initial
   * interval and the cap: the end of a run is seen within 5% of its duration (or the initial
   * interval), and a long run costs few requests.
   */
  elapsedFraction?: number;
}

/**
 * Calls `poll` until it reports `done`, sleeping between calls. The poll gets the signal, so a
 * stalled request does not outlive a cancellation or the wait limit. When the signal aborts,
 * rejects with its reason: a WaitTimeoutError when the limit passed, a CancelledError on cancellation.
 */
export async function waitFor<T>(poll: (signal: AbortSignal) => Promise<PollResult<T>>, options: WaitOptions): Promise<T> {
  const fraction = options.elapsedFraction ?? 0.05;
  const started = Date.now();
  const signal = options.abortSignal;

  for (;;) {
    throwIfAborted(signal);
    let result: PollResult<T>;
    try {
      result = await poll(signal);
    } catch (err) {
      throwIfAborted(signal);
      throw err;
    }
    if (result.done) return result.value;
    const interval = Math.min(options.maxIntervalInMs, Math.max(options.initialIntervalInMs, (Date.now() - started) * fraction));
    await sleep(Math.max(interval, result.retryAfterInMs ?? 0), signal);
  }
}

/** Resolves after `ms`, or rejects with the abort reason (a CancelledError) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new CancelledError("The operation was cancelled.");
}

/** Retry-After from an HTTP response's headers (`retry-after-ms`, or seconds or an HTTP date) in ms. */
export function retryAfterInMs(headers: { get(name: string): string | undefined } | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms") ?? headers?.get("x-ms-retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
