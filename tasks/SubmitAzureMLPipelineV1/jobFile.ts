/**
 * The job file, loaded before the first network access. Apart from submit.ts so that the entry
 * loads only the loader before signing in, not the SDK clients submit.ts needs (storage-blob for
 * uploads, the ARM helpers): those load while the sign-in is on the wire (index.ts).
 */
import { InputError } from "../common/errors";
import type { Loc } from "../common/loc";
import { JobDefinitionError, loadJob, type JobPlan } from "./loader";
import type { SubmitPipelineRequest } from "./request";

/** Loads the job file; its mistakes are InputErrors naming `jobFile` or `overrides`. */
export async function loadPlan(
  request: Pick<SubmitPipelineRequest, "jobFile" | "overrides" | "workFolders">,
  abortSignal: AbortSignal,
  loc: Loc,
): Promise<JobPlan> {
  try {
    return await loadJob(request.jobFile, { loc, overrides: request.overrides, workFolders: request.workFolders, abortSignal });
  } catch (error) {
    if (error instanceof JobDefinitionError) throw new InputError(error.code === "BadOverride" ? "overrides" : "jobFile", error.message);
    throw error;
  }
}
