/**
 * The mock-run script of every L0 case (task-lib's TaskMockRunner convention, with the scenario
 * read from MLOPS_L0_CASE instead of one script per case). It runs the task's unbundled entry,
 * out/tasks/<Task>/index.js, with azure-pipelines-task-lib/task replaced by mock-task.
 *
 * mock-task's loc() answers "loc_mock_<key> <args>" and its setResourcePath does nothing; the real
 * two are put back, so the run reads the merged task.json next to the entry (unbundledTask.ts
 * writes it) and prints the messages a user would see — and a missing key shows up as task-lib's
 * "Can't find loc string" warning.
 */
import * as fs from "node:fs";
import { TaskMockRunner } from "azure-pipelines-task-lib/mock-run";
import { L0_CASE_VARIABLE, WATCHDOG_MARKER, type L0Case } from "../l0Case";
import { installNetworkGuard } from "./networkGuard";

/** A run that neither finishes nor touches the network by then is stopped (spawnSync has no timeout). */
const WATCHDOG_IN_MS = 20_000;
const WATCHDOG_EXIT_CODE = 97;
/**
 * What the agent sets for a step, and what would send the SDKs elsewhere (proxy variables, a managed
 * identity endpoint): inherited values of these would leak the parent's context into the case.
 */
const AGENT_VARIABLE = /^(INPUT_|ENDPOINT_|SECRET_|SECUREFILE_|VSTS_|SYSTEM_|BUILD_|RELEASE_|AGENT_|IDENTITY_|MSI_)|^(HTTPS?_PROXY|NO_PROXY|ALL_PROXY)$/i;

function readCase(): L0Case {
  const json = process.env[L0_CASE_VARIABLE];
  if (!json) throw new Error(`${L0_CASE_VARIABLE} is not set: this script is started by test/l0/mockTest.ts.`);
  return JSON.parse(json) as L0Case;
}

const l0 = readCase();
for (const key of Object.keys(process.env)) {
  if (AGENT_VARIABLE.test(key) || key === L0_CASE_VARIABLE) delete process.env[key];
}
Object.assign(process.env, l0.env);

installNetworkGuard();
setTimeout(() => {
  fs.writeSync(1, `\n${WATCHDOG_MARKER} no result after ${WATCHDOG_IN_MS} ms\n`);
  process.exit(WATCHDOG_EXIT_CODE);
}, WATCHDOG_IN_MS).unref();

const tmr = new TaskMockRunner(l0.entryPath);
for (const [name, value] of Object.entries(l0.inputs)) tmr.setInput(name, value);

// Loaded after the inputs are set: task-lib moves INPUT_*/ENDPOINT_AUTH_* into its vault when it loads.
// mock-task requires the same module ("./task"), so both share one vault and one string table.
const realTaskLib = require("azure-pipelines-task-lib/task") as typeof import("azure-pipelines-task-lib/task");
tmr.registerMockExport("setResourcePath", realTaskLib.setResourcePath);
tmr.registerMockExport("loc", realTaskLib.loc);
tmr.run();
