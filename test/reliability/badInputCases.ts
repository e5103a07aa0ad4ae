/**
 * The bad input catalogue: inputs a pipeline author gets wrong — malformed JSON/YAML, wrong types,
 * out-of-range numbers, names that break Azure naming rules, paths outside the workspace, missing
 * files, unknown resources. Each must fail the task before it changes anything in Azure, with a
 * message naming the input (or the value it was given).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Emulator } from "../../devkit/emulator";
import { ADF, DEPLOY, REGISTER, SUBMIT, type TaskScenario } from "./scenarios";
import type { World } from "./worlds";

export interface BadInputCase {
  scenario: TaskScenario;
  /** What is wrong, for the test title. */
  what: string;
  /** Merged over the scenario's inputs ("" removes one); `{outside}` is replaced by a folder outside the workspace. */
  inputs: Record<string, string>;
  /** The failure message must match (the input's name, or the bad value). */
  mentions: RegExp;
  /** Extra emulator state the case needs. */
  seed?: (emu: Emulator, w: World) => void;
}

/** Files the cases refer to, written under <sources>/bad/. */
const BAD_FILES: Record<string, string> = {
  "broken.yml": "type: pipeline\njobs: [prep\n",
  "list.yml": "- prep\n- train\n",
  "banana.yml": "type: banana\ncommand: echo hi\n",
  "missing-component.yml": "type: pipeline\nsettings:\n  default_compute: azureml:gpu-cluster\njobs:\n  prep:\n    component: ./nope-component.yml\n",
  "missing-code.yml": "type: command\ncode: ./nope\ncommand: python run.py\nenvironment: azureml:AzureML-sklearn-1.5:1\ncompute: azureml:gpu-cluster\n",
  "unknown-compute.yml": "type: command\ncommand: echo hi\nenvironment: azureml:AzureML-sklearn-1.5:1\ncompute: azureml:no-such-cluster\n",
  "unknown-env.yml": "type: command\ncommand: echo hi\nenvironment: azureml:no-such-env:1\ncompute: azureml:gpu-cluster\n",
  "not-json.json": "this is not JSON\n",
  "endpoint-broken.yml": "name: [model-service\nauth_mode: key\n",
};

/** Writes BAD_FILES into the sources folder and a file outside it; returns the outside folder. */
export async function writeBadFiles(sources: string, outside: string): Promise<void> {
  await fs.promises.mkdir(path.join(sources, "bad"), { recursive: true });
  for (const [name, content] of Object.entries(BAD_FILES)) await fs.promises.writeFile(path.join(sources, "bad", name), content);
  await fs.promises.writeFile(
    path.join(outside, "job.yml"),
    "type: command\ncommand: echo hi\nenvironment: azureml:AzureML-sklearn-1.5:1\ncompute: azureml:gpu-cluster\n",
  );
  await fs.promises.writeFile(path.join(outside, "model.pkl"), "outside\n");
  await fs.promises.writeFile(path.join(outside, "params.json"), '{"sourceContainer": "raw"}\n');
  await fs.promises.mkdir(path.join(outside, "src"), { recursive: true });
}

const LONG_NAME = "m".repeat(300);
const GUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

export const BAD_INPUTS: BadInputCase[] = [
  // TriggerADFPipeline
  { scenario: ADF, what: "parameters: malformed JSON", inputs: { parameters: '{"sourceContainer": "raw",' }, mentions: /'parameters'/ },
  { scenario: ADF, what: "parameters: malformed YAML", inputs: { parameters: "sourceContainer: [raw" }, mentions: /'parameters'/ },
  { scenario: ADF, what: "parameters: a list, not a mapping", inputs: { parameters: "- raw\n- prepared" }, mentions: /'parameters'/ },
  {
    scenario: ADF,
    what: "parameters: a parameter the pipeline does not have",
    inputs: { parameters: "sourceContainer: raw\ncolour: blue" },
    mentions: /'parameters'.*colour/s,
  },
  {
    scenario: ADF,
    what: "parameters: a Float parameter given text",
    inputs: { parameters: "sourceContainer: raw\nsampleFraction: half" },
    mentions: /sampleFraction/,
  },
  { scenario: ADF, what: "parameters: a required parameter missing", inputs: { parameters: "outputFolder: x" }, mentions: /sourceContainer/ },
  { scenario: ADF, what: "parameters: a .json file that does not exist", inputs: { parameters: "params/missing.json" }, mentions: /'parameters'/ },
  { scenario: ADF, what: "parameters: a file outside the workspace", inputs: { parameters: "{outside}/params.json" }, mentions: /'parameters'/ },
  { scenario: ADF, what: "timeoutInMinutes: negative", inputs: { timeoutInMinutes: "-5" }, mentions: /waitTimeoutInMinutes/ },
  { scenario: ADF, what: "timeoutInMinutes: not a number", inputs: { timeoutInMinutes: "soon" }, mentions: /waitTimeoutInMinutes/ },
  { scenario: ADF, what: "pollingIntervalSeconds: 0 (out of range)", inputs: { pollingIntervalSeconds: "0" }, mentions: /pollingIntervalSeconds/ },
  { scenario: ADF, what: "failOnStatus: not one of the options", inputs: { failOnStatus: "sometimes" }, mentions: /failOnStatus/ },
  { scenario: ADF, what: "waitForCompletion: not a boolean", inputs: { waitForCompletion: "maybe" }, mentions: /waitForCompletion/ },
  { scenario: ADF, what: "factoryName: unknown factory", inputs: { factoryName: "no-such-adf" }, mentions: /no-such-adf/ },
  { scenario: ADF, what: "factoryName: breaks the naming rules", inputs: { factoryName: "bad_factory!" }, mentions: /factoryName|bad_factory!/ },
  { scenario: ADF, what: "pipelineName: unknown pipeline", inputs: { pipelineName: "no-such-pipeline" }, mentions: /no-such-pipeline/ },
  { scenario: ADF, what: "resourceGroupName: unknown resource group", inputs: { resourceGroupName: "no_such_rg" }, mentions: /no_such_rg/ },
  { scenario: ADF, what: "startFromFailure without referencePipelineRunId", inputs: { startFromFailure: "true" }, mentions: /referencePipelineRunId/ },
  { scenario: ADF, what: "referencePipelineRunId: unknown run", inputs: { referencePipelineRunId: GUID }, mentions: /referencePipelineRunId|0f8fad5b/ },
  // SubmitAzureMLPipeline
  { scenario: SUBMIT, what: "jobFile: does not exist", inputs: { jobFile: "pipelines/nope.yml" }, mentions: /'jobFile'/ },
  { scenario: SUBMIT, what: "jobFile: outside the workspace", inputs: { jobFile: "{outside}/job.yml" }, mentions: /'jobFile'/ },
  { scenario: SUBMIT, what: "jobFile: a folder", inputs: { jobFile: "pipelines" }, mentions: /'jobFile'/ },
  { scenario: SUBMIT, what: "jobFile: malformed YAML", inputs: { jobFile: "bad/broken.yml" }, mentions: /jobFile|broken\.yml/ },
  { scenario: SUBMIT, what: "jobFile: a YAML list, not a job", inputs: { jobFile: "bad/list.yml" }, mentions: /jobFile|list\.yml/ },
  { scenario: SUBMIT, what: "jobFile: unknown job type", inputs: { jobFile: "bad/banana.yml" }, mentions: /banana/ },
  {
    scenario: SUBMIT,
    what: "jobFile: a component file that does not exist",
    inputs: { jobFile: "bad/missing-component.yml" },
    mentions: /nope-component\.yml/,
  },
  { scenario: SUBMIT, what: "jobFile: a code folder that does not exist", inputs: { jobFile: "bad/missing-code.yml", jobName: "" }, mentions: /nope/ },
  { scenario: SUBMIT, what: "jobFile: unknown compute", inputs: { jobFile: "bad/unknown-compute.yml" }, mentions: /no-such-cluster/ },
  { scenario: SUBMIT, what: "jobFile: unknown environment", inputs: { jobFile: "bad/unknown-env.yml" }, mentions: /no-such-env/ },
  { scenario: SUBMIT, what: "overrides: a line without '='", inputs: { overrides: "inputs.learning_rate" }, mentions: /overrides|Override line 1/ },
  { scenario: SUBMIT, what: "jobName: breaks the naming rules", inputs: { jobName: "bad name!" }, mentions: /'jobName'/ },
  { scenario: SUBMIT, what: "jobName: 300 characters", inputs: { jobName: LONG_NAME }, mentions: /'jobName'/ },
  { scenario: SUBMIT, what: "workspaceName: breaks the naming rules", inputs: { workspaceName: "ws!" }, mentions: /'workspaceName'/ },
  { scenario: SUBMIT, what: "resourceGroupName: breaks the naming rules", inputs: { resourceGroupName: "rg/with/slash" }, mentions: /'resourceGroupName'/ },
  { scenario: SUBMIT, what: "workspaceName: unknown workspace", inputs: { workspaceName: "no_such_ws" }, mentions: /no_such_ws/ },
  { scenario: SUBMIT, what: "tags: a line that is not key=value", inputs: { tags: "owner=mlops\nnovalue" }, mentions: /'tags'/ },
  { scenario: SUBMIT, what: "validateOnly: not a boolean", inputs: { validateOnly: "perhaps" }, mentions: /validateOnly/ },
  // RegisterModel
  { scenario: REGISTER, what: "modelName: breaks the naming rules", inputs: { modelName: "bad name!" }, mentions: /'modelName'/ },
  { scenario: REGISTER, what: "modelName: 300 characters", inputs: { modelName: LONG_NAME }, mentions: /'modelName'/ },
  { scenario: REGISTER, what: "modelPath: does not exist", inputs: { modelPath: "model/nope.pkl" }, mentions: /'modelPath'/ },
  { scenario: REGISTER, what: "modelPath: outside the workspace", inputs: { modelPath: "{outside}/model.pkl" }, mentions: /'modelPath'/ },
  { scenario: REGISTER, what: "version: not a valid version", inputs: { version: "1.0!" }, mentions: /'version'/ },
  {
    scenario: REGISTER,
    what: "version: already registered",
    inputs: { version: "3" },
    mentions: /'version'/,
    seed: (emu, w) =>
      emu.ml.seedAsset(
        "models",
        w.model,
        "3",
        { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/old/" },
        { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace },
      ),
  },
  { scenario: REGISTER, what: "modelType: not one of the options", inputs: { modelType: "onnx_model" }, mentions: /modelType/ },
  { scenario: REGISTER, what: "tags: malformed JSON", inputs: { tags: '{"stage":' }, mentions: /'tags'/ },
  { scenario: REGISTER, what: "properties: a nested object", inputs: { properties: '{"a": {"b": 1}}' }, mentions: /'properties'/ },
  {
    scenario: REGISTER,
    what: "jobOutput: outputName missing",
    inputs: { modelSource: "jobOutput", modelPath: "", jobName: "some_job" },
    mentions: /outputName/,
  },
  {
    scenario: REGISTER,
    what: "jobOutput: outputName breaks the naming rules",
    inputs: { modelSource: "jobOutput", modelPath: "", jobName: "some_job", outputName: "1bad-name" },
    mentions: /outputName|1bad-name/,
  },
  {
    scenario: REGISTER,
    what: "jobOutput: unknown job",
    inputs: { modelSource: "jobOutput", modelPath: "", jobName: "no_such_job", outputName: "model" },
    mentions: /no_such_job/,
  },
  {
    scenario: REGISTER,
    what: "mlflow_model: a folder without an MLmodel file",
    inputs: { modelType: "mlflow_model", modelPath: "deploy/src" },
    mentions: /modelPath|MLmodel/,
  },
  // DeployToAKS
  { scenario: DEPLOY, what: "aksClusterName: breaks the naming rules", inputs: { aksClusterName: "-bad-" }, mentions: /'aksClusterName'/ },
  { scenario: DEPLOY, what: "aksClusterName: unknown cluster", inputs: { aksClusterName: "no-such-aks" }, mentions: /no-such-aks/ },
  { scenario: DEPLOY, what: "trafficPercent: 150", inputs: { trafficPercent: "150" }, mentions: /trafficPercent/ },
  { scenario: DEPLOY, what: "instanceCount: 0", inputs: { instanceCount: "0" }, mentions: /instanceCount/ },
  { scenario: DEPLOY, what: "namespace: breaks the Kubernetes naming rules", inputs: { namespace: "Bad_NS" }, mentions: /namespace/ },
  { scenario: DEPLOY, what: "authMode: not one of the options", inputs: { authMode: "password" }, mentions: /authMode/ },
  {
    scenario: DEPLOY,
    what: "timeoutInMinutes (alias of waitTimeoutInMinutes): negative",
    inputs: { timeoutInMinutes: "-1" },
    mentions: /waitTimeoutInMinutes/,
  },
  {
    scenario: DEPLOY,
    what: "smokeTestFile: not JSON",
    inputs: { smokeTestFile: "bad/not-json.json" },
    mentions: /smokeTestFile|smoke test file .*not-json\.json/,
  },
  { scenario: DEPLOY, what: "smokeTestFile: does not exist", inputs: { smokeTestFile: "deploy/nope.json" }, mentions: /smokeTestFile/ },
  { scenario: DEPLOY, what: "codePath: does not exist", inputs: { codePath: "deploy/nosrc" }, mentions: /codePath/ },
  { scenario: DEPLOY, what: "codePath: outside the workspace", inputs: { codePath: "{outside}/src" }, mentions: /codePath/ },
  {
    scenario: DEPLOY,
    what: "endpointFile: malformed YAML",
    inputs: { specSource: "yamlFiles", endpointFile: "bad/endpoint-broken.yml", deploymentFile: "deploy/deployment.yml" },
    mentions: /endpointFile|endpoint-broken\.yml/,
  },
  {
    scenario: DEPLOY,
    what: "deploymentFile: does not exist",
    inputs: { specSource: "yamlFiles", endpointFile: "deploy/endpoint.yml", deploymentFile: "deploy/nope.yml" },
    mentions: /deploymentFile/,
  },
  {
    scenario: DEPLOY,
    what: "endpointName: breaks the naming rules",
    inputs: { endpointName: "Endpoint_With_Underscore" },
    mentions: /endpointName|Endpoint_With_Underscore/,
  },
  { scenario: DEPLOY, what: "model: unknown model", inputs: { model: "no_such_model:1" }, mentions: /no_such_model/ },
  { scenario: DEPLOY, what: "model: unknown version", inputs: { model: "best_model:99" }, mentions: /best_model.*99|'model'/ },
  { scenario: DEPLOY, what: "environment: unknown environment", inputs: { environment: "azureml:no-such-env:1" }, mentions: /no-such-env/ },
];
