/**
 * The workspace's run-history data plane, where Azure ML keeps a pipeline's step runs with their
 * status, times and errors (ARM's `GET jobs/<step>` answers only the step's identity). As the
 * Azure ML SDK does it (azure/ai/ml/operations/_job_operations.py, Azure/azure-sdk-for-python):
 * - the workspace's `discoveryUrl` is read without a token (`_get_workspace_url`, plain
 *   download) and its `api` host serves run history;
 * - run history is called with the same credential and the ARM scope
 *   (azure/ai/ml/_restclient/runhistory/_configuration.py: credential_scopes default
 *   `https://management.azure.com/.default`) — here: through the ARM client's own pipeline;
 * - `GET /history/v1.0/<workspace id>/runs/<run id>/children` pages with `$continuationtoken`
 *   and `nextLink`; `GET .../runs/<run id>` gives run details with `error`
 *   (azure/ai/ml/_restclient/runhistory/operations/_runs_operations.py).
 */
import type { ServiceClient } from "@azure/core-client";
import { allowTokenOrigin } from "../armClients";
import {
  bearerTokenAuthenticationPolicyName,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
} from "@azure/core-rest-pipeline";
import { answerError, sendJson } from "./jsonRequest";
import { type WorkspaceScope, workspaceUrlPath } from "./workspace";

/** A run as run history answers (the fields the tasks read). */
export interface RunDetails {
  runId: string;
  parentRunId?: string | null;
  status?: string | null;
  displayName?: string | null;
  startTimeUtc?: string | null;
  endTimeUtc?: string | null;
  /** ErrorResponse: `error` is the root error with code and message. */
  error?: { error?: { code?: string | null; message?: string | null } | null } | null;
  properties?: Record<string, string | null> | null;
}

export interface RunHistory {
  /** Every child run of `runId` (all pages). */
  children(runId: string, abortSignal: AbortSignal): Promise<RunDetails[]>;
  details(runId: string, abortSignal: AbortSignal): Promise<RunDetails>;
}

/** The discovery document could not be read or names no `api` host. */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
  constructor(
    readonly discoveryUrl: string,
    readonly reason: string,
  ) {
    super(`${discoveryUrl}: ${reason}`);
  }
}

/** The `api` host of the workspace's discovery document (no token sent, as the SDK). */
export async function discoverApiHost(
  ml: ServiceClient,
  discoveryUrl: string | undefined,
  abortSignal: AbortSignal,
  httpClient: HttpClient = createDefaultHttpClient(),
): Promise<string> {
  if (!discoveryUrl || !/^https:\/\//i.test(discoveryUrl)) throw new DiscoveryError(discoveryUrl ?? "(none)", "the workspace has no https discovery URL");
  const anonymous = ml.pipeline.clone();
  anonymous.removePolicy({ name: bearerTokenAuthenticationPolicyName });
  let status: number;
  let text: string;
  try {
    const response = await anonymous.sendRequest(
      httpClient,
      createPipelineRequest({ url: discoveryUrl, method: "GET", abortSignal, headers: createHttpHeaders({ accept: "application/json" }) }),
    );
    status = response.status;
    text = response.bodyAsText ?? "";
  } catch (error) {
    if ((error as { name?: string }).name === "AbortError") throw error;
    throw new DiscoveryError(discoveryUrl, error instanceof Error ? error.message : String(error));
  }
  if (status !== 200) throw new DiscoveryError(discoveryUrl, `HTTP ${status}`);
  let api: unknown;
  try {
    api = (JSON.parse(text) as { api?: unknown }).api;
  } catch {
    throw new DiscoveryError(discoveryUrl, "the answer is not JSON");
  }
  if (typeof api !== "string" || !/^https:\/\//i.test(api)) throw new DiscoveryError(discoveryUrl, "the answer names no https 'api' host");
  return api.replace(/\/+$/, "");
}

/** A run-history client for the workspace, on the ARM client's pipeline (credential, proxy, retries). */
export function runHistoryClient(ml: ServiceClient, apiHost: string, ws: WorkspaceScope): RunHistory {
  allowTokenOrigin(ml, apiHost);
  const runs = `${apiHost}/history/v1.0${workspaceUrlPath(ws)}/runs`;
  const get = async <T>(url: string, abortSignal: AbortSignal): Promise<T> => {
    const answer = await sendJson(ml, { method: "GET", url, abortSignal });
    if (answer.status !== 200 || typeof answer.body !== "object" || answer.body === null) throw answerError(answer, `GET ${new URL(url).pathname}`);
    return answer.body as T;
  };
  return {
    async children(runId, abortSignal) {
      const all: RunDetails[] = [];
      let next: string | undefined = `${runs}/${encodeURIComponent(runId)}/children`;
      for (let pages = 0; next && pages < 1000; pages++) {
        const page: { value?: RunDetails[]; nextLink?: string | null } = await get(next, abortSignal);
        all.push(...(page.value ?? []));
        next = page.nextLink ?? undefined;
      }
      return all;
    },
    details: (runId, abortSignal) => get<RunDetails>(`${runs}/${encodeURIComponent(runId)}`, abortSignal),
  };
}

/** The error text of a run (root error message, with its code), or undefined. */
export function runError(run: RunDetails | undefined): { code?: string; message: string } | undefined {
  const root = run?.error?.error;
  if (!root?.message) return undefined;
  return { ...(root.code ? { code: root.code } : {}), message: root.message };
}
