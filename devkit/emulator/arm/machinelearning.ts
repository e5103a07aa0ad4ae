/**
 * Azure Machine Learning (Microsoft.MachineLearningServices, api-version 2022-10-01): workspaces,
 * datastores, versioned assets, jobs (with pipeline children), computes (Kubernetes attach),
 * online endpoints and deployments, and the scoring gateway — plus the control API tests use to
 * seed resources and script outcomes. The routes live in ./ml/*.ts; this class wires them and
 * holds the typed control methods.
 */
import type { EmulatorContext, EmulatorModule } from "../framework";
import { putVersion, registerAssetRoutes } from "./ml/assets";
import type { WorkspaceRef } from "./ml/common";
import { stampSystemData, workspaceKey } from "./ml/common";
import type { ClusterLookup, ComputeScript } from "./ml/computes";
import { ComputeService, amlComputeProperties, kubernetesProperties } from "./ml/computes";
import type { SeedDatastoreOptions } from "./ml/datastores";
import { BlobContainers, DEFAULT_DATASTORE, registerDatastoreRoutes, seedDatastore } from "./ml/datastores";
import type { OperationScript } from "./ml/endpoints";
import { EndpointService } from "./ml/endpoints";
import type { JobScript, JobStatus, JobView, TokenCheck } from "./ml/jobs";
import { JobService } from "./ml/jobs";
import { registerOperationRoutes } from "./ml/lro";
import type { ScriptedMetrics } from "./ml/mlflow";
import { MlflowService } from "./ml/mlflow";
import type { ScoringRule, ServedScoring } from "./ml/scoring";
import { ScoringService } from "./ml/scoring";
import type { AssetKind, WorkspaceState } from "./ml/state";
import { MlService } from "./ml/state";
import { registerRunHistoryRoutes } from "./ml/runHistory";
import { registerWorkspaceRoutes } from "./ml/workspaces";

export type { ClusterInfo, ClusterLookup, ComputeScript } from "./ml/computes";
export type { OperationScript } from "./ml/endpoints";
export type { JobScript, JobStatus, JobView, TokenCheck } from "./ml/jobs";
export type { JobMetricsScript, ScriptedMetrics } from "./ml/mlflow";
export type { ScoringRequest, ScoringResult, ScoringRule, ServedScoring } from "./ml/scoring";
export type { WorkspaceRef } from "./ml/common";
export type { SeedDatastoreOptions } from "./ml/datastores";

export const DEFAULT_WORKSPACE = "ml_workspace";

export interface MachineLearningEmulatorOptions {
  /**
   * PEM of the CA the emulator's Azurite certificate chains to, for creating blob containers from
   * the emulator process (no NODE_EXTRA_CA_CERTS needed there). Read when a container is created.
   */
  blobCaCertPem?: () => string | undefined;
}

/** A read-only view of an online endpoint for tests. */
export interface EndpointView {
  name: string;
  provisioningState: string;
  authMode: string;
  traffic: Record<string, number>;
  compute?: string;
  primaryKey: string;
  secondaryKey: string;
  deployments: { name: string; provisioningState: string; model?: string; instanceType?: string; capacity?: number }[];
}

export class MachineLearningEmulator implements EmulatorModule {
  private state?: {
    ml: MlService;
    jobs: JobService;
    computes: ComputeService;
    endpoints: EndpointService;
    scoring: ScoringService;
    mlflow: MlflowService;
    containers: BlobContainers;
  };
  private defaultRef?: WorkspaceRef;
  private caPem?: string;

  constructor(private readonly options: MachineLearningEmulatorOptions = {}) {}

  register(ctx: EmulatorContext): void {
    const ml = new MlService(ctx);
    const containers = new BlobContainers(() => this.caPem ?? this.options.blobCaCertPem?.());
    const jobs = new JobService(ml);
    const computes = new ComputeService(ml);
    const endpoints = new EndpointService(ml);
    const scoring = new ScoringService(ml, endpoints);
    const mlflow = new MlflowService(ml);
    registerWorkspaceRoutes(ml);
    registerOperationRoutes(ml);
    registerDatastoreRoutes(ml, containers);
    registerAssetRoutes(ml);
    jobs.register();
    registerRunHistoryRoutes(ml);
    computes.register();
    endpoints.register();
    scoring.register();
    mlflow.register();
    this.state = { ml, jobs, computes, endpoints, scoring, mlflow, containers };
  }

  // -------------------------------------------------------------------------------------------
  // Seeding

  /**
   * Seeds the default scenario in this resource group: workspace `ml_workspace` with the default
   * datastore `workspaceblobstore` (Azurite), compute `gpu-cluster` (AmlCompute), environments
   * `AzureML-TensorFlow-2.4-GPU:1` and `AzureML-sklearn-1.5:1` (curated), data `training_data:1`
   * (uri_folder on the datastore). No models, no endpoints. Starts creating the blob container.
   */
  seedDefaults(subscriptionId: string, resourceGroupName: string): void {
    const ref = { subscriptionId, resourceGroupName, workspaceName: DEFAULT_WORKSPACE };
    this.addWorkspace(ref);
    this.defaultRef = ref;
    this.addAmlCompute({ name: "gpu-cluster", vmSize: "STANDARD_NC6", maxNodeCount: 4 }, ref);
    for (const [name, image] of [
      ["AzureML-TensorFlow-2.4-GPU", "mcr.microsoft.com/azureml/curated/tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu:latest"],
      ["AzureML-sklearn-1.5", "mcr.microsoft.com/azureml/curated/sklearn-1.5:latest"],
    ]) {
      this.seedAsset("environments", name, "1", { image, osType: "Linux", description: `Curated environment ${name}`, tags: {} }, ref);
    }
    this.seedAsset(
      "data",
      "training_data",
      "1",
      {
        dataType: "uri_folder",
        dataUri: `azureml://datastores/${DEFAULT_DATASTORE}/paths/prepared/`,
        description: "Prepared training data (output of the Data Factory pipeline)",
        tags: {},
      },
      ref,
    );
    void this.blobContainerReady(ref);
  }

  /** Creates a workspace (location = the resource group's) with its default datastore. */
  addWorkspace(ref: WorkspaceRef, options: { location?: string } = {}): WorkspaceState {
    const { ml } = this.s();
    const rg = ml.ctx.world.addResourceGroup(ref.subscriptionId, ref.resourceGroupName);
    const existing = ml.workspace(ref);
    if (existing) return existing;
    const ws = ml.addWorkspace(ref, options.location ?? rg.location, stampSystemData(undefined));
    seedDatastore(ml, ws, { name: DEFAULT_DATASTORE, isDefault: true, description: "Default blob datastore of the workspace" });
    return ws;
  }

  /** Adds an AzureBlob datastore on the emulator's blob account (AccountKey or identity-based). */
  addDatastore(options: SeedDatastoreOptions, ref?: WorkspaceRef): void {
    const { ml } = this.s();
    seedDatastore(ml, this.ws(ref), options);
  }

  /** Adds an AmlCompute cluster (Succeeded). */
  addAmlCompute(options: { name: string; vmSize?: string; maxNodeCount?: number }, ref?: WorkspaceRef): void {
    const ws = this.ws(ref);
    ws.computes.set(options.name.toLowerCase(), {
      name: options.name,
      location: ws.location,
      tags: {},
      properties: amlComputeProperties(ws.location, options.vmSize ?? "STANDARD_DS3_V2", options.maxNodeCount ?? 1),
      systemData: stampSystemData(undefined),
    });
  }

  /** Adds an attached Kubernetes compute (Succeeded) without going through the attach LRO. */
  addKubernetesCompute(options: { name: string; resourceId: string; namespace?: string; instanceTypes?: Record<string, unknown> }, ref?: WorkspaceRef): void {
    const ws = this.ws(ref);
    const inner: Record<string, unknown> = {
      namespace: options.namespace ?? "default",
      ...(options.instanceTypes ? { instanceTypes: options.instanceTypes } : {}),
    };
    ws.computes.set(options.name.toLowerCase(), {
      name: options.name,
      location: ws.location,
      tags: {},
      identity: { type: "SystemAssigned", principalId: ws.workspaceId, tenantId: this.s().ml.ctx.world.tenantId },
      properties: kubernetesProperties(ws.location, options.resourceId, inner, null, "Succeeded"),
      systemData: stampSystemData(undefined),
    });
  }

  /** Registers an asset version directly (as if created by a client); throws on conflicts. */
  seedAsset(kind: AssetKind, name: string, version: string, properties: Record<string, unknown>, ref?: WorkspaceRef): void {
    const { ml } = this.s();
    const result = putVersion(ml, this.ws(ref), kind, name, version, properties);
    if (!("created" in result)) throw new Error(`cannot seed ${kind} ${name}:${version}: ${JSON.stringify(result.body)}`);
  }

  /** Waits until the workspace's default blob container exists in Azurite (false without Azurite). */
  blobContainerReady(ref?: WorkspaceRef, options: { abortSignal?: AbortSignal } = {}): Promise<boolean> {
    const { ml, containers } = this.s();
    const ds = this.ws(ref).datastores.get(DEFAULT_DATASTORE);
    if (!ds || typeof ds.properties.containerName !== "string") return Promise.resolve(false);
    return containers.ensure(ml.ctx.blob(), ds.properties.containerName, options);
  }

  /** PEM of the CA Azurite's certificate chains to (when not given to the constructor). */
  setBlobCaCertPem(pem: string): void {
    this.caPem = pem;
  }

  // -------------------------------------------------------------------------------------------
  // Scripting and inspection

  /** Script for jobs submitted from now on (undefined: default durations, Completed). */
  scriptJobs(script: JobScript | undefined): void {
    this.s().jobs.defaultScript = script ?? {};
  }

  /** Script for the job submitted under this name (wins over scriptJobs). */
  scriptJob(name: string, script: JobScript): void {
    this.s().jobs.namedScripts.set(name, script);
  }

  /** Every x-azureml-token check of job PUTs since the last reset (header present, audience, accepted). */
  jobTokenChecks(): TokenCheck[] {
    return this.s().jobs.tokenChecks.map((c) => ({ ...c }));
  }

  /**
   * MLflow metrics of one run (a job, or a pipeline step by its run id), winning over the
   * job's `JobScript.metrics`; undefined removes them. A number is logged once, a list in turn.
   */
  scriptRunMetrics(runId: string, metrics: ScriptedMetrics | undefined, ref?: WorkspaceRef): void {
    this.s().mlflow.scriptRunMetrics(this.ws(ref), runId, metrics);
  }

  /** Denies (or allows again) MLflow reads to a principal (client id) that may otherwise use the workspace. */
  setMlflowReadDenied(clientId: string, denied = true): void {
    const set = this.s().mlflow.deniedReaders;
    if (denied) set.add(clientId.toLowerCase());
    else set.delete(clientId.toLowerCase());
  }

  /** A job (or pipeline step, named by a GUID: see JobView.children), or undefined. */
  job(name: string, ref?: WorkspaceRef): JobView | undefined {
    const { jobs } = this.s();
    const job = this.ws(ref).jobs.get(name);
    return job ? jobs.view(job) : undefined;
  }

  /** Every job of the workspace, newest first. */
  jobs(ref?: WorkspaceRef): JobView[] {
    const { jobs } = this.s();
    return [...this.ws(ref).jobs.values()].reverse().map((j) => jobs.view(j));
  }

  /** Forces a job's status; a terminal status stops it (and cancels its running children). */
  setJobStatus(name: string, status: JobStatus, options: { error?: { code?: string; message?: string } } = {}, ref?: WorkspaceRef): void {
    const { jobs } = this.s();
    const job = this.ws(ref).jobs.get(name);
    if (!job) throw new Error(`no job '${name}'`);
    jobs.setStatus(job, status, options.error);
  }

  /** How compute attach/create and delete operations run from now on. */
  scriptComputes(script: ComputeScript | undefined): void {
    this.s().computes.script = script ?? {};
  }

  /** How attach finds clusters (wire to the AKS module); undefined accepts any cluster id. */
  setClusterLookup(lookup: ClusterLookup | undefined): void {
    this.s().computes.clusterLookup = lookup;
  }

  /** How endpoint create/update/delete operations run from now on. */
  scriptEndpoints(script: OperationScript | undefined): void {
    this.s().endpoints.endpointScript = script ?? {};
  }

  /** How deployment create/update/delete operations run from now on. */
  scriptDeployments(script: OperationScript | undefined): void {
    this.s().endpoints.deploymentScript = script ?? {};
  }

  /** The scoring requests answered (which deployment, routed by header or by traffic), oldest first. */
  scoringLog(): ServedScoring[] {
    return [...this.s().scoring.served];
  }

  /** What an endpoint (or one of its deployments) answers on its scoring URI. */
  setScoringRule(endpoint: string, rule: ScoringRule | undefined, options: { deployment?: string } = {}): void {
    const key = (options.deployment ? `${endpoint}/${options.deployment}` : endpoint).toLowerCase();
    if (rule) this.s().scoring.rules.set(key, rule);
    else this.s().scoring.rules.delete(key);
  }

  /** An online endpoint by name (any workspace), or undefined. */
  endpoint(name: string): EndpointView | undefined {
    const found = this.s().endpoints.findEndpoint(name);
    if (!found) return undefined;
    const e = found.endpoint;
    return {
      name: e.name,
      provisioningState: e.provisioningState,
      authMode: String(e.properties.authMode),
      traffic: { ...(e.properties.traffic as Record<string, number>) },
      ...(e.properties.compute ? { compute: String(e.properties.compute) } : {}),
      primaryKey: e.primaryKey,
      secondaryKey: e.secondaryKey,
      deployments: [...e.deployments.values()].map((d) => ({
        name: d.name,
        provisioningState: d.provisioningState,
        ...(typeof d.properties.model === "string" ? { model: d.properties.model } : {}),
        ...(typeof d.properties.instanceType === "string" ? { instanceType: d.properties.instanceType } : {}),
        ...(typeof d.sku?.capacity === "number" ? { capacity: d.sku.capacity } : {}),
      })),
    };
  }

  /** Makes the workspaces' discovery document answer `status` (undefined: answer normally again). */
  setDiscoveryFailure(status: number | undefined): void {
    this.s().ml.discoveryFailure = status;
  }

  /** Items per page of list answers (to exercise nextLink paging). */
  setPageSize(size: number): void {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("page size must be a positive integer");
    this.s().ml.pageSize = size;
  }

  /** Every secret this module holds or issued: datastore keys, endpoint keys, AML tokens. */
  secrets(): string[] {
    const { ml, endpoints } = this.s();
    const out = new Set<string>();
    for (const ws of ml.workspaces.values()) {
      for (const ds of ws.datastores.values()) {
        for (const v of Object.values(ds.secrets ?? {})) if (typeof v === "string" && v !== "AccountKey" && v !== "Sas" && v) out.add(v);
      }
      for (const e of ws.endpoints.values()) {
        out.add(e.primaryKey);
        out.add(e.secondaryKey);
      }
    }
    for (const token of endpoints.tokens.keys()) out.add(token);
    return [...out];
  }

  // -------------------------------------------------------------------------------------------
  // EmulatorModule

  reset(): void {
    if (!this.state) return;
    this.state.jobs.reset();
    this.state.endpoints.reset();
    this.state.scoring.reset();
    this.state.mlflow.reset();
    this.state.computes.script = {};
    this.state.computes.clusterLookup = undefined;
    this.state.containers.reset();
    this.state.ml.reset();
    this.state.ml.pageSize = 50;
    this.defaultRef = undefined;
  }

  dispose(): void {
    this.state?.jobs.dispose();
  }

  private s(): NonNullable<MachineLearningEmulator["state"]> {
    if (!this.state) throw new Error("MachineLearningEmulator is not registered with an emulator yet");
    return this.state;
  }

  private ws(ref?: WorkspaceRef): WorkspaceState {
    const r = ref ?? this.defaultRef;
    if (!r) throw new Error("no workspace given and no default workspace seeded");
    const ws = this.s().ml.workspace(r);
    if (!ws) throw new Error(`no workspace '${workspaceKey(r)}'`);
    return ws;
  }
}
