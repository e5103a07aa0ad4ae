/** Task inputs → TriggerRequest (entry side: reads task-lib inputs). */
import { InputError } from "../common/errors";
import { NAME_RULES } from "../common/azureNames";
import { type InputReader, inputReader } from "../common/inputs";
import type { Loc } from "../common/loc";
import { readWaitInputs } from "../common/waitInputs";
import { FAIL_ON_STATUS, type RerunRequest, type TriggerRequest } from "./request";

export function readInputs(loc: Loc): TriggerRequest {
  const read = inputReader(loc);
  const { readAzureName, readBoolean, readEnum, readObject } = read;
  const rerun = readRerun(read, loc);
  const waitForCompletion = readBoolean("waitForCompletion", true);
  return {
    resourceGroupName: readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true }),
    factoryName: readAzureName("factoryName", NAME_RULES.dataFactory, { required: true }),
    pipelineName: readAzureName("pipelineName", NAME_RULES.adfPipeline, { required: true }),
    parameters: readObject("parameters") ?? {},
    ...(rerun ? { rerun } : {}),
    waitForCompletion,
    ...readWaitInputs(read),
    cancelOnStop: readBoolean("cancelOnStop", true),
    cancelOnTimeout: readBoolean("cancelOnTimeout", false),
    failOnStatus: readEnum("failOnStatus", FAIL_ON_STATUS, "failedOrCancelled"),
  };
}

function readRerun({ readBoolean, readString }: InputReader, loc: Loc): RerunRequest | undefined {
  const referencePipelineRunId = readString("referencePipelineRunId");
  const startFromFailure = readBoolean("startFromFailure", false);
  const startActivityName = readString("startActivityName");
  if (!referencePipelineRunId) {
    if (startFromFailure || startActivityName) {
      throw new InputError("referencePipelineRunId", loc("RerunNeedsReference", startFromFailure ? "startFromFailure" : "startActivityName"));
    }
    return undefined;
  }
  return { referencePipelineRunId, startFromFailure, ...(startActivityName ? { startActivityName } : {}) };
}
