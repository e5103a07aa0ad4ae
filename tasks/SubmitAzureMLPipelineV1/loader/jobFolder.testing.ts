/**
 * Test support (never bundled): a fresh temp folder per test for the job YAML and the files it names,
 * removed after the test. `write` lays out `{relative path: content}` and returns job.yml's path.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface JobFolder {
  /** The current test's folder. */
  readonly dir: string;
  write(files: Record<string, string>): Promise<string>;
}

export function useJobFolder(prefix: string): JobFolder {
  let dir = "";
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async write(files) {
      for (const [rel, content] of Object.entries(files)) {
        const full = path.join(dir, ...rel.split("/"));
        await fs.mkdir(path.dirname(full), { recursive: true });
        await fs.writeFile(full, content);
      }
      return path.join(dir, "job.yml");
    },
  };
}
