/**
 * SubmitAzureMLPipeline entry: inputs → request, the service connection → Azure ML client and datastore
 * uploader, run the operation (run.ts), and turn what it reports into output variables, the build summary
 * and the task result.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import * as tl from "azure-pipelines-task-lib/task";
import { armClientOptions } from "../common/armClients";
import { amlTokenProvider } from "../common/azureml/amlToken";
import { getAzureConnection, signInEarly } from "../common/connection";
import { RemoteRunError } from "../common/errors";
import { readString } from "../common/inputs";
import { registerSecret } from "../common/secrets";
import { setOutput, uploadMarkdownSummary } from "../common/logging";
import { runTaskEntry } from "../common/taskEntry";
import { metricVariables } from "../common/azureml/mlflow";
import { datastoreArtifactStore } from "./datastoreArtifactStore";
import { reportJobMetrics } from "./jobMetrics";
import { jobsClient } from "./jobsRest";
import { readRequest } from "./readRequest";
import { runSubmitPipeline } from "./run";
import { loadPlan } from "./submit";

void runTaskEntry(__dirname, async ({ abortSignal, log }) => {
  const read = getAzureConnection("azureSubscription");
  const { request, pollingIntervalInMs } = readRequest(read.subscriptionId);
  const historyOf = metricNames(readString("metricsHistory"));
  // The job file is checked before the first network access (signing in starts below).
  const plan = await loadPlan(request, abortSignal, tl.loc);
  const conn = signInEarly(read);
  // Loaded while the sign-in is under way.
  const { AzureMachineLearningWorkspaces } = await import("@azure/arm-machinelearning");
  const ml = new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn));
  const store = datastoreArtifactStore(ml, request.workspace, conn, { abortSignal, log });
  const result = await runSubmitPipeline(request, {
    plan,
    ml,
    jobs: jobsClient(ml, conn.cloud.armUrl),
    amlToken: amlTokenProvider(conn.credential, conn.cloud.name, registerSecret),
    store,
    log,
    loc: tl.loc,
    abortSignal,
    mlStudioUrl: conn.cloud.mlStudioUrl,
    pollingIntervalInMs,
    onJob: ({ jobName, studioUrl }) => {
      setOutput("JobName", jobName);
      setOutput("StudioUrl", studioUrl);
    },
  });
  setOutput("JobName", result.jobName);
  setOutput("JobStatus", result.status);
  for (const [name, uri] of Object.entries(result.outputs)) setOutput(`Output_${name}`, uri);
  // MLflow metrics of the job and of its steps (by their run-history run ids).
  const metrics = result.stepRuns
    ? await reportJobMetrics({ ml, workspace: request.workspace, log, loc: tl.loc, abortSignal }, { runId: result.jobName, steps: result.stepRuns, historyOf })
    : undefined;
  if (metrics) {
    setOutput("Metrics", JSON.stringify(metrics.byStep));
    if (historyOf.length > 0) setOutput("MetricsHistory", JSON.stringify(metrics.history));
    for (const [name, value] of Object.entries(metricVariables(metrics.byStep))) setOutput(name, value);
  }
  const summary = result.summary && metrics?.markdown ? `${result.summary}\n${metrics.markdown}` : result.summary;
  if (summary) uploadMarkdownSummary(tl.loc("SummaryFileTitle", result.jobName), summary);
  if (result.verdict.result === "Failed") throw new RemoteRunError(result.verdict.message);
  if (result.verdict.result === "SucceededWithIssues") {
    log.warning(result.verdict.message);
    return { succeededWithIssues: result.verdict.message };
  }
  return undefined;
});

/** `metricsHistory`: metric names, one a line (commas also separate); blank lines ignored. */
function metricNames(text: string | undefined): string[] {
  return [
    ...new Set(
      (text ?? "")
        .split(/[\r\n,]+/)
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}
