/**
 * RegisterModel's quality gate and metrics: the job's MLflow metrics (the job's and its steps',
 * tasks/common/azureml/mlflow.ts) are checked against `qualityGate` — the champion being the version
 * that holds the `championTag` tag — and recorded as `metric.<name>` properties of the new version;
 * with `promote`, the champion tag then moves to the new version.
 */
import type { ModelVersion } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { childRuns, flattenMetrics, MlflowError, readJobMetrics, workspaceMlflowClient } from "../common/azureml/mlflow";
import { errorText } from "../common/errors";
import { evaluateGate, GateFailedError, gateFailureMessage, gateReport, metricsFromProperties, needsChampion, type GateResult } from "../common/qualityGate";
import type { GateInputs } from "../common/gateInputs";
import { remoteText } from "../common/remoteText";
import { isResourceNotFound } from "../common/restErrors";
import { modelReference } from "./modelRules";
import type { ModelScope } from "./versioning";

export interface RegisterGate {
  /** Undefined: no conditions (metrics are still recorded, `promote` still applies). */
  gate?: GateInputs;
  championTag: string;
  promote: boolean;
}

/**
 * The job's metrics as the gate names them (`accuracy`, `<step>.accuracy`). Without a gate a failed
 * read only warns (the model is registered without metrics); with one it fails the step.
 */
export async function jobMetrics(s: ModelScope, jobName: string, required: boolean): Promise<Record<string, number>> {
  try {
    const client = await workspaceMlflowClient(s.ml, s, { abortSignal: s.abortSignal, loc: s.loc });
    let steps: { stepName: string; runId: string }[] = [];
    try {
      steps = await childRuns(client, await client.getRun(jobName), jobName);
    } catch (err) {
      if (!(err instanceof MlflowError && err.notFound)) throw err;
    }
    const metrics = await readJobMetrics(client, { runId: jobName, steps });
    return flattenMetrics(metrics.byStep);
  } catch (err) {
    if (required || s.abortSignal.aborted) throw err;
    s.log.warning(s.loc("MetricsUnavailable", jobName, remoteText(errorText(err))));
    return {};
  }
}

/** The version holding the champion tag (the newest, should several hold it). */
export async function findChampion(s: ModelScope, tag: string): Promise<ModelVersion[]> {
  const found: ModelVersion[] = [];
  try {
    for await (const v of s.ml.modelVersions.list(s.resourceGroupName, s.workspaceName, s.modelName, {
      tags: tag,
      orderBy: "createdtime desc",
      abortSignal: s.abortSignal,
    })) {
      if (v.properties.tags && tag in v.properties.tags) found.push(v);
    }
  } catch (err) {
    if (isResourceNotFound(err)) return [];
    throw asAzureOperationError(err, s.loc, { resource: `model '${s.modelName}' in workspace '${s.workspaceName}'`, resourceGroupName: s.resourceGroupName });
  }
  return found;
}

/**
 * Evaluates the gate and prints its table (and hands it to `onReport` for the build summary).
 * Fails with GateFailedError when it does not pass and `onGateFailure` is `fail`; returns the result otherwise.
 */
export async function checkGate(
  s: ModelScope,
  gate: GateInputs,
  candidate: Record<string, number>,
  championTag: string,
  onReport: (markdown: string) => void,
): Promise<GateResult> {
  const champions = needsChampion(gate.conditions) ? await findChampion(s, championTag) : [];
  const champion = champions[0];
  const championRef = champion
    ? { name: modelReference(s.modelName, champion.name ?? ""), metrics: metricsFromProperties(champion.properties.properties) }
    : undefined;
  const result = evaluateGate(gate.conditions, candidate, championRef, s.loc);
  const report = gateReport(result, s.loc("CandidateName", s.modelName), s.loc);
  s.log.info(report.text);
  onReport(report.markdown);
  if (!result.passed && gate.onFailure === "fail") throw new GateFailedError(gateFailureMessage(result, s.loc("CandidateName", s.modelName), s.loc));
  return result;
}

/** Moves the champion tag to `version`: set on the new version first, then removed from the others. */
export async function promoteChampion(s: ModelScope, tag: string, version: string): Promise<void> {
  const previous = (await findChampion(s, tag)).filter((v) => v.name !== version);
  await retag(s, version, (tags) => ({ ...tags, [tag]: "true" }));
  for (const old of previous) await retag(s, old.name ?? "", (tags) => Object.fromEntries(Object.entries(tags).filter(([k]) => k !== tag)));
  s.log.info(
    s.loc("ChampionPromoted", tag, modelReference(s.modelName, version), previous.map((v) => modelReference(s.modelName, v.name ?? "")).join(", ") || "-"),
  );
}

/** GET + PUT of a version with new tags (tags are what a version lets change, as `az ml model update` does). */
async function retag(s: ModelScope, version: string, change: (tags: Record<string, string | null>) => Record<string, string | null>): Promise<void> {
  const context = { resource: `model '${s.modelName}' version '${version}'`, resourceGroupName: s.resourceGroupName };
  try {
    const current = await s.ml.modelVersions.get(s.resourceGroupName, s.workspaceName, s.modelName, version, { abortSignal: s.abortSignal });
    const body: ModelVersion = { properties: { ...current.properties, tags: change(current.properties.tags ?? {}) } };
    await s.ml.modelVersions.createOrUpdate(s.resourceGroupName, s.workspaceName, s.modelName, version, body, { abortSignal: s.abortSignal });
  } catch (err) {
    throw asAzureOperationError(err, s.loc, context);
  }
}
