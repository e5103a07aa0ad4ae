/** {@link ArtifactStore} over the workspace's datastores (tasks/common/datastore.ts), one target per datastore. */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { AzureConnection } from "../common/connection";
import { resolveDatastore, uploadArtifact, type DatastoreTarget } from "../common/datastore";
import type { EntryContext } from "../common/operation";
import type { ArtifactStore } from "./artifactStore";
import type { WorkspaceScope } from "../common/azureml/workspace";

export function datastoreArtifactStore(
  ml: AzureMachineLearningWorkspaces,
  workspace: WorkspaceScope,
  conn: Pick<AzureConnection, "credential" | "network">,
  options: EntryContext,
): ArtifactStore {
  const targets = new Map<string, Promise<DatastoreTarget>>();
  const target = (datastoreName: string): Promise<DatastoreTarget> => {
    let t = targets.get(datastoreName);
    if (!t) {
      t = resolveDatastore(ml, { resourceGroupName: workspace.resourceGroupName, workspaceName: workspace.workspaceName, datastoreName }, conn, options);
      targets.set(datastoreName, t);
      t.catch(() => targets.delete(datastoreName));
    }
    return t;
  };
  return {
    containerUrl: async (datastoreName) => (await target(datastoreName)).containerUrl,
    upload: async (datastoreName, artifact, asset) =>
      uploadArtifact(await target(datastoreName), artifact, {
        abortSignal: options.abortSignal,
        log: options.log,
        loc: options.loc,
        assetName: asset?.name,
        assetVersion: asset?.version,
      }),
  };
}
