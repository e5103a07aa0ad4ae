/**
 * The run-history data plane when a pipeline step fails: the step's run carries the error (an
 * ErrorResponse whose `error` is the RootError with code and message), the pipeline fails, and the
 * ARM job carries no error of its own. The shape is the SDK's run-history model (the recordings
 * at hand show only completed runs; see devkit/emulator/GUESSES.md). The step outcome is scripted
 * through the emulator's control API (given).
 */
import type { ConformanceCase } from "../case";
import { absent, each, like, ofType, oneOf } from "../shape";

const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const V = "api-version=2022-10-01";
const COMPUTE = `${WS}/computes/gpu-cluster`;
const COMPONENT = `${WS}/components/conf_step/versions/1`;
const HISTORY = "/history/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/runs";

export const cases: ConformanceCase[] = [
  {
    name: "failed step: run history gives the step's error; the pipeline reads Failed",
    recording: { repo: "Azure/azure-sdk-for-python", path: "sdk/ml/azure-ai-ml/azure/ai/ml/_restclient/runhistory/models/_models_py3.py" },
    given: [
      {
        method: "POST",
        path: "/_control/modules/ml/scriptJobs",
        token: "none",
        body: { args: [{ failStep: "train", error: { code: "UserError", message: "ValueError: bad learning rate" } }] },
      },
      {
        method: "PUT",
        path: `${COMPONENT}?${V}`,
        body: {
          properties: {
            componentSpec: {
              name: "conf_step",
              version: "1",
              type: "command",
              command: "python step.py",
              environment: "azureml:AzureML-sklearn-1.5:1",
              outputs: { out: { type: "uri_folder" } },
            },
          },
        },
      },
    ],
    exchanges: [
      {
        what: "PUT a three-step pipeline (x-azureml-token) answers 201",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_failing?${V}`,
          headers: { "x-azureml-token": "{token:ml}" },
          body: {
            properties: {
              jobType: "Pipeline",
              experimentName: "conformance",
              settings: { default_compute: COMPUTE },
              jobs: {
                prep: { type: "command", componentId: COMPONENT },
                train: { type: "command", componentId: COMPONENT, inputs: { d: { job_input_type: "literal", value: "${{parent.jobs.prep.outputs.out}}" } } },
                score: { type: "command", componentId: COMPONENT, inputs: { m: { job_input_type: "literal", value: "${{parent.jobs.train.outputs.out}}" } } },
              },
            },
          },
        },
        response: { status: 201, body: { properties: { jobType: "Pipeline" } } },
      },
      {
        what: "the pipeline job ends Failed, without an error of its own in properties",
        request: { method: "GET", path: `${WS}/jobs/conf_failing?${V}` },
        until: { body: { properties: { status: oneOf("Completed", "Failed", "Canceled") } } },
        response: { status: 200, body: { properties: { status: "Failed", properties: { "azureml.error.code": absent, "azureml.error.message": absent } } } },
      },
      {
        what: "the children: prep Completed, train Failed with its error, score Canceled",
        request: { method: "GET", path: `${HISTORY}/conf_failing/children` },
        response: {
          status: 200,
          body: {
            value: [
              { displayName: "prep", status: "Completed", error: null },
              {
                displayName: "train",
                status: "Failed",
                error: { error: { code: "UserError", message: "ValueError: bad learning rate" } },
                endTimeUtc: ofType("string"),
              },
              { displayName: "score", status: "Canceled", error: null },
            ],
          },
        },
        capture: { failed: "body.value.1.runId" },
      },
      {
        what: "run details of the failed step carry the error",
        request: { method: "GET", path: `${HISTORY}/{$failed}` },
        response: {
          status: 200,
          body: { runId: like(/^[0-9a-f-]{36}$/), status: "Failed", error: { error: { code: "UserError", message: "ValueError: bad learning rate" } } },
        },
      },
      {
        what: "run details of the pipeline run carry the pipeline's error summary",
        request: { method: "GET", path: `${HISTORY}/conf_failing` },
        response: {
          status: 200,
          body: {
            runId: "conf_failing",
            parentRunId: null,
            status: "Failed",
            runType: "azureml.PipelineRun",
            error: { error: { message: like(/Failed nodes: \/train/) } },
          },
        },
      },
      {
        what: "children paged with $top: a continuation token and nextLink while more remain",
        request: { method: "GET", path: `${HISTORY}/conf_failing/children?$top=2` },
        response: {
          status: 200,
          body: { value: each({ runId: ofType("string") }, 2), continuationToken: ofType("string"), nextLink: like(/\$continuationtoken=2/) },
        },
      },
    ],
  },
];
