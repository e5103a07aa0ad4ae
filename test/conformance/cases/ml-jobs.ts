/**
 * Azure ML jobs: a pipeline job from submission to its steps in run history, anonymous component
 * dedupe, a serverless command job, cancel, and the errors around job submission. Derived by hand
 * from the recordings each case names (names, ids and hosts replaced by the default scenario).
 * Requests use api-version 2022-10-01 (the recordings used 2022-10-01-preview / 2022-12-01-preview
 * for jobs; the bodies compared exist in both).
 */
import type { ConformanceCase } from "../case";
import { absent, any, each, exact, like, ofType, oneOf } from "../shape";

const PY = "Azure/azure-sdk-for-python";
const JS = "Azure/azure-sdk-for-js";
const SPECS = "Azure/azure-rest-api-specs";
const REC = "sdk/ml/azure-ai-ml/tests/recordings";
const EXAMPLES = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples";
const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const V = "api-version=2022-10-01";
const COMPUTE = `${WS}/computes/gpu-cluster`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HISTORY = "/history/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/runs";

/** An anonymous command component writing to one output (the recording's hello-world step). */
function helloComponent(output: string): Record<string, unknown> {
  return {
    properties: {
      description: "Writes hello world to a file.",
      properties: {},
      tags: {},
      isAnonymous: true,
      isArchived: false,
      componentSpec: {
        name: "azureml_anonymous",
        version: "1",
        type: "command",
        is_deterministic: true,
        command: `echo hello > \${{outputs.${output}}}/hello.txt`,
        environment: "azureml:AzureML-sklearn-1.5:1",
        outputs: { [output]: { type: "uri_folder" } },
        _source: "YAML.JOB",
      },
    },
  };
}

const COMPONENT_A = `${WS}/components/azureml_anonymous/versions/0a1b2c3d-0000-4000-8000-00000000000a`;
const COMPONENT_B = `${WS}/components/azureml_anonymous/versions/0a1b2c3d-0000-4000-8000-00000000000b`;

function pipelineBody(componentId: string): Record<string, unknown> {
  return {
    properties: {
      description: "Two inline command steps",
      properties: {},
      tags: { owner: "conformance" },
      computeId: COMPUTE,
      displayName: "conf_pipeline",
      experimentName: "conformance",
      isArchived: false,
      jobType: "Pipeline",
      inputs: {},
      jobs: {
        hello_1: {
          name: "hello_1",
          type: "command",
          computeId: COMPUTE,
          outputs: { out_a: { value: "${{parent.outputs.job_out}}", type: "literal" } },
          _source: "YAML.JOB",
          componentId,
        },
        hello_2: { name: "hello_2", type: "command", computeId: COMPUTE, _source: "YAML.JOB", componentId },
      },
      outputs: { job_out: { mode: "ReadWriteMount", jobOutputType: "uri_folder" } },
      settings: { _source: "YAML.JOB" },
    },
  };
}

const CHILD_RUN = `${REC}/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json`;
const ML_TOKEN = { "x-azureml-token": "{token:ml}" };

export const cases: ConformanceCase[] = [
  {
    name: "anonymous component: created 201 with Location, an identical spec under a new hash answers the existing version",
    recording: { repo: PY, path: CHILD_RUN },
    exchanges: [
      {
        what: "PUT of a new anonymous component version answers 201, Location, the version's own name",
        request: { method: "PUT", path: `${COMPONENT_A}?${V}`, body: helloComponent("out_a") },
        response: {
          status: 201,
          headers: { location: /\/components\/azureml_anonymous\/versions\/0a1b2c3d-0000-4000-8000-00000000000a\?api-version=/ },
          body: {
            id: like(/\/components\/azureml_anonymous\/versions\/0a1b2c3d-0000-4000-8000-00000000000a$/),
            name: "0a1b2c3d-0000-4000-8000-00000000000a",
            type: "Microsoft.MachineLearningServices/workspaces/components/versions",
            properties: { isAnonymous: true, isArchived: false, componentSpec: { type: "command" } },
          },
        },
      },
      {
        what: "PUT of the same spec under another version answers 201 with the EXISTING version's name and id (Location names the requested one)",
        request: { method: "PUT", path: `${COMPONENT_B}?${V}`, body: helloComponent("out_a") },
        response: {
          status: 201,
          headers: { location: /\/versions\/0a1b2c3d-0000-4000-8000-00000000000b\?api-version=/ },
          body: {
            id: like(/\/components\/azureml_anonymous\/versions\/0a1b2c3d-0000-4000-8000-00000000000a$/),
            name: "0a1b2c3d-0000-4000-8000-00000000000a",
            properties: { isAnonymous: true },
          },
        },
      },
      {
        what: "a component whose environment is a registry asset is accepted (the recorded specs name azureml://registries/azureml/environments/...)",
        request: {
          method: "PUT",
          path: `${WS}/components/azureml_anonymous/versions/0a1b2c3d-0000-4000-8000-00000000000c?${V}`,
          body: {
            properties: {
              isAnonymous: true,
              componentSpec: {
                name: "azureml_anonymous",
                version: "1",
                type: "command",
                command: "echo hi",
                environment: "azureml://registries/azureml/environments/AzureML-sklearn-1.0-ubuntu20.04-py38-cpu/versions/1",
              },
            },
          },
        },
        response: {
          status: 201,
          body: {
            name: "0a1b2c3d-0000-4000-8000-00000000000c",
            properties: { componentSpec: { environment: like(/^azureml:\/\/registries\/azureml\/environments\//) } },
          },
        },
      },
      {
        what: "the deduplicated version was not created",
        request: { method: "GET", path: `${COMPONENT_B}?${V}` },
        response: { status: 404 },
      },
    ],
  },
  {
    name: "code version read back by the SDK before registering the components that use it",
    recording: { repo: PY, path: CHILD_RUN },
    given: [
      {
        method: "PUT",
        path: `${WS}/codes/5c0de000-0000-4000-8000-000000000001/versions/1?${V}`,
        body: {
          properties: {
            isAnonymous: false,
            codeUri: "https://127.0.0.1/azureml-blobstore/LocalUpload/abc/src/",
            properties: { hash_sha256: "abc", hash_version: "202208" },
          },
        },
      },
    ],
    exchanges: [
      {
        what: "GET code version answers 200 with the codeUri and the asset flags",
        request: { method: "GET", path: `${WS}/codes/5c0de000-0000-4000-8000-000000000001/versions/1?${V}` },
        response: {
          status: 200,
          body: {
            name: "1",
            type: "Microsoft.MachineLearningServices/workspaces/codes/versions",
            properties: {
              description: null,
              tags: {},
              isArchived: false,
              isAnonymous: false,
              codeUri: like(/^https:\/\//),
              properties: { hash_sha256: "abc" },
            },
            systemData: { createdAt: ofType("string") },
          },
        },
      },
      {
        what: "the compute the pipeline names is read (AmlCompute, Succeeded)",
        request: { method: "GET", path: `${WS}/computes/gpu-cluster?${V}` },
        response: {
          status: 200,
          body: {
            name: "gpu-cluster",
            type: "Microsoft.MachineLearningServices/workspaces/computes",
            properties: { computeType: "AmlCompute", provisioningState: "Succeeded" },
          },
        },
      },
    ],
  },
  {
    name: "pipeline job: submitted with x-azureml-token, completes with output uri null, steps read from run history",
    recording: { repo: PY, path: CHILD_RUN },
    given: [{ method: "PUT", path: `${COMPONENT_A}?${V}`, body: helloComponent("out_a") }],
    exchanges: [
      {
        what: "PUT pipeline job answers 201 with Location and the properties the service adds",
        request: { method: "PUT", path: `${WS}/jobs/conf_pipeline_1?${V}`, headers: ML_TOKEN, body: pipelineBody(COMPONENT_A) },
        response: {
          status: 201,
          headers: { location: /\/workspaces\/ml_workspace\/jobs\/conf_pipeline_1\?api-version=/ },
          body: {
            name: "conf_pipeline_1",
            type: "Microsoft.MachineLearningServices/workspaces/jobs",
            properties: {
              jobType: "Pipeline",
              status: oneOf("NotStarted", "Preparing", "Running"),
              componentId: null,
              identity: null,
              properties: {
                "azureml.DevPlatv2": "true",
                "azureml.runsource": "azureml.PipelineRun",
                runSource: "MFE",
                runType: "HTTP",
                "azureml.continue_on_step_failure": "False",
                "azureml.defaultDataStoreName": "workspaceblobstore",
                "azureml.pipelineComponent": "pipelinerun",
              },
              outputs: { job_out: { description: null, uri: null, assetName: null, assetVersion: null, mode: "ReadWriteMount", jobOutputType: "uri_folder" } },
              services: { Tracking: { jobServiceType: "Tracking" }, Studio: { jobServiceType: "Studio", endpoint: like(/conf_pipeline_1/) } },
            },
          },
        },
      },
      {
        what: "GET the completed pipeline job: status Completed, the output's uri still null",
        request: { method: "GET", path: `${WS}/jobs/conf_pipeline_1?${V}` },
        until: { body: { properties: { status: oneOf("Completed", "Failed", "Canceled") } } },
        response: {
          status: 200,
          body: {
            properties: {
              status: "Completed",
              outputs: { job_out: { uri: null, jobOutputType: "uri_folder" } },
              properties: { "azureml.error.message": absent, "azureml.error.code": absent },
            },
          },
        },
      },
      {
        what: "GET workspace gives the discovery URL",
        request: { method: "GET", path: `${WS}?${V}` },
        response: { status: 200, body: { properties: { discoveryUrl: like(/^https:\/\//), mlFlowTrackingUri: like(/^azureml:\/\//) } } },
        capture: { disco: "body.properties.discoveryUrl" },
      },
      {
        what: "GET <discoveryUrl> (no token) names the api and history hosts",
        request: { method: "GET", path: "{$disco}", token: "none" },
        response: { status: 200, body: { api: like(/^https:\/\//), history: like(/^https:\/\//), experimentation: any, pipelines: any, studio: any } },
        capture: { api: "body.api" },
      },
      {
        what: "GET run history children: one step run per node, GUID ids, node name as display name, short-hash node id",
        request: { method: "GET", path: `{$api}${HISTORY}/conf_pipeline_1/children` },
        response: {
          status: 200,
          body: {
            value: each(
              {
                runId: like(GUID),
                parentRunId: "conf_pipeline_1",
                rootRunId: "conf_pipeline_1",
                status: "Completed",
                error: null,
                displayName: oneOf("hello_1", "hello_2"),
                runType: "azureml.StepRun",
                runTypeV2: { traits: ["azureml.StepRun"] },
                startTimeUtc: ofType("string"),
                endTimeUtc: ofType("string"),
                target: "gpu-cluster",
                properties: {
                  "azureml.runsource": "azureml.StepRun",
                  "azureml.nodeid": like(/^[0-9a-f]{8}$/),
                  "azureml.pipelinerunid": "conf_pipeline_1",
                  "azureml.pipeline": "conf_pipeline_1",
                },
                tags: { "azureml.nodeid": like(/^[0-9a-f]{8}$/), "azureml.pipeline": "conf_pipeline_1" },
              },
              2,
            ),
            continuationToken: absent,
          },
        },
        capture: { step: "body.value.0.runId" },
      },
      {
        what: "ARM GET of a step job answers only id, name, type and systemData",
        request: { method: "GET", path: `${WS}/jobs/{$step}?${V}` },
        response: {
          status: 200,
          body: exact({
            id: like(/\/jobs\/[0-9a-f-]{36}$/),
            name: like(GUID),
            type: "Microsoft.MachineLearningServices/workspaces/jobs",
            systemData: exact({ createdAt: ofType("string"), createdBy: ofType("string"), createdByType: ofType("string") }),
          }),
        },
      },
      {
        what: "GET run details of the step: status, times, no error",
        request: { method: "GET", path: `{$api}${HISTORY}/{$step}` },
        response: {
          status: 200,
          body: {
            runId: like(GUID),
            parentRunId: "conf_pipeline_1",
            status: "Completed",
            error: null,
            runUuid: like(GUID),
            duration: like(/^\d\d:\d\d:\d\d\.\d{7}$/),
            displayName: oneOf("hello_1", "hello_2"),
            name: "azureml_anonymous",
          },
        },
      },
    ],
  },
  {
    name: "pipeline job naming a component version that does not exist: 404 NotFound",
    recording: {
      repo: PY,
      path: `${REC}/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobtest_pipeline_job_validation_remote[non_existent_remote_version.yml].json`,
    },
    exchanges: [
      {
        what: "datastore read before uploading the local input",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: {
          status: 200,
          body: {
            name: "workspaceblobstore",
            properties: { isDefault: true, datastoreType: "AzureBlob", credentials: { credentialsType: "AccountKey" }, protocol: "https" },
          },
        },
      },
      {
        what: "its secrets (AccountKey)",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
      {
        what: "PUT pipeline job with a missing component version answers 404 NotFound naming the component and version",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_missing_component?${V}`,
          headers: ML_TOKEN,
          body: {
            properties: {
              jobType: "Pipeline",
              computeId: COMPUTE,
              experimentName: "conformance",
              inputs: { job_in_number: { jobInputType: "literal", value: "10" } },
              jobs: {
                hello: {
                  name: "hello",
                  type: "command",
                  computeId: COMPUTE,
                  inputs: { n: { job_input_type: "literal", value: "${{parent.inputs.job_in_number}}" } },
                  _source: "REMOTE.WORKSPACE.COMPONENT",
                  componentId: `${WS}/components/conf_basic/versions/non_existent`,
                },
              },
              outputs: {},
              settings: { continue_on_step_failure: true, _source: "YAML.JOB" },
            },
          },
        },
        response: {
          status: 404,
          body: {
            error: {
              code: "NotFound",
              message: like(
                /^key: \/subscriptions\/.*\/components\/conf_basic\/versions\/non_existent, Message: Not found component conf_basic \(version: non_existent\)\.$/,
              ),
              details: [],
            },
          },
        },
      },
    ],
  },
  {
    name: "job PUT under a workspace that does not exist: ARM's 404 ParentResourceNotFound",
    recording: { repo: JS, path: "sdk/machinelearning/arm-machinelearning/recordings/node/machinelearning_test/recording_job_create_test.json" },
    exchanges: [
      {
        what: "PUT jobs/<name> under a missing workspace answers 404 ParentResourceNotFound before the body is read",
        request: {
          method: "PUT",
          path: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/no_such_ws/jobs/j1?api-version=2022-10-01",
          body: { properties: { description: "x", computeId: "x", displayName: "x", jobType: "Command" } },
        },
        response: {
          status: 404,
          headers: { "x-ms-failure-cause": "gateway" },
          body: {
            error: {
              code: "ParentResourceNotFound",
              message: "Can not perform requested operation on nested resource. Parent resource 'no_such_ws' not found.",
            },
          },
        },
      },
    ],
  },
  {
    name: "serverless command job: no compute, accepted 201 with Location, the service's default output",
    recording: { repo: PY, path: `${REC}/command_job/e2etests/test_command_job.pyTestCommandJobtest_command_job_serverless.json` },
    exchanges: [
      {
        what: "datastore read (default blob store)",
        request: { method: "GET", path: `${WS}/datastores/workspaceblobstore?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/datastores\/workspaceblobstore$/),
            type: "Microsoft.MachineLearningServices/workspaces/datastores",
            properties: { isDefault: true, datastoreType: "AzureBlob", containerName: ofType("string"), accountName: ofType("string") },
          },
        },
      },
      {
        what: "datastore secrets",
        request: { method: "POST", path: `${WS}/datastores/workspaceblobstore/listSecrets?${V}` },
        response: { status: 200, body: { secretsType: "AccountKey", key: ofType("string") } },
      },
      {
        what: "PUT a command job without computeId (serverless) answers 201, Location, computeId null, a default output",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_serverless_1?${V}`,
          body: {
            properties: {
              properties: {},
              tags: {},
              displayName: "conf serverless",
              experimentName: "conformance",
              identity: { identityType: "AMLToken" },
              isArchived: false,
              jobType: "Command",
              command: "pip freeze",
              environmentId: "azureml:AzureML-sklearn-1.5:1",
              environmentVariables: {},
              inputs: {
                data: { mode: "ReadOnlyMount", uri: "azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/data/", jobInputType: "uri_folder" },
              },
              outputs: {},
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/jobs\/conf_serverless_1\?api-version=/ },
          body: {
            properties: {
              jobType: "Command",
              computeId: null,
              componentId: null,
              identity: { identityType: "AMLToken" },
              properties: { "_azureml.ComputeTargetType": "amlctrain" },
              inputs: {
                data: { uri: "azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/data/", mode: "ReadOnlyMount", jobInputType: "uri_folder" },
              },
              outputs: {
                default: {
                  uri: like(/^azureml:\/\/datastores\/workspaceartifactstore\/ExperimentRun\/dcid\.conf_serverless_1$/),
                  mode: "ReadWriteMount",
                  jobOutputType: "uri_folder",
                  assetName: null,
                },
              },
            },
          },
        },
      },
    ],
  },
  {
    name: "cancel a running command job",
    recording: { repo: SPECS, path: `${EXAMPLES}/Job/cancel.json` },
    given: [
      {
        method: "PUT",
        path: `${WS}/jobs/conf_cancel_1?${V}`,
        body: { properties: { jobType: "Command", command: "sleep 600", environmentId: "azureml:AzureML-sklearn-1.5:1", computeId: COMPUTE } },
      },
    ],
    exchanges: [
      {
        what: "POST cancel is accepted (202, an operation to follow)",
        request: { method: "POST", path: `${WS}/jobs/conf_cancel_1/cancel?${V}` },
        response: { status: 202, headers: { location: true } },
      },
      {
        what: "the job then reads Canceled",
        request: { method: "GET", path: `${WS}/jobs/conf_cancel_1?${V}` },
        until: { body: { properties: { status: "Canceled" } } },
        response: { status: 200, body: { properties: { status: "Canceled" } } },
      },
    ],
  },
  {
    name: "command job create (spec example): 201, NotStarted, services Tracking and Studio",
    recording: { repo: SPECS, path: `${EXAMPLES}/Job/CommandJob/createOrUpdate.json` },
    exchanges: [
      {
        what: "PUT a command job answers 201 with its status and services",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_command_1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { k: "v" },
              properties: { p: "v" },
              displayName: "conf command",
              experimentName: "conformance",
              computeId: COMPUTE,
              jobType: "Command",
              command: "python train.py",
              environmentId: "azureml:AzureML-sklearn-1.5:1",
              resources: { instanceCount: 1 },
            },
          },
        },
        response: {
          status: 201,
          body: {
            name: "conf_command_1",
            properties: {
              jobType: "Command",
              status: "NotStarted",
              displayName: "conf command",
              experimentName: "conformance",
              tags: { k: "v" },
              properties: { p: "v" },
              services: { Tracking: { jobServiceType: "Tracking" }, Studio: { jobServiceType: "Studio" } },
              computeId: like(/\/workspaces\/ml_workspace\/computes\/gpu-cluster$/),
            },
          },
        },
      },
      {
        what: "re-PUT of the same job answers 200",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_command_1?${V}`,
          body: {
            properties: {
              description: "d",
              tags: { k: "v" },
              properties: { p: "v" },
              displayName: "conf command",
              experimentName: "conformance",
              computeId: COMPUTE,
              jobType: "Command",
              command: "python train.py",
              environmentId: "azureml:AzureML-sklearn-1.5:1",
              resources: { instanceCount: 1 },
            },
          },
        },
        response: { status: 200, body: { name: "conf_command_1", properties: { jobType: "Command" } } },
      },
    ],
  },
  {
    name: "pipeline job get (spec example): jobType, settings, inputs and outputs as submitted",
    recording: { repo: SPECS, path: `${EXAMPLES}/Job/PipelineJob/get.json` },
    given: [
      { method: "PUT", path: `${COMPONENT_A}?${V}`, body: helloComponent("out_a") },
      { method: "PUT", path: `${WS}/jobs/conf_pipeline_get?${V}`, headers: ML_TOKEN, body: pipelineBody(COMPONENT_A) },
    ],
    exchanges: [
      {
        what: "GET pipeline job answers 200 with its jobs, literal inputs and outputs",
        request: { method: "GET", path: `${WS}/jobs/conf_pipeline_get?${V}` },
        response: {
          status: 200,
          body: {
            id: like(/\/jobs\/conf_pipeline_get$/),
            properties: {
              jobType: "Pipeline",
              status: ofType("string"),
              settings: { _source: "YAML.JOB" },
              jobs: { hello_1: { componentId: like(/azureml_anonymous/) }, hello_2: any },
              outputs: { job_out: { jobOutputType: "uri_folder", mode: "ReadWriteMount" } },
            },
          },
        },
      },
    ],
  },
];
