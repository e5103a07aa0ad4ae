import assert from "node:assert/strict";
import { JobState } from "./jobState";
import type { JobResource } from "./jobsRest";
import { taskLoc } from "./loc.testing";
import { outputUris, stepTable, studioUrl, summaryMarkdown, verdict } from "./report";
import { changeLine } from "./watch";

const loc = taskLoc();

function pipeline(status: string, extra: Partial<JobResource["properties"]> = {}): JobResource {
  return { name: "job1", properties: { jobType: "Pipeline", status, jobs: { prep: {}, train: {} }, ...extra } };
}
function child(node: string, status: string, error?: string): JobResource {
  return {
    name: `job1_${node}`,
    properties: { jobType: "Command", status, properties: error ? { "azureml.error.code": "UserError", "azureml.error.message": error } : {} },
  };
}

/** A JobState after the given polls; the clock advances 1 s per poll. */
function observe(polls: [JobResource, Record<string, JobResource>][]): JobState {
  let t = 0;
  const state = new JobState("job1", () => (t += 1000));
  for (const [job, children] of polls) state.update(job, new Map(Object.entries(children)));
  return state;
}

describe("SubmitAzureMLPipeline: job state, verdict and report", () => {
  it("records only changes, with observed durations", () => {
    let t = 0;
    const state = new JobState("job1", () => (t += 1000));
    assert.deepEqual(state.update(pipeline("Running"), new Map([["prep", child("prep", "Running")]])), [{ node: "prep", status: "Running", durationInMs: undefined }, { status: "Running", durationInMs: undefined }]);
    assert.deepEqual(state.update(pipeline("Running"), new Map([["prep", child("prep", "Running")]])), [], "nothing changed");
    const changes = state.update(pipeline("Running"), new Map([["prep", child("prep", "Completed")], ["train", child("train", "Queued")]]));
    assert.deepEqual(changes, [{ node: "prep", status: "Completed", durationInMs: 2000 }, { node: "train", status: "Queued", durationInMs: undefined }]);
    assert.deepEqual(state.openSteps().map((s) => s.node), ["train"]);
    assert.equal(changeLine(changes, "job1", 65_000), "[01:05] prep: Completed (2s) · train: Queued");
  });

  it("Completed → Succeeded; a failed step → Failed with the step's error", () => {
    const ok = observe([[pipeline("Completed"), { prep: child("prep", "Completed"), train: child("train", "Completed") }]]);
    assert.deepEqual(verdict(ok, loc), { result: "Succeeded" });
    const failed = observe([[pipeline("Failed", { properties: { "azureml.error.message": "Pipeline has failed child jobs." } }), { prep: child("prep", "Completed"), train: child("train", "Failed", "OOM") }]]);
    assert.deepEqual(verdict(failed, loc), { result: "Failed", message: "Azure ML job 'job1' failed. Step 'train' failed: OOM" });
    const noSteps = observe([[{ name: "job1", properties: { jobType: "Command", status: "Failed", properties: { "azureml.error.message": "exit 1" } } }, {}]]);
    assert.deepEqual(verdict(noSteps, loc), { result: "Failed", message: "Azure ML job 'job1' failed. exit 1" });
    const canceled = observe([[pipeline("Canceled"), {}]]);
    assert.equal(verdict(canceled, loc).result, "Failed");
  });

  it("continue_on_step_failure: a completed pipeline with failed steps succeeds with issues; without it, it fails", () => {
    const withSetting = observe([[pipeline("Completed", { settings: { continue_on_step_failure: true } }), { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") }]]);
    assert.deepEqual(verdict(withSetting, loc), {
      result: "SucceededWithIssues",
      message: "Azure ML job 'job1' completed, but some steps failed (settings.continue_on_step_failure is on). Step 'prep' failed: bad data",
    });
    const without = observe([[pipeline("Completed"), { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") }]]);
    assert.equal(verdict(without, loc).result, "Failed");
    const failedWith = observe([[pipeline("Failed", { settings: { continue_on_step_failure: true } }), { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") }]]);
    assert.match((verdict(failedWith, loc) as { message: string }).message, /Steps that still completed \(continue_on_step_failure\): train\.$/);
  });

  it("outputs, studio link, table and Markdown summary", () => {
    const state = observe([
      [pipeline("Running"), { prep: child("prep", "Running") }],
      [pipeline("Completed", { outputs: { best_model: { uri: "azureml://datastores/workspaceblobstore/paths/azureml/job1_train/m/" }, report: { uri: null } } }), { prep: child("prep", "Completed"), train: child("train", "Completed") }],
    ]);
    assert.deepEqual(outputUris(state), { best_model: "azureml://datastores/workspaceblobstore/paths/azureml/job1_train/m/", report: "azureml://jobs/job1/outputs/report" });
    assert.equal(studioUrl("https://ml.azure.com/", "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w", "job1"), "https://ml.azure.com/runs/job1?wsid=/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w");
    assert.match(stepTable(state), /^Step\s+Status\s+Duration\s+Error\n[- ]+\nprep\s+Completed\s+1s\s*\ntrain\s+Completed/);
    const md = summaryMarkdown(state, { studioUrl: "https://ml.azure.com/runs/job1" }, loc);
    assert.match(md, /^### Azure ML job job1: Completed/);
    assert.match(md, /\[Open in Azure Machine Learning studio\]\(https:\/\/ml\.azure\.com\/runs\/job1\)/);
    assert.match(md, /\| prep \| Completed \| 1s \|/);
    assert.match(md, /\| best_model \| `azureml:\/\/datastores/);
  });
});
