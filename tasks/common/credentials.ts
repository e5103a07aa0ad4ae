/**
 * Service connection → TokenCredential: the one place that branches on the authentication scheme.
 * Plain data in (read from the connection by connection.ts), a credential out.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import {
  AzurePipelinesCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { type AgentNetwork, sdkNetworkOptions } from "./agentNetwork";
import type { CloudEndpoints } from "./cloud";
import { InputError } from "./errors";
import type { Loc } from "./loc";
import { registerSecret } from "./secrets";

/** The job's own connection to Azure DevOps, for the OIDC token of workload identity federation. */
export interface DevOpsJob {
  collectionUri?: string;
  projectId?: string;
  hostType?: string;
  planId?: string;
  jobId?: string;
  /** `SYSTEM_OIDCREQUESTURI`, set by agents that support it (the library path). */
  oidcRequestUri?: string;
  systemAccessToken?: string;
}

export type ConnectionAuth =
  | { scheme: "WorkloadIdentityFederation"; tenantId: string; clientId: string; serviceConnectionId: string; job: DevOpsJob }
  | { scheme: "ServicePrincipal"; tenantId: string; clientId: string; clientSecret?: string; certificatePem?: string }
  | { scheme: "ManagedServiceIdentity"; tenantId: string; clientId?: string };

export const SUPPORTED_SCHEMES = ["WorkloadIdentityFederation", "ServicePrincipal", "ManagedServiceIdentity"] as const;

/** Where the credential signs in, and how its errors are worded (`inputName`: the connection's input). */
export interface CredentialOptions {
  cloud: CloudEndpoints;
  network: AgentNetwork;
  inputName: string;
  loc: Loc;
}

export function createCredential(auth: ConnectionAuth, options: CredentialOptions): TokenCredential {
  return new SecretRegisteringCredential(schemeCredential(auth, options));
}

/** Every access token the connection obtains is registered as a secret before any code sees it. */
export class SecretRegisteringCredential implements TokenCredential {
  constructor(private readonly inner: TokenCredential) {}
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const token = await this.inner.getToken(scopes, options);
    registerSecret(token?.token);
    return token;
  }
}

function schemeCredential(auth: ConnectionAuth, { cloud, network, inputName, loc }: CredentialOptions): TokenCredential {
  const options = {
    authorityHost: cloud.authorityHost,
    disableInstanceDiscovery: !cloud.isKnownAuthority,
    ...sdkNetworkOptions(network, cloud.authorityHost),
  };
  switch (auth.scheme) {
    case "ServicePrincipal":
      if (auth.certificatePem) {
        return new ClientCertificateCredential(auth.tenantId, auth.clientId, { certificate: auth.certificatePem }, options);
      }
      if (auth.clientSecret) {
        return new ClientSecretCredential(auth.tenantId, auth.clientId, auth.clientSecret, options);
      }
      throw new InputError(inputName, loc("Common_ConnectionNoSecret", inputName));
    case "ManagedServiceIdentity":
      return new ManagedIdentityCredential({
        ...(auth.clientId ? { clientId: auth.clientId } : {}),
        ...sdkNetworkOptions(network, process.env["IDENTITY_ENDPOINT"] || process.env["MSI_ENDPOINT"] || "http://169.254.169.254/"),
      });
    case "WorkloadIdentityFederation": {
      const { job } = auth;
      if (!job.systemAccessToken) throw new InputError(inputName, loc("Common_NoSystemAccessToken", inputName));
      if (job.oidcRequestUri) {
        // Fetches a fresh OIDC token for every new Entra ID token, so long waits refresh by themselves.
        return new AzurePipelinesCredential(auth.tenantId, auth.clientId, auth.serviceConnectionId, job.systemAccessToken, options);
      }
      if (!job.collectionUri || !job.projectId || !job.hostType || !job.planId || !job.jobId) {
        throw new InputError(inputName, loc("Common_NoOidcContext", inputName));
      }
      return new ClientAssertionCredential(auth.tenantId, auth.clientId, () => requestOidcToken(auth.serviceConnectionId, job, network, loc), options);
    }
  }
}

/**
 * Asks Azure DevOps for an OIDC token for the service connection (the agent's createOidcToken
 * route). Only the task client is loaded, and only here: the whole azure-devops-node-api is
 * large, and agents that set SYSTEM_OIDCREQUESTURI never need it.
 */
async function requestOidcToken(serviceConnectionId: string, job: DevOpsJob, network: AgentNetwork, loc: Loc): Promise<string> {
  const [{ TaskApi }, { BearerCredentialHandler }] = await Promise.all([
    import("azure-devops-node-api/TaskApi.js"),
    import("azure-devops-node-api/handlers/bearertoken.js"),
  ]);
  const proxy = network.proxy;
  const taskApi = new TaskApi(job.collectionUri!, [new BearerCredentialHandler(job.systemAccessToken!, false)], {
    ...(proxy
      ? { proxy: { proxyUrl: proxy.url, proxyUsername: proxy.username, proxyPassword: proxy.password, proxyBypassHosts: proxy.bypass.map((r) => r.source) } }
      : {}),
    allowRetries: true,
    maxRetries: 3,
  });
  const answer = await taskApi.createOidcToken({}, job.projectId!, job.hostType!, job.planId!, job.jobId!, serviceConnectionId);
  if (!answer?.oidcToken) throw new Error(loc("Common_NoOidcToken", serviceConnectionId));
  registerSecret(answer.oidcToken);
  return answer.oidcToken;
}
