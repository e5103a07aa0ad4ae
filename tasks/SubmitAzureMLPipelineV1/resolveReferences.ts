/**
 * Resolves what the job names in the workspace, as the CLI does before submitting: computes by GET (their
 * ARM ids go into the body), `@latest` assets by listing versions newest first. Pinned versions are checked
 * with a GET too, so a missing component or data version fails here with the YAML line that names it,
 * before anything is uploaded or registered.
 */
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { InputError } from "../common/errors";
import type { TaskLog } from "../common/logging";
import type { JobPlan, SourceLocation, WorkspaceReference } from "./loader";
import type { WorkspaceScope } from "../common/azureml/workspace";
import { isNotFound } from "../common/restErrors";
import type { Loc } from "../common/loc";
import { getAssetVersionId, isAssetKind, KIND_NOUN, latestAssetVersionId } from "./workspaceAssets";

export interface ResolveReferencesOptions {
  ml: AzureMachineLearningWorkspaces;
  workspace: WorkspaceScope;
  workspaceId: string;
  log: TaskLog;
  loc: Loc;
  abortSignal: AbortSignal;
}

/** `WorkspaceReference.key` → ARM id, for every reference of the plan (static ones checked, not only computed). */
export async function resolveReferences(plan: JobPlan, options: ResolveReferencesOptions): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  // In parallel; when several fail, the first in the file is reported (the same answer every run).
  const results = await Promise.allSettled(plan.references.map((reference) => resolveReference(plan, reference, options)));
  results.forEach((result, i) => {
    if (result.status === "rejected") throw result.reason;
    const reference = plan.references[i];
    if (result.value !== undefined) {
      ids[reference.key] = result.value;
      options.log.debug(`${reference.key} → ${result.value}`);
    }
  });
  return ids;
}

async function resolveReference(plan: JobPlan, reference: WorkspaceReference, options: ResolveReferencesOptions): Promise<string | undefined> {
  const { ml, workspace, loc, abortSignal } = options;
  const rg = workspace.resourceGroupName;
  const wsName = workspace.workspaceName;
  const described = describe(reference);
  const missing = () => new InputError("jobFile", loc("ReferenceNotFound", described, wsName, where(reference.usedAt)));
  const azureError = (error: unknown) => asAzureOperationError(error, loc, { resource: `${described} in workspace '${wsName}'`, resourceGroupName: rg });
  try {
    if (reference.kind === "computes") {
      const compute = await ml.computeOperations.get(rg, wsName, reference.name, { abortSignal });
      return compute.id ?? plan.staticReferenceId(reference, options.workspaceId);
    }
    if (reference.kind === "datastores") {
      const datastore = await ml.datastores.get(rg, wsName, reference.name, { abortSignal });
      return datastore.id ?? plan.staticReferenceId(reference, options.workspaceId);
    }
    if (!isAssetKind(reference.kind)) return undefined;
    if (reference.resolution === "latest") {
      const id = await latestAssetVersionId(ml, workspace, reference.kind, reference.name, abortSignal);
      if (!id) throw new InputError("jobFile", loc("NoVersions", KIND_NOUN[reference.kind], reference.name, wsName, where(reference.usedAt)));
      return id;
    }
    if (reference.version !== undefined) {
      return (
        (await getAssetVersionId(ml, workspace, reference.kind, reference.name, reference.version, abortSignal)) ??
        plan.staticReferenceId(reference, options.workspaceId)
      );
    }
    // A label other than `latest` is sent as a labelled id; 2022-10-01 has no call to check it.
    return plan.staticReferenceId(reference, options.workspaceId);
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (isNotFound(error)) throw missing();
    throw azureError(error);
  }
}

function describe(reference: WorkspaceReference): string {
  const noun = KIND_NOUN[reference.kind];
  const suffix = reference.version !== undefined ? `:${reference.version}` : reference.label !== undefined ? `@${reference.label}` : "";
  return `${noun} '${reference.name}${suffix}'`;
}

/** `pipeline.yml:12 jobs.train.compute, pipeline.yml:30 settings.default_compute` */
export function where(locations: readonly SourceLocation[]): string {
  return locations.map((l) => `${l.line === undefined ? l.filePath : `${l.filePath}:${l.line}`}${l.keyPath ? ` ${l.keyPath}` : ""}`).join(", ");
}
