/**
 * Isolated worlds: each concurrent task run of a reliability test gets its own data factory,
 * Azure ML workspace (default datastore on Azurite, gpu-cluster, curated environments,
 * training_data:1, best_model:1..2), AKS cluster and resource names, so faults injected on its
 * paths reach only that run and what the emulator holds afterwards can be read per run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";
import type { Emulator } from "../../devkit/emulator";
import { DEFAULT_PIPELINE, DEFAULT_PIPELINE_SPEC } from "../../devkit/emulator/arm/datafactory";

export interface World {
  n: number;
  resourceGroupName: string;
  factory: string;
  pipeline: string;
  workspace: string;
  cluster: string;
  /** Kubernetes compute name the DeployToAKS run attaches. */
  compute: string;
  endpoint: string;
  /** Job name the SubmitAzureMLPipeline run submits under. */
  job: string;
  /** Model name the RegisterModel run registers. */
  model: string;
  /** ARM path prefixes (as the emulator logs them). */
  factoryPath: string;
  workspacePath: string;
  clusterPath: string;
  /** Sign-in paths (the same for every world: faults there reach every run that signs in). */
  auth: { tokenPath: string; discoveryPath: string; oidcPath: string; msiPath: string };
}

const CURATED_ENVIRONMENTS: [string, string][] = [
  ["AzureML-TensorFlow-2.4-GPU", "mcr.microsoft.com/azureml/curated/tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu:latest"],
  ["AzureML-sklearn-1.5", "mcr.microsoft.com/azureml/curated/sklearn-1.5:latest"],
];

/** The names world `n` uses (nothing seeded). */
export function worldNames(emu: Emulator, n: number): World {
  const rg = emu.resourceGroupName;
  const providers = `/subscriptions/${emu.subscriptionId}/resourceGroups/${rg}/providers`;
  const factory = `rel-adf-${n}`;
  const workspace = `rel_ws_${n}`;
  const cluster = `rel-aks-${n}`;
  return {
    n,
    resourceGroupName: rg,
    factory,
    pipeline: DEFAULT_PIPELINE,
    workspace,
    cluster,
    compute: `k8s-${n}`,
    endpoint: `rel-ep-${n}`,
    job: `rel_job_${n}`,
    model: `rel_model_${n}`,
    factoryPath: `${providers}/Microsoft.DataFactory/factories/${factory}`,
    workspacePath: `${providers}/Microsoft.MachineLearningServices/workspaces/${workspace}`,
    clusterPath: `${providers}/Microsoft.ContainerService/managedClusters/${cluster}`,
    auth: {
      tokenPath: `/${emu.tenantId}/oauth2/v2.0/token`,
      discoveryPath: `/${emu.tenantId}/v2.0/.well-known/openid-configuration`,
      oidcPath: new URL(emu.devops.oidcRequestUri).pathname,
      msiPath: new URL(emu.identities.managedIdentity.identityEndpoint).pathname,
    },
  };
}

/** Seeds world `n` (after an emu.reset() it is gone again). */
export async function seedWorld(emu: Emulator, n: number): Promise<World> {
  const w = worldNames(emu, n);
  const sub = emu.subscriptionId;
  emu.datafactory.addFactory(sub, w.resourceGroupName, w.factory);
  emu.datafactory.addPipeline(sub, w.resourceGroupName, w.factory, w.pipeline, DEFAULT_PIPELINE_SPEC);
  const ref = { subscriptionId: sub, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace };
  emu.ml.addWorkspace(ref);
  emu.ml.addAmlCompute({ name: "gpu-cluster", vmSize: "STANDARD_NC6", maxNodeCount: 4 }, ref);
  for (const [name, image] of CURATED_ENVIRONMENTS) {
    emu.ml.seedAsset("environments", name, "1", { image, osType: "Linux", description: `Curated environment ${name}`, tags: {} }, ref);
  }
  emu.ml.seedAsset("data", "training_data", "1", { dataType: "uri_folder", dataUri: "azureml://datastores/workspaceblobstore/paths/prepared/", tags: {} }, ref);
  for (const v of ["1", "2"]) {
    emu.ml.seedAsset(
      "models",
      "best_model",
      v,
      { modelType: "custom_model", modelUri: `azureml://datastores/workspaceblobstore/paths/models/best_model/${v}/`, tags: {} },
      ref,
    );
  }
  emu.aks.addCluster(sub, w.resourceGroupName, w.cluster, { azureMlExtension: true });
  if (emu.blob && !(await emu.ml.blobContainerReady(ref))) throw new Error(`the blob container of workspace ${w.workspace} was not created`);
  return w;
}

/** Seeds worlds first..first+count-1 (in parallel: each waits for its blob container). */
export function seedWorlds(emu: Emulator, first: number, count: number): Promise<World[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => seedWorld(emu, first + i)));
}

/**
 * A sources folder (System.DefaultWorkingDirectory) as a checkout would have it: the sample
 * pipelines under `pipelines/`, the deployment sample under `deploy/`, and a model file
 * `model/model.pkl` with content no other test file uploads.
 */
export async function makeSources(): Promise<string> {
  const root = await fs.promises.mkdtemp(path.join(os.tmpdir(), "reliability-src-"));
  const samples = path.join(findRepoRoot(__dirname), "samples");
  await fs.promises.cp(path.join(samples, "pipelines"), path.join(root, "pipelines"), { recursive: true });
  await fs.promises.cp(path.join(samples, "deploy"), path.join(root, "deploy"), { recursive: true });
  await fs.promises.mkdir(path.join(root, "model"));
  await fs.promises.writeFile(path.join(root, "model", "model.pkl"), `reliability model ${Date.now()} ${Math.random()}\n`);
  return root;
}

/** Escapes text for use inside a RegExp. */
export function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
