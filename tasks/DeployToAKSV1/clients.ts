/**
 * The ARM clients this task uses, built for the service connection's cloud with the shared
 * options (endpoint, audience, retries, agent proxy).
 */
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { armClientOptions } from "../common/armClients";
import type { AzureConnection } from "../common/connection";

export function machineLearningClient(conn: AzureConnection): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn));
}

export function containerServiceClient(conn: AzureConnection): ContainerServiceClient {
  return new ContainerServiceClient(conn.credential, conn.subscriptionId, armClientOptions(conn));
}
