import assert from "node:assert/strict";
import type { PipelineResource } from "@azure/arm-datafactory";
import type { InputError } from "../common/errors";
import { taskLoc } from "../common/taskLibContext.testing";
import type { TriggerRequest } from "./request";
import { activityNames, planRun } from "./runPlan";

const PIPELINE = {
  parameters: { sourceContainer: { type: "String" }, key: { type: "SecureString", defaultValue: "" } },
  activities: [
    { name: "CopyRawData", type: "Copy" },
    { name: "EachTable", type: "ForEach", activities: [{ name: "LoadTable", type: "Copy" }] },
    { name: "Branch", type: "IfCondition", ifTrueActivities: [{ name: "Yes", type: "Wait" }], ifFalseActivities: [{ name: "No", type: "Wait" }] },
    {
      name: "Pick",
      type: "Switch",
      cases: [{ value: "a", activities: [{ name: "CaseA", type: "Wait" }] }],
      defaultActivities: [{ name: "Other", type: "Wait" }],
    },
  ],
} as unknown as PipelineResource;

const BASE: TriggerRequest = {
  resourceGroupName: "rg",
  factoryName: "f",
  pipelineName: "prep",
  parameters: {},
  waitForCompletion: true,
  pollingIntervalInMs: 1000,
  timeoutInMs: 0,
  cancelOnStop: true,
  cancelOnTimeout: false,
  failOnStatus: "failedOrCancelled",
};

describe("TriggerADFPipeline run plan", () => {
  const loc = taskLoc("TriggerADFPipelineV1");

  it("checks parameters for a new run and lists the secure ones", () => {
    const plan = planRun({ ...BASE, parameters: { sourceContainer: "raw", key: "k" } }, PIPELINE, loc);
    assert.deepEqual(plan.parameters, { sourceContainer: "raw", key: "k" });
    assert.deepEqual([...plan.secureNames], ["key"]);
    assert.equal(plan.rerun, undefined);
    assert.throws(
      () => planRun(BASE, PIPELINE, loc),
      (e: InputError) => e.inputName === "parameters" && /sourceContainer/.test(e.message),
    );
  });

  it("plans a recovery rerun without parameters (the reference run's are used)", () => {
    const plan = planRun({ ...BASE, rerun: { referencePipelineRunId: "r1", startFromFailure: true } }, PIPELINE, loc);
    assert.deepEqual(plan.rerun, { referencePipelineRunId: "r1", isRecovery: true, startFromFailure: true, startActivityName: undefined });
    assert.deepEqual(plan.parameters, {});
    const fromActivity = planRun({ ...BASE, rerun: { referencePipelineRunId: "r1", startFromFailure: false, startActivityName: "LoadTable" } }, PIPELINE, loc);
    assert.equal(fromActivity.rerun?.startActivityName, "LoadTable");
  });

  it("refuses parameters with a rerun, two start points, and an unknown start activity", () => {
    assert.throws(
      () => planRun({ ...BASE, parameters: { sourceContainer: "x" }, rerun: { referencePipelineRunId: "r1", startFromFailure: false } }, PIPELINE, loc),
      (e: InputError) => e.inputName === "parameters" && /rerun of run r1 uses that run's parameters/.test(e.message),
    );
    assert.throws(
      () => planRun({ ...BASE, rerun: { referencePipelineRunId: "r1", startFromFailure: true, startActivityName: "CopyRawData" } }, PIPELINE, loc),
      (e: InputError) => e.inputName === "startActivityName",
    );
    assert.throws(
      () => planRun({ ...BASE, rerun: { referencePipelineRunId: "r1", startFromFailure: false, startActivityName: "Nope" } }, PIPELINE, loc),
      (e: InputError) =>
        e.inputName === "startActivityName" && /'Nope' is not an activity of pipeline 'prep' \(activities: CopyRawData, EachTable, LoadTable/.test(e.message),
    );
  });

  it("finds activities nested in ForEach, If and Switch", () => {
    assert.deepEqual(activityNames(PIPELINE.activities ?? []).sort(), [
      "Branch",
      "CaseA",
      "CopyRawData",
      "EachTable",
      "LoadTable",
      "No",
      "Other",
      "Pick",
      "Yes",
    ]);
  });
});
