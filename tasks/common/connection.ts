/**
 * The AzureRM service connection a task input names → credential, subscription and cloud.
 * Called by task entries only (it reads the connection through task-lib).
 */
import type { TokenCredential } from "@azure/core-auth";
import * as tl from "azure-pipelines-task-lib/task";
import { type AgentNetwork, readAgentNetwork } from "./agentNetwork";
import { type CloudEndpoints, cloudFromConnection } from "./cloud";
import { type ConnectionAuth, SUPPORTED_SCHEMES, createCredential } from "./credentials";
import { EarlySignInCredential } from "./earlySignIn";
import { InputError } from "./errors";
import type { Loc } from "./loc";

export interface AzureConnection {
  credential: TokenCredential;
  subscriptionId: string;
  tenantId: string;
  cloud: CloudEndpoints;
  network: AgentNetwork;
}

const DATA_KEYS = ["subscriptionId", "environment", "activeDirectoryAuthority", "environmentAuthorityUrl", "activeDirectoryServiceEndpointResourceId"];

export function getAzureConnection(loc: Loc, inputName = "azureSubscription"): AzureConnection {
  const id = tl.getInput(inputName, false);
  if (!id) throw new InputError(inputName, loc("Common_InputRequired", inputName));
  const authorization = tl.getEndpointAuthorization(id, true);
  if (!authorization) throw new InputError(inputName, loc("Common_ConnectionNotFound", inputName, id));
  const data: Record<string, string | undefined> = {};
  for (const key of DATA_KEYS) data[key] = tl.getEndpointDataParameter(id, key, true);
  const subscriptionId = data["subscriptionId"];
  if (!subscriptionId) throw new InputError(inputName, loc("Common_ConnectionNoSubscription", inputName));

  const cloud = cloudFromConnection(tl.getEndpointUrl(id, true), data);
  const network = readAgentNetwork();
  const auth = connectionAuth(id, authorization, inputName, loc);
  return { credential: createCredential(auth, { cloud, network, inputName, loc }), subscriptionId, tenantId: auth.tenantId, cloud, network };
}

/**
 * The same connection, already signing in (earlySignIn.ts). Entries call it once every input is
 * validated (a refused input must not reach the network), just before loading the Azure SDK.
 */
export function signInEarly(conn: AzureConnection): AzureConnection {
  return { ...conn, credential: new EarlySignInCredential(conn.credential, conn.cloud.armScope) };
}

function connectionAuth(id: string, authorization: tl.EndpointAuthorization, inputName: string, loc: Loc): ConnectionAuth {
  const p = authorization.parameters ?? {};
  const tenantId = p["tenantid"] ?? "";
  const clientId = p["serviceprincipalid"] ?? "";
  const scheme = authorization.scheme;
  if (scheme === "ManagedServiceIdentity") return { scheme, tenantId, clientId: clientId || undefined };
  if (!tenantId || !clientId) throw new InputError(inputName, loc("Common_ConnectionIncomplete", inputName));
  switch (scheme) {
    case "ServicePrincipal":
      return {
        scheme,
        tenantId,
        clientId,
        clientSecret: p["serviceprincipalkey"] || undefined,
        certificatePem: p["authenticationType"] === "spnCertificate" ? p["servicePrincipalCertificate"] || undefined : undefined,
      };
    case "WorkloadIdentityFederation":
      return {
        scheme,
        tenantId,
        clientId,
        serviceConnectionId: id,
        job: {
          collectionUri: tl.getVariable("System.TeamFoundationCollectionUri") || tl.getVariable("System.CollectionUri"),
          projectId: tl.getVariable("System.TeamProjectId"),
          hostType: tl.getVariable("System.HostType"),
          planId: tl.getVariable("System.PlanId"),
          jobId: tl.getVariable("System.JobId"),
          oidcRequestUri: process.env["SYSTEM_OIDCREQUESTURI"] || undefined,
          // From the job's own connection (always there), not System.AccessToken (which a pipeline must map).
          systemAccessToken: tl.getEndpointAuthorization("SystemVssConnection", true)?.parameters?.["AccessToken"],
        },
      };
    default:
      throw new InputError(inputName, loc("Common_UnsupportedScheme", inputName, scheme, SUPPORTED_SCHEMES.join(", ")));
  }
}
