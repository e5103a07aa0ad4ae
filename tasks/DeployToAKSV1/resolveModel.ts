/**
 * The model to deploy: a reference (references.ts) → the version's ARM id, checked to exist
 * before anything changes; `@latest` is the newest version (listed newest first, as the CLI does).
 */
import { AzureOperationError, InputError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { azureCall, statusOf } from "./azureCall";
import type { DeployContext } from "./context";
import { AssetReferenceError, parseAssetReference, versionId, type WorkspaceScope } from "./references";

export interface ResolvedModel {
  id: string;
  name: string;
  version: string;
  /** custom_model, mlflow_model, triton_model (as stored). */
  modelType?: string;
}

export async function resolveModel(ctx: DeployContext, raw: string, inputName: string): Promise<ResolvedModel> {
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
      for await (const v of ctx.ml.modelVersions.list(scope.resourceGroupName, scope.workspaceName, ref.name, { orderBy: "createdtime desc", top: 1, abortSignal: ctx.abortSignal })) {
        if (v.name) return v.name;
      }
      return undefined;
    }).catch(notFound);
    if (version === undefined) throw new AzureOperationError(ctx.loc("ModelNotFound", ref.name, scope.workspaceName));
  }
  const found = await azureCall(ctx, context, () => ctx.ml.modelVersions.get(scope.resourceGroupName, scope.workspaceName, ref.name, version, { abortSignal: ctx.abortSignal })).catch(
    (err: unknown) => {
      if (statusOf(err) === 404) throw new AzureOperationError(ctx.loc("ModelVersionNotFound", ref.name, version, scope.workspaceName), { statusCode: 404, cause: err });
      throw err;
    },
  );
  ctx.log.info(ctx.loc("ModelResolved", ref.name, version, remoteText(found.properties.modelType ?? "custom_model")));
  return {
    id: versionId(scope, "models", ref.name, version),
    name: ref.name,
    version,
    ...(found.properties.modelType ? { modelType: found.properties.modelType } : {}),
  };
}

function notFound(err: unknown): undefined {
  if (statusOf(err) === 404) return undefined;
  throw err;
}

export function isMlflowModel(model: ResolvedModel): boolean {
  return (model.modelType ?? "").toLowerCase().replace(/_/g, "") === "mlflowmodel";
}
