/**
 * The Kubernetes online deployment: PUT and wait (LRO), with progress in the log. When it ends
 * Failed, the container logs of both containers (getLogs) are printed before the task fails:
 * the operation error names the symptom, the logs the cause.
 */
import type { OnlineDeployment } from "@azure/arm-machinelearning";
import { AzureOperationError, RemoteRunError } from "../common/errors";
import { formatDuration } from "../common/logging";
import { azureCall, pollOptions, statusOf } from "./azureCall";
import type { DeployContext } from "./context";

export interface DeployedModel {
  deployment: OnlineDeployment;
  /** False when an existing deployment of that name was updated in place. */
  created: boolean;
}

/** The deployment ended Failed; `created` says whether this run created it (so a rollback may delete it). */
export class DeploymentFailedError extends RemoteRunError {
  constructor(
    message: string,
    readonly created: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Log lines of each container printed on failure. */
export const FAILURE_LOG_LINES = 100;
const PROGRESS_EVERY_MS = 15_000;

export async function getDeployment(ctx: DeployContext, endpointName: string, name: string): Promise<OnlineDeployment | undefined> {
  const ws = ctx.workspace;
  return azureCall(ctx, { resource: `deployment '${name}' of endpoint '${endpointName}'`, resourceGroupName: ws.resourceGroupName }, async () => {
    try {
      return await ctx.ml.onlineDeployments.get(ws.resourceGroupName, ws.workspaceName, endpointName, name, { abortSignal: ctx.abortSignal });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  });
}

/** `existing`: the deployment as read before (undefined: this run creates it). */
export async function createOrUpdateDeployment(ctx: DeployContext, endpointName: string, name: string, body: OnlineDeployment, existing: OnlineDeployment | undefined): Promise<DeployedModel> {
  const { loc, log } = ctx;
  const ws = ctx.workspace;
  const props = body.properties as { model?: string; instanceType?: string };
  const what = [name, endpointName, props.model?.split("/models/").pop() ?? "-", props.instanceType ?? "defaultinstancetype", body.sku?.capacity ?? 1];
  log.info(existing ? loc("DeploymentUpdating", ...what) : loc("DeploymentCreating", ...what));
  const started = Date.now();
  let lastProgress = started;
  const context = { resource: `deployment '${name}' of endpoint '${endpointName}'`, resourceGroupName: ws.resourceGroupName };
  let deployment: OnlineDeployment;
  try {
    deployment = await azureCall(ctx, context, async () => {
      const poller = await ctx.ml.onlineDeployments.beginCreateOrUpdate(ws.resourceGroupName, ws.workspaceName, endpointName, name, body, pollOptions(ctx));
      poller.onProgress(() => {
        if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = Date.now();
        log.info(loc("DeploymentProgress", name, formatDuration(Date.now() - started)));
      });
      return poller.pollUntilDone({ abortSignal: ctx.abortSignal });
    });
  } catch (err) {
    if (ctx.abortSignal.aborted || !(err instanceof AzureOperationError)) throw err;
    await printLogs(ctx, endpointName, name);
    throw new DeploymentFailedError(loc("DeploymentFailed", name, endpointName, err.message), !existing, { cause: err });
  }
  const state = deployment.properties.provisioningState;
  if (state !== undefined && state !== "Succeeded") {
    await printLogs(ctx, endpointName, name);
    throw new DeploymentFailedError(loc("DeploymentFailed", name, endpointName, state), !existing);
  }
  log.info(loc("DeploymentDone", name, formatDuration(Date.now() - started)));
  return { deployment, created: !existing };
}

/** Prints the tail of the storage initializer's and the inference server's logs; never throws. */
export async function printLogs(ctx: DeployContext, endpointName: string, name: string): Promise<void> {
  const ws = ctx.workspace;
  for (const containerType of ["StorageInitializer", "InferenceServer"] as const) {
    ctx.log.group(ctx.loc("DeploymentLogs", name, containerType));
    try {
      const logs = await ctx.ml.onlineDeployments.getLogs(ws.resourceGroupName, ws.workspaceName, endpointName, name, { containerType, tail: FAILURE_LOG_LINES }, { abortSignal: ctx.abortSignal });
      for (const line of (logs.content ?? "").split(/\r?\n/)) if (line) ctx.log.info(neutralize(line));
    } catch (err) {
      ctx.log.info(ctx.loc("DeploymentLogsUnavailable", (err as Error).message));
    } finally {
      ctx.log.endGroup();
    }
  }
}

/** Remote text must not issue logging commands (`##vso[`, `##[`) on the agent's command channel. */
export function neutralize(line: string): string {
  return line.replace(/##(vso)?\[/gi, (m) => m.replace("##", "#\u200b#"));
}
