/**
 * Locating the repository root from compiled code (out/scripts, out/test/...), so that scripts
 * and tests do not depend on the current working directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The nearest directory at or above `startDir` that holds a `package.json`. The compiled output
 * folder (out/) has none, so from out/scripts or out/devkit/harness this is the repository root.
 */
export function findRepoRoot(startDir: string = __dirname): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`No package.json found at or above ${startDir}.`);
    }
    dir = parent;
  }
}
