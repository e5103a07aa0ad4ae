/**
 * `GET`/`PUT W/jobs/{name}` as plain JSON through the SDK client's own pipeline (credential, retries,
 * proxy, user agent). @azure/arm-machinelearning 2.1.1 cannot be used for job bodies: its serializer looks
 * up `JobInput.uri_folder` / `JobOutput.custom_model`... discriminators it registers only as
 * `AssetJobInput.*` / `AssetJobOutput.*`, so it silently drops `uri` and `mode` of every data input and
 * output (and the deserializer drops the output URIs the service answers with).
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { RestError } from "@azure/core-rest-pipeline";
import { answerError, sendJson } from "../common/azureml/jsonRequest";
import { type WorkspaceScope, workspaceUrlPath } from "../common/azureml/workspace";

/**
 * 2024-04-01, a GA jobs api-version that carries what the CLI sends and 2022-10-01 cannot:
 * `queueSettings` on command jobs (Azure/azure-rest-api-specs
 * specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/mfe.json
 * CommandJob.queueSettings, as listed by Azure/bicep-types-az generated/machinelearningservices/
 * microsoft.machinelearningservices/2024-04-01/types.md; examples/Job/CommandJob/createOrUpdate.json).
 * Every other field the task sends (identity, resources.shmSize, inputs, outputs, jobs, settings)
 * has the same name and shape in both versions. Output `assetName`/
 * `assetVersion` (registering a pipeline output as a named data asset) are in no GA version up to
 * 2025-09-01 either (Azure/bicep-types-az generated/machinelearningservices/microsoft.machinelearningservices/
 * 2025-09-01/types.md: every `*JobOutput` has only description, jobOutputType, mode, uri), so moving to a
 * newer GA version would carry nothing more: the loader keeps refusing output name/version (jobIo.ts).
 * Sweep, parallel and pipeline nodes live in `jobs`, a free-form object in every version: no change needed.
 */
export const JOBS_API_VERSION = "2024-04-01";

/** A job as the service answers (`properties` left as JSON). */
export interface JobResource {
  id?: string;
  name?: string;
  properties: JobProperties;
}

export interface JobProperties {
  jobType?: string;
  status?: string;
  displayName?: string;
  experimentName?: string;
  properties?: Record<string, string | null>;
  settings?: Record<string, unknown>;
  jobs?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, { uri?: string | null; jobOutputType?: string; mode?: string } | null>;
  services?: Record<string, { endpoint?: string | null } | null>;
  [key: string]: unknown;
}

function jobUrl(armUrl: string, ws: WorkspaceScope, jobName: string): string {
  return `${armUrl.replace(/\/+$/, "")}${workspaceUrlPath(ws)}/jobs/${encodeURIComponent(jobName)}?api-version=${JOBS_API_VERSION}`;
}

async function send(
  ml: AzureMachineLearningWorkspaces,
  method: "GET" | "PUT",
  url: string,
  body: unknown,
  abortSignal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<JobResource> {
  const answer = await sendJson(ml, { method, url, body, headers, abortSignal });
  const what = `${method} ${new URL(url).pathname}`;
  if (answer.status >= 400) throw answerError(answer, what);
  const job = answer.body as JobResource | undefined;
  if (!job || typeof job !== "object" || typeof job.properties !== "object") {
    throw new RestError(`${what} answered ${answer.status} without a job`, { statusCode: answer.status, request: answer.request, response: answer.response });
  }
  return job;
}

/** GET / PUT of jobs, as JSON. */
export interface JobsClient {
  get(ws: WorkspaceScope, jobName: string, abortSignal: AbortSignal): Promise<JobResource>;
  /** `headers`: e.g. `x-azureml-token` (submit.ts). */
  put(ws: WorkspaceScope, jobName: string, body: unknown, abortSignal: AbortSignal, headers?: Record<string, string>): Promise<JobResource>;
}

/** @param armUrl the ARM endpoint the client was built for (CloudEndpoints.armUrl). */
export function jobsClient(ml: AzureMachineLearningWorkspaces, armUrl: string): JobsClient {
  return {
    get: (ws, jobName, abortSignal) => send(ml, "GET", jobUrl(armUrl, ws, jobName), undefined, abortSignal),
    put: (ws, jobName, body, abortSignal, headers) => send(ml, "PUT", jobUrl(armUrl, ws, jobName), body, abortSignal, headers),
  };
}
