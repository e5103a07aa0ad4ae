/** What every section of the bench gets: options, the built tasks, the shared sources folder, clocks. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BenchOptions } from "./options";
import type { RequestClock } from "./requestClock";
import type { Sources } from "./scenarios";
import type { UnbundledLayout } from "./unbundled";

export interface BenchContext {
  repoRoot: string;
  options: BenchOptions;
  /** Task folders in build/tasks (after npm run build). */
  tasks: string[];
  sources: Sources;
  requestClock: RequestClock;
  bundledEntry(task: string): string;
  /** Where the bundled task folders are run from (a snapshot of build/tasks). */
  taskRoot: string;
  unbundled?: UnbundledLayout;
  /** Why the unbundled layout could not be staged. */
  unbundledProblem?: string;
  progress(message: string): void;
}

/** Task folders built into `root` (default build/tasks): those with an index.js. */
export function builtTasks(repoRoot: string, root = path.join(repoRoot, "build", "tasks")): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, "index.js")))
    .map((e) => e.name)
    .sort();
}

/**
 * Copies build/tasks to a temporary folder the bench runs the bundles from: others may rebuild
 * build/tasks during a run, and there no node_modules is in reach (as on an agent).
 */
export function snapshotBuiltTasks(repoRoot: string): { root: string; tasks: string[]; dispose(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tasks-"));
  const tasks = builtTasks(repoRoot);
  // Without code caches left by earlier runs from build/tasks: the bench makes its own.
  const copied = (source: string) => !path.basename(source).startsWith(".v8-cache-");
  for (const task of tasks) fs.cpSync(path.join(repoRoot, "build", "tasks", task), path.join(root, task), { recursive: true, filter: copied });
  return { root, tasks: builtTasks(repoRoot, root), dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}
