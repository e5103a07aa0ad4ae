/**
 * Rollback after a failed deployment or smoke test: put the traffic split back as it was before
 * the run, then delete the new deployment (only one this run created — an existing deployment
 * updated in place is kept, since deleting it would remove what served before). Never throws:
 * a rollback problem is reported as a warning and the original failure stays the task's result.
 */
import { errorText } from "../common/errors";
import { azureCall, pollOptions } from "./azureCall";
import type { DeployContext } from "./context";
import { setTraffic } from "./endpoint";
import { describeTraffic, sameTraffic, type TrafficMap } from "./trafficSplit";

export interface RollbackPlan {
  endpointName: string;
  deploymentName: string;
  /** The split before this run. */
  previousTraffic: TrafficMap;
  /** The split now (after this run changed it, or unchanged). */
  currentTraffic: TrafficMap;
  /** Whether this run created the deployment. */
  createdDeployment: boolean;
}

export async function rollback(ctx: DeployContext, plan: RollbackPlan): Promise<boolean> {
  const { loc, log } = ctx;
  const ws = ctx.workspace;
  log.info(loc("RollbackStarting", plan.deploymentName, plan.endpointName));
  let ok = true;
  try {
    if (!sameTraffic(plan.previousTraffic, plan.currentTraffic)) {
      await setTraffic(ctx, plan.endpointName, plan.previousTraffic);
      log.info(loc("RollbackTrafficRestored", plan.endpointName, describeTraffic(plan.previousTraffic)));
    }
    if (plan.createdDeployment) {
      log.info(loc("RollbackDeleting", plan.deploymentName));
      await azureCall(ctx, { resource: `deployment '${plan.deploymentName}' of endpoint '${plan.endpointName}'`, resourceGroupName: ws.resourceGroupName }, () =>
        ctx.ml.onlineDeployments.beginDeleteAndWait(ws.resourceGroupName, ws.workspaceName, plan.endpointName, plan.deploymentName, pollOptions(ctx)),
      );
      log.info(loc("RollbackDeleted", plan.deploymentName));
    } else {
      log.warning(loc("RollbackKeptExisting", plan.deploymentName));
    }
  } catch (err) {
    if (ctx.abortSignal.aborted) throw err;
    ok = false;
    log.warning(loc("RollbackFailed", plan.deploymentName, errorText(err)));
  }
  return ok;
}
