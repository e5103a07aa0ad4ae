/**
 * Deploy to AKS — entry: inputs → request (inputs.ts), clients from the service connection, the
 * operation context (its signal carries waitTimeoutInMinutes: the limit covers the whole deployment),
 * the operation, then outputs (the key or token only as a secret variable) and a build summary.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import { sdkNetworkOptions } from "../common/agentNetwork";
import { getAzureConnection, signInEarly } from "../common/connection";
import { InputError } from "../common/errors";
import { setOutput, setSecretOutput, uploadMarkdownSummary } from "../common/logging";
import { operationContext } from "../common/operation";
import { registerSecret } from "../common/secrets";
import { runTaskEntry } from "../common/taskEntry";
import { armClients } from "./clients";
import { checkDeployGate } from "./gate";
import { readInputs } from "./inputs";
import { type DeployContext, deployToAks } from "./operation";
import { writeSummary } from "./summary";

void runTaskEntry(__dirname, async (entry) => {
  const { log, loc } = entry;
  const inputs = readInputs(loc);
  const { gate } = inputs;
  const conn = signInEarly(getAzureConnection(loc, "azureSubscription"));
  const { ml, aks } = await armClients(conn);
  const ctx: DeployContext = {
    ...operationContext(entry, inputs.timeoutInMs, loc("TimedOut", inputs.timeoutInMs / 60_000)),
    ml,
    aks,
    workspace: { subscriptionId: conn.subscriptionId, ...inputs.workspace },
    datastoreConnection: conn,
    registerSecret,
    pollIntervalInMs: inputs.pollIntervalInMs,
  };
  if (gate) {
    // Quality gate on the model's recorded metrics, before anything changes (gate.ts). An inline
    // model (a deployment file's `model: {path: ...}`) is registered by the deployment itself and has no metrics yet.
    const model = inputs.request.spec.deployment.model;
    if (typeof model !== "string") throw new InputError("qualityGate", loc("GateNeedsRegisteredModel"));
    const target = { model, endpointName: inputs.request.spec.endpoint.name };
    const passed = await checkDeployGate(ctx, gate, target, (markdown) => uploadMarkdownSummary(loc("GateSummaryTitle", target.endpointName), markdown));
    setOutput("GatePassed", String(passed));
    if (!passed) {
      log.warning(loc("GateSkipped", target.model, target.endpointName));
      return { succeededWithIssues: loc("GateSkipped", target.model, target.endpointName) };
    }
  }
  const result = await deployToAks(ctx, inputs.request, (url) => sdkNetworkOptions(conn.network, url));
  setOutput("ScoringUri", result.scoringUri);
  setOutput("EndpointName", result.endpointName);
  setOutput("DeploymentName", result.deploymentName);
  if (result.swaggerUri) setOutput("SwaggerUri", result.swaggerUri);
  setSecretOutput("EndpointKey", result.credential.value);
  if (result.credential.kind === "token") log.info(loc("TokenOutput", result.credential.expiresOn?.toISOString() ?? "?"));
  writeSummary(result, inputs.workspace.workspaceName, loc);
  return undefined;
});
