/** Data Factory: factory and pipeline reads, createRun (parameters, rerun from failure), pipeline run get / cancel, activity runs. */
import type { ConformanceCase } from "../case";
import { absent, any, each, like, ofType } from "../shape";

const FACTORY = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataFactory/factories/{factory}";
const API = "api-version=2018-06-01";
const SPECS = "Azure/azure-rest-api-specs";
const JS = "Azure/azure-sdk-for-js";
const JS_RECORDINGS = "sdk/datafactory/arm-datafactory/recordings/node/datafactory_test";
const EXAMPLES = "specification/datafactory/resource-manager/Microsoft.DataFactory/stable/2018-06-01/examples";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RUN = { method: "POST" as const, path: `${FACTORY}/pipelines/prepare-training-data/createRun?${API}`, body: { sourceContainer: "raw" } };
const WINDOW = { lastUpdatedAfter: "2000-01-01T00:00:00Z", lastUpdatedBefore: "2100-01-01T00:00:00Z" };

export const cases: ConformanceCase[] = [
  {
    name: "adf: createRun with parameters",
    recording: { repo: SPECS, path: `${EXAMPLES}/Pipelines_CreateRun.json` },
    exchanges: [
      {
        what: "POST createRun with the parameters as the body answers 200 with the run id",
        request: RUN,
        response: { status: 200, body: { runId: like(UUID) } },
      },
    ],
  },
  {
    name: "adf: pipeline run get",
    recording: { repo: SPECS, path: `${EXAMPLES}/PipelineRuns_Get.json` },
    exchanges: [
      { what: "a run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } }, capture: { run: "body.runId" } },
      {
        what: "GET of the finished run: status, times, duration, parameters as strings, invokedBy Manual, annotations",
        request: { method: "GET", path: `${FACTORY}/pipelineruns/{$run}?${API}` },
        until: { body: { status: "Succeeded" } },
        response: {
          status: 200,
          body: {
            runId: like(UUID),
            pipelineName: "prepare-training-data",
            parameters: { sourceContainer: "raw" },
            invokedBy: { id: ofType("string"), name: "Manual" },
            runStart: ofType("string"),
            runEnd: ofType("string"),
            durationInMs: ofType("number"),
            status: "Succeeded",
            message: "",
            lastUpdated: ofType("string"),
            annotations: ofType("array"),
          },
        },
      },
    ],
  },
  {
    name: "adf: cancel a running pipeline run",
    recording: { repo: SPECS, path: `${EXAMPLES}/PipelineRuns_Cancel.json` },
    given: [{ method: "POST", path: "/_control/modules/datafactory/scriptRuns", body: { args: [{ defaultActivityMs: 60_000_000 }] }, token: "none" }],
    exchanges: [
      { what: "a run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } }, capture: { run: "body.runId" } },
      {
        what: "POST cancel answers 200 with no body",
        request: { method: "POST", path: `${FACTORY}/pipelineruns/{$run}/cancel?${API}` },
        response: { status: 200 },
      },
      {
        what: "the run ends Cancelled",
        request: { method: "GET", path: `${FACTORY}/pipelineruns/{$run}?${API}` },
        until: { body: { status: "Cancelled" } },
        response: { status: 200, body: { status: "Cancelled", runEnd: ofType("string") } },
      },
    ],
  },
  {
    name: "adf: activity runs of a pipeline run",
    recording: { repo: SPECS, path: `${EXAMPLES}/ActivityRuns_QueryByPipelineRun.json` },
    exchanges: [
      { what: "a run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } }, capture: { run: "body.runId" } },
      {
        what: "the run ends",
        request: { method: "GET", path: `${FACTORY}/pipelineruns/{$run}?${API}` },
        until: { body: { status: "Succeeded" } },
        response: { status: 200, body: { status: "Succeeded" } },
      },
      {
        what: "POST queryActivityruns answers every activity run with its error object, input, output and ids",
        request: { method: "POST", path: `${FACTORY}/pipelineruns/{$run}/queryActivityruns?${API}`, body: WINDOW },
        response: {
          status: 200,
          body: {
            value: each(
              {
                activityName: ofType("string"),
                activityRunId: like(UUID),
                activityType: ofType("string"),
                pipelineName: "prepare-training-data",
                pipelineRunId: like(UUID),
                status: "Succeeded",
                activityRunStart: ofType("string"),
                activityRunEnd: ofType("string"),
                durationInMs: ofType("number"),
                input: ofType("object"),
                output: ofType("object"),
                userProperties: ofType("object"),
                linkedServiceName: any,
                retryAttempt: null,
                error: { errorCode: "", message: "", failureType: "", target: ofType("string") },
              },
              3,
            ),
          },
        },
      },
    ],
  },
  {
    name: "adf: get a pipeline",
    recording: { repo: SPECS, path: `${EXAMPLES}/Pipelines_Get.json` },
    exchanges: [
      {
        what: "GET pipeline answers id, name, type, etag and the activities and parameters",
        request: { method: "GET", path: `${FACTORY}/pipelines/prepare-training-data?${API}` },
        response: {
          status: 200,
          body: {
            id: like(/\/factories\/mlops-adf\/pipelines\/prepare-training-data$/),
            name: "prepare-training-data",
            type: "Microsoft.DataFactory/factories/pipelines",
            etag: ofType("string"),
            properties: { activities: each({ name: ofType("string"), type: ofType("string") }), parameters: ofType("object") },
          },
        },
      },
    ],
  },
  {
    name: "adf: rerun from failure",
    // The example shows referencePipelineRunId (null there); isRecovery and startFromFailure are the
    // other query parameters of Pipelines_CreateRun in the same spec.
    recording: { repo: SPECS, path: `${EXAMPLES}/Pipelines_CreateRun.json` },
    given: [
      {
        method: "POST",
        path: "/_control/modules/datafactory/scriptRun",
        body: { args: ["prepare-training-data", { failActivity: "CleanAndFeaturize" }] },
        token: "none",
      },
    ],
    exchanges: [
      { what: "a run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } }, capture: { failed: "body.runId" } },
      {
        what: "the run fails",
        request: { method: "GET", path: `${FACTORY}/pipelineruns/{$failed}?${API}` },
        until: { body: { status: "Failed" } },
        response: { status: 200, body: { status: "Failed", message: ofType("string") } },
      },
      {
        what: "POST createRun with referencePipelineRunId, isRecovery and startFromFailure answers a new run id",
        request: {
          method: "POST",
          path: `${FACTORY}/pipelines/prepare-training-data/createRun?${API}&referencePipelineRunId={$failed}&isRecovery=true&startFromFailure=true`,
        },
        response: { status: 200, body: { runId: like(UUID) } },
        capture: { rerun: "body.runId" },
      },
      {
        what: "the rerun belongs to the group of the failed run",
        request: { method: "GET", path: `${FACTORY}/pipelineruns/{$rerun}?${API}` },
        response: {
          status: 200,
          body: { runId: like(UUID), pipelineName: "prepare-training-data", runGroupId: ofType("string"), parameters: { sourceContainer: "raw" } },
        },
      },
    ],
  },
  {
    name: "adf: factory get",
    recording: { repo: JS, path: `${JS_RECORDINGS}/recording_datafactory_get_test.json` },
    exchanges: [
      {
        what: "GET factory answers the resource with the quoted eTag, provisioning state, create time and version",
        request: { method: "GET", path: `${FACTORY}?${API}` },
        response: {
          status: 200,
          body: {
            name: "mlops-adf",
            id: like(/\/providers\/Microsoft\.DataFactory\/factories\/mlops-adf$/),
            type: "Microsoft.DataFactory/factories",
            location: ofType("string"),
            eTag: like(/^".+"$/),
            tags: ofType("object"),
            properties: { provisioningState: "Succeeded", createTime: ofType("string"), version: "2018-06-01" },
          },
        },
      },
    ],
  },
  {
    name: "adf: pipelines of a factory",
    recording: { repo: JS, path: `${JS_RECORDINGS}/recording_pipeline_list_test.json` },
    exchanges: [
      {
        what: "GET pipelines answers one page of pipelines with their etag",
        request: { method: "GET", path: `${FACTORY}/pipelines?${API}` },
        response: {
          status: 200,
          body: {
            value: each({
              id: like(/\/factories\/mlops-adf\/pipelines\/[^/]+$/),
              name: ofType("string"),
              type: "Microsoft.DataFactory/factories/pipelines",
              etag: ofType("string"),
              properties: { activities: ofType("array") },
            }),
            nextLink: absent,
          },
        },
      },
    ],
  },
  {
    name: "adf: pipeline runs of a factory",
    recording: { repo: SPECS, path: `${EXAMPLES}/PipelineRuns_QueryByFactory.json` },
    exchanges: [
      { what: "a first run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } } },
      { what: "a second run is created", request: RUN, response: { status: 200, body: { runId: like(UUID) } } },
      {
        what: "POST queryPipelineRuns filtered on the pipeline name answers both runs in one page (no continuationToken)",
        request: {
          method: "POST",
          path: `${FACTORY}/queryPipelineRuns?${API}`,
          body: { ...WINDOW, filters: [{ operand: "PipelineName", operator: "Equals", values: ["prepare-training-data"] }] },
        },
        response: {
          status: 200,
          body: {
            value: each(
              {
                runId: like(UUID),
                pipelineName: "prepare-training-data",
                parameters: { sourceContainer: "raw" },
                invokedBy: { id: ofType("string"), name: "Manual" },
                runStart: ofType("string"),
                status: ofType("string"),
                message: ofType("string"),
                lastUpdated: ofType("string"),
                annotations: ofType("array"),
              },
              2,
            ),
            continuationToken: absent,
          },
        },
      },
    ],
  },
];
