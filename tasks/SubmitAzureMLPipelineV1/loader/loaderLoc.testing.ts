/**
 * Test support (never bundled): the task's messages (task.json, through loc.testing.ts) for the loader's
 * tests, also failing when a message is given more or fewer parameters than it has `%s` placeholders
 * (task-lib's loc formats with util.format, which would append extra ones or leave a `%s` in the text).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Loc } from "../../common/loc";
import { taskLoc } from "../loc.testing";

const TASK_JSON = path.resolve(__dirname, "..", "..", "..", "..", "tasks", "SubmitAzureMLPipelineV1", "task.json");

export function loaderLoc(): Loc {
  const messages = (JSON.parse(fs.readFileSync(TASK_JSON, "utf8")) as { messages: Record<string, string> }).messages;
  const loc = taskLoc();
  return (key, ...params) => {
    const text = loc(key, ...params);
    const placeholders = (messages[key].match(/%s/g) ?? []).length;
    if (placeholders !== params.length) throw new Error(`loc key ${key} has ${placeholders} placeholder(s) but was given ${params.length} parameter(s)`);
    return text;
  };
}
