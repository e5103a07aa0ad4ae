/**
 * Every Azure call of the task goes through `azureCall`: cancellation and the task's timeout
 * come out as CancelledError / WaitTimeoutError (the abort reason of the operation context's signal),
 * anything else as AzureOperationError with one sentence naming the resource.
 */
import { asAzureOperationError, type ArmErrorContext } from "../common/armErrors";
import type { DeployContext } from "./operation";

export async function azureCall<T>(ctx: Pick<DeployContext, "abortSignal" | "loc">, context: ArmErrorContext, fn: () => Promise<T>): Promise<T> {
  ctx.abortSignal.throwIfAborted();
  try {
    return await untilAborted(fn(), ctx.abortSignal);
  } catch (err) {
    ctx.abortSignal.throwIfAborted();
    throw asAzureOperationError(err, ctx.loc, context);
  }
}

/** SDK poller options: the task's signal and polling interval. */
export function pollOptions(ctx: Pick<DeployContext, "abortSignal" | "pollIntervalInMs">): { abortSignal: AbortSignal; updateIntervalInMs: number } {
  return { abortSignal: ctx.abortSignal, updateIntervalInMs: ctx.pollIntervalInMs };
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts: an SDK poller
 * sleeping for a long Retry-After must not hold the task past its timeout or a cancellation.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
