/**
 * Per-kind access to the workspace's versioned assets and named children through the SDK: GET one
 * version, the newest version (`$orderBy=createdtime desc&$top=1`, as the CLI resolves `@latest`), and
 * the collection names used in messages.
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { WorkspaceReference } from "./loader";
import type { WorkspaceScope } from "../common/azureml/workspace";

type AssetKind = "codes" | "components" | "environments" | "data" | "models";

/** What a message calls a reference kind ("component 'train:1'"). */
export const KIND_NOUN: Readonly<Record<WorkspaceReference["kind"], string>> = {
  codes: "code",
  components: "component",
  environments: "environment",
  data: "data asset",
  models: "model",
  computes: "compute",
  datastores: "datastore",
};

interface VersionOperations {
  get(rg: string, ws: string, name: string, version: string, options?: { abortSignal?: AbortSignal }): Promise<{ id?: string }>;
  list(
    rg: string,
    ws: string,
    name: string,
    options?: { orderBy?: string; top?: number; abortSignal?: AbortSignal },
  ): AsyncIterable<{ id?: string; name?: string }>;
}

function versionOperations(ml: AzureMachineLearningWorkspaces, kind: AssetKind): VersionOperations {
  switch (kind) {
    case "codes":
      return ml.codeVersions;
    case "components":
      return ml.componentVersions;
    case "environments":
      return ml.environmentVersions;
    case "data":
      return ml.dataVersions;
    case "models":
      return ml.modelVersions;
  }
}

/** ARM id of `name:version`, or throws the SDK's error (404 when it does not exist). */
export async function getAssetVersionId(
  ml: AzureMachineLearningWorkspaces,
  ws: WorkspaceScope,
  kind: AssetKind,
  name: string,
  version: string,
  abortSignal: AbortSignal,
): Promise<string | undefined> {
  const found = await versionOperations(ml, kind).get(ws.resourceGroupName, ws.workspaceName, name, version, { abortSignal });
  return found.id;
}

/** ARM id of the newest version, or undefined when there is none. */
export async function latestAssetVersionId(
  ml: AzureMachineLearningWorkspaces,
  ws: WorkspaceScope,
  kind: AssetKind,
  name: string,
  abortSignal: AbortSignal,
): Promise<string | undefined> {
  for await (const version of versionOperations(ml, kind).list(ws.resourceGroupName, ws.workspaceName, name, {
    orderBy: "createdtime desc",
    top: 1,
    abortSignal,
  })) {
    return version.id;
  }
  return undefined;
}

export function isAssetKind(kind: WorkspaceReference["kind"]): kind is AssetKind {
  return kind !== "computes" && kind !== "datastores";
}
