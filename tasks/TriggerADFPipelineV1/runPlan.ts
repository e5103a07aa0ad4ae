/**
 * Checks a request against the pipeline definition before anything starts: the parameters
 * (see parameters.ts) and the rerun options (a rerun takes the reference run's parameters; a
 * start activity must exist in the pipeline).
 */
import type { PipelineResource } from "@azure/arm-datafactory";
import { InputError } from "../common/errors";
import type { Loc } from "../common/loc";
import { type DeclaredParameters, PARAMETERS_INPUT, checkParameters, secureParameterNames } from "./parameters";
import type { TriggerRequest } from "./request";
import type { StartRunOptions } from "./startRun";

export type RunPlan = Omit<StartRunOptions, "expectedParameters">;

export function planRun(request: TriggerRequest, pipeline: PipelineResource, loc: Loc): RunPlan {
  const declared = pipeline.parameters as DeclaredParameters | undefined;
  const secureNames = secureParameterNames(declared);
  const rerun = request.rerun;
  if (!rerun) {
    return { parameters: checkParameters(declared, request.parameters, { pipelineName: request.pipelineName, loc }), secureNames };
  }
  if (Object.keys(request.parameters).length > 0) {
    throw new InputError(PARAMETERS_INPUT, loc("RerunWithParameters", rerun.referencePipelineRunId));
  }
  if (rerun.startFromFailure && rerun.startActivityName) {
    throw new InputError("startActivityName", loc("RerunTwoStarts"));
  }
  if (rerun.startActivityName) {
    const names = activityNames(pipeline.activities ?? []);
    if (!names.some((n) => n === rerun.startActivityName)) {
      throw new InputError("startActivityName", loc("StartActivityUnknown", rerun.startActivityName, request.pipelineName, names.join(", ")));
    }
  }
  return {
    parameters: {},
    secureNames,
    rerun: {
      referencePipelineRunId: rerun.referencePipelineRunId,
      // Recovery mode groups the rerun with the reference run, as Data Factory Studio's rerun does.
      isRecovery: true,
      startFromFailure: rerun.startFromFailure || undefined,
      startActivityName: rerun.startActivityName || undefined,
    },
  };
}

/** Names of the activities of a pipeline, including those nested in ForEach, If, Switch and Until. */
export function activityNames(activities: unknown[]): string[] {
  const names: string[] = [];
  const visit = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const activity of list) {
      if (!activity || typeof activity !== "object") continue;
      const a = activity as Record<string, unknown>;
      if (typeof a["name"] === "string") names.push(a["name"]);
      for (const [key, value] of Object.entries(a)) {
        if (/activities$/i.test(key)) visit(value);
        if (key === "cases" && Array.isArray(value)) value.forEach((c) => visit((c as { activities?: unknown })?.activities));
        if (key === "typeProperties" && value && typeof value === "object") visit([{ ...(value as object), name: undefined }]);
      }
    }
  };
  visit(activities);
  return names;
}
