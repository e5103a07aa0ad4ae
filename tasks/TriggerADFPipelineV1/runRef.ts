/** What names a pipeline, and one of its runs, in a factory. */
export interface PipelineRef {
  resourceGroupName: string;
  factoryName: string;
  pipelineName: string;
}

export interface RunRef extends PipelineRef {
  runId: string;
}

/** Final statuses of a pipeline run (the service spells the cancelled one "Cancelled"). */
export const FINAL_STATUSES = ["Succeeded", "Failed", "Cancelled"] as const;

export function isFinalStatus(status: string | undefined): boolean {
  return status !== undefined && (FINAL_STATUSES as readonly string[]).some((s) => s.toLowerCase() === status.toLowerCase());
}

export function isCancelledStatus(status: string | undefined): boolean {
  return status !== undefined && /^cancel+ed$/i.test(status);
}

export function isFailedStatus(status: string | undefined): boolean {
  return status !== undefined && status.toLowerCase() === "failed";
}
