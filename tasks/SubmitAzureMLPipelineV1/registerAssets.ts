/**
 * Uploads local code and data and registers what the job needs before it can be submitted, in the CLI's
 * order: uploads → code versions → anonymous environments → anonymous components.
 *
 * Code versions: the CLI names an anonymous code asset with a random UUID (version "1") and reuses it
 * through the upload's blob metadata; this task names it with a UUID derived from the datastore and the
 * content-addressed blob folder instead, so unchanged code maps to the same code version on every run
 * (the PUT is then idempotent) and nothing needs to be read back from the blob.
 */
import { createHash } from "node:crypto";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import type { TaskLog } from "../common/logging";
import { formatBytes } from "../common/datastore";
import { toLocalArtifact, type ArtifactStore } from "./artifactStore";
import { ANONYMOUS_COMPONENT_NAME, workspaceChildId, type CodeVersionRegistration, type JobPlan, type ResolvedJobDependencies } from "./loader";
import type { WorkspaceTarget } from "./request";
import type { Loc } from "../common/loc";

export interface RegisterAssetsOptions {
  ml: AzureMachineLearningWorkspaces;
  store: ArtifactStore;
  workspace: WorkspaceTarget;
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

/** Deterministic code asset name (a UUID) for an upload: the same folder content → the same name. */
export function codeAssetName(registration: Pick<CodeVersionRegistration, "upload">): string {
  const hex = createHash("md5").update(`${registration.upload.datastoreName}/${registration.upload.blobPrefix}`, "utf8").digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Code ids the registration will produce, without registering anything (for validation runs). */
export function plannedCodeIds(plan: JobPlan, workspaceId: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const code of plan.codeVersions) ids[code.key] = workspaceChildId(workspaceId, "codes", codeAssetName(code), { version: code.version });
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
    const asset = code ? { name: codeAssetName(code), version: code.version } : undefined;
    const result = await store.upload(upload.datastoreName, toLocalArtifact(upload), asset);
    if (result.uploaded) uploaded++;
    else reused++;
    log.debug(
      `${upload.kind} ${upload.localPath} (${result.files} file(s), ${formatBytes(result.bytes)}) → ${upload.datastoreName}/${upload.blobPrefix}: ${result.uploaded ? "uploaded" : "already there"}`,
    );
  }

  const codeIds: Record<string, string> = {};
  for (const code of plan.codeVersions) {
    const name = codeAssetName(code);
    const codeUri = `${(await store.containerUrl(code.upload.datastoreName)).replace(/\/+$/, "")}/${code.codeUriPath}`;
    const created = await ml.codeVersions
      .createOrUpdate(rg, wsName, name, code.version, code.buildBody(codeUri), { abortSignal })
      .catch(fail(`code version '${name}:${code.version}' in workspace '${wsName}'`));
    codeIds[code.key] = created.id ?? workspaceChildId(options.workspaceId, "codes", name, { version: code.version });
    log.debug(`code ${code.upload.localPath} → ${codeIds[code.key]}`);
  }

  const serviceIds = new Map<string, string>();
  const answered = (planned: string, id: string | undefined) => {
    if (id && id !== planned) serviceIds.set(planned, id);
    return id ?? planned;
  };
  for (const env of plan.environmentVersions) {
    const created = await ml.environmentVersions
      .createOrUpdate(rg, wsName, env.name, env.version, env.body, { abortSignal })
      .catch(fail(`environment '${env.name}:${env.version}' in workspace '${wsName}'`));
    const id = answered(workspaceChildId(options.workspaceId, "environments", env.name, { version: env.version }), created.id);
    log.debug(`environment ${env.name}:${env.version} → ${id}`);
  }

  const resolved: ResolvedJobDependencies = { workspaceId: options.workspaceId, codeIds, referenceIds: options.referenceIds };
  const components = plan.componentVersions(resolved);
  for (const component of components) {
    // The service deduplicates anonymous components: identical content answers with the existing
    // version's name and id, which the SDK then uses in the job (recorded in Azure/azure-sdk-for-python
    // sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json).
    const created = await ml.componentVersions
      .createOrUpdate(rg, wsName, ANONYMOUS_COMPONENT_NAME, component.version, withServiceIds(component.body, serviceIds), { abortSignal })
      .catch(fail(`component '${ANONYMOUS_COMPONENT_NAME}:${component.version}' in workspace '${wsName}'`));
    const id = answered(workspaceChildId(options.workspaceId, "components", ANONYMOUS_COMPONENT_NAME, { version: component.version }), created.id);
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
