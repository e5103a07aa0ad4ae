/**
 * One JSON request through an Azure SDK client's own pipeline (credential, retries, proxy, user
 * agent, request limits): for the Azure ML calls the SDK clients cannot make — job bodies (jobsRest.ts),
 * run history (runHistory.ts), MLflow (mlflow.ts).
 */
import { createHttpHeaders, createPipelineRequest, RestError, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";

export interface JsonTransport {
  sendRequest(request: PipelineRequest): Promise<PipelineResponse>;
}

export interface JsonAnswer {
  status: number;
  /** The body as text ("" when empty). */
  text: string;
  /** The parsed body; undefined when empty or not JSON. */
  body: unknown;
  request: PipelineRequest;
  response: PipelineResponse;
}

export async function sendJson(
  client: JsonTransport,
  options: { method: "GET" | "PUT" | "POST"; url: string; body?: unknown; headers?: Record<string, string>; abortSignal?: AbortSignal },
): Promise<JsonAnswer> {
  const { method, url, body, headers = {}, abortSignal } = options;
  const request = createPipelineRequest({
    url,
    method,
    ...(abortSignal ? { abortSignal } : {}),
    headers: createHttpHeaders({ ...headers, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) }),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const response = await client.sendRequest(request);
  const text = response.bodyAsText ?? "";
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, text, body: parsed, request, response };
}

/** The RestError for an answer carrying an ARM error body (`{error: {code, message}}`), or its status. */
export function answerError(answer: JsonAnswer, what: string): RestError {
  const error = (answer.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new RestError(error?.message ?? `${what} answered ${answer.status}`, {
    code: error?.code,
    statusCode: answer.status,
    request: answer.request,
    response: answer.response,
  });
}
