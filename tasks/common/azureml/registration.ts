/**
 * Registering a version of a workspace asset (code, environment, component, model) and the id it
 * is then used by: the id the service answered with, which is not always the one asked for — the
 * service deduplicates anonymous components and answers with the existing version's id, which the
 * SDK then uses in the job (Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/
 * e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json).
 * Errors are the SDK's: callers turn them into their task's message.
 */
import { CONTENT_HASH_VERSION } from "../contentHash";
import { type AssetCollection, assetVersionId, type WorkspaceScope } from "./workspace";

/** The write of one asset collection's versions on the SDK client (`ml.codeVersions`, `ml.environmentVersions`...). */
export interface VersionWrites<Body, Answer extends { id?: string }> {
  createOrUpdate(
    resourceGroupName: string,
    workspaceName: string,
    name: string,
    version: string,
    body: Body,
    options?: { abortSignal?: AbortSignal },
  ): Promise<Answer>;
}

export interface AssetVersionRef {
  collection: AssetCollection;
  name: string;
  version: string;
}

export interface RegisteredVersion<Answer> {
  /** The version as the service answered. */
  answer: Answer;
  /** The id to use from now on: the service's, or {@link plannedId} when the answer carries none. */
  id: string;
  /** The id of `name:version` in the workspace, as asked for. */
  plannedId: string;
}

/**
 * `PUT <collection>/<name>/versions/<version>` in the workspace. `workspaceId`: the workspace's ARM
 * id as the service spelled it (a workspace GET), for the planned id; default: built from `scope`.
 */
export async function registerVersion<Body, Answer extends { id?: string }>(
  operations: VersionWrites<Body, Answer>,
  scope: WorkspaceScope,
  asset: AssetVersionRef,
  body: Body,
  options: { abortSignal: AbortSignal; workspaceId?: string },
): Promise<RegisteredVersion<Answer>> {
  const answer = await operations.createOrUpdate(scope.resourceGroupName, scope.workspaceName, asset.name, asset.version, body, {
    abortSignal: options.abortSignal,
  });
  const plannedId = assetVersionId(options.workspaceId ?? scope, asset.collection, asset.name, asset.version);
  return { answer, id: answer.id ?? plannedId, plannedId };
}

/** The body of an anonymous code version for uploaded content. */
export interface AnonymousCodeBody {
  properties: { codeUri: string; isAnonymous: true; properties: { hash_sha256: string; hash_version: string } };
}

/**
 * An anonymous code version's body as the CLI sends it: `codeUri`, `isAnonymous: true` and the
 * content hash as `hash_sha256` / `hash_version` properties (contentHash.ts says how azure-ai-ml
 * computes it). `codeUri`: {@link uploadedCodeUri}.
 */
export function anonymousCodeBody(codeUri: string, contentHash: string): AnonymousCodeBody {
  return { properties: { codeUri, isAnonymous: true, properties: { hash_sha256: contentHash, hash_version: CONTENT_HASH_VERSION } } };
}

/** `codeUri` of an upload: the datastore container's URL and the upload's path below it. */
export function uploadedCodeUri(containerUrl: string, codeUriPath: string): string {
  return `${containerUrl.replace(/\/+$/, "")}/${codeUriPath}`;
}
