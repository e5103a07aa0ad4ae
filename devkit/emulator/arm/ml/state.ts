/**
 * The in-memory model of Azure Machine Learning workspaces and what they hold, and the service
 * object route modules share (context, store, route registration, long-running operations).
 */
import { randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, EmulatorContext, RouteOptions } from "../../framework";
import { armError, resourceNotFound } from "../../framework";
import type { SystemData, WorkspaceRef } from "./common";
import { API_VERSIONS, WORKSPACE_PATTERN, workspaceKey } from "./common";
import { LroTracker } from "./lro";

export type AssetKind = "codes" | "components" | "environments" | "models" | "data";
export const ASSET_KINDS: readonly AssetKind[] = ["codes", "components", "environments", "models", "data"];

export interface AssetVersion {
  name: string;
  version: string;
  properties: Record<string, unknown>;
  systemData: SystemData;
  /** Creation order within the emulator (ties of createdAt). */
  seq: number;
}

export interface AssetContainer {
  name: string;
  properties: Record<string, unknown>;
  systemData: SystemData;
  versions: Map<string, AssetVersion>;
}

export interface DatastoreRecord {
  name: string;
  /** Properties as stored, without secrets. */
  properties: Record<string, unknown>;
  /** The credential secrets (AccountKey key, SAS token...), never returned by GET. */
  secrets?: Record<string, unknown>;
  systemData: SystemData;
  isDefault: boolean;
}

export interface ComputeRecord {
  name: string;
  location: string;
  identity?: Record<string, unknown>;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  systemData: SystemData;
}

export type EndpointState = "Creating" | "Deleting" | "Succeeded" | "Failed" | "Updating" | "Canceled";
export type DeploymentState = "Creating" | "Deleting" | "Scaling" | "Updating" | "Succeeded" | "Failed" | "Canceled";

export interface DeploymentRecord {
  name: string;
  location: string;
  kind: string;
  tags: Record<string, string>;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  properties: Record<string, unknown>;
  provisioningState: DeploymentState;
  systemData: SystemData;
  /** Container logs (getLogs), newest last. */
  logs: { storageInitializer: string[]; inferenceServer: string[] };
  /** Operation currently working on the deployment. */
  busyOperationId?: string;
}

export interface EndpointRecord {
  name: string;
  location: string;
  kind: string;
  tags: Record<string, string>;
  identity: Record<string, unknown>;
  sku?: Record<string, unknown>;
  properties: Record<string, unknown>;
  provisioningState: EndpointState;
  systemData: SystemData;
  primaryKey: string;
  secondaryKey: string;
  deployments: Map<string, DeploymentRecord>;
  busyOperationId?: string;
  /** Smooth weighted round-robin state for traffic routing. */
  routing: Map<string, number>;
}

export interface WorkspaceState extends WorkspaceRef {
  location: string;
  workspaceId: string;
  systemData: SystemData;
  datastores: Map<string, DatastoreRecord>;
  assets: Record<AssetKind, Map<string, AssetContainer>>;
  computes: Map<string, ComputeRecord>;
  endpoints: Map<string, EndpointRecord>;
  /** Jobs by name (case-sensitive, as the service). */
  jobs: Map<string, import("./jobs").JobRecord>;
}

export type WorkspaceHandler = (req: EmuRequest, ws: WorkspaceState) => EmuResponse | Promise<EmuResponse>;

/** Holds the store and what every route module needs. */
export class MlService {
  readonly workspaces = new Map<string, WorkspaceState>();
  readonly lro: LroTracker;
  /** Items per page of list answers (nextLink beyond). */
  pageSize = 50;
  /** When set, the discovery document answers this status (tests of a workspace whose discovery fails). */
  discoveryFailure?: number;
  private seq = 0;

  constructor(readonly ctx: EmulatorContext) {
    this.lro = new LroTracker(ctx);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  workspace(ref: WorkspaceRef): WorkspaceState | undefined {
    return this.workspaces.get(workspaceKey(ref));
  }

  addWorkspace(ref: WorkspaceRef, location: string, systemData: SystemData): WorkspaceState {
    const existing = this.workspace(ref);
    if (existing) return existing;
    const ws: WorkspaceState = {
      ...ref,
      location,
      workspaceId: randomUUID(),
      systemData,
      datastores: new Map(),
      assets: { codes: new Map(), components: new Map(), environments: new Map(), models: new Map(), data: new Map() },
      computes: new Map(),
      endpoints: new Map(),
      jobs: new Map(),
    };
    this.workspaces.set(workspaceKey(ref), ws);
    return ws;
  }

  /** Registers a route under a workspace; the handler gets the workspace (404 when it does not exist). */
  wsRoute(method: string, suffix: string, action: string, handler: WorkspaceHandler, options: Partial<RouteOptions> = {}): void {
    this.ctx.router.add(
      method,
      WORKSPACE_PATTERN + suffix,
      (req) => {
        const ws = this.workspace({
          subscriptionId: req.params.subscriptionId,
          resourceGroupName: req.params.resourceGroupName,
          workspaceName: req.params.workspaceName,
        });
        if (!ws) {
          if (suffix === "") return resourceNotFound("Microsoft.MachineLearningServices/workspaces", req.params.workspaceName, req.params.resourceGroupName);
          // ARM's gateway, before the body is looked at (Azure/azure-sdk-for-js
          // sdk/machinelearning/arm-machinelearning/recordings/node/machinelearning_test/recording_job_create_test.json).
          return {
            ...armError(
              404,
              "ParentResourceNotFound",
              `Can not perform requested operation on nested resource. Parent resource '${req.params.workspaceName}' not found.`,
            ),
            headers: { "x-ms-failure-cause": "gateway" },
          };
        }
        return handler(req, ws);
      },
      { auth: "arm", action, apiVersions: API_VERSIONS, ...options },
    );
  }

  pageOptions(): { pageSize: number; baseUrl: string } {
    return { pageSize: this.pageSize, baseUrl: this.ctx.baseUrl() };
  }

  reset(): void {
    this.workspaces.clear();
    this.lro.reset();
    this.discoveryFailure = undefined;
  }
}
