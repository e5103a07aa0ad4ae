/**
 * The four tasks as the reliability tests run them: for each, the inputs of a representative
 * successful run in an isolated world, the remote calls that run makes (name, method, path
 * pattern; whether the call sits in the waiting loop), and what "completed correctly" means in
 * the emulator afterwards. The fault matrix, duplicates, long-wait, cancellation and secrets
 * tests are generated from this table.
 */
import type { Emulator } from "../../devkit/emulator";
import type { AgentRunResult, ConnectionScheme } from "../../devkit/harness/agentRunner";
import type { RequestMatch } from "./requestWatch";
import { esc, type World } from "./worlds";

export type TaskName = "TriggerADFPipelineV1" | "SubmitAzureMLPipelineV1" | "RegisterModelV1" | "DeployToAKSV1";

export interface RouteSpec {
  name: string;
  method: string;
  path: (w: World) => RegExp;
  /** Called again and again while the task waits (status polls): where stalls are injected. */
  loop?: boolean;
  /** The fault is armed only once this request was answered (e.g. status polls after the PUT). */
  after?: (w: World) => RequestMatch;
  /** Not combined with other routes in one run: its own run per fault (a finding there must not hide others). */
  solo?: boolean;
  /** Transient faults of these kinds are expected to fail the task (with the reason given), not to be ridden out. */
  transientFails?: Partial<Record<"throttle" | "500" | "503" | "reset", string>>;
  /** Only feeds the report: when it keeps failing the task still succeeds, with a warning (the reason). */
  reportOnly?: string;
  /** What a failure message must name when this call keeps failing (default: the scenario's names). */
  names?: RegExp;
}

export interface TaskScenario {
  task: TaskName;
  /** Short label for test titles. */
  label: string;
  /** Inputs of the representative run in world `w` (paths relative to the sources folder). */
  inputs(emu: Emulator, w: World): Record<string, string>;
  routes: RouteSpec[];
  /** Problems with a run that reported success (empty: the remote side agrees). */
  verifySucceeded(emu: Emulator, w: World, r: AgentRunResult): string[];
  /** Words a failure message should name (the world's resources). */
  names(w: World): RegExp;
}

const ok = (status: number) => status >= 200 && status < 300;

function successfulRequests(emu: Emulator, method: string, path: RegExp): number {
  return emu.requests.filter(method, path).filter((e) => ok(e.status)).length;
}

function wsRef(emu: Emulator, w: World) {
  return { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace };
}

const p = (prefix: (w: World) => string, tail: string) => (w: World) => new RegExp(`^${esc(prefix(w))}${tail}$`);
const F = (w: World) => w.factoryPath;
const W = (w: World) => w.workspacePath;

export const ADF: TaskScenario = {
  task: "TriggerADFPipelineV1",
  label: "TriggerADFPipeline",
  inputs: (_emu, w) => ({
    resourceGroupName: w.resourceGroupName,
    factoryName: w.factory,
    pipelineName: w.pipeline,
    parameters: "sourceContainer: raw\nsampleFraction: 0.5",
    pollingIntervalSeconds: "1",
    timeoutInMinutes: "3",
  }),
  routes: [
    { name: "factories get", method: "GET", path: p(F, "") },
    { name: "pipelines get", method: "GET", path: (w) => new RegExp(`^${esc(w.factoryPath)}/pipelines/${esc(w.pipeline)}$`) },
    {
      name: "pipelines createRun",
      method: "POST",
      path: (w) => new RegExp(`^${esc(w.factoryPath)}/pipelines/${esc(w.pipeline)}/createRun$`),
      solo: true,
    },
    { name: "pipelineRuns get (status poll)", method: "GET", path: p(F, "/pipelineruns/[^/]+"), loop: true },
    {
      name: "activityRuns queryByPipelineRun",
      method: "POST",
      path: p(F, "/pipelineruns/[^/]+/queryActivityruns"),
      reportOnly: "the activity table only feeds the log and summary: the run's outcome is known without it",
    },
  ],
  verifySucceeded(emu, w, r) {
    const problems: string[] = [];
    const runs = emu.datafactory.runs({ subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, factoryName: w.factory });
    if (runs.length !== 1) problems.push(`${runs.length} pipeline runs in ${w.factory} (expected 1)`);
    const runId = r.variables["RunId"]?.value;
    const run = runs.find((x) => x.runId === runId);
    if (!run) problems.push(`RunId output ${runId} is not a run of ${w.factory}`);
    else if (run.status !== "Succeeded") problems.push(`the run is ${run.status}`);
    if (r.variables["RunStatus"]?.value !== "Succeeded") problems.push(`RunStatus output is ${r.variables["RunStatus"]?.value}`);
    return problems;
  },
  names: (w) => new RegExp(`${esc(w.factory)}|${esc(w.pipeline)}`),
};

export const SUBMIT: TaskScenario = {
  task: "SubmitAzureMLPipelineV1",
  label: "SubmitAzureMLPipeline",
  inputs: (_emu, w) => ({
    resourceGroupName: w.resourceGroupName,
    workspaceName: w.workspace,
    jobFile: "pipelines/inline-steps.yml",
    jobName: w.job,
    pollingIntervalSeconds: "1",
    timeoutInMinutes: "3",
  }),
  routes: [
    { name: "workspaces get", method: "GET", path: p(W, "") },
    { name: "jobs get (does the job exist?)", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`) },
    { name: "data versions list (training_data)", method: "GET", path: p(W, "/data/training_data/versions") },
    { name: "computes get (gpu-cluster)", method: "GET", path: p(W, "/computes/gpu-cluster") },
    { name: "datastores get", method: "GET", path: p(W, "/datastores/workspaceblobstore") },
    { name: "datastores listSecrets", method: "POST", path: p(W, "/datastores/workspaceblobstore/listSecrets") },
    { name: "code versions createOrUpdate", method: "PUT", path: p(W, "/codes/[^/]+/versions/1") },
    { name: "component versions createOrUpdate", method: "PUT", path: p(W, "/components/azureml_anonymous/versions/[^/]+") },
    { name: "jobs createOrUpdate", method: "PUT", path: (w) => new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`) },
    {
      name: "jobs get (status poll)",
      method: "GET",
      path: (w) => new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`),
      after: (w) => ({ method: "PUT", path: new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`) }),
      loop: true,
    },
    // The workspace discovery document is one URL for every workspace of a region, so the matrix's
    // concurrent cells cannot each own its faults: test/tasks/submitPipeline/realAzure.test.ts covers it.
    {
      name: "run history children (step status poll)",
      method: "GET",
      path: (w) => new RegExp(`^/history/v1\\.0${esc(w.workspacePath)}/runs/${esc(w.job)}/children$`),
      loop: true,
    },
    {
      name: "MLflow runs/get (job and step metrics)",
      method: "GET",
      path: (w) => new RegExp(`^/mlflow/v1\\.0${esc(w.workspacePath)}/api/2\\.0/mlflow/runs/get$`),
      reportOnly: "the metrics only feed outputs, the log and the summary: the job's outcome is known without them",
    },
  ],
  verifySucceeded(emu, w, r) {
    const problems: string[] = [];
    const job = emu.ml.job(w.job, wsRef(emu, w));
    if (!job) problems.push(`no job ${w.job}`);
    else if (job.status !== "Completed") problems.push(`job ${w.job} is ${job.status}`);
    const puts = successfulRequests(emu, "PUT", new RegExp(`^${esc(w.workspacePath)}/jobs/${esc(w.job)}$`));
    if (puts !== 1) problems.push(`${puts} successful PUTs of the job (expected 1)`);
    if (r.variables["JobStatus"]?.value !== "Completed") problems.push(`JobStatus output is ${r.variables["JobStatus"]?.value}`);
    return problems;
  },
  names: (w) => new RegExp(`${esc(w.workspace)}|${esc(w.job)}|gpu-cluster|training_data|workspaceblobstore|code|component`),
};

export const REGISTER: TaskScenario = {
  task: "RegisterModelV1",
  label: "RegisterModel",
  inputs: (_emu, w) => ({
    resourceGroupName: w.resourceGroupName,
    workspaceName: w.workspace,
    modelName: w.model,
    modelPath: "model/model.pkl",
  }),
  routes: [
    { name: "datastores list (default datastore)", method: "GET", path: p(W, "/datastores") },
    { name: "datastores listSecrets", method: "POST", path: p(W, "/datastores/workspaceblobstore/listSecrets") },
    { name: "model containers get", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/models/${esc(w.model)}$`) },
    { name: "model versions get", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/models/${esc(w.model)}/versions/[^/]+$`) },
    { name: "model versions createOrUpdate", method: "PUT", path: (w) => new RegExp(`^${esc(w.workspacePath)}/models/${esc(w.model)}/versions/[^/]+$`) },
  ],
  verifySucceeded(emu, w, r) {
    const problems: string[] = [];
    if (r.variables["ModelVersion"]?.value !== "1") problems.push(`ModelVersion output is ${r.variables["ModelVersion"]?.value} (expected 1)`);
    const created = successfulRequests(emu, "PUT", new RegExp(`^${esc(w.workspacePath)}/models/${esc(w.model)}/versions/[^/]+$`));
    if (created !== 1) problems.push(`${created} model versions created (expected 1)`);
    return problems;
  },
  names: (w) => new RegExp(`${esc(w.workspace)}|${esc(w.model)}|workspaceblobstore|datastore`),
};

export const DEPLOY: TaskScenario = {
  task: "DeployToAKSV1",
  label: "DeployToAKS",
  inputs: (_emu, w) => ({
    resourceGroupName: w.resourceGroupName,
    workspaceName: w.workspace,
    aksClusterName: w.cluster,
    computeName: w.compute,
    endpointName: w.endpoint,
    deploymentName: "blue",
    model: "best_model:1",
    environment: "azureml:AzureML-sklearn-1.5:1",
    codePath: "deploy/src",
    scoringScript: "score.py",
    smokeTestFile: "deploy/sample-request.json",
    pollingIntervalSeconds: "1",
    timeoutInMinutes: "3",
  }),
  routes: [
    { name: "managedClusters get", method: "GET", path: (w) => new RegExp(`^${esc(w.clusterPath)}$`) },
    { name: "model versions get", method: "GET", path: p(W, "/models/best_model/versions/1") },
    { name: "workspaces get", method: "GET", path: p(W, "") },
    { name: "computes get", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/computes/${esc(w.compute)}$`) },
    { name: "computes createOrUpdate (attach)", method: "PUT", path: (w) => new RegExp(`^${esc(w.workspacePath)}/computes/${esc(w.compute)}$`) },
    { name: "datastores list", method: "GET", path: p(W, "/datastores") },
    { name: "datastores listSecrets", method: "POST", path: p(W, "/datastores/workspaceblobstore/listSecrets") },
    { name: "code versions createOrUpdate", method: "PUT", path: p(W, "/codes/[^/]+/versions/1") },
    { name: "onlineEndpoints get", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}$`) },
    { name: "onlineEndpoints createOrUpdate", method: "PUT", path: (w) => new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}$`) },
    { name: "onlineDeployments get", method: "GET", path: (w) => new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}/deployments/blue$`) },
    {
      name: "onlineDeployments createOrUpdate",
      method: "PUT",
      path: (w) => new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}/deployments/blue$`),
    },
    {
      name: "operation status get (deployment LRO poll)",
      method: "GET",
      path: p(W, "/mfeOperationsStatus/[^/]+"),
      after: (w) => ({ method: "PUT", path: new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}/deployments/blue$`) }),
      loop: true,
    },
    { name: "onlineEndpoints listKeys", method: "POST", path: (w) => new RegExp(`^${esc(w.workspacePath)}/onlineEndpoints/${esc(w.endpoint)}/listKeys$`) },
    {
      name: "scoring URI (smoke test)",
      method: "POST",
      path: (w) => new RegExp(`^/_inference/${esc(w.endpoint)}/score$`),
      solo: true,
    },
  ],
  verifySucceeded(emu, w, r) {
    const problems: string[] = [];
    const e = emu.ml.endpoint(w.endpoint);
    if (!e) return [`no endpoint ${w.endpoint}`];
    if (JSON.stringify(e.traffic) !== JSON.stringify({ blue: 100 })) problems.push(`traffic ${JSON.stringify(e.traffic)}`);
    const d = e.deployments.find((x) => x.name === "blue");
    if (d?.provisioningState !== "Succeeded") problems.push(`deployment blue is ${d?.provisioningState ?? "missing"}`);
    if (r.variables["EndpointKey"]?.isSecret !== true || r.variables["EndpointKey"]?.value !== e.primaryKey)
      problems.push("EndpointKey is not the endpoint's key as a secret output");
    return problems;
  },
  names: (w) => new RegExp(`${esc(w.workspace)}|${esc(w.cluster)}|${esc(w.compute)}|${esc(w.endpoint)}|'blue'|best_model|workspaceblobstore|scor`),
};

export const SCENARIOS: readonly TaskScenario[] = [ADF, SUBMIT, REGISTER, DEPLOY];

/** A sign-in call, made by every task with this connection scheme (TriggerADFPipeline stands for all). */
export interface AuthRoute extends RouteSpec {
  scheme: ConnectionScheme;
  /** Runs faulting the same sign-in path cannot overlap: they share a lane. */
  lane: "entra" | "msi";
  /** The path itself (the pattern matches exactly this), to retire leftover faults. */
  literal: (w: World) => string;
}

const SIGN_IN = /sign in|service connection|token|identity/i;

export const AUTH_ROUTES: readonly AuthRoute[] = [
  authRoute("Entra ID OpenID discovery (client secret)", "GET", (w) => w.auth.discoveryPath, "secret", "entra"),
  authRoute("Entra ID token (client secret)", "POST", (w) => w.auth.tokenPath, "secret", "entra"),
  authRoute("Azure DevOps OIDC token (workload identity federation)", "POST", (w) => w.auth.oidcPath, "federated", "entra"),
  authRoute("managed identity endpoint", "GET", (w) => w.auth.msiPath, "managedIdentity", "msi"),
];

function authRoute(name: string, method: string, literal: (w: World) => string, scheme: ConnectionScheme, lane: AuthRoute["lane"]): AuthRoute {
  return { name, method, path: (w) => new RegExp(`^${esc(literal(w))}$`), literal, scheme, lane, names: SIGN_IN };
}
