/**
 * The model to deploy: a reference (references.ts) → the version's ARM id, checked to exist
 * before anything changes; `@latest` is the newest version (listed newest first, as the CLI does).
 * An inline model of a deployment file (`model: {path: ...}`) is uploaded and registered the way the
 * CLI registers an anonymous model.
 */
import { codeAssetName } from "../common/azureml/assetNames";
import { registerVersion } from "../common/azureml/registration";
import { assetVersionId, type WorkspaceScope } from "../common/azureml/workspace";
import { hashLocalArtifact, LocalArtifactError } from "../common/contentHash";
import { markIndicator, resolveDatastore, uploadArtifact, uploadedModelUri } from "../common/datastore";
import { AzureOperationError, InputError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { azureCall } from "./azureCall";
import { isNotFound } from "../common/restErrors";
import type { DeployContext } from "./operation";
import type { InlineModelSpec } from "./endpointSpec";
import { AssetReferenceError, parseAssetReference } from "./references";

export interface ResolvedModel {
  id: string;
  name: string;
  version: string;
  /** custom_model, mlflow_model, triton_model (as stored). */
  modelType?: string;
}

export async function resolveModel(ctx: DeployContext, raw: string | InlineModelSpec, inputName: string): Promise<ResolvedModel> {
  if (typeof raw !== "string") return registerInlineModel(ctx, raw);
  let ref;
  try {
    ref = parseAssetReference(raw, "models");
  } catch (err) {
    if (err instanceof AssetReferenceError) throw new InputError(inputName, ctx.loc("ModelReferenceInvalid", inputName, err.message));
    throw err;
  }
  const scope: WorkspaceScope = ref.form === "id" ? ref.scope : ctx.workspace;
  const context = { resource: `model '${ref.name}' in workspace '${scope.workspaceName}'`, resourceGroupName: scope.resourceGroupName };
  let version = ref.version;
  if (version === undefined) {
    version = await azureCall(ctx, context, async () => {
      for await (const v of ctx.ml.modelVersions.list(scope.resourceGroupName, scope.workspaceName, ref.name, {
        orderBy: "createdtime desc",
        top: 1,
        abortSignal: ctx.abortSignal,
      })) {
        if (v.name) return v.name;
      }
      return undefined;
    }).catch(notFound);
    if (version === undefined) throw new AzureOperationError(ctx.loc("ModelNotFound", ref.name, scope.workspaceName));
  }
  const found = await azureCall(ctx, context, () =>
    ctx.ml.modelVersions.get(scope.resourceGroupName, scope.workspaceName, ref.name, version, { abortSignal: ctx.abortSignal }),
  ).catch((err: unknown) => {
    if (isNotFound(err))
      throw new AzureOperationError(ctx.loc("ModelVersionNotFound", ref.name, version, scope.workspaceName), { statusCode: 404, cause: err });
    throw err;
  });
  ctx.log.info(ctx.loc("ModelResolved", ref.name, version, remoteText(found.properties.modelType ?? "custom_model")));
  return {
    id: assetVersionId(scope, "models", ref.name, version),
    name: ref.name,
    version,
    ...(found.properties.modelType ? { modelType: found.properties.modelType } : {}),
  };
}

/**
 * Uploads the local model to the workspace's datastore (`LocalUpload/<md5>/<name>`, skipped when already
 * complete) and registers it as the CLI does (azure-ai-ml operations/_model_operations.py create_or_update
 * → entities/_assets/_artifacts/model.py `_to_rest_object`: modelType, modelUri of the upload, isAnonymous,
 * description, tags, properties). An anonymous model gets a UUID name and version "1" like the CLI's
 * (entities/_assets/asset.py); the UUID is derived from the upload path instead of random, so a rerun
 * with the same content reuses the version it registered instead of adding one per run.
 */
async function registerInlineModel(ctx: DeployContext, model: InlineModelSpec): Promise<ResolvedModel> {
  const { ml, workspace: ws, loc, log } = ctx;
  // The datastore lookup (ARM calls) runs while the files are hashed, from the first file on (an
  // empty folder is a refused input that sends nothing); unused if the hash fails.
  let datastore: ReturnType<typeof resolveDatastore> | undefined;
  const lookUp = () => {
    datastore = resolveDatastore(ml, { resourceGroupName: ws.resourceGroupName, workspaceName: ws.workspaceName }, ctx.datastoreConnection, ctx);
    datastore.catch(() => undefined);
    return datastore;
  };
  let artifact;
  try {
    artifact = await hashLocalArtifact(model.path, { abortSignal: ctx.abortSignal, onFirstFile: lookUp });
  } catch (err) {
    if (err instanceof LocalArtifactError) throw new InputError("deploymentFile", loc("InlineModelUnusable", model.path, err.message));
    throw err;
  }
  const target = await (datastore ?? lookUp());
  const name = model.name ?? codeAssetName(target.datastoreName, artifact.blobPrefix);
  const version = model.version ?? "1";
  const context = { resource: `model '${name}:${version}' in workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName };
  const modelUri = uploadedModelUri({ ...ws, datastoreName: target.datastoreName }, artifact);
  const existing = await azureCall(ctx, context, () =>
    ctx.ml.modelVersions.get(ws.resourceGroupName, ws.workspaceName, name, version, { abortSignal: ctx.abortSignal }),
  ).catch(notFound);
  if (existing) {
    if (existing.properties.modelUri !== modelUri)
      throw new InputError("deploymentFile", loc("InlineModelVersionTaken", `${name}:${version}`, existing.properties.modelUri ?? "", model.path));
    log.info(loc("InlineModelReused", model.path, `${name}:${version}`));
    return { id: existing.id ?? assetVersionId(ws, "models", name, version), name, version, modelType: existing.properties.modelType ?? model.type };
  }
  const upload = await uploadArtifact(target, artifact, { abortSignal: ctx.abortSignal, log, loc, assetName: name, assetVersion: version });
  const created = await azureCall(ctx, context, () =>
    registerVersion(
      ml.modelVersions,
      ws,
      { collection: "models", name, version },
      {
        properties: {
          modelType: model.type,
          modelUri,
          isAnonymous: model.name === undefined,
          ...(model.description !== undefined ? { description: model.description } : {}),
          tags: model.tags,
          properties: model.properties,
        },
      },
      { abortSignal: ctx.abortSignal },
    ),
  );
  if (upload.uploaded) await markIndicator(target, artifact, { name, version }, ctx);
  log.info(loc("InlineModelRegistered", model.path, `${name}:${version}`, model.type));
  return { id: created.id, name, version, modelType: model.type };
}

function notFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

export function isMlflowModel(model: ResolvedModel): boolean {
  return (model.modelType ?? "").toLowerCase().replace(/_/g, "") === "mlflowmodel";
}
