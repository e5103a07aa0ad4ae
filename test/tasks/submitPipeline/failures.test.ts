/**
 * SubmitAzureMLPipeline, built and run as the agent runs it: how jobs end (failing step, continue on
 * step failure, cancelled, timeout, pipeline cancel), the live view of step changes, validation only, and
 * job files the task refuses before submitting anything (unknown compute, missing component file, bad
 * override, YAML syntax error, unsupported key).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import type { AgentRunResult } from "../../../devkit/harness/agentRunner";
import { details, runSubmitTask, sourcesWithSamples } from "./run";

describe("SubmitAzureMLPipeline task: failures, cancellation and refused job files", function () {
  this.timeout(60_000);
  let emu: Emulator;
  let sources: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
    sources = await sourcesWithSamples();
    await fs.promises.mkdir(path.join(sources, "pipelines", "bad"));
  });
  after(async () => {
    await emu?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.reset();
    await emu.ml.blobContainerReady();
  });

  /** Writes a job file under pipelines/bad/ and returns its path relative to the sources. */
  const jobFile = async (name: string, text: string) => {
    await fs.promises.writeFile(path.join(sources, "pipelines", "bad", name), text);
    return `pipelines/bad/${name}`;
  };
  const nothingSubmitted = (r: AgentRunResult) => {
    assert.deepEqual(
      emu.requests.filter("PUT", /\/(jobs|codes|components|environments)\//).map((e) => e.path),
      [],
      "nothing registered or submitted",
    );
    assert.equal(r.variables["JobName"], undefined);
  };
  const jobOf = (r: AgentRunResult) => {
    const name = r.variables["JobName"]?.value;
    assert.ok(name, `no JobName output\n${details(r)}`);
    return emu.ml.job(name)!;
  };

  it("a failing step fails the task with that step's error; the table shows every step", async () => {
    emu.ml.scriptJobs({ failStep: "train", error: { code: "UserError", message: "CUDA out of memory. Tried to allocate 2.00 GiB" } });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml" });
    assert.equal(r.result, "Failed", details(r));
    assert.match(
      r.resultMessage ?? "",
      /^Azure ML job 'azdo_b42_[0-9a-f]{12}' failed\. Step 'train' failed: CUDA out of memory\. Tried to allocate 2\.00 GiB$/,
    );
    assert.equal(r.variables["JobStatus"].value, "Failed");
    assert.equal(jobOf(r).status, "Failed");
    assert.match(r.stdout, /prep\s+Completed/);
    assert.match(r.stdout, /train\s+Failed\s+.*CUDA out of memory/);
    assert.ok(r.variables["StudioUrl"].value.includes(r.variables["JobName"].value));
    assert.match(r.summaries[0]?.content ?? "", /\| train \| Failed \|/);
  });

  it("continue_on_step_failure: independent steps still complete and the verdict names them", async () => {
    const file = await jobFile(
      "two-steps.yml",
      [
        "type: pipeline",
        "experiment_name: train_pipeline",
        "compute: azureml:gpu-cluster",
        "settings:",
        "  continue_on_step_failure: true",
        "jobs:",
        "  fragile:",
        "    type: command",
        "    environment: azureml:AzureML-sklearn-1.5:1",
        "    command: python fragile.py",
        "  sturdy:",
        "    type: command",
        "    environment: azureml:AzureML-sklearn-1.5:1",
        "    command: python sturdy.py",
        "",
      ].join("\n"),
    );
    emu.ml.scriptJobs({ failStep: "fragile", stepDurationsMs: { sturdy: 30_000 } });
    const r = await runSubmitTask(emu, { sources, jobFile: file });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /Step 'fragile' failed: Execution failed\. User process 'python' exited with status code 1/);
    assert.match(r.resultMessage ?? "", /Steps that still completed \(continue_on_step_failure\): sturdy\.$/);
    const job = jobOf(r);
    assert.equal(emu.ml.job(job.children.sturdy)!.status, "Completed");
    assert.match(r.stdout, /sturdy\s+Completed/);
  });

  it("a job canceled in the studio fails the task", async () => {
    emu.ml.scriptJobs({ outcome: "Canceled" });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/local-data.yml" });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /^Azure ML job 'azdo_b42_[0-9a-f]{12}' was canceled/);
    assert.equal(r.variables["JobStatus"].value, "Canceled");
  });

  it("shows one line per status change, not one per poll", async () => {
    emu.ml.scriptJobs({
      phaseDurationsMs: { NotStarted: 100, Queued: 100, Preparing: 100, Finalizing: 100 },
      stepDurationsMs: { prep: 500_000, train: 500_000 },
    });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const lines = r.stdout.split(/\r?\n/).filter((l) => /^\[\d\d:\d\d\] /.test(l));
    assert.ok(
      lines.some((l) => /prep: Running/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /prep: Completed \(\d+s\)/.test(l) || /prep: Completed \(\d+ms\)/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /train: Running/.test(l)),
      lines.join("\n"),
    );
    assert.match(lines[lines.length - 1], /azdo_b42_[0-9a-f]{12}: Completed/);
    const polls = emu.requests.filter("GET", /\/jobs\/azdo_b42_[0-9a-f]{12}$/).length;
    assert.ok(lines.length < polls, `${lines.length} lines for ${polls} polls`);
    for (let i = 1; i < lines.length; i++) assert.notEqual(lines[i].replace(/^\[[^\]]*\] /, ""), lines[i - 1].replace(/^\[[^\]]*\] /, ""), "a line repeats");
  });

  it("wait limit with cancelOnTimeout: fails naming waitTimeoutInMinutes and cancels the job", async () => {
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", inputs: { timeoutInMinutes: "0.03", cancelOnTimeout: "true" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /did not end within waitTimeoutInMinutes \(2s\)/);
    assert.match(r.stdout, /Cancelling job/);
    assert.ok(["CancelRequested", "Canceled"].includes(jobOf(r).status), jobOf(r).status);
    assert.equal(emu.requests.filter("POST", /\/jobs\/azdo_b42_[0-9a-f]{12}\/cancel$/).length, 1);
  });

  it("pipeline cancel (SIGINT): the task is Cancelled and the remote job cancelled", async () => {
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", interrupt: { signal: "SIGINT", when: /Azure ML studio: / } });
    assert.equal(r.result, "Cancelled", details(r));
    assert.equal(r.reportedResult, "Cancelled");
    assert.ok(["CancelRequested", "Canceled"].includes(jobOf(r).status), jobOf(r).status);
    assert.match(r.stdout, /Cancellation of job '.*' requested/);
  });

  it("wait limit without cancelOnTimeout (cancelOnStop on): the job keeps running", async () => {
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", inputs: { timeoutInMinutes: "0.02", cancelOnStop: "true" } });
    assert.equal(r.result, "Failed", details(r));
    assert.equal(jobOf(r).status, "Running");
    assert.equal(emu.requests.filter("POST", /\/cancel$/).length, 0);
  });

  it("validateOnly: resolves and checks everything, submits and uploads nothing", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/local-components.yml", inputs: { validateOnly: "true" } });
    assert.equal(r.result, "Succeeded", details(r));
    assert.match(
      r.stdout,
      /Validation passed: .*local-components\.yml loads, everything it references exists; 3 local upload\(s\) and 3 anonymous component\(s\) would be created/,
    );
    assert.deepEqual(
      emu.requests.filter("PUT", /./).map((e) => e.path),
      [],
    );
    assert.ok(emu.requests.filter("GET", /\/computes\/gpu-cluster$/).length >= 1, "the compute was checked");
    assert.equal(r.variables["JobStatus"].value, "Validated");
  });

  it("an unknown compute is refused before anything is uploaded, naming the YAML line", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml", inputs: { overrides: "compute=azureml:no-such-cluster" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(
      r.resultMessage ?? "",
      /The job uses compute 'no-such-cluster', which does not exist in workspace 'ml_workspace' \(.*inline-steps\.yml:10 compute\)/,
    );
    nothingSubmitted(r);
  });

  it("a registered component that does not exist is refused (validateOnly too)", async () => {
    const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/registered-components.yml", inputs: { validateOnly: "true" } });
    assert.equal(r.result, "Failed", details(r));
    assert.match(
      r.resultMessage ?? "",
      /The job uses component 'prep_data@latest', which does not exist in workspace 'ml_workspace' \(.*registered-components\.yml:15 jobs\.prep\.component\)\. Create or register it/,
    );
    nothingSubmitted(r);
  });

  it("a missing component file names the file and the line", async () => {
    const file = await jobFile(
      "missing-component.yml",
      ["type: pipeline", "compute: azureml:gpu-cluster", "jobs:", "  train:", "    component: ../components/nowhere.yml", ""].join("\n"),
    );
    const r = await runSubmitTask(emu, { sources, jobFile: file });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /nowhere\.yml/);
    assert.match(r.resultMessage ?? "", /missing-component\.yml:5/);
    nothingSubmitted(r);
  });

  it("a bad override names the overrides line", async () => {
    const r = await runSubmitTask(emu, {
      sources,
      jobFile: "pipelines/train-with-overrides.yml",
      inputs: { overrides: "inputs.epochs=50\ninputs.learning_rate" },
    });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /line 2/);
    assert.match(r.resultMessage ?? "", /inputs\.learning_rate/);
    assert.match(r.resultMessage ?? "", /key\.path=value/);
    nothingSubmitted(r);
  });

  it("a YAML syntax error names the line", async () => {
    const file = await jobFile("syntax.yml", ["type: pipeline", "jobs:", "  train:", "    command: python train.py", "   environment: [oops", ""].join("\n"));
    const r = await runSubmitTask(emu, { sources, jobFile: file });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /syntax\.yml:5/);
    nothingSubmitted(r);
  });

  it("an unsupported key is refused with the reason and the line", async () => {
    const file = await jobFile(
      "services.yml",
      [
        "type: pipeline",
        "compute: azureml:gpu-cluster",
        "services:",
        "  my_ssh:",
        "    type: ssh",
        "jobs:",
        "  train:",
        "    type: command",
        "    command: python train.py",
        "    environment: azureml:AzureML-sklearn-1.5:1",
        "",
      ].join("\n"),
    );
    const r = await runSubmitTask(emu, { sources, jobFile: file });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /Key 'services'.* is not supported by this task: job services \(SSH, Jupyter, TensorBoard\) are not supported/);
    assert.match(r.resultMessage ?? "", /services\.yml:3/);
    nothingSubmitted(r);
  });
});
