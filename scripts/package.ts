/**
 * Packages the built tasks into exactly one `dist/*.vsix` with tfx:
 *
 *   EXTENSION_ENV=dev|prod node out/scripts/package.js      (default dev; `npm run package` builds first)
 *
 * - One version: package.json `version` becomes the extension version (`--override`) and was
 *   written into every build/tasks/<task>/task.json by the build.
 * - vss-extension.json holds what does not depend on the tasks; the task `files` and
 *   `contributions` are generated here from the built task folders into a second manifest
 *   partial, so adding a task needs no manifest edit. Both are staged with images/, overview.md
 *   and the task folders in build/vsix/<env>/, the root tfx packs (and validates tasks in).
 * - overrides/<env>.json is passed with `--overrides-file`. The dev extension is a separate
 *   private extension (id suffix `-dev`); its tasks get their own ids (derived from the real
 *   ones) and " (dev)" in their names, so both extensions can be installed in one organization.
 * - Source maps (none written since the bundles are split, scripts/build.ts) would not be shipped:
 *   the agent runs `node index.js` without --enable-source-maps; keepNames keeps stack traces readable.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLE_FILE, discoverTaskFolders, parseVersion, readPackageVersion, readTaskManifest, TaskBuildError } from "./build";
import { findRepoRoot } from "../devkit/repoRoot";

export type ExtensionEnvironment = "dev" | "prod";

export interface PackageOptions {
  repoRoot?: string;
  /** Default: EXTENSION_ENV, else "dev". */
  environment?: ExtensionEnvironment;
  /** Task sources, to check the build is complete. Default: <repo>/tasks. */
  tasksDir?: string;
  /** Built tasks. Default: <repo>/build/tasks. */
  taskRoot?: string;
  /** Where the packaged task folders and the generated manifest partial are put. Default: <repo>/build/vsix/<env>. */
  stagingDir?: string;
  /** Emptied first. Default: <repo>/dist. */
  outputDir?: string;
  /** Default: 120000. */
  timeoutInMs?: number;
  abortSignal?: AbortSignal;
}

export interface PackageResult {
  vsixPath: string;
  environment: ExtensionEnvironment;
  version: string;
  /** Task folders packaged, e.g. ["TriggerADFPipelineV1"]. */
  tasks: string[];
}

export interface TaskContribution {
  id: string;
  type: "ms.vss-distributed-task.task";
  targets: ["ms.vss-distributed-task.tasks"];
  properties: { name: string };
}

/** An error that stops packaging, with the fix in its message. */
export class PackageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PackageError";
  }
}

/** The generated manifest part with the task `files` and `contributions`. */
const TASKS_MANIFEST_PARTIAL = "tasks.vss-extension.json";

const OVERVIEW_PLACEHOLDER =
  "# MLOps for Azure Pipelines\n\nTasks for the MLOps lifecycle: Azure Data Factory, Azure Machine Learning pipelines, model registration and AKS deployment.\n";

export function parseEnvironment(value: string | undefined): ExtensionEnvironment {
  const normalized = (value ?? "dev").trim().toLowerCase() || "dev";
  if (normalized !== "dev" && normalized !== "prod") {
    throw new PackageError(`EXTENSION_ENV must be "dev" or "prod", not "${value}".`);
  }
  return normalized;
}

/** `TriggerADFPipelineV1` → `trigger-adf-pipeline-v1`. */
export function contributionId(folder: string): string {
  return folder
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/([A-Za-z])(V\d+)$/, "$1-$2")
    .toLowerCase();
}

export function taskContribution(folder: string): TaskContribution {
  return {
    id: contributionId(folder),
    type: "ms.vss-distributed-task.task",
    targets: ["ms.vss-distributed-task.tasks"],
    properties: { name: folder },
  };
}

/** A stable GUID for the dev build of a task (name-based, like a UUID v5). */
export function devTaskId(taskId: string): string {
  const hash = createHash("sha1").update(`mlops-pipeline-tasks-dev:${taskId.toLowerCase()}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The task folders in build/tasks, checked against tasks/ and the package version. */
function builtTasks(tasksDir: string, taskRoot: string, version: string): string[] {
  const { folders: sources } = discoverTaskFolders(tasksDir);
  const built = fs.existsSync(taskRoot)
    ? fs
        .readdirSync(taskRoot, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  const missing = sources.filter((folder) => !built.includes(folder));
  const stale = built.filter((folder) => !sources.includes(folder));
  if (missing.length > 0 || stale.length > 0) {
    throw new PackageError(
      `${taskRoot} does not match ${tasksDir} (not built: ${missing.join(", ") || "none"}; ` +
        `no longer a task: ${stale.join(", ") || "none"}). Run npm run build.`,
    );
  }
  if (built.length === 0) {
    throw new PackageError(`There is no task to package: ${tasksDir} has no <Name>V<N> folder with task.json and index.ts.`);
  }
  const expected = parseVersion(version);
  for (const folder of built) {
    const dir = path.join(taskRoot, folder);
    if (!fs.existsSync(path.join(dir, BUNDLE_FILE))) {
      throw new PackageError(`${dir} has no ${BUNDLE_FILE}. Run npm run build.`);
    }
    const manifest = readTaskManifest(path.join(dir, "task.json"));
    if (JSON.stringify(manifest["version"]) !== JSON.stringify(expected)) {
      throw new PackageError(`${path.join(dir, "task.json")} is not at version ${version}. Run npm run build.`);
    }
  }
  return built;
}

/** Copies a built task into the staging folder, without source maps or code caches made by runs (scripts/codeCache.ts); dev builds get their own identity. */
async function stageTask(from: string, to: string, environment: ExtensionEnvironment): Promise<void> {
  await fs.promises.cp(from, to, { recursive: true, filter: (source) => !source.endsWith(".map") && !path.basename(source).startsWith(".v8-cache-") });
  if (environment === "dev") {
    const taskJsonPath = path.join(to, "task.json");
    const manifest = readTaskManifest(taskJsonPath);
    manifest["id"] = devTaskId(String(manifest["id"]));
    const devName = `${String(manifest["friendlyName"])} (dev)`;
    if (devName.length <= 40) {
      manifest["friendlyName"] = devName;
    }
    await fs.promises.writeFile(taskJsonPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

function runTfx(args: string[], options: { repoRoot: string; cwd: string; timeoutInMs: number; abortSignal?: AbortSignal }): Promise<string> {
  const tfxCli = path.join(options.repoRoot, "node_modules", "tfx-cli", "_build", "tfx-cli.js");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tfxCli, ...args],
      { cwd: options.cwd, timeout: options.timeoutInMs, signal: options.abortSignal, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new PackageError(`tfx extension create failed: ${err.message}\n${stdout}\n${stderr}`.trim(), { cause: err }));
        } else {
          resolve(`${stdout}\n${stderr}`);
        }
      },
    );
  });
}

/** The `warning:` lines of tfx's output, without terminal colours. */
export function tfxWarnings(output: string): string[] {
  return (
    output
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal colour codes tfx prints
      .replace(/\u001b\[[0-9;]*m/g, "")
      .split(/\r?\n/)
      .filter((line) => line.startsWith("warning: "))
      .map((line) => line.slice("warning: ".length).trim())
  );
}

/** Builds dist/<publisher>.<id>-<version>.vsix from build/tasks. */
export async function packageExtension(options: PackageOptions = {}): Promise<PackageResult> {
  const repoRoot = options.repoRoot ?? findRepoRoot(__dirname);
  const environment = options.environment ?? parseEnvironment(process.env["EXTENSION_ENV"]);
  const version = readPackageVersion(repoRoot);
  const taskRoot = options.taskRoot ?? path.join(repoRoot, "build", "tasks");
  const outputDir = options.outputDir ?? path.join(repoRoot, "dist");
  const tasks = builtTasks(options.tasksDir ?? path.join(repoRoot, "tasks"), taskRoot, version);

  const overviewPath = path.join(repoRoot, "overview.md");
  if (!fs.existsSync(overviewPath)) {
    await fs.promises.writeFile(overviewPath, OVERVIEW_PLACEHOLDER);
  }

  // tfx validates each task's task.json at <root>/<contribution name>/task.json, so the
  // extension is laid out as it ships: the manifest, its files and the task folders in one root.
  const staging = options.stagingDir ?? path.join(repoRoot, "build", "vsix", environment);
  await fs.promises.rm(staging, { recursive: true, force: true });
  await fs.promises.mkdir(staging, { recursive: true });
  await Promise.all([
    fs.promises.copyFile(path.join(repoRoot, "vss-extension.json"), path.join(staging, "vss-extension.json")),
    fs.promises.copyFile(overviewPath, path.join(staging, "overview.md")),
    fs.promises.cp(path.join(repoRoot, "images"), path.join(staging, "images"), { recursive: true }),
    ...tasks.map((folder) => stageTask(path.join(taskRoot, folder), path.join(staging, folder), environment)),
  ]);
  await fs.promises.writeFile(
    path.join(staging, TASKS_MANIFEST_PARTIAL),
    JSON.stringify(
      {
        files: tasks.map((folder) => ({ path: folder, packagePath: folder })),
        contributions: tasks.map(taskContribution),
      },
      null,
      2,
    ),
  );

  await fs.promises.rm(outputDir, { recursive: true, force: true });
  await fs.promises.mkdir(outputDir, { recursive: true });
  const tfxOutput = await runTfx(
    [
      "extension",
      "create",
      "--root",
      staging,
      "--manifest-globs",
      "vss-extension.json",
      TASKS_MANIFEST_PARTIAL,
      "--overrides-file",
      path.join(repoRoot, "overrides", `${environment}.json`),
      "--override",
      JSON.stringify({ version }),
      "--output-path",
      outputDir,
      "--no-prompt",
    ],
    { repoRoot, cwd: staging, timeoutInMs: options.timeoutInMs ?? 120_000, abortSignal: options.abortSignal },
  );
  const warnings = tfxWarnings(tfxOutput);
  if (warnings.length > 0) {
    await fs.promises.rm(outputDir, { recursive: true, force: true });
    throw new PackageError(`tfx extension create reported problems (treated as errors, as tfx announces it will):\n${warnings.join("\n")}`);
  }
  const packages = fs.readdirSync(outputDir).filter((file) => file.endsWith(".vsix"));
  if (packages.length !== 1) {
    throw new PackageError(`Expected one .vsix in ${outputDir}, found ${packages.length}: ${packages.join(", ")}`);
  }
  return { vsixPath: path.join(outputDir, packages[0]), environment, version, tasks };
}

async function main(): Promise<void> {
  const result = await packageExtension();
  const bytes = fs.statSync(result.vsixPath).size;
  console.log(
    `packaged ${result.tasks.length} task(s) (${result.tasks.join(", ") || "none"}) as ${path.relative(process.cwd(), result.vsixPath)} ` +
      `[${result.environment}, ${result.version}, ${(bytes / 1024).toFixed(0)} KiB]`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof PackageError || err instanceof TaskBuildError ? `package failed: ${err.message}` : err);
    process.exitCode = 1;
  });
}
