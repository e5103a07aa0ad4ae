/**
 * SubmitAzureMLPipeline through task-lib's MockTestRunner (L0): input and service-connection checks
 * that must refuse the step before any call to Azure. The e2e tests (test/tasks/) cover the rest.
 */
import type { RejectionCase } from "../../l0/assertions";
import { CONNECTION_ID, servicePrincipalConnection } from "../../l0/connections";
import { describeL0Task } from "../../l0/taskSuite";

const JOB_YAML = [
  "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json",
  "type: command",
  "command: python train.py",
  "environment: azureml:AzureML-sklearn-1.5:1",
  "compute: azureml:cpu-cluster",
  "",
].join("\n");

const VALID = {
  azureSubscription: CONNECTION_ID,
  resourceGroupName: "ml_rg",
  workspaceName: "ml_workspace",
  jobFile: "pipelines/train.yml",
};

const CASES: RejectionCase[] = [
  { what: "a missing resource group", inputs: { resourceGroupName: "" }, input: "resourceGroupName", says: /is required/ },
  { what: "a job file that does not exist", inputs: { jobFile: "pipelines/nope.yml" }, input: "jobFile", says: /pipelines[/\\]nope\.yml does not exist/ },
  {
    what: "a job file outside the working folders",
    inputs: { jobFile: "../../../outside/job.yml" },
    input: "jobFile",
    says: /outside the pipeline's working folders/,
  },
  { what: "an empty job file (the agent passes the sources folder)", inputs: { jobFile: "" }, input: "jobFile", says: /is a folder; give the path of a file/ },
  { what: "a job file that is not valid YAML", inputs: { jobFile: "bad/broken.yml" }, input: "jobFile", names: /broken\.yml:3:1/, says: /YAML syntax error/ },
  {
    what: "a job file of an unknown job type",
    inputs: { jobFile: "bad/banana.yml" },
    input: "jobFile",
    names: /banana\.yml/,
    says: /Unsupported job type: 'banana'/,
  },
  {
    what: "an overrides line that is not key.path=value",
    inputs: { overrides: "[x" },
    input: "overrides",
    names: /Override line 1/,
    says: /'\[x' is not of the form key\.path=value/,
  },
  {
    what: "a workspace name that breaks the naming rules",
    inputs: { workspaceName: "ml workspace!" },
    input: "workspaceName",
    says: /not a valid Azure ML workspace name/,
  },
  { what: "a job name that breaks the naming rules", inputs: { jobName: "train.v2" }, input: "jobName", says: /not a valid Azure ML job name/ },
  { what: "a tags line that is not key=value", inputs: { tags: "team=ml\nnightly" }, input: "tags", says: /line 2: 'nightly' is not key=value/ },
  {
    what: "tags with a nested value",
    inputs: { tags: '{"owner": {"team": "ml"}}' },
    input: "tags",
    says: /value of 'owner' must be a string, number or boolean/,
  },
  {
    what: "a polling interval above the maximum",
    inputs: { pollingIntervalSeconds: "86400" },
    input: "pollingIntervalSeconds",
    says: /it must be between 1 and 3600/,
  },
  { what: "validateOnly that is not a boolean", inputs: { validateOnly: "perhaps" }, input: "validateOnly", says: /true or false, not 'perhaps'/ },
  {
    what: "a service connection with an unsupported scheme (read from the mocked endpoint)",
    connection: servicePrincipalConnection({ scheme: "PublishProfile" }),
    input: "azureSubscription",
    says: /'PublishProfile' authentication scheme, which this task does not support/,
  },
  {
    what: "a service connection without a subscription",
    connection: servicePrincipalConnection({ data: { ...servicePrincipalConnection().data, subscriptionId: "" } }),
    input: "azureSubscription",
    says: /has no subscription/,
  },
];

describeL0Task("SubmitAzureMLPipelineV1", {
  title: "SubmitAzureMLPipeline L0 (MockTestRunner)",
  valid: VALID,
  cases: CASES,
  files: (ws) => {
    ws.write("pipelines/train.yml", JOB_YAML);
    ws.write("job.yml", JOB_YAML, { outside: true });
    ws.write("bad/broken.yml", "type: pipeline\njobs: [prep\n");
    ws.write("bad/banana.yml", "type: banana\ncommand: echo hi\n");
  },
});
