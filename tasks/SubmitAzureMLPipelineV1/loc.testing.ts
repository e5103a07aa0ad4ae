/** Test support (never bundled): a Loc over this task's task.json messages, failing on unknown keys. */
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import type { Loc } from "./request";

const TASK_DIR = path.resolve(__dirname, "..", "..", "..", "tasks", "SubmitAzureMLPipelineV1");

export function taskLoc(): Loc {
  const { messages } = JSON.parse(fs.readFileSync(path.join(TASK_DIR, "task.json"), "utf8")) as { messages: Record<string, string> };
  return (key, ...params) => {
    const text = messages[key];
    if (text === undefined) throw new Error(`loc key ${key} is not in task.json messages`);
    return format(text, ...params);
  };
}
