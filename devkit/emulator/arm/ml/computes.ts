/**
 * Computes: list, get, createOrUpdate (Kubernetes attach and AmlCompute creation, LRO via
 * Azure-AsyncOperation on computeOperationsStatus, no Location) and delete/detach (202 +
 * Azure-AsyncOperation), the VM size answered upper-cased: as recorded in Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/compute/e2etests/test_compute.pyTestComputetest_aml_compute_create_and_delete.json.
 *
 * Attaching checks the cluster through a lookup the emulator wires to its AKS module
 * (`setClusterLookup`); without one, any well-formed AKS or Arc cluster id is accepted.
 */
import type { ArmErrorDetail, EmuRequest, EmuResponse } from "../../framework";
import { armError, checkBody } from "../../framework";
import type { WorkspaceRef } from "./common";
import {
  PROVIDER,
  bodyObject,
  clone,
  isRecord,
  jsonEqual,
  nowIso,
  ok,
  page,
  parseChildId,
  stampSystemData,
  trackedNotFound,
  userError,
  workspaceResourceId,
} from "./common";
import { computeSchema } from "./schemas";
import type { ComputeRecord, MlService, WorkspaceState } from "./state";

const ACTION = "Microsoft.MachineLearningServices/workspaces/computes";
const CLUSTER_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.ContainerService\/managedClusters|Microsoft\.Kubernetes\/connectedClusters)\/[^/]+$/i;

/** What the emulator knows about a cluster being attached. */
export interface ClusterInfo {
  exists: boolean;
  /** Default "Running". */
  powerState?: "Running" | "Stopped";
  /** Whether the Microsoft.AzureML.Kubernetes extension is installed and Succeeded (default true). */
  azureMlExtensionInstalled?: boolean;
}

export type ClusterLookup = (resourceId: string) => ClusterInfo;

export interface ComputeScript {
  /** Virtual duration of attach/create and delete operations (default 5000). */
  durationMs?: number;
  /** Makes the next attach/create operations fail with this error. */
  fail?: { code: string; message: string };
}

/** The built-in Kubernetes instance type the Azure ML extension creates. */
export const DEFAULT_INSTANCE_TYPES = {
  defaultinstancetype: {
    nodeSelector: null,
    resources: { requests: { cpu: "100m", memory: "2Gi", "nvidia.com/gpu": null }, limits: { cpu: "2", memory: "2Gi", "nvidia.com/gpu": null } },
  },
};

export function computeBody(ws: WorkspaceRef, c: ComputeRecord): Record<string, unknown> {
  return {
    id: `${workspaceResourceId(ws)}/computes/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/workspaces/computes`,
    location: c.location,
    tags: c.tags ?? {},
    ...(c.identity ? { identity: c.identity } : {}),
    properties: clone(c.properties),
    systemData: c.systemData,
  };
}

export function amlComputeProperties(location: string, vmSize: string, maxNodeCount: number): Record<string, unknown> {
  const now = nowIso();
  return {
    computeType: "AmlCompute",
    computeLocation: location,
    provisioningState: "Succeeded",
    description: null,
    createdOn: now,
    modifiedOn: now,
    resourceId: null,
    provisioningErrors: null,
    isAttachedCompute: false,
    disableLocalAuth: true,
    properties: {
      osType: "Linux",
      vmSize,
      vmPriority: "Dedicated",
      isolatedNetwork: false,
      scaleSettings: { maxNodeCount, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: "PT120S" },
      remoteLoginPortPublicAccess: "NotSpecified",
      allocationState: "Steady",
      allocationStateTransitionTime: now,
      errors: null,
      currentNodeCount: 0,
      targetNodeCount: 0,
      nodeStateCounts: { idleNodeCount: 0, runningNodeCount: 0, preparingNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
      enableNodePublicIp: true,
    },
  };
}

export function kubernetesProperties(
  location: string,
  resourceId: string,
  inner: Record<string, unknown>,
  description: unknown,
  state: string,
): Record<string, unknown> {
  const now = nowIso();
  return {
    computeType: "Kubernetes",
    computeLocation: location,
    provisioningState: state,
    description: description ?? null,
    createdOn: now,
    modifiedOn: now,
    resourceId,
    provisioningErrors: null,
    isAttachedCompute: true,
    disableLocalAuth: true,
    properties: {
      relayConnectionString: null,
      serviceBusConnectionString: null,
      extensionPrincipalId: null,
      extensionInstanceReleaseTrain: "stable",
      vcName: null,
      namespace: "default",
      defaultInstanceType: "defaultinstancetype",
      instanceTypes: clone(DEFAULT_INSTANCE_TYPES),
      ...inner,
    },
  };
}

export type ComputeResolution = { ok: true; compute: ComputeRecord; ws: WorkspaceState } | { ok: false; message: string };

/** Resolves a compute ARM id (optionally `azureml:`-prefixed) that a job or endpoint refers to. */
export function resolveCompute(ml: MlService, ws: WorkspaceState, ref: string): ComputeResolution {
  const parsed = parseChildId(ref);
  if (parsed?.type !== "computes" || parsed.version || parsed.label) {
    return { ok: false, message: `'${ref}' is not a compute id; expected ${workspaceResourceId(ws)}/computes/<name>.` };
  }
  const target = ml.workspace(parsed);
  const compute = target?.computes.get(parsed.name.toLowerCase());
  if (!target || !compute) return { ok: false, message: `Compute '${parsed.name}' was not found in workspace '${parsed.workspaceName}'.` };
  const state = compute.properties.provisioningState;
  if (state !== "Succeeded") return { ok: false, message: `Compute '${compute.name}' is not usable: its provisioningState is ${String(state)}.` };
  return { ok: true, compute, ws: target };
}

export class ComputeService {
  clusterLookup?: ClusterLookup;
  script: ComputeScript = {};

  constructor(private readonly ml: MlService) {}

  register(): void {
    const ml = this.ml;
    ml.wsRoute("GET", "/computes", `${ACTION}/read`, (req, ws) =>
      page(
        req,
        [...ws.computes.values()].map((c) => computeBody(ws, c)),
        ml.pageOptions(),
      ),
    );
    ml.wsRoute("GET", "/computes/:computeName", `${ACTION}/read`, (req, ws) => {
      const c = ws.computes.get(req.params.computeName.toLowerCase());
      return c ? ok(computeBody(ws, c)) : trackedNotFound("computes", req.params.computeName, ws);
    });
    ml.wsRoute("PUT", "/computes/:computeName", `${ACTION}/write`, (req, ws) => this.put(req, ws));
    ml.wsRoute("DELETE", "/computes/:computeName", `${ACTION}/delete`, (req, ws) => this.delete(req, ws));
  }

  private put(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const invalid = checkBody(req.body, computeSchema);
    if (invalid) return invalid;
    const body = bodyObject(req)!;
    const props = body.properties as Record<string, unknown>;
    const type = props.computeType as string;
    const name = req.params.computeName;
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,23}$/.test(name)) {
      return userError(
        400,
        `Compute name '${name}' is invalid: it must be 2 to 24 characters, start with a letter and contain only letters, digits and hyphens.`,
        "computeName",
      );
    }
    const existing = ws.computes.get(name.toLowerCase());
    if (type !== "Kubernetes" && type !== "AmlCompute") {
      return userError(
        400,
        `Compute type '${type}' cannot be created through this emulator; attach a Kubernetes cluster or create an AmlCompute cluster.`,
        "properties.computeType",
      );
    }
    const location = typeof body.location === "string" ? body.location : ws.location;
    let properties: Record<string, unknown>;
    if (type === "Kubernetes") {
      const resourceId = props.resourceId;
      if (typeof resourceId !== "string" || !CLUSTER_ID.test(resourceId)) {
        return userError(
          400,
          `properties.resourceId must be the ARM id of an AKS cluster (.../Microsoft.ContainerService/managedClusters/<name>) or an Arc-enabled cluster; got '${String(resourceId)}'.`,
          "properties.resourceId",
        );
      }
      const inner = isRecord(props.properties) ? clone(props.properties) : {};
      for (const [k, v] of Object.entries(inner)) if (v === null || v === undefined) delete inner[k];
      if (existing) {
        const same =
          existing.properties.computeType === "Kubernetes" &&
          String(existing.properties.resourceId).toLowerCase() === resourceId.toLowerCase() &&
          jsonEqual((existing.properties.properties as Record<string, unknown>).namespace, inner.namespace ?? "default");
        if (!same)
          return userError(
            409,
            `Compute '${existing.name}' already exists in workspace '${ws.workspaceName}' with a different target; detach it before attaching another cluster under this name.`,
          );
      } else {
        const other = [...ws.computes.values()].find((c) => String(c.properties.resourceId ?? "").toLowerCase() === resourceId.toLowerCase());
        if (other)
          return userError(
            409,
            `Cluster '${resourceId}' is already attached to workspace '${ws.workspaceName}' as compute '${other.name}'.`,
            "properties.resourceId",
          );
      }
      properties = kubernetesProperties(location, resourceId, inner, props.description, "Creating");
    } else {
      if (existing && existing.properties.computeType !== "AmlCompute")
        return userError(409, `Compute '${existing.name}' already exists with type ${String(existing.properties.computeType)}.`);
      const inner = isRecord(props.properties) ? props.properties : {};
      const scale = isRecord(inner.scaleSettings) ? inner.scaleSettings : {};
      properties = amlComputeProperties(
        location,
        typeof inner.vmSize === "string" ? inner.vmSize.toUpperCase() : "STANDARD_DS3_V2",
        typeof scale.maxNodeCount === "number" ? scale.maxNodeCount : 1,
      );
      const settings = (properties.properties as Record<string, unknown>).scaleSettings as Record<string, unknown>;
      if (typeof scale.minNodeCount === "number") settings.minNodeCount = scale.minNodeCount;
      if (typeof scale.nodeIdleTimeBeforeScaleDown === "string") settings.nodeIdleTimeBeforeScaleDown = scale.nodeIdleTimeBeforeScaleDown;
      properties.provisioningState = "Creating";
      properties.description = props.description ?? null;
    }
    if (existing && existing.properties.provisioningState === "Succeeded" && existing.properties.computeType === "Kubernetes") {
      // Re-attaching the same cluster with the same namespace: nothing to do.
      const op = this.ml.lro.start({ ws, durationMs: 0, compute: true, complete: () => undefined });
      return { status: 200, headers: this.ml.lro.asyncHeaders(op), body: computeBody(ws, existing) };
    }
    const record: ComputeRecord = {
      name: existing?.name ?? name,
      location,
      identity: isRecord(body.identity) ? { ...clone(body.identity), principalId: ws.workspaceId, tenantId: this.ml.ctx.world.tenantId } : undefined,
      tags: isRecord(body.tags) ? (clone(body.tags) as Record<string, string>) : {},
      properties,
      systemData: stampSystemData(req, existing?.systemData),
    };
    ws.computes.set(name.toLowerCase(), record);
    const fail = this.script.fail;
    const op = this.ml.lro.start({
      ws,
      durationMs: this.script.durationMs ?? 5000,
      compute: true,
      resourceId: `${workspaceResourceId(ws)}/computes/${record.name}`,
      complete: () => {
        const error = fail ?? (type === "Kubernetes" ? this.clusterProblem(String(properties.resourceId)) : undefined);
        record.properties.provisioningState = error ? "Failed" : "Succeeded";
        record.properties.modifiedOn = nowIso();
        if (error) record.properties.provisioningErrors = [{ error: { code: error.code, message: error.message } }];
        return error;
      },
    });
    return { status: existing ? 200 : 201, headers: this.ml.lro.asyncHeaders(op), body: computeBody(ws, record) };
  }

  private clusterProblem(resourceId: string): ArmErrorDetail | undefined {
    if (!this.clusterLookup) return undefined;
    const info = this.clusterLookup(resourceId);
    if (!info.exists)
      return {
        code: "ClusterNotFound",
        message: `Could not find the cluster '${resourceId}'. Check the resource id and that the workspace identity can read it.`,
      };
    if ((info.powerState ?? "Running") !== "Running")
      return { code: "ClusterNotReachable", message: `The cluster '${resourceId}' is stopped; start it and attach again.` };
    if (info.azureMlExtensionInstalled === false) {
      return {
        code: "ExtensionNotFound",
        message: `The Azure Machine Learning extension (Microsoft.AzureML.Kubernetes) is not installed on cluster '${resourceId}'. Install it with enableInference=True, then attach again.`,
      };
    }
    return undefined;
  }

  private delete(req: EmuRequest, ws: WorkspaceState): EmuResponse {
    const action = req.query.get("underlyingResourceAction");
    if (!action || !/^(Delete|Detach)$/i.test(action)) {
      return armError(400, "InvalidRequestContent", "The query parameter 'underlyingResourceAction' is required and must be 'Delete' or 'Detach'.", {
        target: "underlyingResourceAction",
      });
    }
    const key = req.params.computeName.toLowerCase();
    const c = ws.computes.get(key);
    if (!c) return { status: 204 };
    c.properties.provisioningState = "Deleting";
    const op = this.ml.lro.start({
      ws,
      durationMs: this.script.durationMs ?? 5000,
      compute: true,
      complete: () => {
        if (ws.computes.get(key) === c) ws.computes.delete(key);
        return undefined;
      },
    });
    return { status: 202, headers: this.ml.lro.asyncHeaders(op) };
  }
}
