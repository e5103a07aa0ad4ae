/**
 * createRun without duplicate runs. createRun is not idempotent, so it is never retried blindly:
 * the caller gives a client whose retries are off, a throttled request (429: ARM did not take
 * it) is sent again after Retry-After, and when the answer is lost (a 5xx, a dropped
 * connection) the run is looked for in the factory — runs of this pipeline, started manually
 * in a window around the request, with the parameters this task sent — and followed when
 * exactly one is found. When several lookups find none, the request never reached Data Factory
 * and is sent again (a few times at most); more than one match, or still none, fails the task
 * and says how to check.
 */
import type { DataFactoryManagementClient, PipelineRun, PipelinesCreateRunOptionalParams } from "@azure/arm-datafactory";
import { adfError } from "./adfErrors";
import { AzureOperationError, errorText } from "../common/errors";
import type { TaskLog } from "../common/logging";
import { ownValue } from "../common/ownKeys";
import { statusOf } from "../common/restErrors";
import { retryAfterInMs, sleep } from "../common/wait";
import type { Loc } from "../common/loc";
import type { PipelineRef } from "./runRef";

export interface StartRunOptions {
  /** Values sent; used to recognise the run when the answer is lost. */
  parameters: Record<string, unknown>;
  /** Parameter names whose values the service masks (SecureString): not compared. */
  secureNames: ReadonlySet<string>;
  rerun?: { referencePipelineRunId: string; isRecovery: boolean; startFromFailure?: boolean; startActivityName?: string };
  /** Parameters the run is expected to show when it is a rerun (the reference run's). */
  expectedParameters?: Record<string, string>;
}

export interface StartRunDeps {
  /** A client with SDK retries disabled (see armClientOptions maxRetries 0). */
  startClient: DataFactoryManagementClient;
  /** A client with normal retries, for the lookup. */
  client: DataFactoryManagementClient;
  log: TaskLog;
  loc: Loc;
  abortSignal: AbortSignal;
  /** Lookup attempts after a lost answer, and the pause between them (defaults 4 and 3000). */
  lookupAttempts?: number;
  lookupIntervalInMs?: number;
}

export interface StartedRun {
  runId: string;
  /** True when the answer was lost and the run was found in the factory instead. */
  reattached: boolean;
}

const MAX_THROTTLED_ATTEMPTS = 6;
/** createRun requests sent in all when the answers are lost and no run shows up. */
const MAX_LOST_ANSWERS = 3;
/** Clock skew allowance between the agent and the service when matching run start times. */
const SKEW_IN_MS = 2 * 60 * 1000;

export async function startRun(target: PipelineRef, options: StartRunOptions, deps: StartRunDeps): Promise<StartedRun> {
  const { startClient, log, loc, abortSignal } = deps;
  const context = {
    resource: loc("ResourcePipeline", target.pipelineName, target.factoryName),
    resourceGroupName: target.resourceGroupName,
  };
  const request: PipelinesCreateRunOptionalParams = { abortSignal };
  if (options.rerun) Object.assign(request, setOptionsOnly(options.rerun));
  else request.parameters = options.parameters;

  let lostAnswers = 0;
  for (let attempt = 1; ; attempt++) {
    const sentAt = Date.now();
    try {
      const response = await startClient.pipelines.createRun(target.resourceGroupName, target.factoryName, target.pipelineName, request);
      return { runId: response.runId, reattached: false };
    } catch (err) {
      if (abortSignal.aborted) throw err;
      if (statusOf(err) === 429 && attempt < MAX_THROTTLED_ATTEMPTS) {
        const wait = retryAfterInMs((err as { response?: { headers?: { get(n: string): string | undefined } } }).response?.headers) ?? 1000 * attempt;
        log.debug(`createRun throttled (429); sending it again in ${wait} ms`);
        await sleep(wait, abortSignal);
        continue;
      }
      if (!mayHaveStarted(err)) throw adfError(err, loc, context);
      log.warning(loc("CreateRunAnswerLost", target.pipelineName, errorText(err)));
      const found = await findStartedRun(target, options, deps, sentAt, err);
      if (found.run) return found.run;
      if (++lostAnswers >= MAX_LOST_ANSWERS) {
        throw new AzureOperationError(loc("CreateRunNotFound", target.pipelineName, target.factoryName, found.reason), { cause: err });
      }
      log.warning(loc("CreateRunResending", target.pipelineName));
    }
  }
}

/** No answer, or a server error: the service may have created the run. 4xx answers mean it did not. */
export function mayHaveStarted(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500;
  return (err as { name?: string }).name !== "AbortError";
}

/** The run this task started, or why none was found (it never reached Data Factory). */
async function findStartedRun(
  target: PipelineRef,
  options: StartRunOptions,
  deps: StartRunDeps,
  sentAt: number,
  cause: unknown,
): Promise<{ run?: StartedRun; reason: string }> {
  const { loc, log, abortSignal } = deps;
  const attempts = deps.lookupAttempts ?? 4;
  let lookupError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(deps.lookupIntervalInMs ?? 3000, abortSignal);
    let candidates: PipelineRun[];
    try {
      candidates = await runsStartedAround(deps.client, target, sentAt, abortSignal);
    } catch (err) {
      if (abortSignal.aborted) throw err;
      lookupError = err;
      log.debug(`Looking for the run failed: ${errorText(err)}`);
      continue;
    }
    const matches = candidates.filter((run) => isOurRun(run, options, sentAt));
    if (matches.length === 1 && matches[0].runId) {
      log.warning(loc("CreateRunReattached", matches[0].runId));
      return { run: { runId: matches[0].runId, reattached: true }, reason: "" };
    }
    if (matches.length > 1) {
      throw new AzureOperationError(loc("CreateRunAmbiguous", target.pipelineName, matches.map((m) => m.runId).join(", ")), { cause });
    }
  }
  return { reason: lookupError === undefined ? errorText(cause) : `${errorText(cause)}; ${errorText(lookupError)}` };
}

async function runsStartedAround(client: DataFactoryManagementClient, target: PipelineRef, sentAt: number, abortSignal: AbortSignal): Promise<PipelineRun[]> {
  const runs: PipelineRun[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.pipelineRuns.queryByFactory(
      target.resourceGroupName,
      target.factoryName,
      {
        lastUpdatedAfter: new Date(sentAt - SKEW_IN_MS),
        lastUpdatedBefore: new Date(Date.now() + SKEW_IN_MS),
        filters: [{ operand: "PipelineName", operator: "Equals", values: [target.pipelineName] }],
        continuationToken,
      },
      { abortSignal },
    );
    runs.push(...page.value);
    continuationToken = page.continuationToken || undefined;
  } while (continuationToken);
  return runs;
}

/** A manual run that started after the request was sent and shows the parameters this task sent. */
export function isOurRun(run: PipelineRun, options: StartRunOptions, sentAt: number): boolean {
  if (run.runStart && run.runStart.getTime() < sentAt - SKEW_IN_MS) return false;
  const invokedBy = run.invokedBy?.invokedByType;
  if (invokedBy && invokedBy.toLowerCase() !== "manual") return false;
  const shown = run.parameters ?? {};
  const expected = options.rerun ? (options.expectedParameters ?? {}) : parameterStrings(options.parameters);
  return Object.entries(expected).every(([name, value]) => options.secureNames.has(name) || sameValue(ownValue(shown, name), value));
}

/** How a run shows parameter values: strings as they are, everything else as JSON. */
export function parameterStrings(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function sameValue(shown: string | undefined, sent: string): boolean {
  if (shown === undefined) return false;
  if (shown === sent) return true;
  // Booleans may come back as "True"; JSON may come back with other spacing.
  if (shown.toLowerCase() === sent.toLowerCase()) return true;
  try {
    return JSON.stringify(JSON.parse(shown)) === JSON.stringify(JSON.parse(sent));
  } catch {
    return false;
  }
}

/** The rerun options that are set (undefined and false ones are left out of the query). */
function setOptionsOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== false)) as Partial<T>;
}
