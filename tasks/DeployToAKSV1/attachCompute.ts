/**
 * The Kubernetes compute the endpoint runs on: used as it is when the cluster is already attached
 * under this name, attached otherwise (`az ml compute attach --type Kubernetes`: PUT computes/<name>
 * with computeType Kubernetes, the cluster id and the namespace; LRO).
 */
import type { ComputeResource, Kubernetes } from "@azure/arm-machinelearning";
import { AzureOperationError, InputError } from "../common/errors";
import { azureCall, pollOptions } from "./azureCall";
import { isNotFound } from "../common/restErrors";
import { checkCluster, type CheckedCluster } from "./clusterCheck";
import type { DeployContext } from "./operation";
import { workspaceId } from "../common/azureml/workspace";

export interface ComputeRequest {
  computeName: string;
  clusterId: string;
  /** Kubernetes namespace for the endpoints (used when attaching). */
  namespace: string;
  /** The workspace's location. */
  location: string;
}

/** Returns the compute's ARM id once it is attached and Succeeded. */
export async function ensureKubernetesCompute(ctx: DeployContext, req: ComputeRequest): Promise<string> {
  const { ml, workspace: ws, loc, log } = ctx;
  const what = `compute '${req.computeName}' of workspace '${ws.workspaceName}'`;
  const context = { resource: what, resourceGroupName: ws.resourceGroupName };
  const existing = await azureCall(ctx, context, async () => {
    try {
      return await ml.computeOperations.get(ws.resourceGroupName, ws.workspaceName, req.computeName, { abortSignal: ctx.abortSignal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  const id = `${workspaceId(ws)}/computes/${req.computeName}`;
  if (existing) {
    checkExisting(ctx, existing, req);
    log.info(loc("ComputeAttached", req.computeName, req.clusterId.split("/").pop()));
    return existing.id ?? id;
  }

  log.info(loc("ComputeAttaching", req.clusterId.split("/").pop(), req.computeName, req.namespace));
  const body: ComputeResource = {
    location: req.location,
    identity: { type: "SystemAssigned" },
    properties: { computeType: "Kubernetes", resourceId: req.clusterId, properties: { namespace: req.namespace } } as Kubernetes,
  };
  const attached = await azureCall(ctx, context, () =>
    ml.computeOperations.beginCreateOrUpdateAndWait(ws.resourceGroupName, ws.workspaceName, req.computeName, body, pollOptions(ctx)),
  ).catch((err: unknown) => {
    if (err instanceof AzureOperationError)
      throw new AzureOperationError(loc("ComputeAttachFailed", req.computeName, err.message), {
        code: err.code,
        statusCode: err.statusCode,
        requestId: err.requestId,
        cause: err,
      });
    throw err;
  });
  const state = attached.properties?.provisioningState;
  if (state !== undefined && state !== "Succeeded") {
    const errors = (attached.properties?.provisioningErrors ?? [])
      .map((e) => e.error?.message)
      .filter(Boolean)
      .join(" ");
    throw new AzureOperationError(loc("ComputeAttachFailed", req.computeName, `${state}. ${errors}`.trim()));
  }
  log.info(loc("ComputeAttachDone", req.computeName));
  return attached.id ?? id;
}

/**
 * Without aksClusterName: the compute must already be attached (the CLI's deployment YAML only names the
 * compute); its cluster is then checked like a named one when it is an AKS cluster, before anything changes.
 */
export async function clusterOfAttachedCompute(ctx: DeployContext, computeName: string): Promise<CheckedCluster> {
  const { ml, workspace: ws, loc } = ctx;
  const compute = await azureCall(
    ctx,
    { resource: `compute '${computeName}' of workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName },
    async () => {
      try {
        return await ml.computeOperations.get(ws.resourceGroupName, ws.workspaceName, computeName, { abortSignal: ctx.abortSignal });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  );
  if (!compute) throw new InputError("aksClusterName", loc("ComputeNotAttachedNoCluster", computeName, ws.workspaceName));
  const clusterId = compute.properties?.resourceId ?? "";
  checkExisting(ctx, compute, { computeName, clusterId, namespace: "", location: "" });
  const aks = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i.exec(clusterId);
  if (aks) return checkCluster(ctx, { resourceGroupName: aks[1], clusterName: aks[2] });
  return { id: clusterId };
}

function checkExisting(ctx: DeployContext, compute: ComputeResource, req: ComputeRequest): void {
  const props = compute.properties;
  if (props?.computeType !== "Kubernetes") {
    throw new AzureOperationError(ctx.loc("ComputeWrongType", req.computeName, props?.computeType ?? "unknown"));
  }
  if (props.resourceId && props.resourceId.toLowerCase() !== req.clusterId.toLowerCase()) {
    throw new AzureOperationError(ctx.loc("ComputeOtherCluster", req.computeName, props.resourceId, req.clusterId));
  }
  if (props.provisioningState !== "Succeeded") {
    const errors = (props.provisioningErrors ?? [])
      .map((e) => e.error?.message)
      .filter(Boolean)
      .join(" ");
    throw new AzureOperationError(ctx.loc("ComputeNotReady", req.computeName, props.provisioningState ?? "Unknown", errors || "-"));
  }
}
