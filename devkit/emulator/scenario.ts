/**
 * The default scenario: the identities of the emulated tenant (a service principal with a
 * client secret, one with a certificate, one federated with the Azure DevOps service connection,
 * and a managed identity), each with Contributor on the subscription, and the default resources
 * (resource group `ml_rg`, ML workspace, ADF factory, AKS cluster) seeded in every module.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { AksEmulator } from "./arm/aks";
import type { DataFactoryEmulator } from "./arm/datafactory";
import type { MachineLearningEmulator } from "./arm/machinelearning";
import type { DevOpsEndpoint } from "./devops";
import type { Directory } from "./directory";
import { registeredCertificate } from "./directory";
import type { World } from "./framework";
import { MSI_PATH, STORAGE_RESOURCE, TOKEN_EXCHANGE_AUDIENCE } from "./identity";

export const ARM_AUDIENCE = "https://management.emulator.local/";
export const ML_AUDIENCE = "https://ml.azure.com";
export const DEFAULT_RESOURCE_GROUP = "ml_rg";
export const DEFAULT_LOCATION = "westeurope";
export const SUBSCRIPTION_NAME = "Emulated MLOps subscription";
export const FEDERATED_CONNECTION_NAME = "mlops-federated";

export interface Identities {
  secret: { clientId: string; clientSecret: string; objectId: string };
  /** certificatePem holds the private key and the certificate (what an AzureRM connection stores). */
  certificate: { clientId: string; certificatePem: string; objectId: string };
  federated: { clientId: string; serviceConnectionId: string; objectId: string };
  managedIdentity: { identityEndpoint: string; identityHeader: string; clientId: string; objectId: string };
}

/** Registers the default applications and the managed identity in the directory. */
export function createIdentities(
  directory: Directory,
  options: { baseUrl: string; clientCert: { certPem: string; keyPem: string }; devops: DevOpsEndpoint; identityHeader: string },
): Identities {
  directory.resources.add(ARM_AUDIENCE.replace(/\/+$/, "").toLowerCase());
  directory.resources.add(STORAGE_RESOURCE);
  directory.resources.add(ML_AUDIENCE);

  const secret = { clientId: randomUUID(), clientSecret: `emu~${randomBytes(24).toString("base64url")}`, objectId: randomUUID() };
  directory.addApplication({
    clientId: secret.clientId,
    objectId: secret.objectId,
    displayName: "mlops-secret-sp",
    secrets: [secret.clientSecret],
    certificates: [],
    federatedCredentials: [],
  });

  const certificate = {
    clientId: randomUUID(),
    certificatePem: `${options.clientCert.keyPem.trim()}\n${options.clientCert.certPem.trim()}\n`,
    objectId: randomUUID(),
  };
  directory.addApplication({
    clientId: certificate.clientId,
    objectId: certificate.objectId,
    displayName: "mlops-certificate-sp",
    secrets: [],
    certificates: [registeredCertificate(options.clientCert.certPem)],
    federatedCredentials: [],
  });

  const serviceConnectionId = randomUUID();
  options.devops.serviceConnections.set(serviceConnectionId.toLowerCase(), FEDERATED_CONNECTION_NAME);
  const federated = { clientId: randomUUID(), serviceConnectionId, objectId: randomUUID() };
  directory.addApplication({
    clientId: federated.clientId,
    objectId: federated.objectId,
    displayName: "mlops-federated-sp",
    secrets: [],
    certificates: [],
    federatedCredentials: [{ issuer: options.devops.issuer(), subject: options.devops.subject(serviceConnectionId), audiences: [TOKEN_EXCHANGE_AUDIENCE] }],
  });

  const mi = { clientId: randomUUID(), objectId: randomUUID() };
  directory.addManagedIdentity({ ...mi, displayName: "mlops-agent-identity" });
  const managedIdentity = { identityEndpoint: `${options.baseUrl}${MSI_PATH}`, identityHeader: options.identityHeader, ...mi };

  return { secret, certificate, federated, managedIdentity };
}

export interface ScenarioTargets {
  world: World;
  subscriptionId: string;
  identities: Identities;
  ml: MachineLearningEmulator;
  datafactory: DataFactoryEmulator;
  aks: AksEmulator;
}

/** Seeds the default scenario into an empty world and freshly reset modules. */
export function seedScenario(t: ScenarioTargets): void {
  t.world.addSubscription(t.subscriptionId, SUBSCRIPTION_NAME);
  t.world.addResourceGroup(t.subscriptionId, DEFAULT_RESOURCE_GROUP, DEFAULT_LOCATION);
  const scope = `/subscriptions/${t.subscriptionId}`;
  for (const id of [t.identities.secret, t.identities.certificate, t.identities.federated, t.identities.managedIdentity]) {
    t.world.assignRole({ principalId: id.clientId, role: "Contributor", scope });
  }
  t.aks.seedDefaults(t.subscriptionId, DEFAULT_RESOURCE_GROUP);
  t.datafactory.seedDefaults(t.subscriptionId, DEFAULT_RESOURCE_GROUP);
  t.ml.seedDefaults(t.subscriptionId, DEFAULT_RESOURCE_GROUP);
  t.ml.addAmlCompute({ name: "cpu-cluster", vmSize: "STANDARD_DS3_V2", maxNodeCount: 4 });
  // Kubernetes compute attach asks the AKS module whether the cluster exists, runs and has the Azure ML extension.
  t.ml.setClusterLookup(t.aks.clusterLookup);
}
