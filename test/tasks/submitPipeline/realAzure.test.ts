/**
 * SubmitAzureMLPipeline against what Azure ML really does (issue 14), built and run as the agent runs it:
 * steps, their status, durations and errors come from the workspace's run history (ARM answers a step's
 * identity only); pipeline PUTs carry x-azureml-token for https://ml.azure.com; a deduplicated anonymous
 * component's existing id goes into the job; a workspace whose discovery fails is a clear error.
 */
import assert from "node:assert/strict";
import { details, jobPut, puts, runSubmitTask, useSubmitSuite } from "./run";

describe("SubmitAzureMLPipeline task on the real Azure ML behaviour (run history, tokens, dedupe)", function () {
  this.timeout(60_000);
  const suite = useSubmitSuite();

  it("three steps, one failing: each step's status and the failing step's error text come from run history", async () => {
    suite.emu.ml.scriptJobs({ failStep: "train", error: { code: "UserError", message: "ValueError: learning rate must be positive" } });
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/local-components.yml" });
    assert.equal(r.result, "Failed", details(r));
    assert.match(r.resultMessage ?? "", /Step 'train' failed: ValueError: learning rate must be positive/);
    assert.match(r.stdout, /prep\s+Completed\s+\S+/);
    assert.match(r.stdout, /train\s+Failed\s+\S+.*ValueError: learning rate must be positive/);
    assert.match(r.stdout, /evaluate\s+Canceled/);
    const jobName = r.variables["JobName"].value;
    const job = suite.emu.ml.job(jobName)!;
    // Steps are GUID-named runs; the task read them from run history, never through ARM.
    for (const step of Object.values(job.children)) assert.match(step, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    assert.ok(suite.emu.requests.filter("GET", new RegExp(`^/history/v1\\.0/.*/runs/${jobName}/children$`)).length > 0, "children read from run history");
    assert.ok(suite.emu.requests.filter("GET", /^\/_azureml\/discovery$/).length > 0, "run history found through the discovery document");
    const stepIds = new Set(Object.values(job.children));
    assert.deepEqual(
      suite.emu.requests.filter("GET", /\/jobs\/[^/]+$/).filter((e) => stepIds.has(e.path.split("/").pop()!)),
      [],
      "no ARM GET of a step",
    );
  });

  it("the pipeline PUT carries x-azureml-token for https://ml.azure.com (checked by the service)", async () => {
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/inline-steps.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    const checks = suite.emu.ml.jobTokenChecks();
    assert.deepEqual(
      checks.map((c) => ({ job: c.job, accepted: c.accepted, audience: c.audience?.replace(/\/$/, "") })),
      [{ job: r.variables["JobName"].value, accepted: true, audience: "https://ml.azure.com" }],
    );
    assert.ok(
      r.secrets.some((s) => s.split(".").length === 3),
      "the token was registered with task.setsecret",
    );
  });

  it("an identical anonymous component already registered under another version: the job uses the id the service returns", async () => {
    // First run: learn the component specs the task sends (content-hashed versions).
    const first = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/local-components.yml", buildId: "1" });
    assert.equal(first.result, "Succeeded", details(first));
    const sent = puts(suite.emu, /\/components\/azureml_anonymous\/versions\/[^/]+$/);
    assert.equal(sent.length, 3);
    // A workspace where the same content exists under other version names (registered by older clients).
    await suite.emu.reset();
    await suite.emu.ml.blobContainerReady();
    sent.forEach((p, i) => suite.emu.ml.seedAsset("components", "azureml_anonymous", `existing-${i}`, { ...p.body.properties, isAnonymous: true }));
    const second = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/local-components.yml", buildId: "2" });
    assert.equal(second.result, "Succeeded", details(second));
    const body = jobPut(suite.emu, second.variables["JobName"].value);
    const ids = Object.values(body.jobs as Record<string, { componentId: string }>).map((n) => n.componentId);
    assert.deepEqual(ids.map((id) => id.split("/").pop()).sort(), ["existing-0", "existing-1", "existing-2"]);
  });

  it("a workspace whose discovery document cannot be read: a clear error naming the workspace", async () => {
    suite.emu.ml.setDiscoveryFailure(404);
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/inline-steps.yml" });
    assert.equal(r.result, "Failed", details(r));
    assert.match(
      r.resultMessage ?? "",
      /Cannot read the run history of workspace 'ml_workspace'.*discovery document https:\/\/127\.0\.0\.1:\d+\/_azureml\/discovery could not be read \(HTTP 404\)/,
    );
  });

  it("rides out transient failures of the discovery document (429, 500, a reset) like every other call", async () => {
    for (const kind of ["throttle", "500", "reset"] as const) suite.emu.faults.add({ method: "GET", path: /^\/_azureml\/discovery$/, kind });
    const r = await runSubmitTask(suite.emu, { sources: suite.sources, jobFile: "pipelines/inline-steps.yml" });
    assert.equal(r.result, "Succeeded", details(r));
    assert.ok(suite.emu.requests.filter("GET", /^\/_azureml\/discovery$/).length >= 4, "the discovery document was asked again after each failure");
  });
});
