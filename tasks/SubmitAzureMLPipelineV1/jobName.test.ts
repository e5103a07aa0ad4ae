import assert from "node:assert/strict";
import { STEP_RUN_PROPERTY, stepJobName, submittedByStep, type StepIdentity } from "./jobName";

const STEP: StepIdentity = {
  collection: "c0ffee00-0000-4000-8000-000000000001",
  projectId: "6f1d2c1e-2a6b-4c52-9d0e-3a4b5c6d7e8f",
  buildId: "42",
  stageName: "train",
  phaseName: "submit",
  jobName: "submit",
  taskInstanceId: "0f5c2a1e-6b7d-4c8e-9f0a-1b2c3d4e5f60",
  taskInstanceName: "SubmitAzureMLPipeline1",
};

describe("SubmitAzureMLPipeline: job name of a build step", () => {
  it("is a valid job name, the same for every attempt of the step", () => {
    const name = stepJobName(STEP)!;
    assert.match(name, /^azdo_b42_[0-9a-f]{12}$/);
    assert.equal(stepJobName({ ...STEP }), name, "nothing attempt-specific is part of it");
  });

  it("differs between builds, stages, jobs, steps and releases", () => {
    const name = stepJobName(STEP);
    const others = [
      { ...STEP, buildId: "43" },
      { ...STEP, stageName: "retrain" },
      { ...STEP, jobName: "submit_leg2" },
      { ...STEP, taskInstanceId: "11111111-6b7d-4c8e-9f0a-1b2c3d4e5f60" },
      { ...STEP, projectId: "7f1d2c1e-2a6b-4c52-9d0e-3a4b5c6d7e8f" },
      { ...STEP, releaseId: "9", releaseEnvironmentId: "3" },
    ].map(stepJobName);
    assert.equal(new Set([name, ...others]).size, others.length + 1);
    assert.match(stepJobName({ ...STEP, releaseId: "9" })!, /^azdo_r9_/);
  });

  it("is undefined outside a build or release", () => {
    assert.equal(stepJobName({ ...STEP, buildId: undefined }), undefined);
    assert.equal(stepJobName({ ...STEP, buildId: "4 2" }), undefined);
  });
});

describe("SubmitAzureMLPipeline: which step submitted a job", () => {
  it("only the step whose name is in the job's step property submitted it", () => {
    const ours = stepJobName(STEP)!;
    assert.equal(submittedByStep({ [STEP_RUN_PROPERTY]: ours }, ours), true);
    assert.equal(submittedByStep({ [STEP_RUN_PROPERTY]: ours }, stepJobName({ ...STEP, buildId: "43" })), false);
    assert.equal(submittedByStep({}, ours), false);
    assert.equal(submittedByStep(undefined, ours), false);
    assert.equal(submittedByStep({ [STEP_RUN_PROPERTY]: ours }, undefined), false, "outside a build nothing is attached to");
    assert.equal(submittedByStep(Object.create({ [STEP_RUN_PROPERTY]: ours }) as Record<string, string>, ours), false, "own properties only");
  });
});
