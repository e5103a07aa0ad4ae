/**
 * The smoke test: POST a request body to the scoring URI with the endpoint's key or token, aimed
 * at the new deployment with `azureml-model-deployment` (so it reaches it whatever its traffic
 * share), and fail unless the answer is 2xx. Throttling (429/503 with Retry-After), 5xx answers
 * and dropped connections are retried a few times within the smoke test's timeout, as a client
 * of the endpoint would; an answer that stays wrong fails the test.
 */
import type { HttpClient, ProxySettings, TlsSettings } from "@azure/core-rest-pipeline";
import { createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest } from "@azure/core-rest-pipeline";
import { RemoteRunError } from "../common/errors";
import { formatDuration, type TaskLog } from "../common/logging";
import { remoteText } from "../common/remoteText";
import type { Loc } from "../common/loc";

export interface SmokeTestRequest {
  scoringUri: string;
  deploymentName: string;
  /** Request body (JSON text, sent as is). */
  body: string;
  /** Key or token. */
  credential: string;
  timeoutInMs: number;
  /** An `http://` scoring URI was allowed (allowInsecureScoringUri); otherwise only https is used. */
  allowInsecure?: boolean;
}

export interface SmokeTestNetwork {
  /** The agent's proxy for the scoring URI and client certificate (common/agentNetwork sdkNetworkOptions). */
  proxyOptions?: ProxySettings;
  tlsOptions?: TlsSettings;
  /** Default: core-rest-pipeline's Node client. */
  httpClient?: HttpClient;
}

export interface SmokeTestResult {
  status: number;
  durationInMs: number;
  /** The start of the answer, for the log. */
  preview: string;
}

const PREVIEW_CHARS = 500;

export async function runSmokeTest(
  req: SmokeTestRequest,
  deps: { network: SmokeTestNetwork; log: TaskLog; loc: Loc; abortSignal: AbortSignal },
): Promise<SmokeTestResult> {
  const { loc, log } = deps;
  const pipeline = createPipelineFromOptions({
    retryOptions: { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5000 },
    ...(deps.network.proxyOptions ? { proxyOptions: deps.network.proxyOptions } : {}),
    ...(deps.network.tlsOptions ? { tlsOptions: deps.network.tlsOptions } : {}),
  });
  const request = createPipelineRequest({
    url: req.scoringUri,
    method: "POST",
    body: req.body,
    headers: createHttpHeaders({
      "Content-Type": "application/json",
      Authorization: `Bearer ${req.credential}`,
      "azureml-model-deployment": req.deploymentName,
    }),
    timeout: req.timeoutInMs,
    // Retries included, the test ends within its timeout.
    abortSignal: AbortSignal.any([deps.abortSignal, AbortSignal.timeout(req.timeoutInMs)]),
    allowInsecureConnection: req.allowInsecure === true && /^http:\/\//i.test(req.scoringUri),
  });
  log.info(loc("SmokeTestSending", remoteText(req.scoringUri), req.deploymentName, req.body.length));
  const started = Date.now();
  let status: number;
  let text: string;
  try {
    const response = await pipeline.sendRequest(deps.network.httpClient ?? createDefaultHttpClient(), request);
    status = response.status;
    text = response.bodyAsText ?? "";
  } catch (err) {
    deps.abortSignal.throwIfAborted();
    throw new RemoteRunError(loc("SmokeTestNoAnswer", req.scoringUri, (err as Error).message), { cause: err });
  }
  const durationInMs = Date.now() - started;
  const preview = remoteText(text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text);
  if (status < 200 || status > 299) {
    throw new RemoteRunError(loc("SmokeTestFailed", req.deploymentName, status, errorMessageOf(text) ?? preview));
  }
  log.info(loc("SmokeTestPassed", req.deploymentName, status, formatDuration(durationInMs), preview));
  return { status, durationInMs, preview };
}

function errorMessageOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string }; message?: string };
    return parsed.error?.message ?? parsed.message;
  } catch {
    return undefined;
  }
}
