/** Task inputs and predefined variables → SubmitPipelineRequest (entry side: reads task-lib). */
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { NAME_RULES } from "../common/azureNames";
import { inputReader } from "../common/inputs";
import type { Loc } from "../common/loc";
import { readWaitInputs } from "../common/waitInputs";
import { stepJobName } from "./jobName";
import { defaultExperimentName } from "./loader/cliDefaultNames";
import type { SubmitPipelineRequest } from "./request";
import { workFolderRoots } from "../common/confinement";

export interface EntryRequest {
  request: SubmitPipelineRequest;
  pollingIntervalInMs: number;
  /** `metricsHistory`: the metrics whose whole history is reported. */
  metricsHistory: string[];
}

export function readInputs(loc: Loc, subscriptionId: string): EntryRequest {
  const read = inputReader(loc);
  const { readAzureName, readBoolean, readKeyValues, readPath, readString } = read;
  const jobFile = readPath("jobFile", { required: true, kind: "file" });
  const { timeoutInMs, pollingIntervalInMs } = readWaitInputs(read);
  const request: SubmitPipelineRequest = {
    workspace: {
      subscriptionId,
      resourceGroupName: readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true }),
      workspaceName: readAzureName("workspaceName", NAME_RULES.workspace, { required: true }),
    },
    jobFile,
    workFolders: workFolderRoots(),
    overrides: readString("overrides"),
    jobName: readAzureName("jobName", NAME_RULES.job),
    defaultJobName: stepJobName({
      collection: variable("System.CollectionId") ?? variable("System.CollectionUri"),
      projectId: variable("System.TeamProjectId"),
      buildId: variable("Build.BuildId"),
      releaseId: variable("Release.ReleaseId"),
      releaseEnvironmentId: variable("Release.EnvironmentId"),
      stageName: variable("System.StageName"),
      phaseName: variable("System.PhaseName"),
      jobName: variable("System.JobName") ?? variable("Agent.JobName"),
      taskInstanceId: variable("System.TaskInstanceId"),
      taskInstanceName: variable("System.TaskInstanceName"),
    }),
    experimentName: readString("experimentName"),
    defaultExperimentName: experimentFromDefinition(variable("Build.DefinitionName")) ?? defaultExperimentName(path.dirname(jobFile)),
    displayName: readString("displayName"),
    tags: readKeyValues("tags"),
    defaultProperties: gitProperties(),
    validateOnly: readBoolean("validateOnly", false),
    waitForCompletion: readBoolean("waitForCompletion", true),
    timeoutInMs,
    cancelOnStop: readBoolean("cancelOnStop", true),
    cancelOnTimeout: readBoolean("cancelOnTimeout", false),
  };
  return { request, pollingIntervalInMs, metricsHistory: metricNames(readString("metricsHistory")) };
}

function variable(name: string): string | undefined {
  const value = tl.getVariable(name);
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** The pipeline's name as an experiment name (letters, digits, `_`, `-`), when there is one. */
function experimentFromDefinition(definitionName: string | undefined): string | undefined {
  const name = definitionName?.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
  return name ? name.slice(0, 255) : undefined;
}

/** What the CLI reads from `git` in its working folder, from the build's variables instead. */
function gitProperties(): Record<string, string> | undefined {
  const properties: Record<string, string> = {};
  const repo = variable("Build.Repository.Uri");
  const branch = variable("Build.SourceBranchName");
  const commit = variable("Build.SourceVersion");
  if (repo) properties["mlflow.source.git.repoURL"] = repo;
  if (branch) properties["mlflow.source.git.branch"] = branch;
  if (commit) properties["mlflow.source.git.commit"] = commit;
  return Object.keys(properties).length > 0 ? properties : undefined;
}

/** `metricsHistory`: metric names, one a line (commas also separate); blank lines ignored. */
function metricNames(text: string | undefined): string[] {
  return [
    ...new Set(
      (text ?? "")
        .split(/[\r\n,]+/)
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}
