/**
 * Deploy to AKS, start to end: check the cluster, resolve the model, attach the compute, create or
 * update the endpoint and the deployment, shift traffic (blue/green), smoke test, and roll back
 * on failure when asked. Nothing changes before the cluster and the model have been checked.
 */
import { InputError, RemoteRunError } from "../common/errors";
import { azureCall } from "./azureCall";
import { clusterOfAttachedCompute, ensureKubernetesCompute } from "./attachCompute";
import { checkCluster, type ClusterRef } from "./clusterCheck";
import { resolveCode } from "./codeAsset";
import type { DeployContext } from "./context";
import { createOrUpdateDeployment, DeploymentFailedError } from "./deploy";
import { ensureEndpoint, setTraffic } from "./endpoint";
import { endpointCredential, type EndpointCredential } from "./endpointAuth";
import { deploymentBody, type DeploySpec } from "./endpointSpec";
import { resolveEnvironment } from "./environmentAsset";
import { isMlflowModel, resolveModel } from "./resolveModel";
import { rollback } from "./rollback";
import { runSmokeTest, type SmokeTestNetwork } from "./smokeTest";
import { describeTraffic, normalizeTraffic, sameTraffic, splitTraffic, type TrafficMap } from "./trafficSplit";

export interface DeployRequest {
  /** The AKS cluster; absent when the compute is already attached (the cluster is then read from it). */
  cluster?: ClusterRef;
  /** Namespace used when the compute is attached by this run. */
  namespace: string;
  spec: DeploySpec;
  /** Share of the traffic the deployment gets (0–100). */
  trafficPercent: number;
  smokeTest?: { body: string; timeoutInMs: number };
  rollbackOnFailure: boolean;
}

export interface DeployResult {
  endpointName: string;
  deploymentName: string;
  scoringUri: string;
  swaggerUri?: string;
  traffic: TrafficMap;
  credential: EndpointCredential;
}

/** `network`: the agent's proxy and certificate settings for a URL (the smoke test's HTTP client). */
export async function deployToAks(ctx: DeployContext, req: DeployRequest, network: (url: string) => SmokeTestNetwork): Promise<DeployResult> {
  const { loc, log } = ctx;
  const { spec } = req;
  const ws = ctx.workspace;
  for (const note of spec.notes) log.warning(note);

  const cluster = req.cluster ? await checkCluster(ctx, req.cluster) : await clusterOfAttachedCompute(ctx, spec.endpoint.computeName);
  const model = await resolveModel(ctx, spec.deployment.model, "model");
  if (!isMlflowModel(model)) {
    if (!spec.deployment.code) throw new InputError("codePath", loc("CodeRequired", `${model.name}:${model.version}`, model.modelType ?? "custom_model"));
    if (!spec.deployment.environment) throw new InputError("environment", loc("EnvironmentRequired", `${model.name}:${model.version}`));
  }
  const workspace = await azureCall(ctx, { resource: `workspace '${ws.workspaceName}'`, resourceGroupName: ws.resourceGroupName }, () =>
    ctx.ml.workspaces.get(ws.resourceGroupName, ws.workspaceName, { abortSignal: ctx.abortSignal }),
  );
  const location = workspace.location ?? cluster.location ?? "";

  // References are checked (and anonymous assets registered, content-addressed) before the first change that matters.
  const environmentId = spec.deployment.environment ? await resolveEnvironment(ctx, spec.deployment.environment, spec.deployment.environment.kind === "reference" ? "environment" : "deploymentFile") : undefined;
  const codeId = spec.deployment.code ? await resolveCode(ctx, spec.deployment.code) : undefined;
  const computeId = await ensureKubernetesCompute(ctx, { computeName: spec.endpoint.computeName, clusterId: cluster.id, namespace: req.namespace, location });

  const { endpoint, traffic: previousTraffic } = await ensureEndpoint(ctx, spec.endpoint, { location, computeId });
  const body = deploymentBody(spec.deployment, { location, modelId: model.id, ...(environmentId ? { environmentId } : {}), ...(codeId ? { codeId } : {}) });
  const name = spec.deployment.name;
  let created = false;
  let currentTraffic = previousTraffic;
  const rollbackAndRethrow = async (err: unknown): Promise<never> => {
    if (req.rollbackOnFailure && err instanceof RemoteRunError) {
      const done = await rollback(ctx, { endpointName: spec.endpoint.name, deploymentName: name, previousTraffic, currentTraffic, createdDeployment: created });
      throw new RemoteRunError(done ? loc("FailedRolledBack", err.message) : loc("FailedRollbackIncomplete", err.message), { cause: err });
    }
    throw err;
  };

  try {
    const deployed = await createOrUpdateDeployment(ctx, spec.endpoint.name, name, body);
    created = deployed.created;
  } catch (err) {
    if (err instanceof DeploymentFailedError) created = err.created;
    return rollbackAndRethrow(err);
  }

  const split = splitTraffic(previousTraffic, name, req.trafficPercent);
  if (split.note) log.warning(split.note);
  let finalEndpoint = endpoint;
  if (!sameTraffic(previousTraffic, split.traffic)) {
    finalEndpoint = await setTraffic(ctx, spec.endpoint.name, split.traffic);
    currentTraffic = normalizeTraffic(finalEndpoint.properties.traffic ?? split.traffic);
    log.info(loc("TrafficSet", spec.endpoint.name, describeTraffic(previousTraffic), describeTraffic(currentTraffic)));
  } else {
    log.info(loc("TrafficUnchanged", spec.endpoint.name, describeTraffic(previousTraffic)));
  }

  const scoringUri = finalEndpoint.properties.scoringUri ?? endpoint.properties.scoringUri ?? "";
  const credential = await endpointCredential(ctx, spec.endpoint.name, finalEndpoint.properties.authMode);
  if (req.smokeTest) {
    try {
      await runSmokeTest(
        { scoringUri, deploymentName: name, body: req.smokeTest.body, credential: credential.value, timeoutInMs: req.smokeTest.timeoutInMs },
        { network: network(scoringUri), log, loc, abortSignal: ctx.abortSignal },
      );
    } catch (err) {
      return rollbackAndRethrow(err);
    }
  }
  const swaggerUri = finalEndpoint.properties.swaggerUri ?? endpoint.properties.swaggerUri;
  return { endpointName: spec.endpoint.name, deploymentName: name, scoringUri, ...(swaggerUri ? { swaggerUri } : {}), traffic: currentTraffic, credential };
}
