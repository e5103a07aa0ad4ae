/**
 * Deploy to AKS, start to end: check the cluster, resolve the model, attach the compute, create or
 * update the endpoint and the deployment, smoke test the new deployment (by name, before it takes
 * live traffic), shift traffic (blue/green), and roll back on any ending before success — failure,
 * cancel, the task's timeout — when asked. Nothing changes before the cluster and the model have
 * been checked.
 */
import { AzureOperationError, CancelledError, InputError, RemoteRunError, WaitTimeoutError, errorText } from "../common/errors";
import type { ContainerServiceClient } from "@azure/arm-containerservice";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { DatastoreConnection } from "../common/datastore";
import type { Loc } from "../common/loc";
import type { OperationContext } from "../common/operation";
import { remoteText } from "../common/remoteText";
import { azureCall } from "./azureCall";
import { clusterOfAttachedCompute, ensureKubernetesCompute } from "./attachCompute";
import { checkCluster, type ClusterRef } from "./clusterCheck";
import { resolveCode } from "./codeAsset";
import { createOrUpdateDeployment, getDeployment } from "./deploy";
import { ensureEndpoint, updateTraffic } from "./endpoint";
import { endpointCredential, type EndpointCredential } from "./endpointAuth";
import { deploymentBody, type DeploySpec } from "./endpointSpec";
import { resolveEnvironment } from "./environmentAsset";
import type { WorkspaceScope } from "../common/azureml/workspace";
import { isMlflowModel, resolveModel } from "./resolveModel";
import { CANCEL_ROLLBACK_BUDGET_IN_MS, ROLLBACK_BUDGET_IN_MS, rollback, type RollbackPlan } from "./rollback";
import { runSmokeTest, type SmokeTestNetwork } from "./smokeTest";
import { describeTraffic, sameTraffic, splitTraffic, type TrafficMap } from "./trafficSplit";

/**
 * What every DeployToAKS module works with: the operation context (log, loc, and a signal that aborts
 * on cancellation or when waitTimeoutInMinutes passes: the limit covers the whole deployment) and the
 * task's clients. Built by the entry (index.ts) or by tests.
 */
export interface DeployContext extends OperationContext {
  ml: AzureMachineLearningWorkspaces;
  aks: ContainerServiceClient;
  /** The Azure ML workspace the task deploys to. */
  workspace: WorkspaceScope;
  /** Credential and network settings for the datastore upload of local code. */
  datastoreConnection: DatastoreConnection;
  /** Registers a secret with the agent's log masker (tl.setSecret) before it can reach any output. */
  registerSecret: (value: string) => void;
  /** Polling interval of long-running operations when Azure gives no Retry-After. */
  pollIntervalInMs: number;
}

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
  /** Send the key to an `http://` scoring URI (allowInsecureScoringUri). */
  allowInsecureScoringUri: boolean;
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
  const environmentId = spec.deployment.environment
    ? await resolveEnvironment(ctx, spec.deployment.environment, spec.deployment.environment.kind === "reference" ? "environment" : "deploymentFile")
    : undefined;
  const codeId = spec.deployment.code ? await resolveCode(ctx, spec.deployment.code) : undefined;
  const computeId = await ensureKubernetesCompute(ctx, { computeName: spec.endpoint.computeName, clusterId: cluster.id, namespace: req.namespace, location });

  const { endpoint, traffic: trafficAtStart } = await ensureEndpoint(ctx, spec.endpoint, { location, computeId });
  const scoringUri = endpoint.properties.scoringUri ?? "";
  checkScoringUri(loc, scoringUri, req.allowInsecureScoringUri);
  const body = deploymentBody(spec.deployment, { location, modelId: model.id, ...(environmentId ? { environmentId } : {}), ...(codeId ? { codeId } : {}) });
  const name = spec.deployment.name;
  const existing = await getDeployment(ctx, spec.endpoint.name, name);
  // What a rollback needs; `previousTraffic` is refreshed by each read the traffic change makes.
  const plan: RollbackPlan = { endpointName: spec.endpoint.name, deploymentName: name, previousTraffic: trafficAtStart, createdDeployment: !existing };

  try {
    await createOrUpdateDeployment(ctx, spec.endpoint.name, name, body, existing);
    const credential = await endpointCredential(ctx, spec.endpoint.name, endpoint.properties.authMode);
    // The smoke test reaches the new deployment by its name (azureml-model-deployment) while the
    // live traffic still goes where it went: the deployment takes live traffic only once it passed.
    if (req.smokeTest) {
      await runSmokeTest(
        {
          scoringUri,
          deploymentName: name,
          body: req.smokeTest.body,
          credential: credential.value,
          timeoutInMs: req.smokeTest.timeoutInMs,
          allowInsecure: req.allowInsecureScoringUri,
        },
        { network: network(scoringUri), log, loc, abortSignal: ctx.abortSignal },
      );
    }
    let note: string | undefined;
    const update = await updateTraffic(ctx, spec.endpoint.name, (current) => {
      const split = splitTraffic(current, name, req.trafficPercent);
      note = split.note;
      plan.previousTraffic = current;
      plan.writtenTraffic = split.traffic;
      return split.traffic;
    });
    if (note) log.warning(note);
    if (!sameTraffic(update.before, update.after))
      log.info(loc("TrafficSet", spec.endpoint.name, describeTraffic(update.before), describeTraffic(update.after)));
    else log.info(loc("TrafficUnchanged", spec.endpoint.name, describeTraffic(update.after)));
    const finalEndpoint = update.endpoint;
    const swaggerUri = finalEndpoint.properties.swaggerUri ?? endpoint.properties.swaggerUri;
    return { endpointName: spec.endpoint.name, deploymentName: name, scoringUri, ...(swaggerUri ? { swaggerUri } : {}), traffic: update.after, credential };
  } catch (err) {
    if (!req.rollbackOnFailure) throw err instanceof WaitTimeoutError ? new WaitTimeoutError(err.timeoutInMs, loc("TimedOutLeftRunning", err.message)) : err;
    const cancelled = err instanceof CancelledError || ctx.abortSignal.reason instanceof CancelledError;
    const done = await rollback(ctx, plan, cancelled ? CANCEL_ROLLBACK_BUDGET_IN_MS : ROLLBACK_BUDGET_IN_MS);
    throw withRollbackOutcome(err, done ? loc("FailedRolledBack", errorText(err)) : loc("FailedRollbackIncomplete", errorText(err)));
  }
}

/**
 * An `http://` scoring URI would carry the endpoint's key in clear text: refused unless the
 * allowInsecureScoringUri input says the user accepts it (before anything is deployed).
 */
export function checkScoringUri(loc: Loc, scoringUri: string, allowInsecure: boolean): void {
  if (/^http:\/\//i.test(scoringUri) && !allowInsecure) throw new InputError("allowInsecureScoringUri", loc("InsecureScoringUri", remoteText(scoringUri)));
}

/** The same ending, its message saying how the rollback went; a cancellation stays a cancellation. */
function withRollbackOutcome(err: unknown, message: string): unknown {
  if (err instanceof CancelledError) return err;
  if (err instanceof WaitTimeoutError) return new WaitTimeoutError(err.timeoutInMs, message);
  if (err instanceof InputError) return new InputError(err.inputName, message);
  if (err instanceof AzureOperationError)
    return new AzureOperationError(message, { code: err.code, statusCode: err.statusCode, requestId: err.requestId, cause: err });
  if (err instanceof RemoteRunError) return new RemoteRunError(message, { cause: err });
  return err;
}
