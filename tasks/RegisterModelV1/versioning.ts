/**
 * Model versions: the latest one, the next free integer, and creating a version without ever
 * overwriting one. A version is created with a GET first (it must not exist) and a PUT carrying
 * `If-None-Match: *` and a registration id in its immutable properties; the PUT counts as ours
 * only if the answer carries that id. A conflict (409/412, or someone else's id) means another
 * registration took the version: with an explicit version that is an error, otherwise the next
 * free version is tried (as azure-ai-ml's auto-increment retries on ResourceExistsError).
 */
import { randomUUID } from "node:crypto";
import type { AzureMachineLearningWorkspaces, ModelVersion } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { AzureOperationError, InputError } from "../common/errors";
import type { TaskLog } from "../common/logging";
import { isConflict, isPreconditionFailed, isResourceNotFound } from "../common/restErrors";
import { LINEAGE_KEYS } from "./lineage";
import type { Loc } from "../common/loc";
import { isIntegerVersion } from "./modelRules";

export interface ModelScope {
  ml: AzureMachineLearningWorkspaces;
  resourceGroupName: string;
  workspaceName: string;
  modelName: string;
  abortSignal: AbortSignal;
  loc: Loc;
  log: TaskLog;
}

/** Attempts at the next free version before giving up under heavy concurrent registration. */
export const MAX_VERSION_ATTEMPTS = 5;

function armContext(s: ModelScope, version?: string) {
  return {
    resource: version ? `model '${s.modelName}' version '${version}'` : `model '${s.modelName}' in workspace '${s.workspaceName}'`,
    resourceGroupName: s.resourceGroupName,
  };
}

/** The model's container properties, or undefined when the model has no versions yet. */
async function container(s: ModelScope) {
  try {
    return await s.ml.modelContainers.get(s.resourceGroupName, s.workspaceName, s.modelName, { abortSignal: s.abortSignal });
  } catch (err) {
    if (isResourceNotFound(err)) return undefined;
    throw asAzureOperationError(err, s.loc, armContext(s));
  }
}

/** A version, or undefined when it does not exist. */
export async function getVersion(s: ModelScope, version: string): Promise<ModelVersion | undefined> {
  try {
    return await s.ml.modelVersions.get(s.resourceGroupName, s.workspaceName, s.modelName, version, { abortSignal: s.abortSignal });
  } catch (err) {
    if (isResourceNotFound(err)) return undefined;
    throw asAzureOperationError(err, s.loc, armContext(s, version));
  }
}

/** The most recently created version (the container's `latestVersion`), or undefined. */
export async function latestVersion(s: ModelScope): Promise<ModelVersion | undefined> {
  const c = await container(s);
  const latest = c?.properties.latestVersion;
  if (latest) return getVersion(s, latest);
  if (!c) return undefined;
  try {
    for await (const v of s.ml.modelVersions.list(s.resourceGroupName, s.workspaceName, s.modelName, {
      orderBy: "createdtime desc",
      top: 1,
      abortSignal: s.abortSignal,
    }))
      return v;
  } catch (err) {
    throw asAzureOperationError(err, s.loc, armContext(s));
  }
  return undefined;
}

/** The service's `nextVersion` ("1" for a new model), never below `atLeast`. */
export async function nextVersion(s: ModelScope, atLeast = 1): Promise<string> {
  const c = await container(s);
  const offered = c?.properties.nextVersion;
  const n = offered && isIntegerVersion(offered) ? Number(offered) : 1;
  return String(Math.max(n, atLeast));
}

/**
 * Creates `properties` as a new version: `explicitVersion`, or the next free integer version.
 * Never overwrites: an existing explicit version is an InputError naming the `version` input.
 */
export async function createVersion(s: ModelScope, properties: ModelVersion["properties"], explicitVersion?: string): Promise<ModelVersion> {
  const registrationId = randomUUID();
  const body: ModelVersion = { properties: { ...properties, properties: { ...(properties.properties ?? {}), [LINEAGE_KEYS.registrationId]: registrationId } } };
  if (explicitVersion) {
    await assertVersionFree(s, explicitVersion);
    const created = await tryPut(s, explicitVersion, body, registrationId);
    if (!created) throw versionExists(s, explicitVersion);
    return created;
  }
  let candidate = await nextVersion(s);
  for (let attempt = 1; attempt <= MAX_VERSION_ATTEMPTS; attempt++) {
    if (!(await getVersion(s, candidate))) {
      const created = await tryPut(s, candidate, body, registrationId);
      if (created) return created;
      s.log.info(s.loc("VersionTakenRetrying", candidate, s.modelName));
    }
    candidate = await nextVersion(s, Number(candidate) + 1);
  }
  throw new AzureOperationError(s.loc("VersionConflict", s.modelName, MAX_VERSION_ATTEMPTS));
}

/** Fails with an InputError naming `version` when that version exists (nothing is overwritten). */
export async function assertVersionFree(s: ModelScope, version: string): Promise<void> {
  if (await getVersion(s, version)) throw versionExists(s, version);
}

function versionExists(s: ModelScope, version: string): InputError {
  return new InputError("version", s.loc("VersionExists", s.modelName, version, s.workspaceName));
}

/** PUT with If-None-Match: *; undefined when another registration owns the version. */
async function tryPut(s: ModelScope, version: string, body: ModelVersion, registrationId: string): Promise<ModelVersion | undefined> {
  let created: ModelVersion;
  try {
    created = await s.ml.modelVersions.createOrUpdate(s.resourceGroupName, s.workspaceName, s.modelName, version, body, {
      abortSignal: s.abortSignal,
      requestOptions: { customHeaders: { "If-None-Match": "*" } },
    });
  } catch (err) {
    if (isConflict(err) || isPreconditionFailed(err)) {
      s.log.debug(`PUT model ${s.modelName}:${version} conflicted: ${(err as Error).message}`);
      // The SDK may have resent a PUT whose first answer was lost: then the version is ours.
      const existing = await getVersion(s, version);
      return existing?.properties.properties?.[LINEAGE_KEYS.registrationId] === registrationId ? existing : undefined;
    }
    throw asAzureOperationError(err, s.loc, armContext(s, version));
  }
  const echoed = created.properties.properties?.[LINEAGE_KEYS.registrationId];
  if (echoed !== undefined && echoed !== registrationId) return undefined;
  return created;
}
