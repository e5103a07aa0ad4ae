/**
 * Deploy to AKS — entry: inputs → request, clients from the service connection, the operation,
 * then outputs (the key or token only as a secret variable) and a build summary.
 */
import * as tl from "azure-pipelines-task-lib/task";
import { sdkNetworkOptions } from "../common/agentNetwork";
import { getAzureConnection, signInEarly } from "../common/connection";
import { WaitTimeoutError } from "../common/errors";
import { setOutput, setSecretOutput } from "../common/logging";
import { runTaskEntry } from "../common/taskEntry";
import { armClients } from "./clients";
import type { DeployContext } from "./context";
import { deployToAks } from "./operation";
import { writeSummary } from "./summary";
import { readTaskInputs } from "./taskInputs";

void runTaskEntry(__dirname, async ({ abortSignal, log }) => {
  const inputs = readTaskInputs();
  const conn = signInEarly(getAzureConnection("azureSubscription"));
  const { ml, aks } = await armClients(conn);
  const timeout = new AbortController();
  const minutes = inputs.timeoutInMs / 60_000;
  // 0: no limit of the task's own (the step's timeout governs).
  const timer = inputs.timeoutInMs > 0 ? setTimeout(() => timeout.abort(new WaitTimeoutError(inputs.timeoutInMs, tl.loc("TimedOut", minutes))), inputs.timeoutInMs) : undefined;
  timer?.unref();
  const ctx: DeployContext = {
    ml,
    aks,
    workspace: { subscriptionId: conn.subscriptionId, ...inputs.workspace },
    datastoreConnection: conn,
    log,
    loc: tl.loc,
    abortSignal: AbortSignal.any([abortSignal, timeout.signal]),
    registerSecret: (value) => tl.setSecret(value),
    pollIntervalInMs: inputs.pollIntervalInMs,
  };
  try {
    const result = await deployToAks(ctx, inputs.request, (url) => sdkNetworkOptions(conn.network, url));
    setOutput("ScoringUri", result.scoringUri);
    setOutput("EndpointName", result.endpointName);
    setOutput("DeploymentName", result.deploymentName);
    if (result.swaggerUri) setOutput("SwaggerUri", result.swaggerUri);
    setSecretOutput("EndpointKey", result.credential.value);
    if (result.credential.kind === "token") log.info(tl.loc("TokenOutput", result.credential.expiresOn?.toISOString() ?? "?"));
    writeSummary(result, inputs.workspace.workspaceName);
  } finally {
    clearTimeout(timer);
  }
});
