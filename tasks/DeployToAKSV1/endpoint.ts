/**
 * The online endpoint: created when missing, updated in place when its settings differ (a PUT of
 * the whole endpoint that keeps the current traffic), left alone otherwise. Traffic changes are
 * the same read-modify-write PUT with a new map (2022-10-01 PATCH cannot carry traffic).
 *
 * Every write is conditional: the map is computed from a read taken just before the PUT, the PUT
 * carries `If-Match: <ETag of that read>` when the service gave one (412 → read again and
 * recompute), and the result is read back, so two runs on one endpoint never lose a change.
 * Service-side support of ETag/If-Match on online endpoints is not shown by any recording: see
 * devkit/emulator/GUESSES.md ("Online endpoints: ETag and If-Match"); without an ETag the read-back
 * check still catches a write that raced with another.
 */
import type { OnlineEndpoint } from "@azure/arm-machinelearning";
import { AzureOperationError } from "../common/errors";
import { remoteText } from "../common/remoteText";
import { sleep } from "../common/wait";
import { azureCall, pollOptions } from "./azureCall";
import { isConflict, isNotFound, isPreconditionFailed } from "../common/restErrors";
import type { DeployContext } from "./operation";
import { endpointBody, type EndpointSpec } from "./endpointSpec";
import { describeTraffic, normalizeTraffic, sameTraffic, type TrafficMap } from "./trafficSplit";

export interface EnsuredEndpoint {
  endpoint: OnlineEndpoint;
  created: boolean;
  /** Traffic before this run changed anything. */
  traffic: TrafficMap;
}

/** An endpoint as read, with the ETag of the answer (undefined when the service sends none). */
export interface ReadEndpoint {
  endpoint: OnlineEndpoint;
  etag?: string;
}

/** Conditional writes lost to another writer (412, 409 busy, or a read-back that differs) are retried this often. */
export const MAX_WRITE_ATTEMPTS = 6;

/**
 * Keys of `properties.properties` that the service adds itself; they are not the user's settings
 * and are never sent back. Recorded: Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/online_services/e2etests/test_online_deployment.pyTestOnlineDeploymenttest_online_deployment.json
 * (PUT onlineEndpoints answer: "azureml.onlineendpointid", "AzureAsyncOperationUri"); newer API
 * versions also add createdAt/createdBy/lastModifiedAt (az ml online-endpoint show output quoted in
 * Azure ML issue threads; matched case-insensitively).
 */
const SERVICE_PROPERTIES = new Set(["azureasyncoperationuri", "azureml.onlineendpointid", "createdat", "createdby", "lastmodifiedat"]);

function context(ctx: DeployContext, name: string) {
  return { resource: `online endpoint '${name}' of workspace '${ctx.workspace.workspaceName}'`, resourceGroupName: ctx.workspace.resourceGroupName };
}

export async function getEndpoint(ctx: DeployContext, name: string): Promise<OnlineEndpoint | undefined> {
  return (await readEndpoint(ctx, name))?.endpoint;
}

/** GET with the answer's ETag; undefined when the endpoint does not exist. */
export async function readEndpoint(ctx: DeployContext, name: string): Promise<ReadEndpoint | undefined> {
  const ws = ctx.workspace;
  let etag: string | undefined;
  const endpoint = await azureCall(ctx, context(ctx, name), async () => {
    try {
      return await ctx.ml.onlineEndpoints.get(ws.resourceGroupName, ws.workspaceName, name, {
        abortSignal: ctx.abortSignal,
        onResponse: (raw) => {
          etag = raw.headers.get("etag") || undefined;
        },
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  return endpoint ? { endpoint, ...(etag ? { etag } : {}) } : undefined;
}

export async function ensureEndpoint(ctx: DeployContext, spec: EndpointSpec, resolved: { location: string; computeId: string }): Promise<EnsuredEndpoint> {
  const { loc, log } = ctx;
  for (let attempt = 1; ; attempt++) {
    const read = await readEndpoint(ctx, spec.name);
    const existing = read?.endpoint;
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
    log.info(
      existing ? loc("EndpointUpdating", spec.name, spec.computeName, spec.authMode) : loc("EndpointCreating", spec.name, spec.computeName, spec.authMode),
    );
    try {
      const endpoint = await putEndpoint(ctx, spec.name, body, read?.etag);
      log.info(loc("EndpointReady", spec.name, remoteText(endpoint.properties.scoringUri ?? "-")));
      return { endpoint, created: !existing, traffic };
    } catch (err) {
      if (!lostRace(err) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      log.info(loc("EndpointChangedMeanwhile", spec.name));
      await sleep(ctx.pollIntervalInMs, ctx.abortSignal);
    }
  }
}

export interface TrafficUpdate {
  /** The map read just before the write that took effect. */
  before: TrafficMap;
  /** The map Azure holds now (equal to `before` when nothing had to change). */
  after: TrafficMap;
  endpoint: OnlineEndpoint;
}

/**
 * Read-modify-write of the traffic map: `change` gets the map as it is now and returns the wanted
 * one; the PUT is conditional on the read (If-Match) and the result is read back. A write lost to
 * another writer is redone from a fresh read, up to MAX_WRITE_ATTEMPTS times.
 */
export async function updateTraffic(ctx: DeployContext, name: string, change: (current: TrafficMap) => TrafficMap): Promise<TrafficUpdate> {
  const { loc, log } = ctx;
  for (let attempt = 1; ; attempt++) {
    const read = await readEndpoint(ctx, name);
    if (!read) throw new AzureOperationError(loc("EndpointGone", name));
    const state = read.endpoint.properties.provisioningState;
    const before = normalizeTraffic(read.endpoint.properties.traffic);
    const wanted = normalizeTraffic(change(before));
    let lost = false;
    if (state !== "Succeeded" && state !== "Failed") {
      lost = true; // another operation is running on the endpoint: wait for it, then read again
    } else if (sameTraffic(before, wanted)) {
      return { before, after: before, endpoint: read.endpoint };
    } else {
      log.info(loc("TrafficSetting", name, describeTraffic(wanted)));
      try {
        await putEndpoint(ctx, name, trafficBody(read.endpoint, wanted), read.etag);
        const check = await readEndpoint(ctx, name);
        if (!check) throw new AzureOperationError(loc("EndpointGone", name));
        const after = normalizeTraffic(check.endpoint.properties.traffic);
        if (sameTraffic(after, wanted)) return { before, after, endpoint: check.endpoint };
        lost = true;
      } catch (err) {
        if (!lostRace(err)) throw err;
        lost = true;
      }
    }
    if (lost && attempt >= MAX_WRITE_ATTEMPTS) throw new AzureOperationError(loc("TrafficContended", name, MAX_WRITE_ATTEMPTS));
    log.info(loc("EndpointChangedMeanwhile", name));
    await sleep(ctx.pollIntervalInMs, ctx.abortSignal);
  }
}

/**
 * The PUT body of a traffic change: the endpoint's own settings as read and the new map, built from
 * an allow-list so nothing the service adds (keys, scoring URIs, service properties, identity
 * principal ids) is ever sent back.
 */
export function trafficBody(current: OnlineEndpoint, traffic: TrafficMap): OnlineEndpoint {
  return {
    location: current.location,
    ...(current.tags ? { tags: current.tags } : {}),
    ...(current.identity?.type
      ? {
          identity: {
            type: current.identity.type,
            ...(current.identity.userAssignedIdentities
              ? { userAssignedIdentities: Object.fromEntries(Object.keys(current.identity.userAssignedIdentities).map((k) => [k, {}])) }
              : {}),
          },
        }
      : {}),
    properties: {
      authMode: current.properties.authMode,
      ...(current.properties.compute ? { compute: current.properties.compute } : {}),
      ...(current.properties.description ? { description: current.properties.description } : {}),
      ...(current.properties.properties ? { properties: withoutServiceProperties(current.properties.properties) } : {}),
      traffic: normalizeTraffic(traffic),
    },
  };
}

/** A conditional write that lost to another writer: 412 (If-Match failed) or 409 (another operation running). */
function lostRace(err: unknown): boolean {
  return isPreconditionFailed(err) || isConflict(err);
}

/** PUT and wait; conditional on `ifMatch` (the ETag of the read the body was computed from) when there is one. */
async function putEndpoint(ctx: DeployContext, name: string, body: OnlineEndpoint, ifMatch: string | undefined): Promise<OnlineEndpoint> {
  const ws = ctx.workspace;
  const customHeaders: Record<string, string> = ifMatch ? { "If-Match": ifMatch } : {};
  const endpoint = await azureCall(ctx, context(ctx, name), () =>
    ctx.ml.onlineEndpoints.beginCreateOrUpdateAndWait(ws.resourceGroupName, ws.workspaceName, name, body, {
      ...pollOptions(ctx),
      requestOptions: { customHeaders },
    }),
  );
  if (endpoint.properties.provisioningState && endpoint.properties.provisioningState !== "Succeeded") {
    throw new AzureOperationError(ctx.loc("EndpointFailed", name, endpoint.properties.provisioningState));
  }
  return endpoint;
}

/** Properties the service adds itself are not the user's and are not sent back. */
export function withoutServiceProperties(props: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !SERVICE_PROPERTIES.has(k.toLowerCase())));
}

/**
 * Whether the endpoint as read already has the settings of `wanted`, comparing only what the task
 * sends: what the service adds (service properties, `mirrorTraffic`, `publicNetworkAccess`, `kind`,
 * keys, URIs, identity principal ids, systemData) does not count.
 */
export function sameSettings(existing: OnlineEndpoint, wanted: OnlineEndpoint): boolean {
  const p = existing.properties;
  const w = wanted.properties;
  const same = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a ?? {})) === JSON.stringify(sortKeys(b ?? {}));
  return (
    p.authMode === w.authMode &&
    (p.description ?? "") === (w.description ?? "") &&
    same(existing.tags, wanted.tags) &&
    same(withoutServiceProperties(p.properties ?? {}), withoutServiceProperties(w.properties ?? {})) &&
    (existing.identity?.type ?? "SystemAssigned") === (wanted.identity?.type ?? "SystemAssigned")
  );
}

function sortKeys(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}
