/**
 * Rollback after any ending before success (failed deployment or smoke test, cancel, the task's
 * timeout, an error): undo this run's traffic change, then delete the new deployment (only one this
 * run created — an existing deployment updated in place is kept, since deleting it would remove what
 * served before; one whose creation Azure is still carrying out cannot be deleted yet, and the
 * warning says so). The traffic is restored read-modify-write with If-Match like every traffic change
 * (endpoint.ts): exactly the previous map when nobody changed it since this run's write, otherwise
 * only this deployment's share is undone, so another run's change is kept.
 * It runs on its own time budget (the task's signal has usually fired by then): after a cancel,
 * inside the agent's grace period. Never throws: a rollback problem is reported as a warning and the
 * original ending stays the task's result.
 */
import { CANCEL_GRACE_IN_MS } from "../common/taskEntry";
import { errorText } from "../common/errors";
import { azureCall, pollOptions } from "./azureCall";
import type { DeployContext } from "./operation";
import { getDeployment } from "./deploy";
import { updateTraffic } from "./endpoint";
import { describeTraffic, sameTraffic, shareOf, splitTraffic, type TrafficMap } from "./trafficSplit";

export interface RollbackPlan {
  endpointName: string;
  deploymentName: string;
  /** The split before this run. */
  previousTraffic: TrafficMap;
  /** The split this run wrote, or was writing when it was stopped (undefined: it wrote none). */
  writtenTraffic?: TrafficMap;
  /** Whether this run created the deployment. */
  createdDeployment: boolean;
}

/** After a pipeline cancel the rollback ends within the agent's grace period, with time left to report. */
export const CANCEL_ROLLBACK_BUDGET_IN_MS = CANCEL_GRACE_IN_MS - 2000;
/** Otherwise (failure, the task's own timeout) it gets this long. */
export const ROLLBACK_BUDGET_IN_MS = 120_000;

/** The traffic map that undoes this run's change to `current`. */
export function restoredTraffic(current: TrafficMap, plan: Pick<RollbackPlan, "deploymentName" | "previousTraffic" | "writtenTraffic">): TrafficMap {
  const previousShare = shareOf(plan.previousTraffic, plan.deploymentName);
  if (shareOf(current, plan.deploymentName) === previousShare) return current;
  if (plan.writtenTraffic && sameTraffic(current, plan.writtenTraffic)) return plan.previousTraffic;
  return splitTraffic(current, plan.deploymentName, previousShare).traffic;
}

export async function rollback(ctx: DeployContext, plan: RollbackPlan, budgetInMs: number): Promise<boolean> {
  const { loc, log } = ctx;
  const ws = ctx.workspace;
  const rctx: DeployContext = { ...ctx, abortSignal: AbortSignal.timeout(budgetInMs) };
  log.info(loc("RollbackStarting", plan.deploymentName, plan.endpointName));
  let ok = true;
  try {
    const update = await updateTraffic(rctx, plan.endpointName, (current) => restoredTraffic(current, plan));
    if (!sameTraffic(update.before, update.after)) log.info(loc("RollbackTrafficRestored", plan.endpointName, describeTraffic(update.after)));
    const state = plan.createdDeployment ? (await getDeployment(rctx, plan.endpointName, plan.deploymentName))?.properties.provisioningState : undefined;
    if (plan.createdDeployment && state && state !== "Succeeded" && state !== "Failed" && state !== "Canceled") {
      // A deployment operation Azure is still carrying out cannot be deleted (409): say so, delete nothing.
      ok = false;
      log.warning(loc("RollbackFailed", plan.deploymentName, loc("RollbackStillProvisioning", state)));
    } else if (plan.createdDeployment && state) {
      log.info(loc("RollbackDeleting", plan.deploymentName));
      await azureCall(
        rctx,
        { resource: `deployment '${plan.deploymentName}' of endpoint '${plan.endpointName}'`, resourceGroupName: ws.resourceGroupName },
        () => ctx.ml.onlineDeployments.beginDeleteAndWait(ws.resourceGroupName, ws.workspaceName, plan.endpointName, plan.deploymentName, pollOptions(rctx)),
      );
      log.info(loc("RollbackDeleted", plan.deploymentName));
    } else if (!plan.createdDeployment) {
      log.warning(loc("RollbackKeptExisting", plan.deploymentName));
    }
  } catch (err) {
    ok = false;
    const reason = rctx.abortSignal.aborted ? loc("RollbackOutOfTime", Math.round(budgetInMs / 1000)) : errorText(err);
    log.warning(loc("RollbackFailed", plan.deploymentName, reason));
  }
  return ok;
}
