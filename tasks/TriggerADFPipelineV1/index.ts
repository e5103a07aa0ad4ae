/**
 * TriggerADFPipeline entry: inputs → request, the service connection → Data Factory clients,
 * run the operation, and turn what it reports into output variables and the build summary.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import { armClientOptions } from "../common/armClients";
import { getAzureConnection, signInEarly } from "../common/connection";
import { setOutput, uploadMarkdownSummary } from "../common/logging";
import { runTaskEntry } from "../common/taskEntry";
import { readInputs } from "./inputs";
import { triggerPipeline } from "./operation";

void runTaskEntry(__dirname, async (entry) => {
  const { loc } = entry;
  const request = readInputs(loc);
  let reportedStatus: string | undefined;
  const reportStatus = (status: string) => {
    if (status === reportedStatus) return;
    reportedStatus = status;
    setOutput("RunStatus", status);
  };
  const conn = signInEarly(getAzureConnection(loc, "azureSubscription"));
  // Loaded while the sign-in is under way.
  const { DataFactoryManagementClient } = await import("@azure/arm-datafactory");
  // createRun is not idempotent: its client never retries (startRun.ts decides what is safe).
  const client = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn));
  const startClient = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn, { maxRetries: 0 }));
  const pollClient = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn, { maxRetries: 2 }));
  await triggerPipeline(request, {
    ...entry,
    client,
    startClient,
    pollClient,
    subscriptionId: conn.subscriptionId,
    adfStudioUrl: conn.cloud.adfStudioUrl,
    events: {
      started: ({ runId, runUrl }) => {
        setOutput("RunId", runId);
        setOutput("RunUrl", runUrl);
        reportStatus("Queued");
      },
      statusChanged: reportStatus,
      finished: (report, markdown) => uploadMarkdownSummary(loc("SummaryTitle", report.pipelineName, report.runId), markdown),
    },
  });
});
