/**
 * Finding 1 of issue 19, end to end: text from outside (an Azure ML step's error, a deployment's
 * container logs and error) that carries agent logging commands sets nothing. The built tasks
 * run as the agent runs them; the harness parses stdout as the agent does (a `##vso[` command
 * anywhere in a line).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { commandProperty, parseLoggingCommand } from "../../devkit/harness/loggingCommands";
import { baseInputs, runDeploy, seedModels, workFolder } from "../tasks/deployToAks/fixture";
import { details, runSubmitTask, sourcesWithSamples } from "../tasks/submitPipeline/run";

const SET_VARIABLE = "ValueError ##vso[task.setvariable variable=X]v";
const PREPEND_PATH = "\n##vso[task.prependpath]/evil";
const FORMAT = "\r##[error]forged error line";
const HOSTILE = `${SET_VARIABLE}${PREPEND_PATH}${FORMAT}`;

/** What the agent would have done with the hostile text: no X variable, no path, no forged issue. */
function assertNothingInjected(r: AgentRunResult): void {
  const injected = r.commands.filter((c) => c.action === "prependpath" || (c.action === "setvariable" && commandProperty(c, "variable") === "X"));
  assert.deepEqual(injected, [], `injected commands ran:\n${details(r)}`);
  assert.equal(r.variables["X"], undefined);
  const lines = r.stdout.split(/\r\n|\r|\n/);
  assert.deepEqual(
    lines.filter((line) => /^##\[error\]forged/.test(line)),
    [],
    "a forged ##[error] line",
  );
  // Every line that is a logging command is one the task meant: none carries the hostile text before its own `]`.
  for (const line of lines) {
    const command = parseLoggingCommand(line);
    if (command) assert.ok(!/prependpath|variable=X/.test(line.slice(0, line.indexOf("]") + 1)), `forged command line: ${line}`);
  }
  assert.ok(
    r.stdout.includes("task.setvariable variable=X]v") || r.stdout.includes("##vso [task.setvariable variable=X]v"),
    "the hostile text was shown, neutralised",
  );
}

describe("issue 19 finding 1: remote text cannot issue agent commands (tasks run as the agent runs them)", function () {
  this.timeout(120_000);
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => emu?.stop());
  beforeEach(async () => {
    await emu.reset();
    assert.ok(await emu.ml.blobContainerReady());
  });

  it("SubmitAzureMLPipeline: a failed step's error with ##vso commands and line breaks sets nothing", async () => {
    const sources = await sourcesWithSamples();
    try {
      emu.ml.scriptJobs({ failStep: "train", error: { code: "UserError", message: HOSTILE } });
      const r = await runSubmitTask(emu, { sources, jobFile: "pipelines/inline-steps.yml" });
      assert.equal(r.result, "Failed", details(r));
      assert.match(r.resultMessage ?? "", /Step 'train' failed: ValueError/);
      assertNothingInjected(r);
      assert.match(r.stdout, /train\s+Failed\s+.*ValueError ##vso \[task\.setvariable/, "the step table shows the error on its row, neutralised");
    } finally {
      await fs.promises.rm(sources, { recursive: true, force: true });
    }
  });

  it("DeployToAKS: a failed deployment's container logs and error with ##vso commands set nothing", async () => {
    seedModels(emu);
    const workDir = workFolder();
    try {
      emu.ml.scriptDeployments({
        durationMs: 2000,
        fail: {
          code: "ResourceNotReady",
          message: HOSTILE,
          logs: [`2025-01-01T00:00:00Z | ERROR | ${SET_VARIABLE}`, PREPEND_PATH, FORMAT, "##vso[task.complete result=Succeeded]done"],
        },
      });
      const r = await runDeploy(emu, baseInputs("blue"), { workDir });
      assert.equal(r.result, "Failed", r.stdout);
      assert.deepEqual(
        r.commands.filter((c) => c.action === "complete" && commandProperty(c, "result") === "Succeeded"),
        [],
        "a forged task.complete",
      );
      assertNothingInjected(r);
      assert.match(r.stdout, /##\[group\]Logs of deployment 'blue' \(InferenceServer\)[\s\S]*##vso \[task\.prependpath\]\/evil[\s\S]*##\[endgroup\]/);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
});
