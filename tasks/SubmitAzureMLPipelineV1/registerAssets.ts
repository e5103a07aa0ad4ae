/**
 * Uploads local code and data and registers what the job needs before it can be submitted, in the CLI's
 * order: uploads → code versions → anonymous environments → anonymous components.
 *
 * Code versions: the CLI names an anonymous code asset with a random UUID (version "1") and reuses it
 * through the upload's blob metadata; this task names it with a UUID derived from the datastore and the
 * content-addressed blob folder instead, so unchanged code maps to the same code version on every run
 * (the PUT is then idempotent) and nothing needs to be read back from the blob.
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { ANONYMOUS_COMPONENT_NAME, codeAssetName } from "../common/azureml/assetNames";
import { registerVersion, uploadedCodeUri } from "../common/azureml/registration";
import { assetVersionId, type WorkspaceScope } from "../common/azureml/workspace";
import type { TaskLog } from "../common/logging";
import { formatBytes } from "../common/datastore";
import { toLocalArtifact, type ArtifactStore } from "./artifactStore";
import type { CodeVersionRegistration, JobPlan, ResolvedJobDependencies } from "./loader";
import type { Loc } from "../common/loc";

export interface RegisterAssetsOptions {
  ml: AzureMachineLearningWorkspaces;
  store: ArtifactStore;
  workspace: WorkspaceScope;
  workspaceId: string;
  /** Resolved references (resolveReferences). */
  referenceIds: Record<string, string>;
  log: TaskLog;
  loc: Loc;
  abortSignal: AbortSignal;
}

export interface RegisterAssetsResult {
  resolved: ResolvedJobDependencies;
  /** Planned ARM id → the id the service answered with, where they differ (see withServiceIds). */
  serviceIds: ReadonlyMap<string, string>;
  /** Uploads that sent blobs / that were already complete. */
  uploaded: number;
  reused: number;
}

/** The code asset name of a code version's upload (the one DeployToAKS gives the same upload). */
function codeNameOf(code: Pick<CodeVersionRegistration, "upload">): string {
  return codeAssetName(code.upload.datastoreName, code.upload.blobPrefix);
}

/** Code ids the registration will produce, without registering anything (for validation runs). */
export function plannedCodeIds(plan: JobPlan, workspaceId: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const code of plan.codeVersions) ids[code.key] = assetVersionId(workspaceId, "codes", codeNameOf(code), code.version);
  return ids;
}

export async function registerAssets(plan: JobPlan, options: RegisterAssetsOptions): Promise<RegisterAssetsResult> {
  const { ml, store, workspace, log, loc, abortSignal } = options;
  const rg = workspace.resourceGroupName;
  const wsName = workspace.workspaceName;
  const fail = (resource: string) => (error: unknown) => {
    throw asAzureOperationError(error, loc, { resource, resourceGroupName: rg });
  };

  let uploaded = 0;
  let reused = 0;
  for (const upload of plan.uploads) {
    abortSignal.throwIfAborted();
    const code = plan.codeVersions.find((c) => c.upload.key === upload.key);
    const asset = code ? { name: codeNameOf(code), version: code.version } : undefined;
    const result = await store.upload(upload.datastoreName, toLocalArtifact(upload), asset);
    if (result.uploaded) uploaded++;
    else reused++;
    log.debug(
      `${upload.kind} ${upload.localPath} (${result.files} file(s), ${formatBytes(result.bytes)}) → ${upload.datastoreName}/${upload.blobPrefix}: ${result.uploaded ? "uploaded" : "already there"}`,
    );
  }

  const registerOptions = { abortSignal, workspaceId: options.workspaceId };
  const codeIds: Record<string, string> = {};
  for (const code of plan.codeVersions) {
    const name = codeNameOf(code);
    const codeUri = uploadedCodeUri(await store.containerUrl(code.upload.datastoreName), code.codeUriPath);
    const created = await registerVersion(
      ml.codeVersions,
      workspace,
      { collection: "codes", name, version: code.version },
      code.buildBody(codeUri),
      registerOptions,
    ).catch(fail(`code version '${name}:${code.version}' in workspace '${wsName}'`));
    codeIds[code.key] = created.id;
    log.debug(`code ${code.upload.localPath} → ${codeIds[code.key]}`);
  }

  const serviceIds = new Map<string, string>();
  const answered = (registered: { id: string; plannedId: string }) => {
    if (registered.id && registered.id !== registered.plannedId) serviceIds.set(registered.plannedId, registered.id);
    return registered.id;
  };
  for (const env of plan.environmentVersions) {
    const created = await registerVersion(
      ml.environmentVersions,
      workspace,
      { collection: "environments", name: env.name, version: env.version },
      env.body,
      registerOptions,
    ).catch(fail(`environment '${env.name}:${env.version}' in workspace '${wsName}'`));
    const id = answered(created);
    log.debug(`environment ${env.name}:${env.version} → ${id}`);
  }

  const resolved: ResolvedJobDependencies = { workspaceId: options.workspaceId, codeIds, referenceIds: options.referenceIds };
  const components = plan.componentVersions(resolved);
  for (const component of components) {
    // The service deduplicates anonymous components: identical content answers with the existing
    // version's name and id, which the SDK then uses in the job (recorded in Azure/azure-sdk-for-python
    // sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json).
    const created = await registerVersion(
      ml.componentVersions,
      workspace,
      { collection: "components", name: ANONYMOUS_COMPONENT_NAME, version: component.version },
      withServiceIds(component.body, serviceIds),
      registerOptions,
    ).catch(fail(`component '${ANONYMOUS_COMPONENT_NAME}:${component.version}' in workspace '${wsName}'`));
    const id = answered(created);
    log.debug(`component ${component.key} → ${id}`);
  }
  if (components.length > 0 || plan.codeVersions.length > 0 || plan.environmentVersions.length > 0) {
    log.info(loc("Registered", plan.codeVersions.length, plan.environmentVersions.length, components.length));
  }
  return { resolved, serviceIds, uploaded, reused };
}

/** `value` with every planned id (also `azureml:`-prefixed) replaced by the id the service answered with. */
export function withServiceIds<T>(value: T, serviceIds: ReadonlyMap<string, string>): T {
  if (serviceIds.size === 0) return value;
  const swap = (v: unknown): unknown => {
    if (typeof v === "string") {
      const bare = v.startsWith("azureml:") ? v.slice("azureml:".length) : v;
      const id = serviceIds.get(bare);
      return id === undefined ? v : bare === v ? id : `azureml:${id}`;
    }
    if (Array.isArray(v)) return v.map(swap);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return swap(value) as T;
}
