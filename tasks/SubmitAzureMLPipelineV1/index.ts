/**
 * SubmitAzureMLPipeline entry: inputs → request, the service connection → Azure ML client and datastore
 * uploader, run the operation (operation.ts), and turn what it reports into output variables, the build summary
 * and the task result.
 */
import "../common/proxyUrlCredentials"; // first: takes credentials out of Agent.ProxyUrl before task-lib prints it
import { armClientOptions } from "../common/armClients";
import { amlTokenProvider } from "../common/azureml/amlToken";
import { getAzureConnection, signInEarly } from "../common/connection";
import { RemoteRunError } from "../common/errors";
import { registerSecret } from "../common/secrets";
import { setOutput, uploadMarkdownSummary } from "../common/logging";
import { runTaskEntry } from "../common/taskEntry";
import { metricVariables } from "../common/azureml/mlflow";
import { datastoreArtifactStore } from "./datastoreArtifactStore";
import { reportJobMetrics } from "./jobMetrics";
import { jobsClient } from "./jobsRest";
import { readInputs } from "./inputs";
import { runSubmitPipeline } from "./operation";
import { loadPlan } from "./submit";

void runTaskEntry(__dirname, async (entry) => {
  const { abortSignal, log, loc } = entry;
  const read = getAzureConnection(loc, "azureSubscription");
  const { request, pollingIntervalInMs, metricsHistory: historyOf } = readInputs(loc, read.subscriptionId);
  // The job file is checked before the first network access (signing in starts below).
  const plan = await loadPlan(request, abortSignal);
  const conn = signInEarly(read);
  // Loaded while the sign-in is under way.
  const { AzureMachineLearningWorkspaces } = await import("@azure/arm-machinelearning");
  const ml = new AzureMachineLearningWorkspaces(conn.credential, conn.subscriptionId, armClientOptions(conn));
  const store = datastoreArtifactStore(ml, request.workspace, conn, entry);
  const result = await runSubmitPipeline(request, {
    ...entry,
    plan,
    ml,
    jobs: jobsClient(ml, conn.cloud.armUrl),
    amlToken: amlTokenProvider(conn.credential, conn.cloud.name, registerSecret),
    store,
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
    ? await reportJobMetrics({ ml, workspace: request.workspace, log, loc, abortSignal }, { runId: result.jobName, steps: result.stepRuns, historyOf })
    : undefined;
  if (metrics) {
    setOutput("Metrics", JSON.stringify(metrics.byStep));
    if (historyOf.length > 0) setOutput("MetricsHistory", JSON.stringify(metrics.history));
    for (const [name, value] of Object.entries(metricVariables(metrics.byStep))) setOutput(name, value);
  }
  const summary = result.summary && metrics?.markdown ? `${result.summary}\n${metrics.markdown}` : result.summary;
  if (summary) uploadMarkdownSummary(loc("SummaryFileTitle", result.jobName), summary);
  if (result.verdict.result === "Failed") throw new RemoteRunError(result.verdict.message);
  if (result.verdict.result === "SucceededWithIssues") {
    log.warning(result.verdict.message);
    return { succeededWithIssues: result.verdict.message };
  }
  return undefined;
});
