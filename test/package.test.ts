/**
 * The .vsix: built with the real package script (EXTENSION_ENV=dev) from build/tasks, unpacked
 * with a zip reader of our own, checked file by file, and its tasks run from the unpacked copy
 * (a temp folder with no node_modules in reach) as the agent runs them. The same checks run on
 * a package of the fixture task, so packaging stays covered before any real task exists.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { buildTask, discoverTaskFolders, readTaskManifest } from "../scripts/build";
import { contributionId, devTaskId, PackageError, packageExtension, parseEnvironment } from "../scripts/package";
import { findRepoRoot } from "../devkit/repoRoot";
import { runTask } from "../devkit/harness/agentRunner";
import { extractZip, readZip } from "../devkit/harness/zipReader";

const repoRoot = findRepoRoot(__dirname);
const MAX_VSIX_BYTES = 5 * 1024 * 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), "PNG signature");
  assert.equal(png.toString("ascii", 12, 16), "IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface UnpackedVsix {
  dir: string;
  files: string[];
  vsixBytes: number;
}

async function unpack(vsixPath: string, into: string): Promise<UnpackedVsix> {
  const zip = await fs.promises.readFile(vsixPath);
  const entries = await extractZip(zip, into);
  return { dir: into, files: entries.map((e) => e.name).sort(), vsixBytes: zip.length };
}

/** Checks shared by the real package and the fixture package. */
function checkUnpackedVsix(vsix: UnpackedVsix, expected: { tasks: string[]; sourceTaskJson: (folder: string) => string }): void {
  assert.ok(vsix.vsixBytes < MAX_VSIX_BYTES, `${vsix.vsixBytes} bytes`);
  assert.deepEqual(
    vsix.files.filter((f) => f.split("/").includes("node_modules")),
    [],
  );

  const vsixManifest = fs.readFileSync(path.join(vsix.dir, "extension.vsixmanifest"), "utf8");
  assert.match(vsixManifest, /<Identity [^>]*Id="mlops-pipeline-tasks-dev"/);
  assert.match(vsixManifest, /<Identity [^>]*Publisher="mlops-tasks"/);
  assert.match(vsixManifest, /<Identity [^>]*Version="1\.0\.0"/);
  assert.match(vsixManifest, /<DisplayName>MLOps for Azure Pipelines \(dev\)<\/DisplayName>/);
  assert.doesNotMatch(vsixManifest, /<GalleryFlags>[^<]*Public/);
  assert.deepEqual(pngSize(fs.readFileSync(path.join(vsix.dir, "images", "extension-icon.png"))), { width: 128, height: 128 });
  assert.ok(vsix.files.includes("overview.md"));

  const vsoManifest = JSON.parse(fs.readFileSync(path.join(vsix.dir, "extension.vsomanifest"), "utf8")) as {
    contributions: { id: string; type: string; targets: string[]; properties: { name: string } }[];
  };
  assert.deepEqual(
    vsoManifest.contributions,
    expected.tasks.map((folder) => ({
      id: contributionId(folder),
      type: "ms.vss-distributed-task.task",
      targets: ["ms.vss-distributed-task.tasks"],
      properties: { name: folder },
    })),
  );

  const packageVersion = projectVersion();
  const [major, minor, patch] = packageVersion.split(".").map(Number);
  for (const folder of expected.tasks) {
    const taskFiles = vsix.files.filter((f) => f.startsWith(`${folder}/`)).map((f) => f.slice(folder.length + 1));
    assert.deepEqual(
      taskFiles.filter((f) => f.endsWith(".js")),
      ["index.js"],
      `${folder}: one bundle`,
    );
    const unexpected = taskFiles.filter((f) => !["index.js", "index.code", "rest.code", "task.json", "icon.png"].includes(f) && !f.startsWith("Strings/"));
    assert.deepEqual(unexpected, [], `${folder}: only the bundle, task.json, icon.png and Strings/`);
    pngSize(fs.readFileSync(path.join(vsix.dir, folder, "icon.png")));

    const taskJson = readTaskManifest(path.join(vsix.dir, folder, "task.json"));
    const source = readTaskManifest(expected.sourceTaskJson(folder));
    assert.deepEqual(taskJson["version"], { Major: major, Minor: minor, Patch: patch });
    assert.equal(taskJson["id"], devTaskId(String(source["id"])), `${folder}: the dev package has its own task id`);
    assert.equal(taskJson["name"], source["name"]);
  }
}

/** Runs each task from the unpacked copy with no inputs: it must start and fail cleanly. */
async function checkTasksStart(unpackedDir: string, tasks: string[]): Promise<void> {
  for (const task of tasks) {
    const run = await runTask({ task, taskRoot: unpackedDir, inputs: {}, timeoutInMs: 30_000 });
    assert.doesNotMatch(run.stderr, /Cannot find module|MODULE_NOT_FOUND|ENOENT/, `${task} stderr`);
    assert.equal(run.result, "Failed", `${task}: ${run.stdout}`);
    const errors = run.issues.filter((issue) => issue.type === "error");
    assert.ok(errors.length > 0, `${task} reports an error issue`);
    assert.doesNotMatch(errors[0].message, /^Unhandled|Can't find loc string|^LIB_/, `${task}: ${errors[0].message}`);
  }
}

describe("package", function () {
  this.timeout(180_000);
  let tempDir: string;

  before(async () => {
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "package-test-"));
  });

  after(async () => {
    await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  describe("the real package script (EXTENSION_ENV=dev)", () => {
    const tasksDir = path.join(repoRoot, "tasks");
    let vsix: UnpackedVsix;
    let tasks: string[];

    before(async function () {
      tasks = discoverTaskFolders(tasksDir).folders;
      if (tasks.length === 0) {
        this.skip(); // no tasks/<Name>V<N> with task.json and index.ts yet: the fixture package below covers packaging
      }
      await promisify(execFile)(process.execPath, [path.join(repoRoot, "out", "scripts", "package.js")], {
        cwd: repoRoot,
        env: { ...process.env, EXTENSION_ENV: "dev" },
        timeout: 150_000,
      });
      const dist = path.join(repoRoot, "dist");
      const packages = fs.readdirSync(dist).filter((f) => f.endsWith(".vsix"));
      assert.deepEqual(packages, [`mlops-tasks.mlops-pipeline-tasks-dev-${projectVersion()}.vsix`]);
      vsix = await unpack(path.join(dist, packages[0]), path.join(tempDir, "real"));
    });

    it("holds every task folder, the manifests and nothing else", () => {
      checkUnpackedVsix(vsix, { tasks, sourceTaskJson: (folder) => path.join(tasksDir, folder, "task.json") });
    });

    it("runs each bundled task from the unpacked copy", async () => {
      await checkTasksStart(vsix.dir, tasks);
    });
  });

  describe("a package of the fixture task", () => {
    const fixtures = path.join(repoRoot, "test", "fixtures");
    let vsix: UnpackedVsix;

    before(async () => {
      const taskRoot = path.join(tempDir, "fixture-build");
      await buildTask(path.join(fixtures, "EchoTaskV1"), path.join(taskRoot, "EchoTaskV1"));
      const result = await packageExtension({
        environment: "dev",
        tasksDir: fixtures,
        taskRoot,
        stagingDir: path.join(tempDir, "fixture-staging"),
        outputDir: path.join(tempDir, "fixture-dist"),
      });
      assert.deepEqual(result.tasks, ["EchoTaskV1"]);
      assert.equal(path.basename(result.vsixPath), `mlops-tasks.mlops-pipeline-tasks-dev-${projectVersion()}.vsix`);
      vsix = await unpack(result.vsixPath, path.join(tempDir, "fixture-unpacked"));
    });

    it("holds the task folder, the manifests and nothing else", () => {
      checkUnpackedVsix(vsix, { tasks: ["EchoTaskV1"], sourceTaskJson: (folder) => path.join(fixtures, folder, "task.json") });
    });

    it("runs the bundled task from the unpacked copy, with task-lib's own strings", async () => {
      await checkTasksStart(vsix.dir, ["EchoTaskV1"]);
      const run = await runTask({ task: "EchoTaskV1", taskRoot: vsix.dir, inputs: {} });
      assert.deepEqual(run.issues, [{ type: "error", message: "Input required: message" }]);
      const ok = await runTask({ task: "EchoTaskV1", taskRoot: vsix.dir, inputs: { message: "from the vsix" } });
      assert.equal(ok.result, "Succeeded", ok.stdout);
      assert.equal(ok.resultMessage, "Echoed 13 characters");
    });
  });

  describe("errors", () => {
    it("refuses an unknown EXTENSION_ENV", () => {
      assert.equal(parseEnvironment(undefined), "dev");
      assert.equal(parseEnvironment(" PROD "), "prod");
      assert.throws(() => parseEnvironment("staging"), PackageError);
    });

    it("refuses to package when there is no task", async () => {
      const empty = path.join(tempDir, "empty");
      await fs.promises.mkdir(empty, { recursive: true });
      await assert.rejects(
        packageExtension({ environment: "dev", tasksDir: empty, taskRoot: empty, outputDir: path.join(tempDir, "empty-dist") }),
        /There is no task to package/,
      );
    });

    it("refuses a build that does not match the task folders", async () => {
      await assert.rejects(
        packageExtension({
          environment: "dev",
          tasksDir: path.join(repoRoot, "test", "fixtures"),
          taskRoot: path.join(tempDir, "not-built"),
          outputDir: path.join(tempDir, "not-built-dist"),
        }),
        /not built: EchoTaskV1.*Run npm run build/,
      );
    });

    async function builtFixture(name: string, options: { version?: string; friendlyName?: string } = {}) {
      const tasksDir = path.join(tempDir, name, "tasks");
      const taskRoot = path.join(tempDir, name, "build");
      const src = path.join(tasksDir, "EchoTaskV1");
      await fs.promises.cp(path.join(repoRoot, "test", "fixtures", "EchoTaskV1"), src, { recursive: true });
      if (options.friendlyName) {
        const manifest = readTaskManifest(path.join(src, "task.json"));
        await fs.promises.writeFile(path.join(src, "task.json"), JSON.stringify({ ...manifest, friendlyName: options.friendlyName }));
      }
      await buildTask(src, path.join(taskRoot, "EchoTaskV1"), { version: options.version });
      return { environment: "dev" as const, tasksDir, taskRoot, stagingDir: path.join(tempDir, name, "staging"), outputDir: path.join(tempDir, name, "dist") };
    }

    it("refuses a build made for another version", async () => {
      await assert.rejects(
        packageExtension(await builtFixture("old-version", { version: "0.9.0" })),
        /EchoTaskV1[\\/]task\.json is not at version 1\.0\.0\. Run npm run build/,
      );
    });

    it("refuses a built task without its bundle", async () => {
      const options = await builtFixture("no-bundle");
      await fs.promises.rm(path.join(options.taskRoot, "EchoTaskV1", "index.js"));
      await assert.rejects(packageExtension(options), /EchoTaskV1 has no index\.js/);
    });

    it("reports tfx's own validation errors", async () => {
      const options = await builtFixture("long-name", { friendlyName: "A friendly name that is far too long for tfx" });
      await assert.rejects(packageExtension(options), (err: Error) => {
        assert.ok(err instanceof PackageError);
        assert.match(err.message, /tfx extension create reported problems[\s\S]*friendlyName is a required string <= 40 chars/);
        return true;
      });
      assert.equal(fs.existsSync(options.outputDir), false, "no .vsix is left behind");
    });

    it("reports tfx failing", async () => {
      const root = path.join(tempDir, "broken-manifest");
      const options = await builtFixture("broken-manifest");
      await fs.promises.writeFile(path.join(root, "package.json"), JSON.stringify({ version: "1.0.0" }));
      await fs.promises.writeFile(path.join(root, "vss-extension.json"), '{ "manifestVersion": 1, ');
      await fs.promises.cp(path.join(repoRoot, "images"), path.join(root, "images"), { recursive: true });
      await fs.promises.cp(path.join(repoRoot, "overrides"), path.join(root, "overrides"), { recursive: true });
      await fs.promises.symlink(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"), "junction");
      await assert.rejects(packageExtension({ ...options, repoRoot: root }), (err: Error) => {
        assert.ok(err instanceof PackageError);
        assert.match(err.message, /^tfx extension create failed: Command failed/);
        return true;
      });
      assert.ok(fs.existsSync(path.join(root, "overview.md")), "the placeholder overview is written when none exists");
    });

    it("names contributions and dev task ids deterministically", () => {
      assert.equal(contributionId("TriggerADFPipelineV1"), "trigger-adf-pipeline-v1");
      assert.equal(contributionId("DeployToAKSV1"), "deploy-to-aks-v1");
      assert.equal(contributionId("SubmitAzureMLPipelineV1"), "submit-azure-ml-pipeline-v1");
      const id = devTaskId("0D6E2B5C-8F3A-4C1E-9B7D-2A4C6E8F0A1B");
      assert.equal(id, devTaskId("0d6e2b5c-8f3a-4c1e-9b7d-2a4c6e8f0a1b"));
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(id, "0d6e2b5c-8f3a-4c1e-9b7d-2a4c6e8f0a1b");
    });
  });

  describe("zip reader", () => {
    /** A zip with stored entries (CRCs left 0: the reader does not check them). */
    function storedZip(files: Record<string, string>): Buffer {
      const locals: Buffer[] = [];
      const centrals: Buffer[] = [];
      let offset = 0;
      for (const [name, text] of Object.entries(files)) {
        const nameBytes = Buffer.from(name, "utf8");
        const data = Buffer.from(text, "utf8");
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt32LE(data.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(nameBytes.length, 26);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0);
        central.writeUInt16LE(0x800, 8);
        central.writeUInt32LE(data.length, 20);
        central.writeUInt32LE(data.length, 24);
        central.writeUInt16LE(nameBytes.length, 28);
        central.writeUInt32LE(offset, 42);
        locals.push(local, nameBytes, data);
        centrals.push(central, nameBytes);
        offset += 30 + nameBytes.length + data.length;
      }
      const directory = Buffer.concat(centrals);
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(Object.keys(files).length, 8);
      end.writeUInt16LE(Object.keys(files).length, 10);
      end.writeUInt32LE(directory.length, 12);
      end.writeUInt32LE(offset, 16);
      return Buffer.concat([...locals, directory, end]);
    }

    it("reads stored entries", () => {
      const entries = readZip(storedZip({ "a.txt": "alpha", "dir/b.txt": "béta" }));
      assert.deepEqual(
        entries.map((e) => [e.name, e.data.toString("utf8")]),
        [
          ["a.txt", "alpha"],
          ["dir/b.txt", "béta"],
        ],
      );
    });

    it("refuses data that is not a zip", () => {
      assert.throws(() => readZip(Buffer.alloc(100)), /Not a zip archive/);
    });

    it("refuses entries that would escape the target folder", async () => {
      await assert.rejects(extractZip(storedZip({ "../evil.txt": "x" }), path.join(tempDir, "zip-out")), /points outside/);
    });

    it("refuses unsupported compression", () => {
      const zip = storedZip({ "a.txt": "alpha" });
      const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      zip.writeUInt16LE(14, central + 10); // LZMA
      assert.throws(() => readZip(zip), /compression method 14/);
    });
  });
});

/** The version package.json gives the extension (the one version of the project). */
function projectVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
}
