/**
 * The online endpoint: created when missing, updated in place when its settings differ (a PUT of
 * the whole endpoint that keeps the current traffic), left alone otherwise. Traffic changes are
 * the same read-modify-write PUT with a new map (2022-10-01 PATCH cannot carry traffic).
 */
import type { OnlineEndpoint } from "@azure/arm-machinelearning";
import { AzureOperationError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { azureCall, pollOptions, statusOf } from "./azureCall";
import type { DeployContext } from "./context";
import { endpointBody, type EndpointSpec } from "./endpointSpec";
import { describeTraffic, normalizeTraffic, type TrafficMap } from "./trafficSplit";

export interface EnsuredEndpoint {
  endpoint: OnlineEndpoint;
  created: boolean;
  /** Traffic before this run changed anything. */
  traffic: TrafficMap;
}

function context(ctx: DeployContext, name: string) {
  return { resource: `online endpoint '${name}' of workspace '${ctx.workspace.workspaceName}'`, resourceGroupName: ctx.workspace.resourceGroupName };
}

export async function getEndpoint(ctx: DeployContext, name: string): Promise<OnlineEndpoint | undefined> {
  const ws = ctx.workspace;
  return azureCall(ctx, context(ctx, name), async () => {
    try {
      return await ctx.ml.onlineEndpoints.get(ws.resourceGroupName, ws.workspaceName, name, { abortSignal: ctx.abortSignal });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  });
}

export async function ensureEndpoint(ctx: DeployContext, spec: EndpointSpec, resolved: { location: string; computeId: string }): Promise<EnsuredEndpoint> {
  const { loc, log } = ctx;
  const existing = await getEndpoint(ctx, spec.name);
  const traffic = normalizeTraffic(existing?.properties.traffic);
  if (existing) {
    const compute = existing.properties.compute ?? "";
    if (compute.toLowerCase() !== resolved.computeId.toLowerCase()) {
      throw new AzureOperationError(loc("EndpointOtherCompute", spec.name, compute.split("/").pop() || "(managed)", spec.computeName));
    }
    if (existing.properties.provisioningState !== "Succeeded" && existing.properties.provisioningState !== "Failed") {
      throw new AzureOperationError(loc("EndpointBusy", spec.name, existing.properties.provisioningState ?? "Unknown"));
    }
  }
  const body = endpointBody(spec, { ...resolved, traffic });
  if (existing && existing.properties.provisioningState === "Succeeded" && sameSettings(existing, body)) {
    log.info(loc("EndpointUnchanged", spec.name, describeTraffic(traffic)));
    return { endpoint: existing, created: false, traffic };
  }
  log.info(existing ? loc("EndpointUpdating", spec.name, spec.computeName, spec.authMode) : loc("EndpointCreating", spec.name, spec.computeName, spec.authMode));
  const endpoint = await putEndpoint(ctx, spec.name, body);
  log.info(loc("EndpointReady", spec.name, remoteText(endpoint.properties.scoringUri ?? "-")));
  return { endpoint, created: !existing, traffic };
}

/** Sets the endpoint's traffic map (read-modify-write PUT); returns the endpoint as Azure stored it. */
export async function setTraffic(ctx: DeployContext, name: string, traffic: TrafficMap): Promise<OnlineEndpoint> {
  const current = await getEndpoint(ctx, name);
  if (!current) throw new AzureOperationError(ctx.loc("EndpointGone", name));
  const body: OnlineEndpoint = {
    location: current.location,
    ...(current.tags ? { tags: current.tags } : {}),
    ...(current.identity?.type ? { identity: { type: current.identity.type, ...(current.identity.userAssignedIdentities ? { userAssignedIdentities: Object.fromEntries(Object.keys(current.identity.userAssignedIdentities).map((k) => [k, {}])) } : {}) } } : {}),
    properties: {
      authMode: current.properties.authMode,
      ...(current.properties.compute ? { compute: current.properties.compute } : {}),
      ...(current.properties.description ? { description: current.properties.description } : {}),
      ...(current.properties.properties ? { properties: withoutServiceProperties(current.properties.properties) } : {}),
      traffic: normalizeTraffic(traffic),
    },
  };
  ctx.log.info(ctx.loc("TrafficSetting", name, describeTraffic(traffic)));
  return putEndpoint(ctx, name, body);
}

async function putEndpoint(ctx: DeployContext, name: string, body: OnlineEndpoint): Promise<OnlineEndpoint> {
  const ws = ctx.workspace;
  const endpoint = await azureCall(ctx, context(ctx, name), () => ctx.ml.onlineEndpoints.beginCreateOrUpdateAndWait(ws.resourceGroupName, ws.workspaceName, name, body, pollOptions(ctx)));
  if (endpoint.properties.provisioningState && endpoint.properties.provisioningState !== "Succeeded") {
    throw new AzureOperationError(ctx.loc("EndpointFailed", name, endpoint.properties.provisioningState));
  }
  return endpoint;
}

/** Properties the service adds itself (the operation URL) are not sent back. */
function withoutServiceProperties(props: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => k !== "AzureAsyncOperationUri"));
}

function sameSettings(existing: OnlineEndpoint, wanted: OnlineEndpoint): boolean {
  const p = existing.properties;
  const w = wanted.properties;
  const same = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a ?? {})) === JSON.stringify(sortKeys(b ?? {}));
  return (
    p.authMode === w.authMode &&
    (p.description ?? "") === (w.description ?? "") &&
    same(existing.tags, wanted.tags) &&
    same(withoutServiceProperties(p.properties ?? {}), w.properties) &&
    (existing.identity?.type ?? "SystemAssigned") === (wanted.identity?.type ?? "SystemAssigned")
  );
}

function sortKeys(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
}
