/**
 * Builds every task folder `tasks/<Name>V<N>/` (one with a `task.json` and an `index.ts`) into
 * `build/tasks/<Name>V<N>/`: one esbuild bundle (`index.js`, `index.code`, `rest.code`), the `task.json`
 * with the version from package.json, `icon.png` (or the default icon from images/) and the
 * task's `Strings/` folder. The folder runs with no `node_modules` in reach.
 *
 * Run time files of the bundled packages, checked for this dependency set:
 * - azure-pipelines-task-lib 5.281 embeds its own strings (lib-resource.js): nothing to copy.
 *   It `require`s the task's task.json by absolute path (setResourcePath): the bundle keeps
 *   Node's own `require` for that, and the task.json sits beside the bundle.
 * - @azure/storage-common's ESM build synthesises `require` from `import.meta.url` (its wasm is
 *   inlined as base64): `import.meta.url` is defined as the bundle's own file URL.
 * - azure-devops-node-api: only its TaskApi is bundled (the OIDC fallback), which reads no file
 *   (WebApi, which reads its package.json for the User-Agent, is not used).
 * - @azure/identity, msal-node, the ARM clients, js-yaml: no files read at run time.
 *
 * `index.js` is a loader that runs the bundle's code through a V8 code cache kept beside it on the
 * agent (scripts/codeCache.ts): the code the task runs before its first request (`index.code`) is
 * compiled faster from the second run, and the rest (`rest.code`: what the entries' dynamic
 * `import()`s reach, split off with esbuild's code splitting) is read only once the entry asks for it.
 * No source maps: the modules are moved after esbuild wrote them (two passes), and the agent runs
 * without --enable-source-maps anyway; keepNames keeps stack traces readable.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { CODE_FILE, ENTRY_MODULE, REST_CODE_FILE, type SplitBundle, splitForCodeCache } from "./codeCache";
import { lazyDependencies } from "./lazyDependencies";
import { findRepoRoot } from "../devkit/repoRoot";

/** The file every execution handler must run: the bundle. */
export const BUNDLE_FILE = "index.js";
/** Handlers every task declares (the agent picks the highest it has; old agents need Node20_1). */
export const REQUIRED_HANDLERS = ["Node20_1", "Node24"] as const;
/** Task folder names: a PascalCase name followed by `V<major>`. */
const TASK_FOLDER_PATTERN = /^[A-Za-z][A-Za-z0-9]*V\d+$/;

/** A task.json or task folder that cannot be built, with a message naming the file and the fix. */
export class TaskBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TaskBuildError";
  }
}

export interface TaskVersion {
  Major: number;
  Minor: number;
  Patch: number;
}

export interface BuildTaskOptions {
  /** Semantic version `major.minor.patch` written into the task.json copy (default: package.json's). */
  version?: string;
  /** Icon used when the task folder has no icon.png (default: images/default-task-icon.png). */
  defaultIconPath?: string;
  /** Repository root (default: found from this file). */
  repoRoot?: string;
}

export interface BuiltTask {
  /** Folder name, e.g. "TriggerADFPipelineV1". */
  folder: string;
  outDir: string;
  bundleBytes: number;
  durationInMs: number;
  /** esbuild warnings, formatted. */
  warnings: string[];
}

export interface BuildAllOptions {
  repoRoot?: string;
  /** Default: <repo>/tasks. */
  tasksDir?: string;
  /** Default: <repo>/build/tasks. Emptied first. */
  outRoot?: string;
  version?: string;
}

export interface BuildAllResult {
  tasks: BuiltTask[];
  /** Folders skipped because they have no task.json or no index.ts yet. */
  skipped: string[];
  durationInMs: number;
}

/** `1.2.3` → `{ Major: 1, Minor: 2, Patch: 3 }`. */
export function parseVersion(version: string): TaskVersion {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  if (!match) {
    throw new TaskBuildError(`package.json version "${version}" is not major.minor.patch; task.json versions need three numbers.`);
  }
  return { Major: Number(match[1]), Minor: Number(match[2]), Patch: Number(match[3]) };
}

/** The `version` of the repository's package.json: the one version of the extension and its tasks. */
export function readPackageVersion(repoRoot: string): string {
  const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version?: unknown };
  if (typeof packageJson.version !== "string") {
    throw new TaskBuildError(`${path.join(repoRoot, "package.json")} has no "version".`);
  }
  return packageJson.version;
}

/** Reads and parses a task.json, failing with the file name and the parser's message. */
export function readTaskManifest(taskJsonPath: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(taskJsonPath, "utf8");
  } catch (err) {
    throw new TaskBuildError(`Cannot read ${taskJsonPath}: ${(err as Error).message}`, { cause: err });
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new TaskBuildError(`${taskJsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new TaskBuildError(`${taskJsonPath} must hold a JSON object.`);
  }
  return manifest as Record<string, unknown>;
}

/** Fails unless `execution` runs the bundle under both Node20_1 and Node24. */
export function checkExecutionTargets(manifest: Record<string, unknown>, taskJsonPath: string): void {
  const execution = manifest["execution"] as Record<string, { target?: unknown } | undefined> | undefined;
  const problems: string[] = [];
  for (const handler of REQUIRED_HANDLERS) {
    const target = execution?.[handler]?.target;
    if (target === undefined) {
      problems.push(`execution.${handler} is missing`);
    } else if (target !== BUNDLE_FILE) {
      problems.push(`execution.${handler}.target is ${JSON.stringify(target)}`);
    }
  }
  if (problems.length > 0) {
    throw new TaskBuildError(
      `${taskJsonPath}: ${problems.join("; ")}. Both ${REQUIRED_HANDLERS.join(" and ")} must have ` +
        `"target": "${BUNDLE_FILE}" (the bundle the build writes).`,
    );
  }
}

/** Task folders under `tasksDir` that have both a task.json and an index.ts, and those skipped. */
export function discoverTaskFolders(tasksDir: string): { folders: string[]; skipped: string[] } {
  const folders: string[] = [];
  const skipped: string[] = [];
  if (!fs.existsSync(tasksDir)) {
    return { folders, skipped };
  }
  for (const entry of fs.readdirSync(tasksDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !TASK_FOLDER_PATTERN.test(entry.name)) {
      continue;
    }
    const dir = path.join(tasksDir, entry.name);
    if (fs.existsSync(path.join(dir, "task.json")) && fs.existsSync(path.join(dir, "index.ts"))) {
      folders.push(entry.name);
    } else {
      skipped.push(entry.name);
    }
  }
  return { folders: folders.sort(), skipped: skipped.sort() };
}

/** Packages whose module state must exist once per process (task-lib's vault and variables). */
const SINGLETON_PACKAGES = ["azure-pipelines-task-lib"];

/** Packages of SINGLETON_PACKAGES bundled from more than one folder, with those folders. */
export function duplicatedSingletons(metafile: Pick<esbuild.Metafile, "inputs">): string[] {
  const found: string[] = [];
  for (const name of SINGLETON_PACKAGES) {
    const copies = new Set<string>();
    for (const input of Object.keys(metafile.inputs)) {
      const normalized = input.replace(/\\/g, "/");
      const at = normalized.lastIndexOf(`node_modules/${name}/`);
      if (at >= 0) {
        copies.add(normalized.slice(0, at));
      }
    }
    if (copies.size > 1) {
      found.push(`${name} (${[...copies].map((c) => c || ".").join(", ")})`);
    }
  }
  return found;
}

async function copyDirectory(from: string, to: string): Promise<void> {
  await fs.promises.cp(from, to, { recursive: true });
}

/**
 * The ESM chunks of a split build as CommonJS module bodies, split in what the entry loads at once
 * (itself and the chunks it imports, transitively) and the rest. A second esbuild pass turns each
 * chunk into CommonJS: imports of the other chunks stay `require("./chunk-….js")` calls (the
 * loader's, scripts/codeCache.ts, resolves them), `import()` becomes a `require` in a promise.
 */
async function splitModules(result: esbuild.BuildResult<{ metafile: true; write: false }>, outDir: string, repoRoot: string): Promise<SplitBundle> {
  const chunks = new Map<string, string>();
  for (const file of result.outputFiles) if (file.path.endsWith(".js")) chunks.set(`./${path.relative(outDir, file.path).replace(/\\/g, "/")}`, file.text);
  const outputOf = (name: string) => result.metafile.outputs[path.relative(repoRoot, path.join(outDir, name)).replace(/\\/g, "/")];
  const startup = new Set<string>();
  const visit = (name: string) => {
    if (startup.has(name)) return;
    startup.add(name);
    const output = outputOf(name);
    if (!output) throw new Error(`esbuild's metafile has no output ${name}`);
    for (const imported of output.imports)
      if (imported.kind === "import-statement" && !imported.external)
        visit(`./${path.relative(outDir, path.join(repoRoot, imported.path)).replace(/\\/g, "/")}`);
  };
  visit(ENTRY_MODULE);
  const converted = await esbuild.build({
    entryPoints: [...chunks.keys()].map((name) => `chunk:${name}`),
    outdir: "/chunks",
    write: false,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // import() of another chunk: a require in a promise (node20 would keep import(), which the loader cannot serve).
    supported: { "dynamic-import": false },
    minify: true,
    keepNames: true,
    logLevel: "silent",
    banner: { js: 'var __bundleFileUrl=require("url").pathToFileURL(__filename).href;' },
    plugins: [
      {
        name: "chunks",
        setup(build) {
          build.onResolve({ filter: /^chunk:/ }, (args) => ({ path: args.path.slice("chunk:".length), namespace: "chunk" }));
          build.onResolve({ filter: /^\.\/.*\.js$/, namespace: "chunk" }, (args) => {
            if (!chunks.has(args.path)) throw new Error(`${args.importer} imports ${args.path}, which esbuild did not write`);
            return { path: args.path, external: true };
          });
          build.onLoad({ filter: /.*/, namespace: "chunk" }, (args) => ({ contents: chunks.get(args.path), loader: "js" }));
        },
      },
    ],
  });
  // A chunk made for the import() of a CommonJS module exports only `export default <its exports>`;
  // an import() of it must see those exports themselves, as in a CommonJS bundle (`__toESM(require_x())`):
  // e.g. `const { TaskApi } = await import("azure-devops-node-api/TaskApi.js")` (tasks/common/credentials.ts).
  const importedStatically = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) if (imported.kind === "import-statement" && !imported.external) importedStatically.add(imported.path);
  }
  const commonJsChunk = (name: string): boolean => {
    const key = path.relative(repoRoot, path.join(outDir, name)).replace(/\\/g, "/");
    const output = result.metafile.outputs[key];
    const entryPoint = output?.entryPoint;
    return (
      entryPoint !== undefined &&
      output.exports.length === 1 &&
      output.exports[0] === "default" &&
      result.metafile.inputs[entryPoint]?.format === "cjs" &&
      !importedStatically.has(key)
    );
  };
  const parts: SplitBundle = { startup: {}, rest: {} };
  for (const file of converted.outputFiles) {
    const name = `./${path.basename(file.path)}`;
    if (!chunks.has(name)) throw new Error(`the CommonJS pass wrote ${file.path}, which is not a chunk`);
    const body = commonJsChunk(name) ? `${file.text}\nmodule.exports = module.exports.default;` : file.text;
    (startup.has(name) ? parts.startup : parts.rest)[name] = body;
  }
  return parts;
}

/**
 * Builds one task folder `srcDir` (holding task.json and index.ts) into `outDir` (emptied first).
 * Throws TaskBuildError for an invalid task.json, a wrong execution target or a failed bundle.
 */
export async function buildTask(srcDir: string, outDir: string, options: BuildTaskOptions = {}): Promise<BuiltTask> {
  const started = performance.now();
  const repoRoot = options.repoRoot ?? findRepoRoot(__dirname);
  const folder = path.basename(srcDir);
  const taskJsonPath = path.join(srcDir, "task.json");
  const manifest = readTaskManifest(taskJsonPath);
  checkExecutionTargets(manifest, taskJsonPath);
  const version = parseVersion(options.version ?? readPackageVersion(repoRoot));
  const entry = path.join(srcDir, "index.ts");
  if (!fs.existsSync(entry)) {
    throw new TaskBuildError(`${srcDir} has no index.ts (the task's entry point).`);
  }

  const relative = path.relative(path.resolve(outDir), path.resolve(srcDir));
  if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) {
    throw new TaskBuildError(`Output folder ${outDir} would hold the sources ${srcDir}; build into another folder.`);
  }
  await fs.promises.rm(outDir, { recursive: true, force: true });
  await fs.promises.mkdir(outDir, { recursive: true });

  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  let parts: SplitBundle;
  try {
    result = await esbuild.build({
      absWorkingDir: repoRoot,
      // Sources outside the repository (tests build tasks in temp folders) use its packages too.
      nodePaths: [path.join(repoRoot, "node_modules")],
      entryPoints: { index: entry },
      outdir: outDir,
      write: false,
      bundle: true,
      platform: "node",
      // ESM builds first: packages that ship both (core-client, core-rest-pipeline, core-lro...)
      // would otherwise be bundled twice, once for importers of each flavour.
      mainFields: ["module", "main"],
      target: "node20",
      // Code splitting (ESM output only): what the entry's dynamic import()s reach goes to chunks
      // of its own, loaded after the first request (splitModules turns them into CommonJS modules).
      format: "esm",
      splitting: true,
      chunkNames: "[name]-[hash]",
      minify: true,
      keepNames: true,
      metafile: true,
      logLevel: "silent",
      define: { "import.meta.url": "__bundleFileUrl" },
      // Code the first request does not need, kept from running before it.
      plugins: [lazyDependencies()],
    });
    parts = await splitModules(result, outDir, repoRoot);
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    const details = Array.isArray(failure.errors) ? (await esbuild.formatMessages(failure.errors, { kind: "error", color: false })).join("\n") : String(err);
    throw new TaskBuildError(`Bundling ${path.relative(repoRoot, entry)} failed:\n${details}`, { cause: err });
  }
  const duplicates = duplicatedSingletons(result.metafile);
  if (duplicates.length > 0) {
    throw new TaskBuildError(
      `${folder}: the bundle holds more than one copy of ${duplicates.join("; ")}; ` +
        "dedupe the dependency (npm dedupe) so the task sees one vault and one set of variables.",
    );
  }
  const warnings = await esbuild.formatMessages(result.warnings, { kind: "warning", color: false });
  const bundlePath = path.join(outDir, BUNDLE_FILE);
  const split = splitForCodeCache(parts);
  await Promise.all([
    fs.promises.writeFile(bundlePath, split.loader),
    fs.promises.writeFile(path.join(outDir, CODE_FILE), split.code),
    ...(split.rest === undefined ? [] : [fs.promises.writeFile(path.join(outDir, REST_CODE_FILE), split.rest)]),
  ]);

  const taskJsonCopy = { ...manifest, version, messages: mergeCommonMessages(manifest, repoRoot, taskJsonPath) };
  const iconSource = fs.existsSync(path.join(srcDir, "icon.png"))
    ? path.join(srcDir, "icon.png")
    : (options.defaultIconPath ?? path.join(repoRoot, "images", "default-task-icon.png"));
  const copies: Promise<void>[] = [
    fs.promises.writeFile(path.join(outDir, "task.json"), `${JSON.stringify(taskJsonCopy, null, 2)}\n`),
    fs.promises.copyFile(iconSource, path.join(outDir, "icon.png")),
  ];
  if (fs.existsSync(path.join(srcDir, "Strings"))) {
    copies.push(copyDirectory(path.join(srcDir, "Strings"), path.join(outDir, "Strings")));
  }
  await Promise.all(copies);

  return {
    folder,
    outDir,
    bundleBytes: Buffer.byteLength(split.loader) + Buffer.byteLength(split.code) + (split.rest === undefined ? 0 : Buffer.byteLength(split.rest)),
    durationInMs: performance.now() - started,
    warnings,
  };
}

/** Path of the messages the shared code under tasks/common uses with loc(). */
export function commonMessagesPath(repoRoot: string): string {
  return path.join(repoRoot, "tasks", "common", "messages.json");
}

/**
 * The task's own messages plus those of tasks/common (which every task's bundle may show), so
 * each task.json lists only its own keys. A key in both is a mistake: the build says which.
 */
export function mergeCommonMessages(manifest: Record<string, unknown>, repoRoot: string, taskJsonPath: string): Record<string, string> {
  const own = (manifest["messages"] ?? {}) as Record<string, string>;
  const file = commonMessagesPath(repoRoot);
  const common = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>) : {};
  const clash = Object.keys(own).filter((key) => key in common);
  if (clash.length > 0) {
    throw new TaskBuildError(`${taskJsonPath}: messages ${clash.join(", ")} are already defined in ${file}; remove them from the task.`);
  }
  return { ...own, ...common };
}

/** Builds every task folder in parallel into an emptied `build/tasks`. */
export async function buildAllTasks(options: BuildAllOptions = {}): Promise<BuildAllResult> {
  const started = performance.now();
  const repoRoot = options.repoRoot ?? findRepoRoot(__dirname);
  const tasksDir = options.tasksDir ?? path.join(repoRoot, "tasks");
  const outRoot = options.outRoot ?? path.join(repoRoot, "build", "tasks");
  const version = options.version ?? readPackageVersion(repoRoot);
  parseVersion(version);
  const { folders, skipped } = discoverTaskFolders(tasksDir);
  await fs.promises.rm(outRoot, { recursive: true, force: true });
  await fs.promises.mkdir(outRoot, { recursive: true });
  const tasks = await Promise.all(folders.map((folder) => buildTask(path.join(tasksDir, folder), path.join(outRoot, folder), { repoRoot, version })));
  return { tasks, skipped, durationInMs: performance.now() - started };
}

async function main(): Promise<void> {
  const result = await buildAllTasks();
  for (const task of result.tasks) {
    for (const warning of task.warnings) {
      console.warn(`${task.folder}: ${warning}`);
    }
    console.log(`built ${task.folder}: ${(task.bundleBytes / 1024).toFixed(0)} KiB in ${task.durationInMs.toFixed(0)} ms`);
  }
  for (const folder of result.skipped) {
    console.warn(`skipped tasks/${folder}: it needs both task.json and index.ts`);
  }
  console.log(`${result.tasks.length} task(s) built in ${result.durationInMs.toFixed(0)} ms`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof TaskBuildError ? `build failed: ${err.message}` : err);
    process.exitCode = 1;
  });
}
