/** Task inputs and build variables → RegisterModelRequest (entry side: reads task-lib). */
import * as tl from "azure-pipelines-task-lib/task";
import { NAME_RULES } from "../common/azureNames";
import { InputError } from "../common/errors";
import { readGateInputs } from "../common/gateInputs";
import { type InputReader, inputReader } from "../common/inputs";
import type { Loc } from "../common/loc";
import type { RegisterGate } from "./gate";
import type { BuildInfo } from "./lineage";
import { MODEL_NAME_RULE, MODEL_TYPES, MODEL_VERSION_PATTERN, OUTPUT_NAME_PATTERN } from "./modelRules";
import type { ModelSource, RegisterModelRequest } from "./operation";

export function readInputs(loc: Loc): RegisterModelRequest {
  const read = inputReader(loc);
  const { readAzureName, readBoolean, readEnum, readKeyValues, readString } = read;
  return {
    resourceGroupName: readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true }),
    workspaceName: readAzureName("workspaceName", NAME_RULES.workspace, { required: true }),
    modelName: readAzureName("modelName", MODEL_NAME_RULE, { required: true }),
    modelType: readEnum("modelType", MODEL_TYPES, "custom_model"),
    source: readSource(read, loc),
    version: readVersion(read, loc),
    description: readString("description"),
    tags: readKeyValues("tags"),
    properties: readKeyValues("properties"),
    skipIfUnchanged: readBoolean("skipIfUnchanged", false),
    build: readBuildInfo(),
    gate: readRegisterGate(read, loc),
  };
}

function readSource({ readAzureName, readEnum, readPath, readString }: InputReader, loc: Loc): ModelSource {
  const kind = readEnum("modelSource", ["local", "jobOutput"] as const, "local");
  if (kind === "local") return { kind, path: readPath("modelPath", { required: true, kind: "any" }) };
  // No fallback to a plain `JobName` variable: the agent stores a task's output variables only as
  // `<step name>.<variable>` (microsoft/azure-pipelines-agent src/Agent.Worker/ExecutionContext.cs, SetVariable).
  const jobName = readAzureName("jobName", NAME_RULES.job);
  if (!jobName) throw new InputError("jobName", loc("JobNameMissing"));
  const outputName = readString("outputName", { required: true });
  if (!OUTPUT_NAME_PATTERN.test(outputName)) throw new InputError("outputName", loc("InvalidOutputName", outputName));
  return { kind, jobName, outputName };
}

function readVersion({ readString }: InputReader, loc: Loc): string | undefined {
  const version = readString("version");
  if (version !== undefined && !MODEL_VERSION_PATTERN.test(version)) throw new InputError("version", loc("InvalidVersion", version));
  return version;
}

function readBuildInfo(): BuildInfo {
  const v = (name: string) => tl.getVariable(name) || undefined;
  return {
    buildId: v("Build.BuildId"),
    buildNumber: v("Build.BuildNumber"),
    definitionName: v("Build.DefinitionName"),
    repositoryName: v("Build.Repository.Name"),
    sourceVersion: v("Build.SourceVersion"),
    sourceBranch: v("Build.SourceBranch"),
    collectionUri: v("System.CollectionUri") ?? v("System.TeamFoundationCollectionUri"),
    teamProject: v("System.TeamProject"),
  };
}

function readRegisterGate(read: InputReader, loc: Loc): RegisterGate {
  const { readBoolean, readEnum, readString } = read;
  const gate = readGateInputs(read, loc);
  if (gate && readEnum("modelSource", ["local", "jobOutput"] as const, "local") === "local") throw new InputError("qualityGate", loc("GateNeedsJobOutput"));
  const championTag = readString("championTag") ?? "champion";
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(championTag)) throw new InputError("championTag", loc("ChampionTagInvalid", championTag));
  return { ...(gate ? { gate } : {}), championTag, promote: readBoolean("promote", false) };
}
