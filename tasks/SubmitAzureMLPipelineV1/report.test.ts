import assert from "node:assert/strict";
import type { RunDetails } from "../common/azureml/runHistory";
import { JobState } from "./jobState";
import type { JobResource } from "./jobsRest";
import { taskLoc } from "../common/taskLibContext.testing";
import { outputUris, stepTable, studioUrl, summaryMarkdown, verdict } from "./report";
import { changeLine } from "./watch";

const loc = taskLoc("SubmitAzureMLPipelineV1");

function pipeline(status: string, extra: Partial<JobResource["properties"]> = {}): JobResource {
  return { name: "job1", properties: { jobType: "Pipeline", status, jobs: { prep: {}, train: {} }, ...extra } };
}
/** A step run as run history lists it (display name = node name; times unknown: observed times are used). */
function child(node: string, status: string, error?: string): RunDetails {
  return {
    runId: `0000000${node.length}-0000-4000-8000-${node.padStart(12, "0").slice(-12)}`,
    parentRunId: "job1",
    displayName: node,
    status,
    error: error ? { error: { code: "UserError", message: error } } : null,
  };
}

/** A JobState after the given polls (the job, its step runs, and its own run details when given); the clock advances 1 s per poll. */
function observe(polls: [JobResource, Record<string, RunDetails>, RunDetails?][]): JobState {
  let t = 0;
  const state = new JobState("job1", () => (t += 1000));
  for (const [job, children, run] of polls) {
    state.update(job, Object.values(children));
    if (run) state.setRun(run);
  }
  return state;
}

describe("SubmitAzureMLPipeline: job state, verdict and report", () => {
  it("records only changes, with observed durations", () => {
    let t = 0;
    const state = new JobState("job1", () => (t += 1000));
    assert.deepEqual(state.update(pipeline("Running"), [child("prep", "Running")]), [
      { node: "prep", status: "Running", durationInMs: undefined },
      { status: "Running", durationInMs: undefined },
    ]);
    assert.deepEqual(state.update(pipeline("Running"), [child("prep", "Running")]), [], "nothing changed");
    const changes = state.update(pipeline("Running"), [child("prep", "Completed"), child("train", "Queued")]);
    assert.deepEqual(changes, [
      { node: "prep", status: "Completed", durationInMs: 2000 },
      { node: "train", status: "Queued", durationInMs: undefined },
    ]);
    assert.deepEqual(
      state.openSteps().map((s) => s.node),
      ["train"],
    );
    assert.equal(changeLine(changes, "job1", 65_000), "[01:05] prep: Completed (2s) · train: Queued");
  });

  it("Completed → Succeeded; a failed step → Failed with the step's error", () => {
    const ok = observe([[pipeline("Completed"), { prep: child("prep", "Completed"), train: child("train", "Completed") }]]);
    assert.deepEqual(verdict(ok, loc), { result: "Succeeded" });
    const failed = observe([
      [
        pipeline("Failed"),
        { prep: child("prep", "Completed"), train: child("train", "Failed", "OOM") },
        { runId: "job1", error: { error: { message: "Pipeline has failed child jobs." } } },
      ],
    ]);
    assert.deepEqual(verdict(failed, loc), { result: "Failed", message: "Azure ML job 'job1' failed. Step 'train' failed: OOM" });
    const noSteps = observe([
      [
        { name: "job1", properties: { jobType: "Command", status: "Failed" } },
        {},
        { runId: "job1", status: "Failed", error: { error: { code: "UserError", message: "exit 1" } } },
      ],
    ]);
    assert.deepEqual(verdict(noSteps, loc), { result: "Failed", message: "Azure ML job 'job1' failed. exit 1" });
    const canceled = observe([[pipeline("Canceled"), {}]]);
    assert.equal(verdict(canceled, loc).result, "Failed");
  });

  it("continue_on_step_failure: a completed pipeline with failed steps succeeds with issues; without it, it fails", () => {
    const withSetting = observe([
      [
        pipeline("Completed", { settings: { continue_on_step_failure: true } }),
        { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") },
      ],
    ]);
    assert.deepEqual(verdict(withSetting, loc), {
      result: "SucceededWithIssues",
      message: "Azure ML job 'job1' completed, but some steps failed (settings.continue_on_step_failure is on). Step 'prep' failed: bad data",
    });
    const without = observe([[pipeline("Completed"), { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") }]]);
    assert.equal(verdict(without, loc).result, "Failed");
    const failedWith = observe([
      [pipeline("Failed", { settings: { continue_on_step_failure: true } }), { prep: child("prep", "Failed", "bad data"), train: child("train", "Completed") }],
    ]);
    assert.match((verdict(failedWith, loc) as { message: string }).message, /Steps that still completed \(continue_on_step_failure\): train\.$/);
  });

  it("outputs, studio link, table and Markdown summary", () => {
    const state = observe([
      [pipeline("Running"), { prep: child("prep", "Running") }],
      [
        pipeline("Completed", {
          outputs: { best_model: { uri: "azureml://datastores/workspaceblobstore/paths/azureml/job1_train/m/" }, report: { uri: null } },
        }),
        { prep: child("prep", "Completed"), train: child("train", "Completed") },
      ],
    ]);
    assert.deepEqual(outputUris(state), {
      best_model: "azureml://datastores/workspaceblobstore/paths/azureml/job1_train/m/",
      report: "azureml://jobs/job1/outputs/report",
    });
    assert.equal(
      studioUrl("https://ml.azure.com/", "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w", "job1"),
      "https://ml.azure.com/runs/job1?wsid=/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w",
    );
    assert.match(stepTable(state), /^Step\s+Status\s+Duration\s+Error\n[- ]+\nprep\s+Completed\s+1s\s*\ntrain\s+Completed/);
    const md = summaryMarkdown(state, { studioUrl: "https://ml.azure.com/runs/job1" }, loc);
    assert.match(md, /^### Azure ML job job1: Completed/);
    assert.match(md, /\[Open in Azure Machine Learning studio\]\(https:\/\/ml\.azure\.com\/runs\/job1\)/);
    assert.match(md, /\| prep \| Completed \| 1s \|/);
    assert.match(md, /\| best_model \| `azureml:\/\/datastores/);
  });
});

describe("SubmitAzureMLPipeline: steps from run history", () => {
  it("maps step runs to nodes by display name (a node's display_name too) and takes the service's times", () => {
    const job = pipeline("Running", { jobs: { prep: {}, train: { display_name: "Train the model" } } });
    const state = new JobState("job1", () => 0);
    const prep: RunDetails = { ...child("prep", "Completed"), startTimeUtc: "2024-01-01T00:00:00Z", endTimeUtc: "2024-01-01T00:01:30Z" };
    const train: RunDetails = { ...child("x", "Running"), displayName: "Train the model" };
    state.update(job, [prep, train]);
    assert.deepEqual([...state.steps.keys()], ["prep", "train"]);
    assert.equal(state.steps.get("train")!.status, "Running");
    assert.match(stepTable(state), /prep\s+Completed\s+1m 30s/);
  });
});
