/**
 * AKS (Microsoft.ContainerService managedClusters: get, list, user/admin credentials) and
 * Kubernetes cluster extensions (Microsoft.KubernetesConfiguration/extensions, for the Azure ML
 * extension a Kubernetes compute attach needs) — plus the control API tests use to add clusters,
 * stop/start them and install or remove extensions. Routes live in ./aksmod/*.ts.
 *
 * Wiring into the ML module: `ml.setClusterLookup(aks.clusterLookup)`.
 */
import type { EmulatorContext, EmulatorModule } from "../framework";
import type { ClusterProvisioningState, ClusterRecord, PowerState } from "./aksmod/clusters";
import { ClusterStore, clusterKey, clusterResourceId, registerClusterRoutes } from "./aksmod/clusters";
import type { ExtensionScript } from "./aksmod/extensions";
import { AZUREML_EXTENSION_TYPE, ExtensionService, isAzureMlExtension, newExtension } from "./aksmod/extensions";
import type { ClusterInfo, ClusterLookup } from "./ml/computes";

export type { ClusterProvisioningState, PowerState } from "./aksmod/clusters";
export type { ExtensionScript } from "./aksmod/extensions";
export { AZUREML_EXTENSION_TYPE } from "./aksmod/extensions";

export const DEFAULT_CLUSTER = "aks-cluster";
export const DEFAULT_KUBERNETES_VERSION = "1.33.2";

/** A read-only view of a cluster for tests and for the emulator core. */
export interface ClusterView {
  id: string;
  provisioningState: ClusterProvisioningState;
  powerState: PowerState;
  location: string;
  fqdn: string;
  kubernetesVersion: string;
  /** Whether the Azure ML extension (Microsoft.AzureML.Kubernetes) is installed and Succeeded. */
  azureMlExtensionInstalled: boolean;
}

export interface AddClusterOptions {
  powerState?: PowerState;
  provisioningState?: ClusterProvisioningState;
  kubernetesVersion?: string;
  /** Default: the resource group's location. */
  location?: string;
  nodeCount?: number;
  vmSize?: string;
  tags?: Record<string, string>;
  /** Install the Azure ML extension (name `azureml`, Succeeded, inference enabled). Default false. */
  azureMlExtension?: boolean;
}

const CLUSTER_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/?$/i;

export class AksEmulator implements EmulatorModule {
  private state?: { store: ClusterStore; extensions: ExtensionService };

  register(ctx: EmulatorContext): void {
    const store = new ClusterStore(ctx);
    const extensions = new ExtensionService(store);
    registerClusterRoutes(store);
    extensions.register();
    this.state = { store, extensions };
  }

  /** Seeds managed cluster `aks-cluster` (Succeeded, Running) with the Azure ML extension installed. */
  seedDefaults(subscriptionId: string, resourceGroupName: string): void {
    this.addCluster(subscriptionId, resourceGroupName, DEFAULT_CLUSTER, { azureMlExtension: true });
  }

  // -------------------------------------------------------------------------------------------
  // Control

  /** Adds (or replaces) a managed cluster; the resource group is created if needed. */
  addCluster(subscriptionId: string, resourceGroupName: string, name: string, options: AddClusterOptions = {}): ClusterView {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9]$/.test(name)) throw new Error(`invalid managed cluster name '${name}'`);
    const { store } = this.s();
    const rg = store.ctx.world.addResourceGroup(subscriptionId, resourceGroupName);
    const c = store.add(subscriptionId, resourceGroupName, name, {
      location: options.location ?? rg.location,
      kubernetesVersion: options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      provisioningState: options.provisioningState ?? "Succeeded",
      powerState: options.powerState ?? "Running",
      nodeCount: options.nodeCount ?? 3,
      vmSize: options.vmSize ?? "Standard_D4s_v3",
      tags: options.tags ?? {},
    });
    if (options.azureMlExtension) this.installExtension(subscriptionId, resourceGroupName, name);
    return view(c);
  }

  /** Stops or starts a cluster (Stopped clusters still answer GET and credentials). */
  setPowerState(subscriptionId: string, resourceGroupName: string, name: string, powerState: PowerState): void {
    this.get(subscriptionId, resourceGroupName, name).powerState = powerState;
  }

  setProvisioningState(subscriptionId: string, resourceGroupName: string, name: string, state: ClusterProvisioningState): void {
    this.get(subscriptionId, resourceGroupName, name).provisioningState = state;
  }

  /** Removes a cluster; false when there was none. */
  removeCluster(subscriptionId: string, resourceGroupName: string, name: string): boolean {
    return this.s().store.clusters.delete(clusterKey(subscriptionId, resourceGroupName, name));
  }

  /** The cluster's view, or undefined. */
  cluster(subscriptionId: string, resourceGroupName: string, name: string): ClusterView | undefined {
    const c = this.s().store.get(subscriptionId, resourceGroupName, name);
    return c ? view(c) : undefined;
  }

  /** What the ML module's attach needs to know about a cluster id (the ClusterInfo shape of ml/computes.ts). */
  lookupCluster(resourceId: string): ClusterInfo {
    const m = CLUSTER_ID.exec(resourceId.trim());
    const c = m ? this.s().store.get(m[1], m[2], m[3]) : undefined;
    if (!c) return { exists: false };
    return { exists: true, powerState: c.powerState, azureMlExtensionInstalled: hasAzureMl(c) };
  }

  /** `lookupCluster` bound, to pass to `ml.setClusterLookup`. */
  readonly clusterLookup: ClusterLookup = (resourceId) => this.lookupCluster(resourceId);

  /**
   * Installs an extension directly (no LRO). Default: the Azure ML extension `azureml` with
   * enableInference, Succeeded.
   */
  installExtension(
    subscriptionId: string,
    resourceGroupName: string,
    clusterName: string,
    options: {
      name?: string;
      extensionType?: string;
      provisioningState?: "Succeeded" | "Failed" | "Creating";
      configurationSettings?: Record<string, string>;
    } = {},
  ): void {
    const c = this.get(subscriptionId, resourceGroupName, clusterName);
    const name = options.name ?? "azureml";
    const configurationSettings = options.configurationSettings ?? {
      enableInference: "True",
      inferenceRouterServiceType: "LoadBalancer",
      allowInsecureConnections: "True",
      inferenceRouterHA: "False",
    };
    c.extensions.set(
      name.toLowerCase(),
      newExtension(name, { extensionType: options.extensionType ?? AZUREML_EXTENSION_TYPE, configurationSettings }, options.provisioningState ?? "Succeeded"),
    );
  }

  /** Removes an extension at once; false when there was none. */
  removeExtension(subscriptionId: string, resourceGroupName: string, clusterName: string, name = "azureml"): boolean {
    return this.get(subscriptionId, resourceGroupName, clusterName).extensions.delete(name.toLowerCase());
  }

  /** How extension create/delete operations run from now on. */
  scriptExtensions(script: ExtensionScript | undefined): void {
    this.s().extensions.script = script ?? {};
  }

  /** Items per page of list answers (nextLink paging). */
  setPageSize(size: number): void {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("page size must be a positive integer");
    this.s().store.pageSize = size;
  }

  /** Cluster tokens handed out in kubeconfigs, and extension protected settings. */
  secrets(): string[] {
    const out: string[] = [];
    for (const c of this.state?.store.clusters.values() ?? []) {
      out.push(c.userToken, c.adminToken);
      for (const e of c.extensions.values()) for (const v of Object.values(e.protectedSettings)) if (v) out.push(v);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // EmulatorModule

  reset(): void {
    if (!this.state) return;
    this.state.store.reset();
    this.state.extensions.script = {};
  }

  /** Nothing to stop: extension operations run on the framework's Operations (disposed by the emulator). */
  dispose(): void {}

  private get(subscriptionId: string, resourceGroupName: string, name: string): ClusterRecord {
    const c = this.s().store.get(subscriptionId, resourceGroupName, name);
    if (!c) throw new Error(`no managed cluster '${name}' in ${subscriptionId}/${resourceGroupName}`);
    return c;
  }

  private s(): NonNullable<AksEmulator["state"]> {
    if (!this.state) throw new Error("AksEmulator is not registered with an emulator yet");
    return this.state;
  }
}

function hasAzureMl(c: ClusterRecord): boolean {
  return [...c.extensions.values()].some((e) => isAzureMlExtension(e) && e.provisioningState === "Succeeded");
}

function view(c: ClusterRecord): ClusterView {
  return {
    id: clusterResourceId(c),
    provisioningState: c.provisioningState,
    powerState: c.powerState,
    location: c.location,
    fqdn: c.fqdn,
    kubernetesVersion: c.kubernetesVersion,
    azureMlExtensionInstalled: hasAzureMl(c),
  };
}
