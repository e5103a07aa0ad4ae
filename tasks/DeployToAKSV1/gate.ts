/**
 * DeployToAKS's quality gate: the metrics RegisterModel recorded on the model version (`metric.<name>`
 * properties) are checked against `qualityGate`; the champion is the model behind the endpoint's
 * deployment that takes the most traffic. Runs before anything changes; called once from the entry.
 */
import type { ModelVersion } from "@azure/arm-machinelearning";
import type { GateInputs } from "../common/gateInputs";
import { evaluateGate, GateFailedError, gateFailureMessage, gateReport, metricsFromProperties, needsChampion } from "../common/qualityGate";
import { azureCall } from "./azureCall";
import { isNotFound } from "../common/restErrors";
import type { DeployContext } from "./operation";
import { getEndpoint } from "./endpoint";
import type { WorkspaceScope } from "../common/azureml/workspace";
import { parseAssetReference } from "./references";
import { resolveModel } from "./resolveModel";

interface ModelMetrics {
  /** `name:version` */
  name: string;
  metrics: Record<string, number>;
}

async function versionMetrics(ctx: DeployContext, scope: WorkspaceScope, name: string, version: string): Promise<ModelMetrics | undefined> {
  const context = { resource: `model '${name}' version '${version}' in workspace '${scope.workspaceName}'`, resourceGroupName: scope.resourceGroupName };
  const found: ModelVersion | undefined = await azureCall(ctx, context, () =>
    ctx.ml.modelVersions.get(scope.resourceGroupName, scope.workspaceName, name, version, { abortSignal: ctx.abortSignal }),
  ).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  return found ? { name: `${name}:${version}`, metrics: metricsFromProperties(found.properties.properties) } : undefined;
}

/** The model of the deployment taking the most traffic on the endpoint (undefined: no endpoint, no traffic). */
async function championModel(ctx: DeployContext, endpointName: string): Promise<ModelMetrics | undefined> {
  const endpoint = await getEndpoint(ctx, endpointName);
  const traffic = Object.entries(endpoint?.properties.traffic ?? {}).filter(([, share]) => share > 0);
  if (traffic.length === 0) return undefined;
  const [deploymentName] = traffic.sort((a, b) => b[1] - a[1])[0];
  const ws = ctx.workspace;
  const deployment = await azureCall(
    ctx,
    { resource: `deployment '${deploymentName}' of online endpoint '${endpointName}'`, resourceGroupName: ws.resourceGroupName },
    () => ctx.ml.onlineDeployments.get(ws.resourceGroupName, ws.workspaceName, endpointName, deploymentName, { abortSignal: ctx.abortSignal }),
  );
  const model = deployment.properties.model;
  if (!model) return undefined;
  const ref = parseAssetReference(model, "models");
  if (ref.version === undefined) return undefined;
  return versionMetrics(ctx, ref.form === "id" ? ref.scope : ws, ref.name, ref.version);
}

/**
 * Evaluates the gate, prints its table and hands the Markdown to `onReport`. True: passed. False: failed
 * with `onGateFailure: skip` (deploy nothing). Throws GateFailedError when it fails with `fail`.
 */
export async function checkDeployGate(
  ctx: DeployContext,
  gate: GateInputs,
  target: { model: string; endpointName: string },
  onReport: (markdown: string) => void,
): Promise<boolean> {
  const model = await resolveModel(ctx, target.model, "model");
  const ref = parseAssetReference(target.model, "models");
  const candidate = (await versionMetrics(ctx, ref.form === "id" ? ref.scope : ctx.workspace, model.name, model.version)) ?? {
    name: `${model.name}:${model.version}`,
    metrics: {},
  };
  const champion = needsChampion(gate.conditions) ? await championModel(ctx, target.endpointName) : undefined;
  const result = evaluateGate(gate.conditions, candidate.metrics, champion, ctx.loc);
  const report = gateReport(result, candidate.name, ctx.loc);
  ctx.log.info(report.text);
  onReport(report.markdown);
  if (result.passed) return true;
  if (gate.onFailure === "fail") throw new GateFailedError(gateFailureMessage(result, candidate.name, ctx.loc));
  return false;
}
