/**
 * The L0 runs replace azure-pipelines-task-lib/task with mock-task: every task-lib value the task
 * code uses must exist there, or the run fails with a TypeError instead of testing the task.
 * (mock-task's loc and setResourcePath are stubs; runs/taskRun.ts puts the real ones back.)
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./unbundledTask";

const TASK_LIB = path.join(REPO_ROOT, "node_modules", "azure-pipelines-task-lib");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** `tl.<name>` uses in task code that imports task-lib as `tl`. */
function taskLibUses(): Map<string, string> {
  const uses = new Map<string, string>();
  for (const file of sourceFiles(path.join(REPO_ROOT, "tasks"))) {
    const text = fs.readFileSync(file, "utf8");
    if (!/import \* as tl from "azure-pipelines-task-lib\/task"/.test(text)) continue;
    for (const m of text.matchAll(/\btl\.([A-Za-z_]\w*)/g)) uses.set(m[1]!, path.relative(REPO_ROOT, file));
  }
  return uses;
}

describe("mock-task covers the task-lib API the tasks use (L0 precondition)", () => {
  it("exports every task-lib function, enum and value the task code reads (interfaces excepted)", () => {
    const mockTask = fs.readFileSync(path.join(TASK_LIB, "mock-task.js"), "utf8");
    const exported = new Set([...mockTask.matchAll(/\b(?:module\.)?exports\.(\w+)\s*=/g)].map((m) => m[1]!));
    const typeOnly = new Set([...fs.readFileSync(path.join(TASK_LIB, "task.d.ts"), "utf8").matchAll(/export (?:interface|type) (\w+)/g)].map((m) => m[1]!));
    const uses = taskLibUses();
    assert.ok(uses.has("getInput") && uses.has("loc"), "the scan found no task-lib calls: check the import pattern");
    const missing = [...uses].filter(([name]) => !exported.has(name) && !typeOnly.has(name)).map(([name, file]) => `${name} (${file})`);
    assert.deepEqual(missing, [], "used by the tasks but missing from mock-task: register them with tmr.registerMockExport in runs/taskRun.ts");
  });
});
