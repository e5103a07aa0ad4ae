/**
 * The unbundled task entries tsc writes to out/tasks/<Task>/index.js, made runnable the way the
 * build makes the bundles: their task.json (the manifest with tasks/common/messages.json merged
 * into `messages`, scripts/build.ts mergeCommonMessages) written next to the entry, where
 * runTaskEntry's tl.setResourcePath(path.join(__dirname, "task.json")) looks for it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { mergeCommonMessages, readTaskManifest } from "../../scripts/build";
import type { L0TaskName } from "./l0Case";

/** Repository root (this file is compiled to out/test/l0/). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const OUT_TASKS = path.resolve(__dirname, "..", "..", "tasks");

export interface TaskInputDefinition {
  name: string;
  type: string;
  defaultValue?: string;
  required?: boolean;
}

export interface UnbundledTask {
  name: L0TaskName;
  entryPath: string;
  taskJsonPath: string;
  inputs: TaskInputDefinition[];
  /** `execution` handler names (Node20_1, Node24...). */
  handlers: string[];
  messages: Record<string, string>;
}

const prepared = new Map<L0TaskName, UnbundledTask>();

/** Writes out/tasks/<Task>/task.json (once per process) and describes the task. */
export function unbundledTask(name: L0TaskName): UnbundledTask {
  const known = prepared.get(name);
  if (known) return known;
  const sourceJson = path.join(REPO_ROOT, "tasks", name, "task.json");
  const manifest = readTaskManifest(sourceJson);
  const messages = mergeCommonMessages(manifest, REPO_ROOT, sourceJson);
  const dir = path.join(OUT_TASKS, name);
  const entryPath = path.join(dir, "index.js");
  if (!fs.existsSync(entryPath)) throw new Error(`${entryPath} does not exist: run \`npx tsc -p .\` first.`);
  const taskJsonPath = path.join(dir, "task.json");
  const text = `${JSON.stringify({ ...manifest, messages }, null, 2)}\n`;
  if (!fs.existsSync(taskJsonPath) || fs.readFileSync(taskJsonPath, "utf8") !== text) {
    // Others may run L0 tests at the same moment: never let a run read a half-written file.
    const temp = `${taskJsonPath}.${process.pid}.tmp`;
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, taskJsonPath);
  }
  const task: UnbundledTask = {
    name,
    entryPath,
    taskJsonPath,
    inputs: (manifest["inputs"] ?? []) as TaskInputDefinition[],
    handlers: Object.keys((manifest["execution"] ?? {}) as Record<string, unknown>),
    messages,
  };
  prepared.set(name, task);
  return task;
}
