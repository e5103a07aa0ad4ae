/**
 * Test support (never bundled): makes task-lib's `loc` answer from this task's messages plus
 * the shared ones, as the built task.json does, and returns it as the operations' Localize.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";
import { findRepoRoot } from "../../devkit/repoRoot";
import type { Localize } from "./localize";

let ready: Localize | undefined;

export function taskLocalize(): Localize {
  if (ready) return ready;
  const root = findRepoRoot(__dirname);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "tasks", "TriggerADFPipelineV1", "task.json"), "utf8")) as { messages: Record<string, string> };
  const common = JSON.parse(fs.readFileSync(path.join(root, "tasks", "common", "messages.json"), "utf8")) as Record<string, string>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adf-task-"));
  const file = path.join(dir, "task.json");
  fs.writeFileSync(file, JSON.stringify({ messages: { ...manifest.messages, ...common } }));
  tl.setResourcePath(file);
  ready = (key: string, ...args: unknown[]) => {
    if (!(key in manifest.messages) && !(key in common)) throw new Error(`loc key ${key} is not in the task's messages`);
    return tl.loc(key, ...args);
  };
  return ready;
}
