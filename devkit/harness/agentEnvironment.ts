/**
 * The environment the Azure Pipelines agent gives a Node task: inputs, service connections,
 * variables (public and secret) and the predefined System/Build/Agent variables.
 * Names follow the agent's VarUtil.ConvertToEnvVariableFormat: upper-case, `.` and space → `_`.
 */
import * as path from "node:path";

export interface ServiceConnection {
  /** GUID; the value of the task's connectedService input. */
  id: string;
  /** ENDPOINT_URL_<id> (ARM base URL, trailing slash). */
  url: string;
  scheme: "ServicePrincipal" | "WorkloadIdentityFederation" | "ManagedServiceIdentity";
  /** serviceprincipalid, tenantid, authenticationType, serviceprincipalkey, servicePrincipalCertificate... */
  authParameters: Record<string, string>;
  /** subscriptionId, subscriptionName, environment, activeDirectoryAuthority, ... */
  data: Record<string, string>;
}

/** `System.Debug` → `SYSTEM_DEBUG`, `my input` → `MY_INPUT`. */
export function toEnvironmentName(name: string): string {
  return name.replace(/[. ]/g, "_").toUpperCase();
}

/** INPUT_<NAME> for each input. */
export function inputEnvironment(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${toEnvironmentName(name)}`] = value;
  }
  return env;
}

/**
 * ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id> (JSON), ENDPOINT_AUTH_SCHEME_<id>,
 * ENDPOINT_AUTH_PARAMETER_<id>_<KEY>, ENDPOINT_DATA_<id> (JSON) and ENDPOINT_DATA_<id>_<KEY>.
 * The id keeps its case (task-lib looks it up as given); keys are upper-cased.
 */
export function endpointEnvironment(endpoint: {
  id: string;
  url: string;
  scheme: string;
  authParameters: Record<string, string>;
  data?: Record<string, string>;
}): Record<string, string> {
  const { id } = endpoint;
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: endpoint.url,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: endpoint.authParameters, scheme: endpoint.scheme }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: endpoint.scheme,
  };
  for (const [key, value] of Object.entries(endpoint.authParameters)) {
    env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
  }
  if (endpoint.data) {
    env[`ENDPOINT_DATA_${id}`] = JSON.stringify(endpoint.data);
    for (const [key, value] of Object.entries(endpoint.data)) {
      env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
    }
  }
  return env;
}

/** The job's own connection to Azure DevOps (`SYSTEMVSSCONNECTION`, OAuth with the job token). */
export function systemConnectionEnvironment(collectionUri: string, accessToken: string): Record<string, string> {
  return endpointEnvironment({
    id: "SYSTEMVSSCONNECTION",
    url: collectionUri,
    scheme: "OAuth",
    authParameters: { AccessToken: accessToken },
  });
}

/**
 * Public variables as `<NAME>` + `VSTS_PUBLIC_VARIABLES` (JSON list of the original names) and
 * secret ones as `SECRET_<NAME>` + `VSTS_SECRET_VARIABLES`.
 */
export function variableEnvironment(publicVariables: Record<string, string>, secretVariables: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(publicVariables)) {
    env[toEnvironmentName(name)] = value;
  }
  for (const [name, value] of Object.entries(secretVariables)) {
    env[`SECRET_${toEnvironmentName(name)}`] = value;
  }
  env["VSTS_PUBLIC_VARIABLES"] = JSON.stringify(Object.keys(publicVariables));
  env["VSTS_SECRET_VARIABLES"] = JSON.stringify(Object.keys(secretVariables));
  return env;
}

export interface PredefinedVariableOptions {
  /** Agent.TempDirectory (fresh per run). */
  tempDirectory: string;
  /** Agent.WorkFolder; the build directory and sources live under it. */
  workFolder: string;
  /** Collection URI (System.CollectionUri / System.TeamFoundationCollectionUri), trailing slash. */
  collectionUri: string;
}

/** The predefined variables a build job on a self-hosted Linux agent has (values for a test run). */
export function predefinedVariables(options: PredefinedVariableOptions): Record<string, string> {
  const buildDirectory = path.join(options.workFolder, "1");
  const sourcesDirectory = path.join(buildDirectory, "s");
  const agentOs = process.platform === "win32" ? "Windows_NT" : process.platform === "darwin" ? "Darwin" : "Linux";
  return {
    "System.TeamFoundationCollectionUri": options.collectionUri,
    "System.CollectionUri": options.collectionUri,
    "System.TeamProjectId": "6f1d2c1e-2a6b-4c52-9d0e-3a4b5c6d7e8f",
    "System.TeamProject": "mlops",
    "System.HostType": "build",
    "System.PlanId": "0b6f5d0e-8c7a-4e4b-9f3a-1d2c3b4a5f60",
    "System.JobId": "5e9a3c2b-1d4f-4a6e-8b7c-9d0e1f2a3b4c",
    "System.DefinitionId": "7",
    "System.JobAttempt": "1",
    "System.Culture": "en-US",
    "System.DefaultWorkingDirectory": sourcesDirectory,
    "Build.BuildId": "42",
    "Build.BuildNumber": "20250101.1",
    "Build.Repository.Name": "mlops-project",
    "Build.SourceVersion": "3f786850e387550fdab836ed7e6dc881de23001b",
    "Build.SourcesDirectory": sourcesDirectory,
    "Agent.TempDirectory": options.tempDirectory,
    "Agent.WorkFolder": options.workFolder,
    "Agent.BuildDirectory": buildDirectory,
    "Agent.Version": "4.266.2",
    "Agent.OS": agentOs,
    "Agent.Name": "agent-runner",
  };
}
