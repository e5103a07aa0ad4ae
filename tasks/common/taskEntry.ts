/**
 * The one place a task's outcome becomes a task result: sets task-lib's resource file, turns
 * the agent's SIGINT/SIGTERM (pipeline cancelled) into an AbortSignal, builds the EntryContext
 * (operation.ts: log, `tl.loc`, the signal), runs the task, and maps the error family (errors.ts)
 * to Failed / Cancelled with one sentence. The only module of tasks/common that calls `tl.loc`.
 */
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { AzureOperationError, CancelledError, InputError, RemoteRunError, WaitTimeoutError, errorText } from "./errors";
import { agentLog, setTaskResult } from "./logging";
import type { EntryContext } from "./operation";

/** After a cancel signal the task gets this long to clean up (cancel the remote run) before it exits. */
export const CANCEL_GRACE_IN_MS = 8000;

/** What a task that did not throw may report: success with a warning-level issue. */
export interface TaskOutcome {
  succeededWithIssues?: string;
}

export async function runTaskEntry(taskDir: string, main: (ctx: EntryContext) => Promise<TaskOutcome | void>): Promise<void> {
  tl.setResourcePath(path.join(taskDir, "task.json"));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    agentLog.info(tl.loc("Common_CancelRequested", signal));
    controller.abort(new CancelledError(tl.loc("Common_Cancelled")));
    // The agent kills the process soon after; make sure the result is written before then.
    setTimeout(() => finish(new CancelledError(tl.loc("Common_Cancelled"))), CANCEL_GRACE_IN_MS).unref();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let done = false;
  const finish = (err?: unknown, outcome?: TaskOutcome | void) => {
    if (done) return;
    done = true;
    if (err === undefined) {
      if (outcome?.succeededWithIssues) setTaskResult(tl.TaskResult.SucceededWithIssues, outcome.succeededWithIssues);
      else setTaskResult(tl.TaskResult.Succeeded, "");
    } else {
      reportFailure(err, controller.signal);
    }
    // Sockets kept alive by SDK clients must not hold the step open.
    setTimeout(() => process.exit(), 1000).unref();
  };

  try {
    finish(undefined, await main({ abortSignal: controller.signal, log: agentLog, loc: tl.loc }));
  } catch (err) {
    finish(err);
  }
}

function reportFailure(err: unknown, signal: AbortSignal): void {
  if (err instanceof Error && err.stack) agentLog.debug(err.stack);
  if (err instanceof Error && err.cause !== undefined) agentLog.debug(`cause: ${describeCause(err.cause)}`);
  if (err instanceof CancelledError || (signal.aborted && !(err instanceof RemoteRunError))) {
    const message = err instanceof CancelledError ? err.message : tl.loc("Common_Cancelled");
    setTaskResult(tl.TaskResult.Cancelled, message);
    return;
  }
  if (err instanceof InputError || err instanceof AzureOperationError || err instanceof RemoteRunError || err instanceof WaitTimeoutError) {
    setTaskResult(tl.TaskResult.Failed, err.message);
    return;
  }
  setTaskResult(tl.TaskResult.Failed, tl.loc("Common_UnexpectedError", errorText(err)));
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = "code" in cause && cause.code ? ` (code ${String(cause.code)})` : "";
    const status = "statusCode" in cause && cause.statusCode ? ` (status ${String(cause.statusCode)})` : "";
    return `${cause.name}: ${cause.message}${code}${status}`;
  }
  return String(cause);
}
