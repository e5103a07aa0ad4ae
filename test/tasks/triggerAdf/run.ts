/** Shared setup for the TriggerADFPipeline e2e files: runs the built task against an emulator. */
import assert from "node:assert/strict";
import type { Emulator } from "../../../devkit/emulator";
import { emulatorConnection, runTask, type AgentRunResult, type ConnectionScheme } from "../../../devkit/harness/agentRunner";
import { visibleOutput } from "../../../devkit/harness/secretScan";

export const TASK = "TriggerADFPipelineV1";
export const FACTORY = "mlops-adf";
export const PIPELINE = "prepare-training-data";

export interface AdfRunOptions {
  scheme?: ConnectionScheme;
  inputs?: Record<string, string>;
  interrupt?: { signal: "SIGINT" | "SIGTERM"; when?: RegExp; afterMs?: number };
  timeoutInMs?: number;
}

export function runAdfTask(emu: Emulator, options: AdfRunOptions = {}): Promise<AgentRunResult> {
  const { connection, env } = emulatorConnection(emu, options.scheme ?? "secret");
  return runTask({
    task: TASK,
    inputs: {
      azureSubscription: connection.id,
      resourceGroupName: emu.resourceGroupName,
      factoryName: FACTORY,
      pipelineName: PIPELINE,
      parameters: "sourceContainer: raw\nsampleFraction: 0.5",
      pollingIntervalSeconds: "1",
      ...options.inputs,
    },
    connection,
    env,
    caCertPath: emu.caCertPath,
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    timeoutInMs: options.timeoutInMs ?? 30_000,
  });
}

/** The run this task started (RunId output), as the emulator sees it. */
export function startedRun(emu: Emulator, r: AgentRunResult) {
  const runId = r.variables["RunId"]?.value;
  assert.ok(runId, `no RunId output; stdout:\n${r.stdout}`);
  assert.equal(r.variables["RunId"].isOutput, true);
  const run = emu.datafactory.run(runId);
  assert.ok(run, `the emulator has no run ${runId}`);
  return run;
}

/** Nothing the emulator considers secret shows up in the task's output. */
export function assertNoSecrets(emu: Emulator, r: AgentRunResult): void {
  const output = visibleOutput(r.stdout + r.stderr) + r.summaries.map((s) => s.content).join("");
  for (const secret of emu.secrets()) {
    assert.ok(!output.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the task output`);
  }
}

export function details(r: AgentRunResult): string {
  return `result ${r.result}: ${r.resultMessage}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}
