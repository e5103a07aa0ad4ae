/**
 * RegisterModel entry: reads the inputs into a typed request, runs the operation, sets the
 * output variables. Everything else lives in registerModel.ts and the modules it uses.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import * as tl from "azure-pipelines-task-lib/task";
import { armClientOptions } from "../common/armClients";
import { NAME_RULES } from "../common/azureNames";
import { getAzureConnection, signInEarly, signInRequestSent } from "../common/connection";
import { InputError } from "../common/errors";
import { readAzureName, readBoolean, readEnum, readKeyValues, readPath, readString } from "../common/inputs";
import { formatTable, setOutput, uploadMarkdownSummary } from "../common/logging";
import { runTaskEntry, type TaskContext, type TaskOutcome } from "../common/taskEntry";
import { readGateInputs } from "../common/gateInputs";
import type { RegisterGate } from "./gate";
import type { BuildInfo } from "./lineage";
import { MODEL_NAME_RULE, MODEL_TYPES, MODEL_VERSION_PATTERN, OUTPUT_NAME_PATTERN } from "./modelRules";
import { checkLocalModel } from "./localModel";
import type { ModelSource, RegisterModelRequest } from "./registerModel";

function readSource(): ModelSource {
  const kind = readEnum("modelSource", ["local", "jobOutput"] as const, "local");
  if (kind === "local") return { kind, path: readPath("modelPath", { required: true, kind: "any" }) };
  // No fallback to a plain `JobName` variable: the agent stores a task's output variables only as
  // `<step name>.<variable>` (microsoft/azure-pipelines-agent src/Agent.Worker/ExecutionContext.cs, SetVariable).
  const jobName = readAzureName("jobName", NAME_RULES.job);
  if (!jobName) throw new InputError("jobName", tl.loc("JobNameMissing"));
  const outputName = readString("outputName", { required: true });
  if (!OUTPUT_NAME_PATTERN.test(outputName)) throw new InputError("outputName", tl.loc("InvalidOutputName", outputName));
  return { kind, jobName, outputName };
}

function readVersion(): string | undefined {
  const version = readString("version");
  if (version !== undefined && !MODEL_VERSION_PATTERN.test(version)) throw new InputError("version", tl.loc("InvalidVersion", version));
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

function readRequest(): RegisterModelRequest {
  return {
    resourceGroupName: readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true }),
    workspaceName: readAzureName("workspaceName", NAME_RULES.workspace, { required: true }),
    modelName: readAzureName("modelName", MODEL_NAME_RULE, { required: true }),
    modelType: readEnum("modelType", MODEL_TYPES, "custom_model"),
    source: readSource(),
    version: readVersion(),
    description: readString("description"),
    tags: readKeyValues("tags"),
    properties: readKeyValues("properties"),
    skipIfUnchanged: readBoolean("skipIfUnchanged", false),
    build: readBuildInfo(),
    gate: readRegisterGate(),
  };
}

function readRegisterGate(): RegisterGate {
  const gate = readGateInputs();
  if (gate && readEnum("modelSource", ["local", "jobOutput"] as const, "local") === "local") throw new InputError("qualityGate", tl.loc("GateNeedsJobOutput"));
  const championTag = readString("championTag") ?? "champion";
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(championTag)) throw new InputError("championTag", tl.loc("ChampionTagInvalid", championTag));
  return { ...(gate ? { gate } : {}), championTag, promote: readBoolean("promote", false) };
}

async function main({ abortSignal, log }: TaskContext): Promise<TaskOutcome | void> {
  const request = readRequest();
  // Local checks before the first network access (signing in starts below).
  if (request.source.kind === "local") await checkLocalModel(request.source.path, request.modelType, tl.loc);
  const conn = signInEarly(getAzureConnection("azureSubscription"));
  // Loaded while the sign-in is under way, once its request is on the wire.
  await signInRequestSent(conn);
  const [{ AzureMachineLearningWorkspaces }, { resolveDatastore }, { registerModel }] = await Promise.all([
    import("@azure/arm-machinelearning"),
    import("../common/datastore.js"),
    import("./registerModel.js"),
  ]);
  const ml = new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn));
  const result = await registerModel(request, {
    ml,
    subscriptionId: conn.subscriptionId,
    datastore: () => resolveDatastore(ml, { resourceGroupName: request.resourceGroupName, workspaceName: request.workspaceName }, conn, abortSignal),
    log,
    abortSignal,
    loc: tl.loc,
    onGateReport: (markdown) => uploadMarkdownSummary(tl.loc("GateSummaryTitle", request.modelName), markdown),
  });
  if (result.gatePassed !== undefined) setOutput("GatePassed", String(result.gatePassed));
  if (result.gatePassed === false) {
    const message = tl.loc("GateSkipped", request.modelName);
    log.warning(message);
    return { succeededWithIssues: message };
  }
  log.info(
    formatTable(
      [tl.loc("ColumnModel"), tl.loc("ColumnVersion"), tl.loc("ColumnStatus"), tl.loc("ColumnUri")],
      [[result.name, result.version, result.skipped ? tl.loc("StatusUnchanged") : tl.loc("StatusRegistered"), result.modelUri]],
    ),
  );
  setOutput("ModelName", result.name);
  setOutput("ModelVersion", result.version);
  setOutput("ModelId", result.modelId);
  setOutput("ModelUri", result.modelUri);
}

void runTaskEntry(__dirname, main);
