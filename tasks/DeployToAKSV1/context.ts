/**
 * What every DeployToAKS operation works with: the clients, the workspace, the log, localized
 * messages and the signals. Built by the entry (index.ts) or by tests.
 */
import type { ContainerServiceClient } from "@azure/arm-containerservice";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { DatastoreConnection } from "../common/datastore";
import type { TaskLog } from "../common/logging";
import type { WorkspaceScope } from "../common/azureml/workspace";

/** Localized message: the entry passes `tl.loc`; tests format task.json's messages. */
export type Loc = (key: string, ...params: unknown[]) => string;

export interface DeployContext {
  ml: AzureMachineLearningWorkspaces;
  aks: ContainerServiceClient;
  /** The Azure ML workspace the task deploys to. */
  workspace: WorkspaceScope;
  /** Credential and network settings for the datastore upload of local code. */
  datastoreConnection: DatastoreConnection;
  log: TaskLog;
  loc: Loc;
  /** Aborted when the pipeline is cancelled (reason: CancelledError) or the task's timeout passes. */
  abortSignal: AbortSignal;
  /** Registers a secret with the agent's log masker (tl.setSecret) before it can reach any output. */
  registerSecret: (value: string) => void;
  /** Polling interval of long-running operations when Azure gives no Retry-After. */
  pollIntervalInMs: number;
}
