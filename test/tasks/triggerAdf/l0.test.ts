/**
 * TriggerADFPipeline through task-lib's MockTestRunner (L0): input and service-connection checks
 * that must refuse the step before any call to Azure. The e2e tests (test/tasks/) cover the rest.
 */
import type { RejectionCase } from "../../l0/assertions";
import { CONNECTION_ID, servicePrincipalConnection } from "../../l0/connections";
import { describeL0Task } from "../../l0/taskSuite";

const VALID = {
  azureSubscription: CONNECTION_ID,
  resourceGroupName: "ml_rg",
  factoryName: "mlops-adf",
  pipelineName: "prepare-training-data",
  parameters: "sourceContainer: raw\nsampleFraction: 0.5",
};

const CASES: RejectionCase[] = [
  { what: "a missing pipeline name", inputs: { pipelineName: "" }, input: "pipelineName", says: /is required/ },
  {
    what: "parameters that are not valid JSON",
    inputs: { parameters: '{"sourceContainer": "raw",' },
    input: "parameters",
    says: /must be a JSON or YAML object.*line 1/,
  },
  { what: "parameters that are a YAML list", inputs: { parameters: "- raw\n- prepared" }, input: "parameters", says: /it is a list/ },
  {
    what: "a parameters file that does not exist",
    inputs: { parameters: "params/missing.json" },
    input: "parameters",
    says: /params[/\\]missing\.json, which does not exist/,
  },
  {
    what: "a parameters file outside the working folders",
    inputs: { parameters: "../../../outside/params.json" },
    input: "parameters",
    says: /outside the pipeline's working folders/,
  },
  {
    what: "a factory name that breaks the Data Factory naming rules",
    inputs: { factoryName: "bad_factory!" },
    input: "factoryName",
    says: /not a valid data factory name/,
  },
  {
    what: "a failOnStatus that is not an option",
    inputs: { failOnStatus: "sometimes" },
    input: "failOnStatus",
    says: /'sometimes'; it must be one of: failedOrCancelled, failed, never/,
  },
  { what: "a polling interval of 0 s", inputs: { pollingIntervalSeconds: "0" }, input: "pollingIntervalSeconds", says: /is 0; it must be between 1 and 3600/ },
  {
    what: "a wait limit that is not a number",
    inputs: { waitTimeoutInMinutes: "soon" },
    input: "waitTimeoutInMinutes",
    says: /number of minutes from 0 to 43200.*not 'soon'/,
  },
  { what: "waitForCompletion that is not a boolean", inputs: { waitForCompletion: "maybe" }, input: "waitForCompletion", says: /true or false, not 'maybe'/ },
  {
    what: "startFromFailure without a run to rerun",
    inputs: { startFromFailure: "true" },
    input: "startFromFailure",
    says: /only applies to a rerun: set 'referencePipelineRunId'/,
  },
  {
    what: "a service connection with an unsupported scheme (read from the mocked endpoint)",
    connection: servicePrincipalConnection({ scheme: "UsernamePassword" }),
    input: "azureSubscription",
    says: /'UsernamePassword' authentication scheme, which this task does not support/,
  },
  {
    what: "a service connection the pipeline cannot use (no endpoint for the id)",
    inputs: { azureSubscription: "0d6bd2b8-3f5f-4e77-9a37-6c1c0f1f4e11" },
    input: "azureSubscription",
    says: /service connection '0d6bd2b8-3f5f-4e77-9a37-6c1c0f1f4e11' was not found/,
  },
];

describeL0Task("TriggerADFPipelineV1", {
  title: "TriggerADFPipeline L0 (MockTestRunner)",
  valid: VALID,
  cases: CASES,
  files: (ws) => {
    ws.write("params.json", '{"sourceContainer": "raw"}', { outside: true });
  },
});
