import assert from "node:assert/strict";
import { taskLoc } from "../common/taskLibContext.testing";
import { remoteText } from "../common/remoteText";
import { activityTable, failureDetail, summaryMarkdown, type RunReport } from "./runReport";
import { factoryResourceId, pipelineRunUrl } from "./runUrl";

const REPORT: RunReport = {
  resourceGroupName: "ml_rg",
  factoryName: "mlops-adf",
  pipelineName: "prepare-training-data",
  runId: "run-1",
  status: "Failed",
  runUrl: "https://adf.azure.com/en/monitoring/pipelineruns/run-1?factory=x",
  message: "Operation on target CleanAndFeaturize failed",
  durationInMs: 65_000,
  parameters: { sourceContainer: "raw", key: "***" },
  activities: [
    { name: "CopyRawData", type: "Copy", status: "Succeeded", durationInMs: 3000, error: "" },
    { name: "CleanAndFeaturize", type: "DatabricksNotebook", status: "Failed", durationInMs: 5000, error: "3204: Job | failed" },
  ],
};

describe("TriggerADFPipeline run report", () => {
  const loc = taskLoc("TriggerADFPipelineV1");

  it("builds the ADF Studio link from the studio host and the URL-encoded factory id", () => {
    const id = factoryResourceId("sub", "ml_rg", "mlops-adf");
    assert.equal(
      pipelineRunUrl("https://adf.azure.us/", "a b", id),
      "https://adf.azure.us/en/monitoring/pipelineruns/a%20b?factory=%2Fsubscriptions%2Fsub%2FresourceGroups%2Fml_rg%2Fproviders%2FMicrosoft.DataFactory%2Ffactories%2Fmlops-adf",
    );
  });

  it("tables activities with name, type, status, duration and error", () => {
    const lines = activityTable(REPORT.activities, loc).split("\n");
    assert.match(lines[0], /^Activity\s+Type\s+Status\s+Duration\s+Error$/);
    assert.match(lines[2], /^CopyRawData\s+Copy\s+Succeeded\s+3s$/);
    assert.match(lines[3], /^CleanAndFeaturize\s+DatabricksNotebook\s+Failed\s+5s\s+3204: Job \| failed$/);
  });

  it("writes a Markdown summary with the link, parameters and activities", () => {
    const md = summaryMarkdown(REPORT, loc);
    assert.match(md, /\*\*Status:\*\* Failed · 1m 05s · \[run-1\]\(https:\/\/adf\.azure\.com\//);
    assert.match(md, /\| key \| `\*\*\*` \|/);
    assert.match(md, /\| CleanAndFeaturize \| DatabricksNotebook \| Failed \| 5s \| 3204: Job \\\| failed \|/);
  });

  it("explains a failure by its failed activities, else by the run message", () => {
    assert.equal(failureDetail(REPORT, loc), "CleanAndFeaturize (DatabricksNotebook): 3204: Job | failed");
    assert.equal(failureDetail({ activities: [], message: "User cancelled" }, loc), "User cancelled");
  });

  it("keeps remote text on one line and unable to start a logging command", () => {
    assert.equal(remoteText("bad\n##vso[task.complete result=Succeeded]x\r\n##[error]y"), "bad ##vso [task.complete result=Succeeded]x ## [error]y");
    assert.equal(remoteText({ a: 1 }), '{"a":1}');
    assert.equal(remoteText(undefined), "");
  });
});
