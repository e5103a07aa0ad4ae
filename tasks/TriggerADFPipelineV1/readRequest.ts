/** Task inputs → TriggerRequest (entry side: reads task-lib inputs). */
import * as tl from "azure-pipelines-task-lib/task";
import { InputError } from "../common/errors";
import { NAME_RULES } from "../common/azureNames";
import { readAzureName, readBoolean, readEnum, readObject, readString } from "../common/inputs";
import { readWaitInputs } from "../common/waitInputs";
import { FAIL_ON_STATUS, type RerunRequest, type TriggerRequest } from "./request";

export function readRequest(): TriggerRequest {
  const rerun = readRerun();
  const waitForCompletion = readBoolean("waitForCompletion", true);
  return {
    resourceGroupName: readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true }),
    factoryName: readAzureName("factoryName", NAME_RULES.dataFactory, { required: true }),
    pipelineName: readAzureName("pipelineName", NAME_RULES.adfPipeline, { required: true }),
    parameters: readObject("parameters") ?? {},
    ...(rerun ? { rerun } : {}),
    waitForCompletion,
    ...readWaitInputs(),
    cancelOnStop: readBoolean("cancelOnStop", true),
    cancelOnTimeout: readBoolean("cancelOnTimeout", false),
    failOnStatus: readEnum("failOnStatus", FAIL_ON_STATUS, "failedOrCancelled"),
  };
}

function readRerun(): RerunRequest | undefined {
  const referencePipelineRunId = readString("referencePipelineRunId");
  const startFromFailure = readBoolean("startFromFailure", false);
  const startActivityName = readString("startActivityName");
  if (!referencePipelineRunId) {
    if (startFromFailure || startActivityName) {
      throw new InputError("referencePipelineRunId", tl.loc("RerunNeedsReference", startFromFailure ? "startFromFailure" : "startActivityName"));
    }
    return undefined;
  }
  return { referencePipelineRunId, startFromFailure, ...(startActivityName ? { startActivityName } : {}) };
}
