/** Task inputs → TriggerRequest (entry side: reads task-lib inputs). */
import * as tl from "azure-pipelines-task-lib/task";
import { InputError } from "../common/errors";
import { NAME_RULES } from "../common/azureNames";
import { readAzureName, readBoolean, readEnum, readInteger, readMinutesAsMs, readObject, readString } from "../common/inputs";
import { FAIL_ON_STATUS, type RerunRequest, type TriggerRequest } from "./request";

const MAX_TIMEOUT_IN_MINUTES = 7 * 24 * 60;

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
    pollingIntervalInMs: readInteger("pollingIntervalSeconds", { default: 30, min: 1, max: 3600 }) * 1000,
    timeoutInMs: readMinutesAsMs("timeoutInMinutes", { default: 60, max: MAX_TIMEOUT_IN_MINUTES, zeroMeansNoLimit: true }),
    cancelOnStop: readBoolean("cancelOnStop", true),
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

