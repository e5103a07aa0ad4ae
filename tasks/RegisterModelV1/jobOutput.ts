/**
 * A model produced by an Azure ML job: the job must exist, have completed, and have the output;
 * the model is then registered with the job output's URI `azureml://jobs/<job>/outputs/<output>`
 * (what the CLI sends for that path form), so the service records the lineage to the job.
 */
import type { AzureMachineLearningWorkspaces, JobBase } from "@azure/arm-machinelearning";
import { asAzureOperationError } from "../common/armErrors";
import { InputError } from "../common/errors";
import { ownValue } from "../common/ownKeys";
import { isResourceNotFound } from "../common/restErrors";
import type { Loc } from "../common/loc";

/** Every job has this output (the files it wrote under ./outputs), whether or not it is declared. */
export const DEFAULT_ARTIFACTS_OUTPUT = "artifacts";

export interface JobOutputRef {
  resourceGroupName: string;
  workspaceName: string;
  jobName: string;
  outputName: string;
}

export interface ResolvedJobOutput {
  jobName: string;
  outputName: string;
  modelUri: string;
  /** Type of the output (uri_folder, mlflow_model, ...) when the job declares it. */
  outputType?: string;
}

export function jobOutputUri(jobName: string, outputName: string): string {
  return `azureml://jobs/${jobName}/outputs/${outputName}`;
}

export async function resolveJobOutput(
  ml: AzureMachineLearningWorkspaces,
  ref: JobOutputRef,
  options: { loc: Loc; abortSignal: AbortSignal },
): Promise<ResolvedJobOutput> {
  const { loc } = options;
  let job: JobBase;
  try {
    job = await ml.jobs.get(ref.resourceGroupName, ref.workspaceName, ref.jobName, { abortSignal: options.abortSignal });
  } catch (err) {
    if (isResourceNotFound(err)) {
      throw new InputError("jobName", loc("JobNotFound", ref.jobName, ref.workspaceName));
    }
    throw asAzureOperationError(err, loc, { resource: `job '${ref.jobName}' in workspace '${ref.workspaceName}'`, resourceGroupName: ref.resourceGroupName });
  }
  const status = job.properties.status ?? "Unknown";
  if (status !== "Completed") throw new InputError("jobName", loc("JobNotCompleted", ref.jobName, status));
  const outputs = (job.properties as { outputs?: Record<string, { jobOutputType?: string } | null> }).outputs ?? {};
  const declared = Object.keys(outputs);
  if (!declared.includes(ref.outputName) && ref.outputName !== DEFAULT_ARTIFACTS_OUTPUT) {
    const available = [...declared, DEFAULT_ARTIFACTS_OUTPUT].join(", ");
    throw new InputError("outputName", loc("JobOutputNotFound", ref.jobName, ref.outputName, available));
  }
  const outputType = ownValue(outputs, ref.outputName)?.jobOutputType;
  return { jobName: ref.jobName, outputName: ref.outputName, modelUri: jobOutputUri(ref.jobName, ref.outputName), ...(outputType ? { outputType } : {}) };
}
