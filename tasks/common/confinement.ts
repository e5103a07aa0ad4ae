/**
 * The one confinement rule for every path a task reads (path inputs, and paths inside the YAML
 * files it reads): by REAL path (links resolved, fs.realpath), the file must be inside one of
 * the pipeline's working folders (System.DefaultWorkingDirectory, Agent.BuildDirectory,
 * Agent.TempDirectory). A link inside the sources pointing at ~/.ssh/id_rsa, or a linked
 * modelPath, resolves outside and is refused before anything is read or uploaded.
 * (The folder walk, contentHash.ts, handles links found inside a folder.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tl from "azure-pipelines-task-lib/task";

type PathApi = Pick<typeof path, "resolve" | "relative" | "isAbsolute" | "sep">;

/** The working folders (resolved, not yet real) from the agent's variables; empty outside an agent. */
export function workFolderRoots(): string[] {
  return [tl.getVariable("System.DefaultWorkingDirectory"), tl.getVariable("Agent.BuildDirectory"), tl.getVariable("Agent.TempDirectory")]
    .filter((r): r is string => !!r)
    .map((r) => path.resolve(r));
}

/** True when `file` is `root` or below it (both absolute; case-insensitive on Windows). */
export function isInside(root: string, file: string, pathApi: PathApi = path): boolean {
  const windows = pathApi.sep === "\\";
  const a = windows ? pathApi.resolve(root).toLowerCase() : pathApi.resolve(root);
  const b = windows ? pathApi.resolve(file).toLowerCase() : pathApi.resolve(file);
  const rel = pathApi.relative(a, b);
  return rel === "" || (!rel.startsWith("..") && !pathApi.isAbsolute(rel));
}

/**
 * The real path of `file`: links resolved. For a path that does not exist (yet), the real path
 * of its nearest existing ancestor joined with the rest, so a missing file under a linked folder
 * is judged by where the link leads.
 */
export function realPath(file: string): string {
  const absolute = path.resolve(file);
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Where `file` really is when that is outside every root (roots compared by their real paths
 * too); undefined when it is inside one, or when there are no roots (not on an agent).
 */
export function outsideWorkFolders(file: string, roots: readonly string[]): string | undefined {
  if (roots.length === 0) return undefined;
  const real = realPath(file);
  const inside = roots.some((root) => isInside(realPath(root), real));
  return inside ? undefined : real;
}
