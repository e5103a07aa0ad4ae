/**
 * SubmitAzureMLPipeline with `type: parallel` steps, built and run as the agent runs it against the
 * emulator: an inline parallel step (code uploaded, anonymous parallel component registered) and a step
 * using a parallel component file, submitted and followed to the end; a parallel step the task cannot send
 * refused before anything in the workspace is touched. Bodies as the CLI builds them: see
 * tasks/SubmitAzureMLPipelineV1/loader/parallelStep.ts (field-by-field unit tests beside it).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { containerOfCodeUri, details, jobPut, puts, runSubmitTask, uploadedBlobs, useSubmitSuite, workspaceId } from "./run";

const PIPELINE = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
experiment_name: batch_scoring
settings:
  default_compute: azureml:gpu-cluster
outputs:
  scores:
    type: uri_folder
jobs:
  score_inline:
    type: parallel
    inputs:
      data:
        type: uri_folder
        path: ./images
    outputs:
      scored: \${{parent.outputs.scores}}
    input_data: \${{inputs.data}}
    mini_batch_size: "2"
    error_threshold: 1
    logging_level: INFO
    retry_settings:
      max_retries: 2
      timeout: 30
    resources:
      instance_count: 2
    task:
      type: run_function
      code: ./score
      entry_script: score.py
      program_arguments: --out \${{outputs.scored}}
      environment: azureml:AzureML-sklearn-1.5:1
  score_file:
    type: parallel
    component: ./batch-score.yml
    inputs:
      data: \${{parent.jobs.score_inline.outputs.scored}}
`;

const COMPONENT = `type: parallel
name: batch_score
inputs:
  data:
    type: uri_folder
outputs:
  scored:
    type: uri_folder
input_data: \${{inputs.data}}
mini_batch_size: "1kb"
max_concurrency_per_instance: 2
task:
  type: run_function
  code: ./score
  entry_script: score.py
  environment: azureml:AzureML-sklearn-1.5:1
`;

describe("SubmitAzureMLPipeline task: parallel steps", function () {
  this.timeout(60_000);
  const suite = useSubmitSuite();

  /** Writes the job, its component, code and data under pipelines/parallel/ and returns the job file. */
  async function writeJob(job: string): Promise<string> {
    const dir = path.join(suite.sources, "pipelines", "parallel");
    await fs.promises.mkdir(path.join(dir, "score"), { recursive: true });
    await fs.promises.mkdir(path.join(dir, "images"), { recursive: true });
    await fs.promises.writeFile(path.join(dir, "score", "score.py"), "def init():\n    pass\n\ndef run(batch):\n    return batch\n");
    await fs.promises.writeFile(path.join(dir, "images", "0.txt"), "0\n");
    await fs.promises.writeFile(path.join(dir, "batch-score.yml"), COMPONENT);
    await fs.promises.writeFile(path.join(dir, "job.yml"), job);
    return "pipelines/parallel/job.yml";
  }

  it("submits inline and component-file parallel steps as the CLI does and follows the job to the end", async () => {
    const { emu } = suite;
    const WS = workspaceId(emu);
    const r = await runSubmitTask(emu, { sources: suite.sources, jobFile: await writeJob(PIPELINE) });
    assert.equal(r.result, "Succeeded", details(r));
    const codes = puts(emu, /\/codes\/[^/]+\/versions\/1$/);
    assert.equal(codes.length, 1, "one code folder, shared by both steps");
    const codeId = `${WS}/codes/${codes[0].path.split("/").slice(-3)[0]}/versions/1`;
    const blobs = await uploadedBlobs(containerOfCodeUri(emu, codes[0].body.properties.codeUri));
    assert.ok(
      [...blobs.keys()].some((b) => b.endsWith("/score/score.py")),
      [...blobs.keys()].join(", "),
    );
    const components = puts(emu, /\/components\/azureml_anonymous\/versions\/[^/]+$/).map((p) => ({
      version: p.path.split("/").pop()!,
      spec: p.body.properties.componentSpec,
    }));
    assert.deepEqual(components.map((c) => [c.spec.type, c.spec._source]).sort(), [
      ["parallel", "YAML.COMPONENT"],
      ["parallel", "YAML.JOB"],
    ]);
    const inline = components.find((c) => c.spec._source === "YAML.JOB")!;
    const file = components.find((c) => c.spec._source === "YAML.COMPONENT")!;
    const task = {
      type: "run_function",
      code: `azureml:${codeId}`,
      entry_script: "score.py",
      // A curated environment (AzureML-*) is sent by name, as for command steps (loader/references.ts).
      environment: "azureml:AzureML-sklearn-1.5:1",
    };
    assert.deepEqual(inline.spec, {
      name: "azureml_anonymous",
      version: inline.version,
      type: "parallel",
      inputs: { data: { type: "uri_folder" } },
      outputs: { scored: { type: "uri_folder" } },
      task: { ...task, program_arguments: "--out ${{outputs.scored}}" },
      input_data: "${{inputs.data}}",
      mini_batch_size: "2",
      logging_level: "INFO",
      error_threshold: 1,
      retry_settings: { max_retries: 2, timeout: 30 },
      resources: { instance_count: 2 },
      tags: {},
      is_deterministic: true,
      _source: "YAML.JOB",
    });
    assert.deepEqual([file.spec.name, file.spec.mini_batch_size, file.spec.task], ["azureml_anonymous", "1024", task]);

    const body = jobPut(emu, r.variables["JobName"].value);
    assert.deepEqual(body.jobs.score_inline.componentId, `${WS}/components/azureml_anonymous/versions/${inline.version}`);
    assert.equal(body.jobs.score_inline.type, "parallel");
    assert.deepEqual(body.jobs.score_inline.task, inline.spec.task);
    assert.equal(body.jobs.score_inline.inputs.data.job_input_type, "uri_folder");
    assert.match(body.jobs.score_inline.inputs.data.uri, /^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{32}\/images\/$/);
    assert.deepEqual(
      [body.jobs.score_inline.mini_batch_size, body.jobs.score_inline.retry_settings, body.jobs.score_inline.resources],
      [2, { max_retries: 2, timeout: 30 }, { instance_count: 2 }],
    );
    // The component-file step takes task, input_data, mini_batch_size and max_concurrency from the file.
    assert.deepEqual(body.jobs.score_file, {
      type: "parallel",
      name: "score_file",
      tags: {},
      properties: {},
      _source: "YAML.COMPONENT",
      componentId: `${WS}/components/azureml_anonymous/versions/${file.version}`,
      inputs: { data: { job_input_type: "literal", value: "${{parent.jobs.score_inline.outputs.scored}}" } },
      outputs: {},
      environment_variables: {},
      task,
      input_data: "${{inputs.data}}",
      mini_batch_size: 1024,
      max_concurrency_per_instance: 2,
    });
    const pipeline = emu.ml.job(r.variables["JobName"].value)!;
    assert.equal(pipeline.status, "Completed");
    const step = emu.ml.job(pipeline.children.score_file)!;
    assert.equal(step.properties.codeId, codeId, "the step run carries the task's code");
  });

  it("refuses a parallel step it cannot send before touching the workspace, naming file, line and key", async () => {
    const { emu } = suite;
    const bad = PIPELINE.replace('    mini_batch_size: "2"\n', "    mini_batch_size: 2\n");
    const r = await runSubmitTask(emu, { sources: suite.sources, jobFile: await writeJob(bad) });
    assert.equal(r.result, "Failed", details(r));
    assert.match(
      r.resultMessage ?? "",
      /mini_batch_size at line 19 must be a string, as the CLI reads it: write '2' \(quoted\) instead of 2\. \(.*job\.yml:19/,
    );
    for (const method of ["GET", "PUT", "POST"]) {
      assert.deepEqual(
        emu.requests.filter(method, /\/workspaces\/ml_workspace\//).map((e) => e.path),
        [],
        `no ${method} in the workspace: nothing looked up, uploaded or registered`,
      );
    }
  });
});
