/**
 * Workspaces: get, list by resource group, list by subscription, and the service discovery
 * document a workspace's `discoveryUrl` points at.
 */
import type { EmuRequest } from "../../framework";
import { PROVIDER, ok, page, workspaceResourceId } from "./common";
import type { MlService, WorkspaceState } from "./state";

const READ = "Microsoft.MachineLearningServices/workspaces/read";
export const DISCOVERY_PATH = "/_azureml/discovery";

/** Storage account name of a workspace (the Azurite account when it runs). */
export function storageAccountName(ml: MlService): string {
  return ml.ctx.blob()?.accountName ?? "devstoreaccount1";
}

export function workspaceBody(ml: MlService, ws: WorkspaceState): Record<string, unknown> {
  const base = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroupName}/providers`;
  const short = ws.workspaceName
    .replace(/[^a-zA-Z0-9]/g, "")
    .toLowerCase()
    .slice(0, 12);
  const host = new URL(ml.ctx.baseUrl()).host;
  return {
    id: workspaceResourceId(ws),
    name: ws.workspaceName,
    type: `${PROVIDER}/workspaces`,
    location: ws.location,
    tags: {},
    sku: { name: "Basic", tier: "Basic" },
    identity: { type: "SystemAssigned", principalId: ws.workspaceId, tenantId: ml.ctx.world.tenantId },
    systemData: ws.systemData,
    properties: {
      workspaceId: ws.workspaceId,
      friendlyName: ws.workspaceName,
      description: "",
      keyVault: `${base}/Microsoft.KeyVault/vaults/kv${short}`,
      applicationInsights: `${base}/Microsoft.insights/components/ai${short}`,
      containerRegistry: `${base}/Microsoft.ContainerRegistry/registries/cr${short}`,
      storageAccount: `${base}/Microsoft.Storage/storageAccounts/${storageAccountName(ml)}`,
      discoveryUrl: `${ml.ctx.baseUrl()}${DISCOVERY_PATH}`,
      mlFlowTrackingUri: `azureml://${host}/mlflow/v1.0${workspaceResourceId(ws)}`,
      provisioningState: "Succeeded",
      hbiWorkspace: false,
      tenantId: ml.ctx.world.tenantId,
      storageHnsEnabled: false,
      privateLinkCount: 0,
      publicNetworkAccess: "Enabled",
      allowPublicAccessWhenBehindVnet: false,
      v1LegacyMode: false,
      serviceProvisionedResourceGroup: `${ws.workspaceName}_${ws.workspaceId.replace(/-/g, "").slice(0, 16)}`,
    },
  };
}

export function registerWorkspaceRoutes(ml: MlService): void {
  ml.wsRoute("GET", "", READ, (_req, ws) => ok(workspaceBody(ml, ws)));

  const list = (req: EmuRequest, filter: (ws: WorkspaceState) => boolean) => {
    const items = [...ml.workspaces.values()].filter(filter).map((ws) => workspaceBody(ml, ws));
    return page(req, items, ml.pageOptions());
  };
  ml.ctx.router.add(
    "GET",
    `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${PROVIDER}/workspaces`,
    (req) =>
      list(
        req,
        (ws) =>
          ws.subscriptionId.toLowerCase() === req.params.subscriptionId.toLowerCase() &&
          ws.resourceGroupName.toLowerCase() === req.params.resourceGroupName.toLowerCase(),
      ),
    { auth: "arm", action: READ, apiVersions: ["2022-10-01"] },
  );
  ml.ctx.router.add(
    "GET",
    `/subscriptions/:subscriptionId/providers/${PROVIDER}/workspaces`,
    (req) => list(req, (ws) => ws.subscriptionId.toLowerCase() === req.params.subscriptionId.toLowerCase()),
    { auth: "arm", action: READ, apiVersions: ["2022-10-01"] },
  );

  // The discovery document (anonymous, as the service's: the SDK reads it without a token,
  // _job_operations.py `_get_workspace_url`): where the data-plane APIs live. Keys as recorded in
  // test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json; run history
  // is reached through `api` (./runHistory.ts).
  ml.ctx.router.add(
    "GET",
    DISCOVERY_PATH,
    () => {
      if (ml.discoveryFailure !== undefined)
        return { status: ml.discoveryFailure, body: { error: { code: "ServiceError", message: "The discovery service could not answer." } } };
      const base = ml.ctx.baseUrl();
      return ok({
        api: base,
        catalog: base,
        experimentation: base,
        gallery: `${base}/gallery/v1.0`,
        history: base,
        hyperdrive: base,
        labeling: base,
        modelmanagement: base,
        pipelines: base,
        studio: ml.ctx.baseUrl(),
        studiometadata: base,
      });
    },
    { auth: "none" },
  );
}
