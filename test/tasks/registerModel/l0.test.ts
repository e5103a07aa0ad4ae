/**
 * RegisterModel through task-lib's MockTestRunner (L0): input and service-connection checks that
 * must refuse the step before any call to Azure. The e2e tests (test/tasks/) cover the rest.
 */
import { type RejectionCase, assertRejectedBeforeAzure } from "../../l0/assertions";
import { CONNECTION_ID, servicePrincipalConnection } from "../../l0/connections";
import { describeL0Task } from "../../l0/taskSuite";

const VALID = {
  azureSubscription: CONNECTION_ID,
  resourceGroupName: "ml_rg",
  workspaceName: "ml_workspace",
  modelName: "credit-model",
  modelPath: "outputs/model.pkl",
};

const JOB_OUTPUT = { modelSource: "jobOutput", jobName: "train_job_1", outputName: "model_output" };

const CASES: RejectionCase[] = [
  { what: "a missing model name", inputs: { modelName: "" }, input: "modelName", says: /is required/ },
  { what: "a model name with a period", inputs: { modelName: "credit.model" }, input: "modelName", says: /not a valid Azure ML model name/ },
  {
    what: "a model type that is not an option",
    inputs: { modelType: "onnx_model" },
    input: "modelType",
    says: /'onnx_model'; it must be one of: custom_model, mlflow_model, triton_model/,
  },
  { what: "a model source that is not an option", inputs: { modelSource: "registry" }, input: "modelSource", says: /it must be one of: local, jobOutput/ },
  {
    what: "a model path that does not exist",
    inputs: { modelPath: "outputs/missing.pkl" },
    input: "modelPath",
    says: /outputs[/\\]missing\.pkl does not exist/,
  },
  {
    what: "a model path outside the working folders",
    inputs: { modelPath: "../../../outside/model.pkl" },
    input: "modelPath",
    says: /outside the pipeline's working folders/,
  },
  {
    what: "an mlflow_model folder without an MLmodel file",
    inputs: { modelType: "mlflow_model", modelPath: "outputs" },
    input: "modelPath",
    says: /has no MLmodel file at its root/,
  },
  { what: "a version that is not a model version", inputs: { version: "-1" }, input: "version", says: /'-1', which is not a valid model version/ },
  {
    what: "a job output name starting with a digit",
    inputs: { ...JOB_OUTPUT, outputName: "1st_output" },
    input: "outputName",
    says: /'1st_output', which is not a job output name/,
  },
  {
    what: "no job name (a plain JobName variable is not read)",
    inputs: { ...JOB_OUTPUT, jobName: "" },
    input: "jobName",
    says: /'jobName' is required when modelSource is jobOutput/,
  },
  {
    what: "properties that are neither key=value lines nor a mapping",
    inputs: { properties: "stage: prod\nowner" },
    input: "properties",
    says: /must be a JSON or YAML object/,
  },
  {
    what: "a service connection with an unsupported scheme (read from the mocked endpoint)",
    connection: servicePrincipalConnection({ scheme: "PublishProfile" }),
    input: "azureSubscription",
    says: /'PublishProfile' authentication scheme, which this task does not support/,
  },
  {
    what: "a workload identity connection without the job's access token",
    connection: servicePrincipalConnection({
      scheme: "WorkloadIdentityFederation",
      authParameters: { serviceprincipalid: "2c7e4f1a-6f0b-4d8e-b1b2-0f3b9c1e5a77", tenantid: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
    }),
    input: "azureSubscription",
    says: /workload identity federation needs the job's access token/,
  },
];

describeL0Task("RegisterModelV1", {
  title: "RegisterModel L0 (MockTestRunner)",
  valid: VALID,
  cases: CASES,
  files: (ws) => {
    ws.write("outputs/model.pkl", "not really a pickle\n");
    ws.write("model.pkl", "outside\n", { outside: true });
  },
  more: (run) => {
    it("does not read a plain JobName variable when jobName is empty (the agent stores outputs only as <step>.<variable>)", async () => {
      assertRejectedBeforeAzure(await run({ inputs: { ...JOB_OUTPUT, jobName: "" }, variables: { JobName: "train_job_1" } }), {
        input: "jobName",
        says: /is required when modelSource is jobOutput/,
      });
    });
  },
});
