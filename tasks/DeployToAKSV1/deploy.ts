/**
 * The Kubernetes online deployment: PUT and wait (LRO), with progress in the log. When it ends
 * Failed, the container logs of both containers (getLogs) are printed before the task fails:
 * the operation error names the symptom, the logs the cause.
 */
import type { OnlineDeployment } from "@azure/arm-machinelearning";
import { AzureOperationError, RemoteRunError } from "../common/errors";
import { formatDuration } from "../common/logging";
import { remoteText } from "../common/remoteText";
import { azureCall, pollOptions } from "./azureCall";
import { isNotFound } from "../common/restErrors";
import type { DeployContext } from "./operation";

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
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
}

/** `existing`: the deployment as read before (undefined: this run creates it). */
export async function createOrUpdateDeployment(
  ctx: DeployContext,
  endpointName: string,
  name: string,
  body: OnlineDeployment,
  existing: OnlineDeployment | undefined,
): Promise<DeployedModel> {
  const { loc, log } = ctx;
  const ws = ctx.workspace;
  const props = body.properties as { model?: string; instanceType?: string };
  const what = [name, endpointName, props.model?.split("/models/").pop() ?? "-", props.instanceType ?? "defaultinstancetype", body.sku?.capacity ?? 1];
  if (existing && existing.properties.provisioningState === "Succeeded" && sameDeployment(existing, body)) {
    log.info(loc("DeploymentUnchanged", ...what));
    return { deployment: existing, created: false };
  }
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

/** Keys of a deployment's maps that the service adds itself (AzureAsyncOperationUri, as on endpoints: endpoint.ts). */
const SERVICE_PROPERTIES = new Set(["azureasyncoperationuri"]);

/**
 * Whether the deployment as read already is what `wanted` asks for, comparing what the task sends
 * only: each value sent must be found as sent (objects as subsets, so the defaults and fields the
 * service fills in — provisioning state, probe and request-setting defaults, scale settings — do not
 * count); the user's own maps (tags, properties, environment variables) must match exactly.
 */
export function sameDeployment(existing: OnlineDeployment, wanted: OnlineDeployment): boolean {
  const have = existing.properties as unknown as Record<string, unknown>;
  const want = wanted.properties as unknown as Record<string, unknown>;
  const exactMaps = new Set(["properties", "environmentVariables"]);
  for (const [key, value] of Object.entries(want)) {
    if (exactMaps.has(key)) {
      if (!sameMap(value, have[key])) return false;
    } else if (!contains(have[key], value)) return false;
  }
  return sameMap(wanted.tags, existing.tags) && (wanted.sku?.capacity ?? 1) === (existing.sku?.capacity ?? 1);
}

function sameMap(a: unknown, b: unknown): boolean {
  const own = (m: unknown) =>
    Object.entries((m ?? {}) as Record<string, unknown>)
      .filter(([k]) => !SERVICE_PROPERTIES.has(k.toLowerCase()))
      .sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(own(a)) === JSON.stringify(own(b));
}

/** `have` holds `want`: equal scalars (strings case-insensitively, ids and enums vary in case), objects key by key. */
function contains(have: unknown, want: unknown): boolean {
  if (want === undefined || want === null) return true;
  if (typeof want === "string") return typeof have === "string" && have.toLowerCase() === want.toLowerCase();
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => contains(have[i], w));
  if (typeof want === "object")
    return (
      !!have && typeof have === "object" && Object.entries(want as Record<string, unknown>).every(([k, v]) => contains((have as Record<string, unknown>)[k], v))
    );
  return have === want;
}

/** Prints the tail of the storage initializer's and the inference server's logs; never throws. */
export async function printLogs(ctx: DeployContext, endpointName: string, name: string): Promise<void> {
  const ws = ctx.workspace;
  for (const containerType of ["StorageInitializer", "InferenceServer"] as const) {
    ctx.log.group(ctx.loc("DeploymentLogs", name, containerType));
    try {
      const logs = await ctx.ml.onlineDeployments.getLogs(
        ws.resourceGroupName,
        ws.workspaceName,
        endpointName,
        name,
        { containerType, tail: FAILURE_LOG_LINES },
        { abortSignal: ctx.abortSignal },
      );
      for (const line of (logs.content ?? "").split(/\r?\n/)) if (line) ctx.log.info(remoteText(line));
    } catch (err) {
      ctx.log.info(ctx.loc("DeploymentLogsUnavailable", remoteText((err as Error).message)));
    } finally {
      ctx.log.endGroup();
    }
  }
}
