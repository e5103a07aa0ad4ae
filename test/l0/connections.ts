/**
 * Fake AzureRM service connections for L0 runs. Every URL is loopback on its own port, so the
 * network guard's report tells which one the task used (and nothing could leave the machine even
 * without the guard): the sign-in authority on AUTHORITY_PORT, ARM on ARM_PORT.
 */
import type { ServiceConnection } from "../../devkit/harness/agentEnvironment";

export const AUTHORITY_PORT = 65011;
export const ARM_PORT = 65012;
export const AUTHORITY_HOST = `127.0.0.1:${AUTHORITY_PORT}`;

/** A connection as the agent describes it; unlike the harness type, any scheme (to test refusals). */
export type L0Connection = Omit<ServiceConnection, "scheme"> & { scheme: string };

export const CONNECTION_ID = "5b0c3f0e-8a8d-4a55-a9a4-0c6a1f2d7e31";
export const SUBSCRIPTION_ID = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";

/** A service principal (client secret) connection, with `changes` merged over it. */
export function servicePrincipalConnection(changes: Partial<L0Connection> = {}): L0Connection {
  return {
    id: CONNECTION_ID,
    url: `https://127.0.0.1:${ARM_PORT}/`,
    scheme: "ServicePrincipal",
    authParameters: {
      authenticationType: "spnKey",
      serviceprincipalid: "2c7e4f1a-6f0b-4d8e-b1b2-0f3b9c1e5a77",
      serviceprincipalkey: "l0-client-secret-never-sent",
      tenantid: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    },
    data: {
      subscriptionId: SUBSCRIPTION_ID,
      subscriptionName: "L0 subscription",
      environment: "AzureStack",
      scopeLevel: "Subscription",
      activeDirectoryAuthority: `https://${AUTHORITY_HOST}/`,
      environmentAuthorityUrl: `https://${AUTHORITY_HOST}/`,
      activeDirectoryServiceEndpointResourceId: `https://127.0.0.1:${ARM_PORT}/`,
    },
    ...changes,
  };
}
