/**
 * Before anything changes: the AKS cluster exists, is provisioned and is running
 * (managedClusters get, @azure/arm-containerservice).
 */
import { AzureOperationError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { azureCall } from "./azureCall";
import { isResourceNotFound } from "../common/restErrors";
import type { DeployContext } from "./operation";

export interface ClusterRef {
  resourceGroupName: string;
  clusterName: string;
}

export interface CheckedCluster {
  /** ARM id of the managed cluster (what a Kubernetes compute attaches). */
  id: string;
  location?: string;
  kubernetesVersion?: string;
}

export async function checkCluster(ctx: DeployContext, ref: ClusterRef): Promise<CheckedCluster> {
  const { loc } = ctx;
  const what = `AKS cluster '${ref.clusterName}'`;
  const cluster = await azureCall(ctx, { resource: what, resourceGroupName: ref.resourceGroupName }, async () => {
    try {
      return await ctx.aks.managedClusters.get(ref.resourceGroupName, ref.clusterName, { abortSignal: ctx.abortSignal });
    } catch (err) {
      if (isResourceNotFound(err)) {
        throw new AzureOperationError(loc("ClusterNotFound", ref.clusterName, ref.resourceGroupName), {
          statusCode: 404,
          code: "ResourceNotFound",
          cause: err,
        });
      }
      throw err;
    }
  });
  const state = cluster.provisioningState;
  const power = cluster.powerState?.code;
  if (state !== "Succeeded") {
    throw new AzureOperationError(loc("ClusterNotProvisioned", ref.clusterName, ref.resourceGroupName, state ?? "Unknown"));
  }
  if (power !== undefined && power !== "Running") {
    throw new AzureOperationError(loc("ClusterNotRunning", ref.clusterName, ref.resourceGroupName, power));
  }
  const id =
    cluster.id ??
    `/subscriptions/${ctx.workspace.subscriptionId}/resourceGroups/${ref.resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${ref.clusterName}`;
  ctx.log.info(loc("ClusterReady", ref.clusterName, remoteText(cluster.kubernetesVersion ?? "?"), remoteText(cluster.location ?? "?")));
  return {
    id,
    ...(cluster.location ? { location: cluster.location } : {}),
    ...(cluster.kubernetesVersion ? { kubernetesVersion: cluster.kubernetesVersion } : {}),
  };
}
