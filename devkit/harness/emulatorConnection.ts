/**
 * AzureRM service connections that point at the Azure emulator, one per authentication scheme,
 * with the extra agent environment each scheme needs.
 */
import { randomUUID } from "node:crypto";
import { systemConnectionEnvironment, type ServiceConnection } from "./agentEnvironment";

export type ConnectionScheme = "secret" | "certificate" | "federated" | "managedIdentity";

/** The parts of the emulator (devkit/emulator/index.ts `Emulator`) a connection is made from. */
export interface EmulatorConnectionSource {
  armUrl: string;
  authorityHost: string;
  armAudience: string;
  tenantId: string;
  subscriptionId: string;
  subscriptionName: string;
  identities: {
    secret: { clientId: string; clientSecret: string };
    certificate: { clientId: string; certificatePem: string };
    federated: { clientId: string; serviceConnectionId: string };
    managedIdentity: { identityEndpoint: string; identityHeader: string };
  };
  devops: {
    collectionUri: string;
    projectId: string;
    planId: string;
    jobId: string;
    hostType: string;
    systemAccessToken: string;
    oidcRequestUri: string;
  };
}

/**
 * The service connection for `scheme` and the environment that goes with it: the job's
 * System.* identifiers and SYSTEMVSSCONNECTION from `emu.devops` (so workload identity
 * federation can ask for an OIDC token), and for managed identity IDENTITY_ENDPOINT and
 * IDENTITY_HEADER (an App Service style endpoint on loopback; never IMDS).
 */
export function emulatorConnection(emu: EmulatorConnectionSource, scheme: ConnectionScheme): { connection: ServiceConnection; env: Record<string, string> } {
  const data: Record<string, string> = {
    subscriptionId: emu.subscriptionId,
    subscriptionName: emu.subscriptionName,
    environment: "AzureStack",
    scopeLevel: "Subscription",
    creationMode: "Manual",
    activeDirectoryAuthority: emu.authorityHost,
    environmentAuthorityUrl: emu.authorityHost,
    activeDirectoryServiceEndpointResourceId: emu.armAudience,
  };
  const { devops } = emu;
  const env: Record<string, string> = {
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: devops.collectionUri,
    SYSTEM_COLLECTIONURI: devops.collectionUri,
    SYSTEM_TEAMPROJECTID: devops.projectId,
    SYSTEM_PLANID: devops.planId,
    SYSTEM_JOBID: devops.jobId,
    SYSTEM_HOSTTYPE: devops.hostType,
    SYSTEM_OIDCREQUESTURI: devops.oidcRequestUri,
    ...systemConnectionEnvironment(devops.collectionUri, devops.systemAccessToken),
  };
  let connection: ServiceConnection;
  switch (scheme) {
    case "secret":
      connection = {
        id: randomUUID(),
        url: emu.armUrl,
        scheme: "ServicePrincipal",
        authParameters: {
          authenticationType: "spnKey",
          serviceprincipalid: emu.identities.secret.clientId,
          serviceprincipalkey: emu.identities.secret.clientSecret,
          tenantid: emu.tenantId,
        },
        data,
      };
      break;
    case "certificate":
      connection = {
        id: randomUUID(),
        url: emu.armUrl,
        scheme: "ServicePrincipal",
        authParameters: {
          authenticationType: "spnCertificate",
          serviceprincipalid: emu.identities.certificate.clientId,
          servicePrincipalCertificate: emu.identities.certificate.certificatePem,
          tenantid: emu.tenantId,
        },
        data,
      };
      break;
    case "federated":
      connection = {
        id: emu.identities.federated.serviceConnectionId,
        url: emu.armUrl,
        scheme: "WorkloadIdentityFederation",
        authParameters: {
          serviceprincipalid: emu.identities.federated.clientId,
          tenantid: emu.tenantId,
        },
        data,
      };
      break;
    case "managedIdentity":
      connection = {
        id: randomUUID(),
        url: emu.armUrl,
        scheme: "ManagedServiceIdentity",
        authParameters: { tenantid: emu.tenantId },
        data,
      };
      env["IDENTITY_ENDPOINT"] = emu.identities.managedIdentity.identityEndpoint;
      env["IDENTITY_HEADER"] = emu.identities.managedIdentity.identityHeader;
      break;
  }
  return { connection, env };
}
