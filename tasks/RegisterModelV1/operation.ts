/**
 * The RegisterModel operation: a local file/folder (uploaded to the workspace's default datastore
 * under the CLI's content-hashed path) or a completed job's output → a new model version with
 * build (and job) lineage. With `skipIfUnchanged`, a model whose latest version has the same
 * content is not registered again. All checks that need no upload run before anything is sent.
 */
import type { AzureMachineLearningWorkspaces, ModelVersion } from "@azure/arm-machinelearning";
import type { LocalArtifact } from "../common/contentHash";
import { type DatastoreTarget, formatBytes, markIndicator, uploadArtifact } from "../common/datastore";
import { errorText } from "../common/errors";
import { metricProperties } from "../common/qualityGate";
import { checkGate, jobMetrics, promoteChampion, type RegisterGate } from "./gate";
import { resolveJobOutput, type ResolvedJobOutput } from "./jobOutput";
import { type BuildInfo, lineageProperties, lineageTags } from "./lineage";
import { prepareLocalModel, uploadedModelUri } from "./localModel";
import type { OperationContext } from "../common/operation";
import { modelReference, type ModelType } from "./modelRules";
import { assertVersionFree, createVersion, latestVersion, type ModelScope } from "./versioning";

export type ModelSource = { kind: "local"; path: string } | { kind: "jobOutput"; jobName: string; outputName: string };

export interface RegisterModelRequest {
  resourceGroupName: string;
  workspaceName: string;
  modelName: string;
  source: ModelSource;
  modelType: ModelType;
  /** Undefined: the next integer version. */
  version?: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  skipIfUnchanged: boolean;
  build: BuildInfo;
  /** Quality gate, champion tag and promotion (gate.ts). */
  gate: RegisterGate;
}

/** The operation context (log, loc, signal; the task has no wait limit of its own) and the clients. */
export interface RegisterModelDeps extends OperationContext {
  ml: AzureMachineLearningWorkspaces;
  subscriptionId: string;
  /** The workspace's default datastore, with credentials (called only when there is something to upload). */
  datastore: () => Promise<DatastoreTarget>;
  uploadConcurrency?: number;
  /** Receives the gate's Markdown table for the build summary. */
  onGateReport?: (markdown: string) => void;
}

export interface RegisterModelResult {
  name: string;
  version: string;
  /** `azureml:<name>:<version>` */
  modelId: string;
  modelUri: string;
  /** ARM id of the version. */
  armId?: string;
  /** True when nothing was registered because the latest version has the same content. */
  skipped: boolean;
  /** For local models: whether files were sent (false when the same content was already uploaded). */
  uploaded?: boolean;
  /** Whether the quality gate passed (undefined without a gate); false: nothing was registered (onGateFailure skip). */
  gatePassed?: boolean;
}

/**
 * The upload hash (MD5 over names and contents, as the CLI computes it for the LocalUpload/<hash>
 * path): the same hash is the same content, so skipIfUnchanged needs no second read of the files.
 */
export const HASH_PROPERTY = "mlops.uploadHash";

type Prepared = { kind: "local"; artifact: LocalArtifact } | { kind: "jobOutput"; output: ResolvedJobOutput };

export async function registerModel(request: RegisterModelRequest, deps: RegisterModelDeps): Promise<RegisterModelResult> {
  const { log, loc } = deps;
  const scope: ModelScope = {
    ml: deps.ml,
    resourceGroupName: request.resourceGroupName,
    workspaceName: request.workspaceName,
    modelName: request.modelName,
    abortSignal: deps.abortSignal,
    loc,
    log,
  };

  const prepared = await prepare(request, deps);
  // Metrics of the job (recorded on the version) and the quality gate, before anything is registered.
  const metrics = prepared.kind === "jobOutput" ? await jobMetrics(scope, prepared.output.jobName, request.gate.gate !== undefined) : {};
  const gate = request.gate.gate
    ? await checkGate(scope, request.gate.gate, metrics, request.gate.championTag, deps.onGateReport ?? (() => undefined))
    : undefined;
  if (gate && !gate.passed) return { name: request.modelName, version: "", modelId: "", modelUri: "", skipped: true, gatePassed: false };
  if (request.skipIfUnchanged) {
    const latest = await latestVersion(scope);
    if (latest && sameContent(latest, prepared, request.modelType)) {
      const version = latest.name ?? "";
      log.info(loc("ModelUnchanged", request.modelName, version));
      return {
        name: request.modelName,
        version,
        modelId: modelReference(request.modelName, version),
        modelUri: latest.properties.modelUri ?? "",
        armId: latest.id,
        skipped: true,
      };
    }
  }
  // Checked before the upload (and again when creating), so a doomed registration sends nothing.
  if (request.version) await assertVersionFree(scope, request.version);

  let modelUri: string;
  let uploaded: boolean | undefined;
  let target: DatastoreTarget | undefined;
  const hashProps: Record<string, string> = {};
  if (prepared.kind === "local") {
    const { artifact } = prepared;
    target = await deps.datastore();
    log.info(loc("UploadingModel", artifact.localPath, formatBytes(artifact.totalSizeInBytes), artifact.files.length, target.datastoreName));
    const result = await uploadArtifact(target, artifact, {
      abortSignal: deps.abortSignal,
      log,
      loc,
      concurrency: deps.uploadConcurrency,
      assetName: request.modelName,
    });
    uploaded = result.uploaded;
    modelUri = uploadedModelUri(
      {
        subscriptionId: deps.subscriptionId,
        resourceGroupName: request.resourceGroupName,
        workspaceName: request.workspaceName,
        datastoreName: target.datastoreName,
      },
      artifact,
    );
    hashProps[HASH_PROPERTY] = artifact.uploadHash;
  } else {
    modelUri = prepared.output.modelUri;
  }

  const job = prepared.kind === "jobOutput" ? { name: prepared.output.jobName, output: prepared.output.outputName } : undefined;
  const properties: ModelVersion["properties"] = {
    modelType: request.modelType,
    modelUri,
    isAnonymous: false,
    ...(request.description ? { description: request.description } : {}),
    tags: { ...lineageTags(request.build), ...request.tags },
    properties: { ...lineageProperties(request.build, job), ...metricProperties(metrics), ...request.properties, ...hashProps },
    ...(job ? { jobName: job.name } : {}),
  };
  const created = await createVersion(scope, properties, request.version);
  const version = created.name ?? request.version ?? "";
  log.info(loc("ModelRegistered", request.modelName, version, modelUri));

  if (prepared.kind === "local" && target) {
    // The CLI records the asset's name and version on the indicator blob once they are known.
    await markIndicator(target, prepared.artifact, { name: request.modelName, version }, deps).catch((err: unknown) =>
      log.debug(`could not update the upload marker: ${errorText(err)}`),
    );
  }
  if (request.gate.promote) await promoteChampion(scope, request.gate.championTag, version);
  return {
    name: request.modelName,
    version,
    modelId: modelReference(request.modelName, version),
    modelUri,
    armId: created.id,
    skipped: false,
    uploaded,
    ...(gate ? { gatePassed: true } : {}),
  };
}

async function prepare(request: RegisterModelRequest, deps: RegisterModelDeps): Promise<Prepared> {
  const options = { loc: deps.loc, abortSignal: deps.abortSignal };
  if (request.source.kind === "local") {
    const artifact = await prepareLocalModel(request.source.path, request.modelType, options);
    deps.log.info(deps.loc("ModelHashed", artifact.localPath, artifact.uploadHash, artifact.files.length));
    return { kind: "local", artifact };
  }
  const output = await resolveJobOutput(
    deps.ml,
    {
      resourceGroupName: request.resourceGroupName,
      workspaceName: request.workspaceName,
      jobName: request.source.jobName,
      outputName: request.source.outputName,
    },
    options,
  );
  return { kind: "jobOutput", output };
}

/** Same content and type: the same upload hash, or the same job output URI. */
export function sameContent(latest: ModelVersion, prepared: Prepared, modelType: ModelType): boolean {
  const p = latest.properties;
  if ((p.modelType ?? "").toLowerCase() !== modelType.toLowerCase()) return false;
  if (prepared.kind === "local") return p.properties?.[HASH_PROPERTY] === prepared.artifact.uploadHash;
  return (p.modelUri ?? "").replace(/\/+$/, "") === prepared.output.modelUri;
}
