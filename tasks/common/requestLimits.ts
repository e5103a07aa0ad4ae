/**
 * Limits on every single Azure request (a pipeline policy installed by armClientOptions), so no
 * call can hang a step silently, and answers that are not what an ARM call returns fail clearly:
 * - each attempt has its own timeout (`attemptTimeoutInMs`); an attempt without an answer fails
 *   naming the call, and is retried like a dropped connection unless it is a POST (not idempotent);
 * - the retries of one call wait at most `maxRetryWaitInMs` in all: a 429/503 whose Retry-After
 *   would go past it (`Retry-After: 100000`) fails at once, naming the call and the wait asked;
 *   a Retry-After on any other answer (long-running operation polls) is capped at `maxPollDelayInMs`;
 * - a host that does not resolve fails at once (no retries), naming the host;
 * - a 2xx answer whose body is not JSON (an HTML page, a truncated body), or an empty 200 to a GET
 *   or PUT, fails naming the call instead of surfacing later as "Cannot read properties of undefined".
 * All of it sits inside the task's own wait limit: the task's abort signal still ends any call.
 */
import { RestError, type PipelinePolicy, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { remoteText } from "./remoteText";
import { retryAfterInMs } from "./wait";

export interface RequestLimits {
  /** How long one attempt may go without a complete answer. */
  attemptTimeoutInMs: number;
  /** The most one call may sleep between its attempts, Retry-After included. */
  maxRetryWaitInMs: number;
  /** Longest Retry-After honoured on a non-throttling answer (long-running operation polls). */
  maxPollDelayInMs: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { attemptTimeoutInMs: 100_000, maxRetryWaitInMs: 300_000, maxPollDelayInMs: 60_000 };

/** Blob (data plane) requests: each try of one request, a block of an upload at most. */
export const BLOB_TRY_TIMEOUT_IN_MS = 300_000;

export const REQUEST_LIMITS_POLICY = "mlopsRequestLimitsPolicy";

/** The error code of a call that broke a limit; never retried by the SDK's retry policy (not a system error code). */
export const LIMIT_ERROR_CODE = "RequestLimit";

/** Placed per retry (inside the SDK's retry policy): it sees every attempt and every raw answer. */
export function requestLimitsPolicy(limits: RequestLimits = DEFAULT_REQUEST_LIMITS): PipelinePolicy {
  const firstAttemptAt = new WeakMap<PipelineRequest, number>();
  return {
    name: REQUEST_LIMITS_POLICY,
    async sendRequest(request, next) {
      const now = Date.now();
      if (!firstAttemptAt.has(request)) firstAttemptAt.set(request, now);
      const call = describeCall(request);
      const response = await attempt(request, next, limits.attemptTimeoutInMs, call);
      checkRetryAfter(response, limits, call, now - firstAttemptAt.get(request)!);
      checkBody(request, response, call);
      return response;
    },
  };
}

/** "GET management.azure.com/subscriptions/…/onlineEndpoints/ep" (no query: it may carry tokens). */
export function describeCall(request: Pick<PipelineRequest, "method" | "url">): string {
  try {
    const u = new URL(request.url);
    return `${request.method} ${u.host}${u.pathname}`;
  } catch {
    return request.method;
  }
}

async function attempt(
  request: PipelineRequest,
  next: (r: PipelineRequest) => Promise<PipelineResponse>,
  timeoutInMs: number,
  call: string,
): Promise<PipelineResponse> {
  const timer = new AbortController();
  const outer = request.abortSignal as AbortSignal | undefined;
  const handle = setTimeout(() => timer.abort(), timeoutInMs);
  request.abortSignal = outer ? AbortSignal.any([outer, timer.signal]) : timer.signal;
  try {
    return await next(request);
  } catch (err) {
    if (timer.signal.aborted && !outer?.aborted) {
      // A dropped-connection code makes the SDK retry an idempotent call; a POST is not sent twice.
      const code = request.method === "POST" ? LIMIT_ERROR_CODE : "ETIMEDOUT";
      throw new RestError(`${call} did not answer within ${seconds(timeoutInMs)} s.`, { code, request });
    }
    const code = (err as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
      throw new RestError(
        `${call}: the host ${remoteText(new URL(request.url).host)} could not be resolved (${code}). Check the service connection's Azure environment and the agent's DNS and proxy settings.`,
        { code: LIMIT_ERROR_CODE, request },
      );
    }
    throw err;
  } finally {
    clearTimeout(handle);
    request.abortSignal = outer;
  }
}

function checkRetryAfter(response: PipelineResponse, limits: RequestLimits, call: string, elapsedInMs: number): void {
  const wait = retryAfterInMs(response.headers);
  if (wait === undefined) return;
  if (response.status === 429 || response.status === 503) {
    if (elapsedInMs + wait > limits.maxRetryWaitInMs) {
      throw new RestError(
        `${call} was answered ${response.status} with Retry-After ${seconds(wait)} s, more than this call may wait in all (${seconds(limits.maxRetryWaitInMs)} s). Re-run later.`,
        { code: LIMIT_ERROR_CODE, request: response.request },
      );
    }
  } else if (wait > limits.maxPollDelayInMs) {
    for (const h of ["retry-after-ms", "x-ms-retry-after-ms"]) response.headers.delete(h);
    response.headers.set("retry-after", String(Math.round(limits.maxPollDelayInMs / 1000)));
  }
}

function checkBody(request: PipelineRequest, response: PipelineResponse, call: string): void {
  if (response.status < 200 || response.status > 299 || response.bodyAsText === undefined || request.method === "HEAD") return;
  const text = response.bodyAsText ?? "";
  const contentType = remoteText(response.headers.get("content-type") ?? "no content type");
  if (!text.trim()) {
    const mustHaveBody = response.status === 200 && (request.method === "GET" || request.method === "PUT") && !/operation/i.test(new URL(request.url).pathname);
    if (mustHaveBody)
      throw new RestError(`${call} answered ${response.status} with an empty body instead of the resource.`, { code: LIMIT_ERROR_CODE, request });
    return;
  }
  try {
    JSON.parse(text);
  } catch {
    const what = /html/i.test(contentType) || /^\s*</.test(text) ? "an HTML page" : "a body that is not complete JSON";
    throw new RestError(
      `${call} answered ${response.status} with ${what} (${contentType}, ${text.length} characters) instead of JSON. A proxy or gateway may be in the way; re-run, or check the agent's proxy settings.`,
      { code: LIMIT_ERROR_CODE, request },
    );
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? String(Math.round(ms / 100) / 10) : String(Math.round(ms / 1000));
}
