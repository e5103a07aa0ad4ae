/**
 * Runs one L0 case through task-lib's MockTestRunner, on this machine's Node. MockTestRunner would
 * otherwise download the Node of the task's highest handler (Node24 here) from nodejs.org: with
 * `nodePath` set, runAsync() spawns that binary instead (mock-test.js: runAsync only resolves a
 * Node when nodePath is empty or a version is passed). This Node (20) is the task's Node20_1 handler.
 */
import * as path from "node:path";
import { MockTestRunner } from "azure-pipelines-task-lib/mock-test";
import { commandFromString } from "azure-pipelines-task-lib/taskcommand";
import { type StepOptions, agentStep } from "./agentStep";
import { L0_CASE_VARIABLE, NETWORK_MARKER, WATCHDOG_MARKER, type L0TaskName } from "./l0Case";
import { type UnbundledTask, unbundledTask } from "./unbundledTask";

const RUNNER = path.join(__dirname, "runs", "taskRun.js");

export interface L0Outcome {
  tr: MockTestRunner;
  /** `task.complete` result (Succeeded, Failed, ...), undefined when the run never reported one. */
  result?: string;
  resultMessage?: string;
  /** host:port of the first connection the task tried to open (the guard ends the run there). */
  network: string[];
  /** Names of the variables the task set (`task.setvariable`). */
  variables: string[];
  /** `task.uploadsummary` commands. */
  summaries: number;
  /** Set when the watchdog stopped a run that hung. */
  hung: boolean;
}

/** The task must have a handler for this Node (Node20_1 on Node 20), or the run would not be the agent's. */
function checkHandler(task: UnbundledTask): void {
  const major = process.versions.node.split(".")[0];
  if (!task.handlers.some((h) => new RegExp(`^Node${major}(_\\d+)?$`).test(h))) {
    throw new Error(`${task.name} has no handler for Node ${major} (it has ${task.handlers.join(", ")}): run the L0 tests on one of those.`);
  }
}

export async function runL0(taskName: L0TaskName, options: StepOptions): Promise<L0Outcome> {
  const task = unbundledTask(taskName);
  checkHandler(task);
  const l0 = agentStep(task, options);
  const tr = new MockTestRunner(RUNNER);
  tr.nodePath = process.execPath;
  process.env[L0_CASE_VARIABLE] = JSON.stringify(l0);
  try {
    await tr.runAsync();
  } finally {
    delete process.env[L0_CASE_VARIABLE];
  }
  return parseOutcome(tr);
}

function parseOutcome(tr: MockTestRunner): L0Outcome {
  const outcome: L0Outcome = { tr, network: [], variables: [], summaries: 0, hung: false };
  for (const line of tr.stdout.split(/\r?\n/)) {
    if (line.startsWith(NETWORK_MARKER)) outcome.network.push(line.slice(NETWORK_MARKER.length).trim());
    if (line.startsWith(WATCHDOG_MARKER)) outcome.hung = true;
    const at = line.indexOf("##vso[");
    if (at < 0) continue;
    // The same parser MockTestRunner uses (it unescapes the message and properties).
    const command = commandFromString(line.slice(at));
    if (command.command === "task.complete") {
      outcome.result = command.properties["result"];
      outcome.resultMessage = command.message.trim();
    }
    if (command.command === "task.setvariable") outcome.variables.push(command.properties["variable"] ?? "");
    if (command.command === "task.uploadsummary") outcome.summaries++;
  }
  return outcome;
}
