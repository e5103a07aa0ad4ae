/** Runs a scenario's task in a world, as the agent runs it, against the emulator. */
import type { Emulator } from "../../devkit/emulator";
import { emulatorConnection, runTask, type AgentRunOptions, type AgentRunResult, type ConnectionScheme } from "../../devkit/harness/agentRunner";
import type { TaskScenario } from "./scenarios";
import type { World } from "./worlds";

export interface ScenarioRunOptions {
  /** System.DefaultWorkingDirectory (makeSources()). */
  sources: string;
  scheme?: ConnectionScheme;
  /** Merged over the scenario's inputs (an empty string removes an input). */
  inputs?: Record<string, string>;
  variables?: Record<string, string>;
  interrupt?: AgentRunOptions["interrupt"];
  timeoutInMs?: number;
}

export function runScenario(emu: Emulator, scenario: TaskScenario, w: World, options: ScenarioRunOptions): Promise<AgentRunResult> {
  const { connection, env } = emulatorConnection(emu, options.scheme ?? "secret");
  const inputs: Record<string, string> = { azureSubscription: connection.id, ...scenario.inputs(emu, w), ...options.inputs };
  for (const [k, v] of Object.entries(inputs)) if (v === "") delete inputs[k];
  return runTask({
    task: scenario.task,
    inputs,
    connection,
    env,
    caCertPath: emu.caCertPath,
    variables: { "System.DefaultWorkingDirectory": options.sources, ...options.variables },
    timeoutInMs: options.timeoutInMs ?? 60_000,
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
  });
}

/** Result, message and the tail of the output, for assertion messages. */
export function describeRun(r: AgentRunResult, tail = 4000): string {
  const out = r.stdout.length > tail ? `…${r.stdout.slice(-tail)}` : r.stdout;
  return `result ${r.result} (exit ${r.exitCode}${r.timedOut ? ", killed at the harness timeout" : ""}, ${Math.round(r.durationMs)} ms): ${r.resultMessage ?? "-"}\nstdout:\n${out}\nstderr:\n${r.stderr.slice(-2000)}`;
}
