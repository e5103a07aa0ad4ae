/**
 * The deployment's environment: a reference (`azureml:<name>:<version>`, `<name>@latest`, an id, or
 * a curated `azureml:AzureML-…` name the service expands) → an id; an inline environment (image +
 * conda file) → registered as the named version it declares, or as an anonymous version of
 * `CliV2AnonymousEnvironment` named by a hash of its content (as the CLI does), so the same
 * content is registered once.
 */
import { ANONYMOUS_ENVIRONMENT_NAME } from "../common/azureml/assetNames";
import { registerVersion } from "../common/azureml/registration";
import { assetVersionId } from "../common/azureml/workspace";
import { anonymousEnvironmentVersion, condaFileText, readCondaFile } from "../common/cliEnvironment";
import { AzureOperationError, InputError } from "../common/errors";
import { azureCall } from "./azureCall";
import { isNotFound } from "../common/restErrors";
import type { DeployContext } from "./operation";
import type { EnvironmentSpec } from "./endpointSpec";
import { AssetReferenceError, parseAssetReference } from "./references";

export async function resolveEnvironment(ctx: DeployContext, env: EnvironmentSpec, inputName: string): Promise<string> {
  return env.kind === "reference" ? resolveReference(ctx, env.value, inputName) : registerInline(ctx, env, inputName);
}

async function resolveReference(ctx: DeployContext, raw: string, inputName: string): Promise<string> {
  if (/^azureml:AzureML-/i.test(raw.trim())) return raw.trim();
  let ref;
  try {
    ref = parseAssetReference(raw, "environments");
  } catch (err) {
    if (err instanceof AssetReferenceError) throw new InputError(inputName, err.message);
    throw err;
  }
  if (ref.form === "id") return assetVersionId(ref.scope, "environments", ref.name, ref.version);
  const ws = ctx.workspace;
  const context = { resource: `environment '${ref.name}' in workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName };
  if (ref.version !== undefined) {
    await azureCall(ctx, context, () =>
      ctx.ml.environmentVersions.get(ws.resourceGroupName, ws.workspaceName, ref.name, ref.version!, { abortSignal: ctx.abortSignal }),
    ).catch((err: unknown) => {
      if (isNotFound(err))
        throw new AzureOperationError(ctx.loc("EnvironmentNotFound", `${ref.name}:${ref.version}`, ws.workspaceName), { statusCode: 404, cause: err });
      throw err;
    });
    return assetVersionId(ws, "environments", ref.name, ref.version);
  }
  const latest = await azureCall(ctx, context, async () => {
    for await (const v of ctx.ml.environmentVersions.list(ws.resourceGroupName, ws.workspaceName, ref.name, {
      orderBy: "createdtime desc",
      top: 1,
      abortSignal: ctx.abortSignal,
    }))
      return v.name;
    return undefined;
  }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!latest) throw new AzureOperationError(ctx.loc("EnvironmentNotFound", `${ref.name}@latest`, ws.workspaceName));
  return assetVersionId(ws, "environments", ref.name, latest);
}

async function registerInline(ctx: DeployContext, env: Extract<EnvironmentSpec, { kind: "inline" }>, inputName: string): Promise<string> {
  let condaFile: string | undefined;
  if (env.conda && "path" in env.conda) {
    try {
      const conda = await readCondaFile(env.conda.path);
      conda.warnings.forEach((w) => ctx.log.warning(w));
      condaFile = conda.text;
    } catch (err) {
      throw new InputError(inputName, ctx.loc("CondaFileUnreadable", env.conda.path, (err as Error).message));
    }
  } else if (env.conda) {
    condaFile = condaFileText(env.conda.inline);
  }
  const properties = {
    image: env.image,
    ...(condaFile !== undefined ? { condaFile } : {}),
    ...(env.description ? { description: env.description } : {}),
    osType: "Linux" as const,
  };
  const anonymous = !env.name;
  const name = env.name ?? ANONYMOUS_ENVIRONMENT_NAME;
  const version = env.version ?? (anonymous ? anonymousEnvironmentVersion(env.image, condaFile) : undefined);
  if (!version) throw new InputError(inputName, ctx.loc("EnvironmentVersionMissing", name));
  const ws = ctx.workspace;
  const created = await azureCall(
    ctx,
    { resource: `environment '${name}:${version}' in workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName },
    () =>
      registerVersion(
        ctx.ml.environmentVersions,
        ws,
        { collection: "environments", name, version },
        { properties: { ...properties, isAnonymous: anonymous } },
        { abortSignal: ctx.abortSignal },
      ),
  );
  ctx.log.info(ctx.loc("EnvironmentRegistered", `${name}:${version}`, env.image));
  return created.id;
}
