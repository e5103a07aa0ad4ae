/**
 * Deploy to AKS — entry: inputs → request, clients from the service connection, the operation,
 * then outputs (the key or token only as a secret variable) and a build summary.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import * as tl from "azure-pipelines-task-lib/task";
import { sdkNetworkOptions } from "../common/agentNetwork";
import { getAzureConnection, signInEarly, signInRequestSent } from "../common/connection";
import { InputError, WaitTimeoutError } from "../common/errors";
import { readGateInputs } from "../common/gateInputs";
import { setOutput, setSecretOutput, uploadMarkdownSummary } from "../common/logging";
import { registerSecret } from "../common/secrets";
import { runTaskEntry } from "../common/taskEntry";
import type { DeployContext } from "./context";
import { readTaskInputs } from "./taskInputs";

void runTaskEntry(__dirname, async ({ abortSignal, log }) => {
  const inputs = readTaskInputs();
  const gate = readGateInputs();
  const conn = signInEarly(getAzureConnection("azureSubscription"));
  // The rest of the task (ARM SDKs, the operation) loads once the sign-in's request is on the wire.
  await signInRequestSent(conn);
  const [{ armClients }, { checkDeployGate }, { deployToAks }, { writeSummary }] = await Promise.all([
    import("./clients.js"),
    import("./gate.js"),
    import("./operation.js"),
    import("./summary.js"),
  ]);
  const { ml, aks } = await armClients(conn);
  const timeout = new AbortController();
  const minutes = inputs.timeoutInMs / 60_000;
  // 0: no limit of the task's own (the step's timeout governs).
  const timer =
    inputs.timeoutInMs > 0
      ? setTimeout(() => timeout.abort(new WaitTimeoutError(inputs.timeoutInMs, tl.loc("TimedOut", minutes))), inputs.timeoutInMs)
      : undefined;
  timer?.unref();
  const ctx: DeployContext = {
    ml,
    aks,
    workspace: { subscriptionId: conn.subscriptionId, ...inputs.workspace },
    datastoreConnection: conn,
    log,
    loc: tl.loc,
    abortSignal: AbortSignal.any([abortSignal, timeout.signal]),
    registerSecret,
    pollIntervalInMs: inputs.pollIntervalInMs,
  };
  try {
    if (gate) {
      // Quality gate on the model's recorded metrics, before anything changes (gate.ts). An inline
      // model (a deployment file's `model: {path: ...}`) is registered by the deployment itself and has no metrics yet.
      const model = inputs.request.spec.deployment.model;
      if (typeof model !== "string") throw new InputError("qualityGate", tl.loc("GateNeedsRegisteredModel"));
      const target = { model, endpointName: inputs.request.spec.endpoint.name };
      const passed = await checkDeployGate(ctx, gate, target, (markdown) => uploadMarkdownSummary(tl.loc("GateSummaryTitle", target.endpointName), markdown));
      setOutput("GatePassed", String(passed));
      if (!passed) {
        log.warning(tl.loc("GateSkipped", target.model, target.endpointName));
        return { succeededWithIssues: tl.loc("GateSkipped", target.model, target.endpointName) };
      }
    }
    const result = await deployToAks(ctx, inputs.request, (url) => sdkNetworkOptions(conn.network, url));
    setOutput("ScoringUri", result.scoringUri);
    setOutput("EndpointName", result.endpointName);
    setOutput("DeploymentName", result.deploymentName);
    if (result.swaggerUri) setOutput("SwaggerUri", result.swaggerUri);
    setSecretOutput("EndpointKey", result.credential.value);
    if (result.credential.kind === "token") log.info(tl.loc("TokenOutput", result.credential.expiresOn?.toISOString() ?? "?"));
    writeSummary(result, inputs.workspace.workspaceName);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
});
