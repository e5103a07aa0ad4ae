/**
 * TriggerADFPipeline entry: inputs → request, the service connection → Data Factory clients,
 * run the operation, and turn what it reports into output variables and the build summary.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import * as tl from "azure-pipelines-task-lib/task";
import { armClientOptions } from "../common/armClients";
import { getAzureConnection, signInEarly, signInRequestSent } from "../common/connection";
import { setOutput, uploadMarkdownSummary } from "../common/logging";
import { runTaskEntry } from "../common/taskEntry";
import { readRequest } from "./readRequest";

void runTaskEntry(__dirname, async ({ abortSignal, log }) => {
  const request = readRequest();
  let reportedStatus: string | undefined;
  const reportStatus = (status: string) => {
    if (status === reportedStatus) return;
    reportedStatus = status;
    setOutput("RunStatus", status);
  };
  const conn = signInEarly(getAzureConnection("azureSubscription"));
  // Loaded while the sign-in is under way, once its request is on the wire.
  await signInRequestSent(conn);
  const [{ DataFactoryManagementClient }, { triggerPipeline }] = await Promise.all([import("@azure/arm-datafactory"), import("./runPipeline.js")]);
  // createRun is not idempotent: its client never retries (startRun.ts decides what is safe).
  const client = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn));
  const startClient = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn, { maxRetries: 0 }));
  const pollClient = new DataFactoryManagementClient(conn.credential, conn.subscriptionId, armClientOptions(conn, { maxRetries: 2 }));
  await triggerPipeline(request, {
    client,
    startClient,
    pollClient,
    subscriptionId: conn.subscriptionId,
    adfStudioUrl: conn.cloud.adfStudioUrl,
    log,
    loc: tl.loc,
    abortSignal,
    events: {
      started: ({ runId, runUrl }) => {
        setOutput("RunId", runId);
        setOutput("RunUrl", runUrl);
        reportStatus("Queued");
      },
      statusChanged: reportStatus,
      finished: (report, markdown) => uploadMarkdownSummary(tl.loc("SummaryTitle", report.pipelineName, report.runId), markdown),
    },
  });
});
