/**
 * Inputs each task needs to run against the emulator's default scenario (devkit/emulator/index.ts):
 * enough to get past input validation to real Azure calls. One place, used by every section.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Emulator } from "../devkit/emulator";
import { emulatorConnection } from "../devkit/harness/emulatorConnection";
import type { ServiceConnection } from "../devkit/harness/agentEnvironment";
import { findRepoRoot } from "../devkit/repoRoot";

export const ADF_TASK = "TriggerADFPipelineV1";
export const AML_TASK = "SubmitAzureMLPipelineV1";
export const REGISTER_TASK = "RegisterModelV1";
export const AKS_TASK = "DeployToAKSV1";
export const WORKSPACE = "ml_workspace";

export interface TaskRunSpec {
  inputs: Record<string, string>;
  connection: ServiceConnection;
  env: Record<string, string>;
  variables: Record<string, string>;
}

export interface ScenarioOptions {
  /** pollingIntervalSeconds for tasks that wait (default: the task's own default, not set). */
  pollingIntervalSeconds?: number;
  /** RegisterModel: the local file or folder to register. */
  modelPath?: string;
  /** Unique suffix for names that must not collide between runs (model names, job names). */
  unique?: string;
}

/** A sources folder (System.DefaultWorkingDirectory) with samples/ copied in, made once per bench run. */
export class Sources {
  private dir?: string;

  get root(): string {
    if (!this.dir) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-sources-"));
      fs.cpSync(path.join(findRepoRoot(__dirname), "samples"), path.join(this.dir, "samples"), { recursive: true });
      fs.writeFileSync(path.join(this.dir, "model.pkl"), "bench model\n");
    }
    return this.dir;
  }

  dispose(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** Tasks the bench knows how to run, by folder name. */
export const KNOWN_TASKS = [ADF_TASK, AML_TASK, REGISTER_TASK, AKS_TASK] as const;

/** The inputs for `task`, or undefined when the bench has no scenario for it (yet). */
export function taskRunSpec(task: string, emu: Emulator, sources: Sources, options: ScenarioOptions = {}): TaskRunSpec | undefined {
  const { connection, env } = emulatorConnection(emu, "secret");
  const common = { azureSubscription: connection.id, resourceGroupName: emu.resourceGroupName };
  const polling: Record<string, string> =
    options.pollingIntervalSeconds !== undefined ? { pollingIntervalSeconds: String(options.pollingIntervalSeconds) } : {};
  const variables = { "System.DefaultWorkingDirectory": sources.root, "Build.SourcesDirectory": sources.root, "Build.DefinitionName": "mlops-bench" };
  switch (task) {
    case ADF_TASK:
      return {
        inputs: { ...common, factoryName: "mlops-adf", pipelineName: "prepare-training-data", parameters: "sourceContainer: raw", ...polling },
        connection,
        env,
        variables,
      };
    case AML_TASK:
      return {
        inputs: {
          ...common,
          workspaceName: WORKSPACE,
          jobFile: path.join("samples", "pipelines", "inline-steps.yml"),
          ...(options.unique ? { jobName: `bench_${options.unique.replace(/[^A-Za-z0-9_]/g, "_")}` } : {}),
          ...polling,
        },
        connection,
        env,
        variables,
      };
    case REGISTER_TASK:
      return {
        inputs: {
          ...common,
          workspaceName: WORKSPACE,
          modelName: `bench-model${options.unique ? `-${options.unique}` : ""}`,
          modelSource: "local",
          modelPath: options.modelPath ?? "model.pkl",
          modelType: "custom_model",
        },
        connection,
        env,
        variables,
      };
    case AKS_TASK:
      // Enough to get past input validation to the first Azure call (cold start); the model need not exist.
      return {
        inputs: {
          ...common,
          workspaceName: WORKSPACE,
          aksClusterName: "aks-cluster",
          specSource: "yamlFiles",
          endpointFile: path.join("samples", "deploy", "endpoint.yml"),
          deploymentFile: path.join("samples", "deploy", "deployment.yml"),
          endpointName: "bench-service",
          deploymentName: "blue",
          model: "azureml:bench-model:1",
          ...polling,
        },
        connection,
        env,
        variables,
      };
    default:
      return undefined;
  }
}
