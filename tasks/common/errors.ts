/**
 * The error family every task uses. Operations throw these; only the task entry turns them into
 * a task result (see taskEntry.ts). Messages are user-facing sentences: they name the input or
 * the resource and say what to do.
 */

/** A task input is missing or invalid; nothing remote was changed. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly inputName: string,
    message: string,
  ) {
    super(message);
  }
}

/** An Azure call failed; `message` is the one actionable sentence, the rest is for debug output. */
export class AzureOperationError extends Error {
  override readonly name = "AzureOperationError";
  readonly code?: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  constructor(message: string, details: { code?: string; statusCode?: number; requestId?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.statusCode = details.statusCode;
    this.requestId = details.requestId;
  }
}

/** The remote run (ADF run, Azure ML job, deployment) ended in a state that fails the task. */
export class RemoteRunError extends Error {
  override readonly name = "RemoteRunError";
}

/** The pipeline was cancelled (SIGINT/SIGTERM from the agent) while the task was working. */
export class CancelledError extends Error {
  override readonly name = "CancelledError";
}

/** Waiting for a remote run took longer than the task's timeout. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly timeoutInMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** The message of anything thrown, for debug output. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
