/**
 * RegisterModel entry: reads the inputs into a typed request (inputs.ts), runs the operation
 * (operation.ts), sets the output variables.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import { armClientOptions } from "../common/armClients";
import { getAzureConnection, signInEarly } from "../common/connection";
import { resolveDatastore } from "../common/datastore";
import { formatTable, setOutput, uploadMarkdownSummary } from "../common/logging";
import { type EntryContext, operationContext } from "../common/operation";
import { runTaskEntry, type TaskOutcome } from "../common/taskEntry";
import { readInputs } from "./inputs";
import { checkLocalModel } from "./localModel";
import { registerModel } from "./operation";

async function main(entry: EntryContext): Promise<TaskOutcome | void> {
  const { log, loc } = entry;
  const request = readInputs(loc);
  // Local checks before the first network access (signing in starts below).
  if (request.source.kind === "local") await checkLocalModel(request.source.path, request.modelType, loc);
  const conn = signInEarly(getAzureConnection(loc, "azureSubscription"));
  // Loaded while the sign-in is under way.
  const { AzureMachineLearningWorkspaces } = await import("@azure/arm-machinelearning");
  const ml = new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn));
  // No wait limit of its own (no waitTimeoutInMinutes input): the step's timeout governs.
  const ctx = operationContext(entry, 0);
  const result = await registerModel(request, {
    ...ctx,
    ml,
    subscriptionId: conn.subscriptionId,
    datastore: () => resolveDatastore(ml, { resourceGroupName: request.resourceGroupName, workspaceName: request.workspaceName }, conn, ctx),
    onGateReport: (markdown) => uploadMarkdownSummary(loc("GateSummaryTitle", request.modelName), markdown),
  });
  if (result.gatePassed !== undefined) setOutput("GatePassed", String(result.gatePassed));
  if (result.gatePassed === false) {
    const message = loc("GateSkipped", request.modelName);
    log.warning(message);
    return { succeededWithIssues: message };
  }
  log.info(
    formatTable(
      [loc("ColumnModel"), loc("ColumnVersion"), loc("ColumnStatus"), loc("ColumnUri")],
      [[result.name, result.version, result.skipped ? loc("StatusUnchanged") : loc("StatusRegistered"), result.modelUri]],
    ),
  );
  setOutput("ModelName", result.name);
  setOutput("ModelVersion", result.version);
  setOutput("ModelId", result.modelId);
  setOutput("ModelUri", result.modelUri);
}

void runTaskEntry(__dirname, main);
