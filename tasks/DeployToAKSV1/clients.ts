/**
 * The ARM clients this task uses, built for the service connection's cloud with the shared
 * options (endpoint, audience, retries, agent proxy).
 */
import { ContainerServiceClient } from "@azure/arm-containerservice";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { armClientOptions } from "../common/armClients";
import type { AzureConnection } from "../common/connection";

/** The Azure ML SDK (the larger one) is loaded here, on first use, while the early sign-in is under way. */
export async function armClients(conn: AzureConnection): Promise<{ ml: AzureMachineLearningWorkspaces; aks: ContainerServiceClient }> {
  const { AzureMachineLearningWorkspaces } = await import("@azure/arm-machinelearning");
  return {
    ml: new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn)),
    aks: new ContainerServiceClient(conn.credential, conn.subscriptionId, armClientOptions(conn)),
  };
}
