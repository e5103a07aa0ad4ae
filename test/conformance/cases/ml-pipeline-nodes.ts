/**
 * Azure ML pipeline jobs whose nodes are not command steps: a sweep node (its component under
 * `trial.componentId`) and a pipeline-component node, each after the anonymous component PUTs the CLI
 * makes first. Derived by hand from the recordings each case names (names, ids and hosts replaced by the
 * default scenario; api-version 2022-10-01 as in ml-jobs.ts: the node dicts live in the free-form `jobs`).
 */
import type { ConformanceCase } from "../case";
import { like, oneOf } from "../shape";

const PY = "Azure/azure-sdk-for-python";
const REC = "sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests";
const WS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}";
const V = "api-version=2022-10-01";
const COMPUTE = `${WS}/computes/gpu-cluster`;
const ML_TOKEN = { "x-azureml-token": "{token:ml}" };
const TRIAL = `${WS}/components/azureml_anonymous/versions/5e1f0c2a-0000-4000-8000-0000000000a1`;
const INNER = `${WS}/components/azureml_anonymous/versions/5e1f0c2a-0000-4000-8000-0000000000b1`;
const PIPELINE_COMPONENT = `${WS}/components/azureml_anonymous/versions/5e1f0c2a-0000-4000-8000-0000000000b2`;

function commandComponent(command: string, inputs: Record<string, unknown>): Record<string, unknown> {
  return {
    properties: {
      properties: {},
      tags: {},
      isAnonymous: true,
      isArchived: false,
      componentSpec: {
        name: "azureml_anonymous",
        version: "1",
        type: "command",
        is_deterministic: true,
        command,
        environment: "azureml:AzureML-sklearn-1.5:1",
        inputs,
        _source: "YAML.COMPONENT",
      },
    },
  };
}

const SWEEP_NODE = {
  limits: { max_concurrent_trials: 1, max_total_trials: 3 },
  sampling_algorithm: "grid",
  objective: { goal: "minimize", primary_metric: "metric" },
  search_space: { whom: { values: ["Microsoft", "World", "Python"], type: "choice" } },
  queue_settings: { job_tier: "standard" },
  name: "node",
  type: "sweep",
  _source: "YAML.COMPONENT",
  trial: { componentId: TRIAL },
};

export const cases: ConformanceCase[] = [
  {
    name: "sweep node in a pipeline: the trial component PUT, then the pipeline PUT answered 201 with the node as sent",
    recording: { repo: PY, path: `${REC}/test_pipeline_job.pyTestPipelineJobtest_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json` },
    exchanges: [
      {
        what: "the trial (a command component file) is registered as an anonymous component: 201",
        request: {
          method: "PUT",
          path: `${TRIAL}?${V}`,
          body: commandComponent("python greet.py $[[--whom ${{inputs.whom}}]]", { whom: { type: "string", optional: true } }),
        },
        response: { status: 201, body: { properties: { isAnonymous: true, componentSpec: { type: "command" } } } },
      },
      {
        what: "the pipeline job with the sweep node: 201, the node answered unchanged",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_sweep_1?${V}`,
          headers: ML_TOKEN,
          body: {
            properties: {
              properties: {},
              tags: {},
              displayName: "Sweep - pipeline",
              experimentName: "conformance",
              isArchived: false,
              jobType: "Pipeline",
              inputs: {},
              jobs: { node: SWEEP_NODE },
              outputs: {},
              // As recorded: serverless as the workspace's computes/serverless id.
              settings: { default_compute: `${WS}/computes/serverless`, _source: "YAML.JOB" },
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/jobs\/conf_sweep_1\?api-version=/ },
          body: {
            name: "conf_sweep_1",
            properties: {
              jobType: "Pipeline",
              status: oneOf("NotStarted", "Preparing", "Running"),
              // Expected shapes do not take placeholders: the ids are matched by their ends.
              jobs: {
                node: { ...SWEEP_NODE, trial: { componentId: like(/\/components\/azureml_anonymous\/versions\/5e1f0c2a-0000-4000-8000-0000000000a1$/) } },
              },
              properties: { "azureml.defaultComputeName": "serverless" },
              settings: { default_compute: like(/\/computes\/serverless$/), _source: "YAML.JOB" },
            },
          },
        },
      },
    ],
  },
  {
    name: "pipeline-component node: inner component, then the pipeline component (type pipeline, jobs), then the job",
    recording: { repo: PY, path: `${REC}/test_pipeline_job.pyTestPipelineJobtest_pipeline_with_pipeline_component.json` },
    exchanges: [
      {
        what: "the pipeline component's inner command component: 201",
        request: {
          method: "PUT",
          path: `${INNER}?${V}`,
          body: commandComponent("python eval.py ${{inputs.scoring_result}}", { scoring_result: { type: "uri_folder" } }),
        },
        response: { status: 201, body: { properties: { isAnonymous: true, componentSpec: { type: "command" } } } },
      },
      {
        what: "the pipeline component, its jobs naming the inner component without node names: 201",
        request: {
          method: "PUT",
          path: `${PIPELINE_COMPONENT}?${V}`,
          body: {
            properties: {
              description: "Dummy pipeline component",
              properties: {},
              tags: {},
              isAnonymous: true,
              isArchived: false,
              componentSpec: {
                name: "azureml_anonymous",
                description: "Dummy pipeline component",
                version: "1",
                $schema: "https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json",
                display_name: "train_pipeline_component",
                inputs: { training_data: { type: "uri_folder" }, training_learning_rate: { type: "integer", default: "1" } },
                outputs: { evaluation_report: { type: "uri_folder" } },
                type: "pipeline",
                jobs: {
                  evaluate_job: {
                    type: "command",
                    inputs: { scoring_result: { job_input_type: "literal", value: "${{parent.inputs.training_data}}" } },
                    _source: "YAML.COMPONENT",
                    componentId: INNER,
                  },
                },
                _source: "YAML.COMPONENT",
                sourceJobId: null,
              },
            },
          },
        },
        response: {
          status: 201,
          body: { name: "5e1f0c2a-0000-4000-8000-0000000000b2", properties: { isAnonymous: true, componentSpec: { type: "pipeline" } } },
        },
      },
      {
        what: "the job whose node is type pipeline with the component's id: 201, the node answered as sent",
        request: {
          method: "PUT",
          path: `${WS}/jobs/conf_pcomp_1?${V}`,
          headers: ML_TOKEN,
          body: {
            properties: {
              properties: {},
              tags: {},
              displayName: "pipeline_with_pipeline_component",
              experimentName: "conformance",
              isArchived: false,
              jobType: "Pipeline",
              inputs: { lr: { jobInputType: "literal", value: "0.1" } },
              jobs: {
                train_and_evaluate: {
                  name: "train_and_evaluate",
                  type: "pipeline",
                  inputs: { training_learning_rate: { job_input_type: "literal", value: "${{parent.inputs.lr}}" } },
                  _source: "YAML.COMPONENT",
                  componentId: PIPELINE_COMPONENT,
                },
              },
              outputs: {},
              settings: { default_compute: COMPUTE, _source: "YAML.JOB" },
            },
          },
        },
        response: {
          status: 201,
          headers: { location: /\/jobs\/conf_pcomp_1\?api-version=/ },
          body: {
            name: "conf_pcomp_1",
            properties: {
              jobType: "Pipeline",
              jobs: { train_and_evaluate: { type: "pipeline", componentId: like(/\/versions\/5e1f0c2a-0000-4000-8000-0000000000b2$/) } },
            },
          },
        },
      },
    ],
  },
];
