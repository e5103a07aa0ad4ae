/**
 * The one context of a task run. `runTaskEntry` (taskEntry.ts) builds the EntryContext: the log, the
 * message lookup (`loc`) and the cancellation signal. A task's operation takes an OperationContext
 * (the same plus the clients the task has): its `abortSignal` also aborts when the task's own wait
 * limit (`waitTimeoutInMinutes`) passes, with a WaitTimeoutError as reason, so a limit is made one way
 * (`operationContext`) and every wait, poll and request under it stops the same way.
 */
import { WaitTimeoutError } from "./errors";
import type { Loc } from "./loc";
import type { TaskLog } from "./logging";

export interface EntryContext {
  log: TaskLog;
  /** task.json `messages` lookup (task-lib's loc, from runTaskEntry; tests: `taskLoc`, taskLibContext.testing.ts). */
  loc: Loc;
  /** Aborted when the pipeline is cancelled; its reason is a CancelledError. */
  abortSignal: AbortSignal;
}

export interface OperationContext extends EntryContext {
  /** Aborted when the pipeline is cancelled (reason: CancelledError) or the wait limit passes (reason: WaitTimeoutError). */
  abortSignal: AbortSignal;
  /** The task's own wait limit in ms (waitTimeoutInMinutes), for messages; 0 = none (the step's timeout governs). */
  waitLimitInMs: number;
}

/**
 * `ctx` (and whatever else it carries: clients, workspace) with a signal that also aborts
 * `waitLimitInMs` from now with `WaitTimeoutError(waitLimitInMs, timeoutMessage)`. 0 or Infinity:
 * no limit, the signal is `ctx`'s. Tasks whose limit covers the whole run build it in the entry
 * (DeployToAKS); tasks whose limit covers waiting for a remote run build it where the wait starts.
 */
export function operationContext<C extends EntryContext>(ctx: C, waitLimitInMs: number, timeoutMessage?: string): C & OperationContext {
  return { ...ctx, abortSignal: limitedSignal(ctx.abortSignal, waitLimitInMs, timeoutMessage), waitLimitInMs };
}

function limitedSignal(signal: AbortSignal, limitInMs: number, message: string | undefined): AbortSignal {
  if (!(limitInMs > 0) || !Number.isFinite(limitInMs)) return signal;
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(new WaitTimeoutError(limitInMs, message ?? `Timed out after ${limitInMs} ms.`)), limitInMs);
  // The limit alone never keeps the process alive, and a cancellation ends it.
  timer.unref();
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  return AbortSignal.any([signal, limit.signal]);
}
