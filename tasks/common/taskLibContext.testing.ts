/**
 * In-process task-lib for unit tests of tasks/common: loads the shared messages (as the build
 * merges them into each task.json) and lets a test set inputs and variables the way the agent
 * passes them (task-lib moves INPUT_* into its vault when it loads, so they are reloaded here).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { commonMessagesPath } from "../../scripts/build";
import { findRepoRoot } from "../../devkit/repoRoot";
import { toEnvironmentName } from "../../devkit/harness/agentEnvironment";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const internal = require("azure-pipelines-task-lib/internal") as { _loadData(): void };

let resourceDir: string | undefined;

export function useCommonMessages(): void {
  if (!resourceDir) {
    const repoRoot = findRepoRoot(__dirname);
    resourceDir = fs.mkdtempSync(path.join(os.tmpdir(), "common-loc-"));
    const messages = JSON.parse(fs.readFileSync(commonMessagesPath(repoRoot), "utf8"));
    fs.writeFileSync(path.join(resourceDir, "task.json"), JSON.stringify({ messages }));
  }
  tl.setResourcePath(path.join(resourceDir, "task.json"));
}

/** Replaces the task's inputs and variables (names as in task.json / the pipeline). */
export function setTaskEnvironment(inputs: Record<string, string>, variables: Record<string, string> = {}): void {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("INPUT_")) delete process.env[key];
  }
  for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${toEnvironmentName(name)}`] = value;
  for (const [name, value] of Object.entries(variables)) process.env[toEnvironmentName(name)] = value;
  internal._loadData();
}
