/**
 * The scoring code as the CLI registers it: the local folder is hashed and uploaded to the
 * workspace's default datastore under `LocalUpload/<md5>/<folder>` (skipped when that content is
 * already there), then registered as an anonymous code version whose `codeUri` is the uploaded
 * folder, with the CLI's SHA-256 content hash in its properties. A code reference
 * (`azureml:<name>:<version>` or an id) is used as it is.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { codeAssetName } from "../common/azureml/assetNames";
import { anonymousCodeBody, registerVersion, uploadedCodeUri } from "../common/azureml/registration";
import { assetVersionId } from "../common/azureml/workspace";
import { LocalArtifactError, codeUriPathOf, hashLocalArtifact } from "../common/contentHash";
import { markIndicator, resolveDatastore, uploadArtifact } from "../common/datastore";
import { InputError } from "../common/errors";
import { COMPONENT_CODE_ALWAYS_IGNORED } from "../common/ignoreRules";
import { azureCall } from "./azureCall";
import type { DeployContext } from "./operation";
import type { CodeSpec } from "./endpointSpec";
import { AssetReferenceError, parseAssetReference } from "./references";

/** Returns the code version's ARM id. */
export async function resolveCode(ctx: DeployContext, code: CodeSpec): Promise<string> {
  if (code.kind === "reference") {
    try {
      const ref = parseAssetReference(code.value, "codes");
      if (ref.form === "id") return assetVersionId(ref.scope, "codes", ref.name, ref.version);
      if (ref.version === undefined) throw new AssetReferenceError(`'${code.value}': give the code version (azureml:<name>:<version>).`);
      return assetVersionId(ctx.workspace, "codes", ref.name, ref.version);
    } catch (err) {
      if (err instanceof AssetReferenceError) throw new InputError("deploymentFile", err.message);
      throw err;
    }
  }
  return registerLocalCode(ctx, code.path, code.scoringScript);
}

async function registerLocalCode(ctx: DeployContext, folder: string, scoringScript: string): Promise<string> {
  const { ml, workspace: ws, loc, log } = ctx;
  if (!fs.existsSync(path.join(folder, scoringScript))) {
    throw new InputError("scoringScript", loc("ScoringScriptMissing", scoringScript, folder));
  }
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
    artifact = await hashLocalArtifact(folder, {
      extraIgnorePatterns: COMPONENT_CODE_ALWAYS_IGNORED,
      computeContentHash: true,
      abortSignal: ctx.abortSignal,
      onFirstFile: lookUp,
    });
  } catch (err) {
    if (err instanceof LocalArtifactError) throw new InputError("codePath", loc("CodeFolderUnusable", folder, err.message));
    throw err;
  }
  const target = await (datastore ?? lookUp());
  const name = codeAssetName(target.datastoreName, artifact.blobPrefix);
  const version = "1";
  const upload = await uploadArtifact(target, artifact, { abortSignal: ctx.abortSignal, log, loc, assetName: name, assetVersion: version });
  const codeUri = uploadedCodeUri(target.containerUrl, codeUriPathOf(artifact));
  const created = await azureCall(
    ctx,
    { resource: `code version '${name}:${version}' in workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName },
    () =>
      registerVersion(ml.codeVersions, ws, { collection: "codes", name, version }, anonymousCodeBody(codeUri, artifact.contentHash ?? ""), {
        abortSignal: ctx.abortSignal,
      }),
  );
  if (upload.uploaded) await markIndicator(target, artifact, { name, version }, ctx);
  log.info(upload.uploaded ? loc("CodeUploaded", folder, `${name}:${version}`) : loc("CodeReused", folder, `${name}:${version}`));
  return created.id;
}
