/**
 * What a task would ship without bundling: the packages its entry reaches (every package folder
 * esbuild read a file from, whole, as npm installs it, without nested node_modules, which are
 * packages of their own) and its own compiled JavaScript. Sizes as a .vsix would store them.
 */
import * as path from "node:path";
import * as esbuild from "esbuild";
import { listFiles, storedFileSize } from "./zipSizes";

export interface PackageSize {
  /** Folder relative to the repository, e.g. node_modules/@azure/identity. */
  folder: string;
  files: number;
  rawBytes: number;
  storedBytes: number;
}

export interface TaskClosure {
  task: string;
  packages: PackageSize[];
  /** The task's own sources the entry reaches (tasks/**), as their tsc output. */
  ownFiles: string[];
  ownStoredBytes: number;
  storedBytes: number;
  rawBytes: number;
}

/** `node_modules/a/node_modules/@s/b/lib/x.js` → `node_modules/a/node_modules/@s/b`. */
export function packageFolderOf(input: string): string | undefined {
  const normalized = input.replace(/\\/g, "/");
  const at = normalized.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const rest = normalized.slice(at + "node_modules/".length).split("/");
  const nameParts = rest[0]?.startsWith("@") ? 2 : 1;
  if (rest.length <= nameParts) return undefined;
  return normalized.slice(0, at + "node_modules/".length) + rest.slice(0, nameParts).join("/");
}

export class ClosureSizer {
  private readonly packages = new Map<string, PackageSize>();

  constructor(private readonly repoRoot: string) {}

  /** Sizes of the package folders and own files `tasks/<task>/index.ts` reaches. */
  async measure(task: string): Promise<TaskClosure> {
    const result = await esbuild.build({
      absWorkingDir: this.repoRoot,
      nodePaths: [path.join(this.repoRoot, "node_modules")],
      entryPoints: [path.join(this.repoRoot, "tasks", task, "index.ts")],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      write: false,
      outfile: path.join(this.repoRoot, "build", "bench", "closure", task, "index.js"),
      metafile: true,
      logLevel: "silent",
      define: { "import.meta.url": "__bundleFileUrl" },
    });
    const folders = new Set<string>();
    const own: string[] = [];
    for (const input of Object.keys(result.metafile.inputs)) {
      const folder = packageFolderOf(input);
      if (folder) folders.add(folder);
      else if (/^tasks\/.*\.ts$/.test(input.replace(/\\/g, "/"))) own.push(input.replace(/\\/g, "/"));
    }
    const packages = [...folders].sort().map((folder) => this.packageSize(task, folder));
    let ownStoredBytes = 0;
    let ownRaw = 0;
    for (const source of own) {
      const compiled = path.join(this.repoRoot, "out", source.replace(/\.ts$/, ".js"));
      const size = storedFileSize(compiled, `${task}/${source.replace(/\.ts$/, ".js")}`);
      ownStoredBytes += size.stored;
      ownRaw += size.raw;
    }
    const storedBytes = ownStoredBytes + packages.reduce((a, p) => a + p.storedBytes, 0);
    const rawBytes = ownRaw + packages.reduce((a, p) => a + p.rawBytes, 0);
    return { task, packages, ownFiles: own, ownStoredBytes, storedBytes, rawBytes };
  }

  /** Sizes of one package folder (entry names as under <task>/node_modules/...); cached. */
  private packageSize(task: string, folder: string): PackageSize {
    const cached = this.packages.get(folder);
    if (cached) return cached;
    const abs = path.join(this.repoRoot, folder);
    let rawBytes = 0;
    let storedBytes = 0;
    const files = listFiles(abs, new Set(["node_modules"]));
    for (const file of files) {
      const size = storedFileSize(file, `${task}/${path.relative(this.repoRoot, file).replace(/\\/g, "/")}`);
      rawBytes += size.raw;
      storedBytes += size.stored;
    }
    const measured = { folder, files: files.length, rawBytes, storedBytes };
    this.packages.set(folder, measured);
    return measured;
  }
}
