/**
 * The tasks as they would run without bundling: the tsc output (out/tasks/**) staged in
 * build/bench/unbundled/tasks/<Task>/ beside the built task.json, so that `require` walks up to
 * the repository's node_modules exactly as a task shipped with its node_modules would.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface UnbundledLayout {
  root: string;
  entry(task: string): string;
}

/** Copies out/tasks (JavaScript only) and each built task.json; returns where each entry is. */
export function stageUnbundledTasks(repoRoot: string, builtRoot: string, tasks: readonly string[]): UnbundledLayout {
  const compiled = path.join(repoRoot, "out", "tasks");
  if (!fs.existsSync(compiled)) throw new Error(`${compiled} does not exist: run npm run build (tsc) first.`);
  const root = path.join(repoRoot, "build", "bench", "unbundled", "tasks");
  fs.rmSync(root, { recursive: true, force: true });
  fs.cpSync(compiled, root, {
    recursive: true,
    filter: (source) => fs.statSync(source).isDirectory() || (source.endsWith(".js") && !source.endsWith(".test.js")),
  });
  for (const task of tasks) {
    const entry = path.join(root, task, "index.js");
    if (!fs.existsSync(entry)) throw new Error(`${path.join(compiled, task, "index.js")} does not exist: run npm run build.`);
    fs.copyFileSync(path.join(builtRoot, task, "task.json"), path.join(root, task, "task.json"));
  }
  return { root, entry: (task) => path.join(root, task, "index.js") };
}
