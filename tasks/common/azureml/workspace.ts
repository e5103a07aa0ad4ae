/**
 * The Azure ML workspace a task works in, and the ARM ids of what lives in it, spelled as the
 * resource provider's paths (REST spec 2022-10-01 mfe.json:
 * `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/codes/{name}/versions/{version}`)
 * and as azure-ai-ml writes them (azure/ai/ml/constants/_common.py RESOURCE_ID_FORMAT,
 * VERSIONED_RESOURCE_ID_FORMAT).
 */

/** Identifies a workspace. */
export interface WorkspaceScope {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
}

/** The versioned asset collections of a workspace. */
export type AssetCollection = "codes" | "components" | "data" | "environments" | "models";

/** The workspace's ARM id. */
export function workspaceId(scope: WorkspaceScope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${scope.workspaceName}`;
}

/** The workspace's ARM path for a request URL: {@link workspaceId} with each name URL-encoded. */
export function workspaceUrlPath(scope: WorkspaceScope): string {
  const [subscription, group, workspace] = [scope.subscriptionId, scope.resourceGroupName, scope.workspaceName].map(encodeURIComponent);
  return `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
}

/**
 * The ARM id of `name:version` of `collection`. `workspace`: the scope, or the workspace's ARM id as
 * the service spelled it (a workspace GET's `id`).
 */
export function assetVersionId(workspace: WorkspaceScope | string, collection: AssetCollection, name: string, version: string): string {
  const base = typeof workspace === "string" ? workspace.replace(/\/+$/, "") : workspaceId(workspace);
  return `${base}/${collection}/${name}/versions/${version}`;
}
