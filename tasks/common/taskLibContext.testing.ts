/**
 * In-process task-lib for unit tests: `taskLoc` words messages as the built task does (the task's
 * task.json `messages` plus the shared ones the build merges in, formatted as task-lib does) without
 * setting task-lib's resource path, so no test depends on which one ran before; `setTaskEnvironment`
 * sets inputs and variables the way the agent passes them (task-lib moves INPUT_* into its vault when
 * it loads, so they are reloaded here).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import { commonMessagesPath } from "../../scripts/build";
import { findRepoRoot } from "../../devkit/repoRoot";
import { toEnvironmentName } from "../../devkit/harness/agentEnvironment";
import type { Loc } from "./loc";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const internal = require("azure-pipelines-task-lib/internal") as { _loadData(): void };

/**
 * The Loc of task `taskName` (its folder, e.g. "TriggerADFPipelineV1"), or of the shared messages
 * alone when none is named. A key the messages do not hold fails the test.
 */
export function taskLoc(taskName?: string): Loc {
  const repoRoot = findRepoRoot(__dirname);
  const common = JSON.parse(fs.readFileSync(commonMessagesPath(repoRoot), "utf8")) as Record<string, string>;
  const own = taskName
    ? (JSON.parse(fs.readFileSync(path.join(repoRoot, "tasks", taskName, "task.json"), "utf8")) as { messages: Record<string, string> }).messages
    : {};
  const messages: Record<string, string> = { ...own, ...common };
  return (key, ...params) => {
    if (!Object.hasOwn(messages, key)) throw new Error(`loc key ${key} is not in the messages of ${taskName ?? "tasks/common"}`);
    // As task-lib's loc: formatted only when there are parameters.
    return params.length > 0 ? format(messages[key], ...params) : messages[key];
  };
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
