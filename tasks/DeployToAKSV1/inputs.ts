/**
 * The task's inputs, read once through the shared readers into a typed, validated request.
 * Only the entry calls this.
 */
import * as fs from "node:fs";
import * as tl from "azure-pipelines-task-lib/task";
import { NAME_RULES } from "../common/azureNames";
import { InputError } from "../common/errors";
import { type GateInputs, readGateInputs } from "../common/gateInputs";
import { type InputReader, inputReader } from "../common/inputs";
import type { Loc } from "../common/loc";
import { readWaitInputs } from "../common/waitInputs";
import { buildDeploySpec, type SpecOverrides } from "./endpointSpec";
import type { DeployRequest } from "./operation";
import type { WorkspaceScope } from "../common/azureml/workspace";
import { SpecError, readYamlDocument } from "./yamlFields";
import { workFolderRoots } from "../common/confinement";

export interface TaskInputs {
  /** Without the subscription (it comes from the connection). */
  workspace: Omit<WorkspaceScope, "subscriptionId">;
  request: DeployRequest;
  /** The task's own limit on the whole deployment (waitTimeoutInMinutes); 0 = none (the step's timeout governs). */
  timeoutInMs: number;
  pollIntervalInMs: number;
  /** The quality gate (undefined: none). */
  gate?: GateInputs;
}

export function readInputs(loc: Loc): TaskInputs {
  const read = inputReader(loc);
  const { readAzureName, readBoolean, readEnum, readInteger, readString } = read;
  const resourceGroupName = readAzureName("resourceGroupName", NAME_RULES.resourceGroup, { required: true });
  const workspaceName = readAzureName("workspaceName", NAME_RULES.workspace, { required: true });
  const aksResourceGroupName = readAzureName("aksResourceGroupName", NAME_RULES.resourceGroup) ?? resourceGroupName;
  // Optional: without it the cluster comes from the already attached compute (operation.ts).
  const aksClusterName = readAzureName("aksClusterName", NAME_RULES.aksCluster);

  const overrides: SpecOverrides = { workFolders: workFolderRoots() };
  const set = <K extends keyof SpecOverrides>(key: K, value: SpecOverrides[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set("endpointName", readString("endpointName"));
  set("deploymentName", readString("deploymentName"));
  set("computeName", readString("computeName"));
  if (readString("authMode")) set("authMode", readEnum("authMode", ["key", "aml_token"] as const));
  set("model", readString("model"));
  set("environment", readString("environment"));
  set("codePath", filePathInput(read, "codePath", "folder"));
  set("scoringScript", readString("scoringScript"));
  set("instanceType", readString("instanceType"));
  if (readString("instanceCount")) set("instanceCount", readInteger("instanceCount", { default: 1, min: 1, max: 100 }));
  if (readString("requestTimeoutMs")) set("requestTimeoutMs", readInteger("requestTimeoutMs", { default: 5000, min: 1, max: 300_000 }));

  const fromFiles = readEnum("specSource", ["inputs", "yamlFiles"] as const, "inputs") === "yamlFiles";
  const endpointFile = fromFiles ? filePathInput(read, "endpointFile", "file") : undefined;
  const deploymentFile = fromFiles ? filePathInput(read, "deploymentFile", "file") : undefined;
  let spec;
  try {
    spec = buildDeploySpec({
      ...(endpointFile ? { endpointFile: readYamlDocument(endpointFile, "endpointFile") } : {}),
      ...(deploymentFile ? { deploymentFile: readYamlDocument(deploymentFile, "deploymentFile") } : {}),
      overrides,
    });
  } catch (err) {
    if (err instanceof SpecError) throw new InputError(err.inputName, loc("SpecInvalid", err.inputName, err.message));
    throw err;
  }

  const smokeTestFile = filePathInput(read, "smokeTestFile", "file");
  const { timeoutInMs, pollingIntervalInMs } = readWaitInputs(read);
  let smokeTest: DeployRequest["smokeTest"];
  if (smokeTestFile) {
    const body = fs.readFileSync(smokeTestFile, "utf8");
    try {
      JSON.parse(body);
    } catch (err) {
      throw new InputError("smokeTestFile", loc("SmokeTestFileNotJson", smokeTestFile, (err as Error).message));
    }
    smokeTest = { body, timeoutInMs: readInteger("smokeTestTimeoutSeconds", { default: 60, min: 1, max: 600 }) * 1000 };
  }

  const inputs: TaskInputs = {
    workspace: { resourceGroupName, workspaceName },
    request: {
      ...(aksClusterName ? { cluster: { resourceGroupName: aksResourceGroupName, clusterName: aksClusterName } } : {}),
      namespace: readKubernetesNamespace(read, loc),
      spec,
      trafficPercent: readInteger("trafficPercent", { default: 100, min: 0, max: 100 }),
      ...(smokeTest ? { smokeTest } : {}),
      rollbackOnFailure: readBoolean("rollbackOnFailure", true),
      allowInsecureScoringUri: readBoolean("allowInsecureScoringUri", false),
    },
    timeoutInMs,
    pollIntervalInMs: pollingIntervalInMs,
  };
  // Read last, as the other inputs are read before it.
  const gate = readGateInputs(read, loc);
  return gate ? { ...inputs, gate } : inputs;
}

function readKubernetesNamespace({ readString }: InputReader, loc: Loc): string {
  const value = readString("namespace") ?? "default";
  if (value.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) throw new InputError("namespace", loc("NamespaceInvalid", value));
  return value;
}

/** A filePath input: the agent passes the sources folder for an empty one (tl.filePathSupplied tells them apart). */
function filePathInput({ readPath }: InputReader, name: string, kind: "file" | "folder"): string | undefined {
  if (!tl.filePathSupplied(name)) return undefined;
  return readPath(name, { kind });
}
