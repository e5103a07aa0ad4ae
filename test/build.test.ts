import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { promisify } from "node:util";
import { buildAllTasks, buildTask, discoverTaskFolders, duplicatedSingletons, parseVersion, TaskBuildError } from "../scripts/build";
import { encodePng, ICONS, renderIcon } from "../scripts/icons";
import { findRepoRoot } from "../devkit/repoRoot";

const repoRoot = findRepoRoot(__dirname);
const fixtureDir = path.join(repoRoot, "test", "fixtures", "EchoTaskV1");

function taskJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: "5b0c7a1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d",
    name: "Probe",
    friendlyName: "Probe",
    version: { Major: 1, Minor: 9, Patch: 9 },
    instanceNameFormat: "Probe",
    execution: { Node20_1: { target: "index.js" }, Node24: { target: "index.js" } },
    ...overrides,
  });
}

describe("build", function () {
  this.timeout(60_000);
  let tempDir: string;

  beforeEach(async () => {
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "build-test-"));
  });

  afterEach(async () => {
    await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  async function writeTask(folder: string, files: Record<string, string | Buffer>): Promise<string> {
    const dir = path.join(tempDir, "tasks", folder);
    for (const [name, content] of Object.entries(files)) {
      await fs.promises.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await fs.promises.writeFile(path.join(dir, name), content);
    }
    return dir;
  }

  it("bundles a task that runs with no node_modules in reach, with the package version and resources", async () => {
    const source = [
      'import * as tl from "azure-pipelines-task-lib/task";',
      'import { ClientSecretCredential } from "@azure/identity";',
      'import { BlobServiceClient } from "@azure/storage-blob";',
      "console.log('identity=' + typeof ClientSecretCredential + ' blob=' + typeof BlobServiceClient);",
      "tl.setResourcePath(require('path').join(__dirname, 'task.json'));",
      "console.log('loc=' + tl.loc('Hello', 'world'));",
    ].join("\n");
    const src = await writeTask("ProbeV1", {
      "task.json": taskJson({ messages: { Hello: "Hello %s" } }),
      "index.ts": source,
      "Strings/resources.resjson/en-US/resources.resjson": JSON.stringify({ "loc.messages.Hello": "Hi %s" }),
    });
    const outDir = path.join(tempDir, "isolated", "ProbeV1");
    const built = await buildTask(src, outDir, { version: "2.3.4" });

    assert.equal(built.folder, "ProbeV1");
    assert.ok(built.bundleBytes > 100_000);
    // index.code: the entry and what it loads at once; rest.code: what dynamic import()s reach (here @azure/identity's own).
    assert.deepEqual(fs.readdirSync(outDir).sort(), ["Strings", "icon.png", "index.code", "index.js", "rest.code", "task.json"]);
    const written = JSON.parse(fs.readFileSync(path.join(outDir, "task.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(written["version"], { Major: 2, Minor: 3, Patch: 4 });
    assert.deepEqual(fs.readFileSync(path.join(outDir, "icon.png")), fs.readFileSync(path.join(repoRoot, "images", "default-task-icon.png")));

    const { stdout } = await promisify(execFile)(process.execPath, [path.join(outDir, "index.js")], {
      cwd: outDir,
      env: { PATH: process.env["PATH"] ?? "", AGENT_TEMPDIRECTORY: tempDir, SYSTEM_CULTURE: "en-US" },
    });
    assert.match(stdout, /identity=function blob=function/);
    assert.match(stdout, /loc=Hi world/, "the Strings folder's en-US text wins over task.json");
  });

  it("splits what import() reaches into rest.code, loaded after the entry ran, sharing modules and CommonJS exports as before", async () => {
    const src = await writeTask("ProbeV1", {
      "task.json": taskJson(),
      "shared.ts": "export const state = { loads: 0 };",
      // A CommonJS module reached by import(): its named exports are destructured (as tasks/common/credentials.ts does with TaskApi).
      "legacy.js": "exports.legacyOnlyMarker = 1; exports.Legacy = class Legacy { hello() { return 'legacy'; } };",
      "later.ts": 'import { state } from "./shared";\nstate.loads++;\nexport const laterState = state;',
      "index.ts": [
        'import { state } from "./shared";',
        "state.loads++;",
        "const loadedFirst = state.loads;",
        'void Promise.all([import("./later"), import("./legacy.js")]).then(([{ laterState }, { Legacy }]) => {',
        "  console.log(JSON.stringify({ loadedFirst, loads: state.loads, same: laterState === state, legacy: new Legacy().hello() }));",
        "});",
      ].join("\n"),
    });
    const outDir = path.join(tempDir, "out", "ProbeV1");
    await buildTask(src, outDir, { version: "1.0.0" });
    assert.ok(fs.readFileSync(path.join(outDir, "rest.code"), "utf8").includes("legacyOnlyMarker"), "the import()ed module is in rest.code");
    assert.ok(!fs.readFileSync(path.join(outDir, "index.code"), "utf8").includes("legacyOnlyMarker"), "the import()ed module is not in the startup code");
    for (const run of ["first run", "with its cache"]) {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(outDir, "index.js")], {
        cwd: outDir,
        env: { PATH: process.env["PATH"] ?? "" },
      });
      assert.deepEqual(JSON.parse(stdout), { loadedFirst: 1, loads: 2, same: true, legacy: "legacy" }, run);
    }
  });

  it("copies the task's own icon", async () => {
    const icon = Buffer.from("not really a png");
    const src = await writeTask("ProbeV1", { "task.json": taskJson(), "index.ts": "export {};", "icon.png": icon });
    await buildTask(src, path.join(tempDir, "out"), { version: "1.0.0" });
    assert.deepEqual(fs.readFileSync(path.join(tempDir, "out", "icon.png")), icon);
  });

  it("fails on a task.json that is not JSON, naming the file", async () => {
    const src = await writeTask("ProbeV1", { "task.json": '{ "id": ', "index.ts": "" });
    await assert.rejects(buildTask(src, path.join(tempDir, "out")), (err: Error) => {
      assert.ok(err instanceof TaskBuildError);
      assert.match(err.message, /ProbeV1[\\/]task\.json is not valid JSON/);
      return true;
    });
  });

  it("refuses to build into the folder that holds the sources", async () => {
    const src = await writeTask("ProbeV1", { "task.json": taskJson(), "index.ts": "export {};" });
    await assert.rejects(buildTask(src, src, { version: "1.0.0" }), /would hold the sources/);
    await assert.rejects(buildTask(src, path.dirname(src), { version: "1.0.0" }), /would hold the sources/);
    assert.ok(fs.existsSync(path.join(src, "index.ts")), "the sources are untouched");
  });

  it("fails when a handler does not run the bundle", async () => {
    const src = await writeTask("ProbeV1", {
      "task.json": taskJson({ execution: { Node20_1: { target: "main.js" }, Node16: { target: "index.js" } } }),
      "index.ts": "",
    });
    await assert.rejects(
      buildTask(src, path.join(tempDir, "out")),
      /execution.Node20_1.target is "main.js"; execution.Node24 is missing\. Both Node20_1 and Node24 must have "target": "index.js"/,
    );
  });

  it("fails on a bundling error with esbuild's message", async () => {
    const src = await writeTask("ProbeV1", { "task.json": taskJson(), "index.ts": 'import "no-such-package";' });
    await assert.rejects(
      buildTask(src, path.join(tempDir, "out"), { version: "1.0.0" }),
      /Bundling .*index\.ts failed:[\s\S]*Could not resolve "no-such-package"/,
    );
  });

  it("spots two copies of task-lib in one bundle", () => {
    const input = { bytes: 1, imports: [] };
    assert.deepEqual(duplicatedSingletons({ inputs: { "node_modules/azure-pipelines-task-lib/task.js": input, "tasks/X/index.ts": input } }), []);
    assert.deepEqual(
      duplicatedSingletons({
        inputs: {
          "node_modules/azure-pipelines-task-lib/task.js": input,
          "node_modules/some-helper/node_modules/azure-pipelines-task-lib/internal.js": input,
        },
      }),
      ["azure-pipelines-task-lib (., node_modules/some-helper/)"],
    );
  });

  it("refuses a version that is not major.minor.patch", () => {
    assert.deepEqual(parseVersion("10.2.33"), { Major: 10, Minor: 2, Patch: 33 });
    assert.throws(() => parseVersion("1.0.0-beta.1"), TaskBuildError);
    assert.throws(() => parseVersion("1.0"), /not major.minor.patch/);
  });

  it("builds every complete task folder in parallel into an emptied output folder, skipping incomplete ones", async () => {
    await writeTask("AlphaV1", { "task.json": taskJson({ name: "Alpha" }), "index.ts": "console.log('alpha');" });
    await writeTask("BetaV2", { "task.json": taskJson({ name: "Beta" }), "index.ts": "console.log('beta');" });
    await writeTask("GammaV1", { "task.json": taskJson({ name: "Gamma" }) });
    await writeTask("common", { "shared.ts": "export {};" });
    const outRoot = path.join(tempDir, "build", "tasks");
    await fs.promises.mkdir(path.join(outRoot, "StaleV1"), { recursive: true });

    assert.deepEqual(discoverTaskFolders(path.join(tempDir, "tasks")), { folders: ["AlphaV1", "BetaV2"], skipped: ["GammaV1"] });
    const result = await buildAllTasks({ tasksDir: path.join(tempDir, "tasks"), outRoot, version: "1.0.0" });
    assert.deepEqual(
      result.tasks.map((t) => t.folder),
      ["AlphaV1", "BetaV2"],
    );
    assert.deepEqual(result.skipped, ["GammaV1"]);
    assert.deepEqual(fs.readdirSync(outRoot).sort(), ["AlphaV1", "BetaV2"]);
  });

  it("builds the fixture task in well under the time budget", async () => {
    const built = await buildTask(fixtureDir, path.join(tempDir, "EchoTaskV1"));
    assert.ok(built.durationInMs < 10_000, `${built.durationInMs} ms`);
  });
});

/** A PNG's header and inflated image data (compression output may differ between zlib builds). */
/**
 * What each shipped task keeps out of its start-up part (index.code, run before the sign-in's first
 * request; issue 20): the Azure SDK clients and storage, loaded while the sign-in is on the wire.
 * (Input files, Submit's job file included, are read and checked before: no connection is opened
 * for input the task refuses; test/l0.) Each name is the one keepNames writes for the class, so it
 * must be found in rest.code (the test would otherwise pass on a name that no longer exists).
 */
const LATER_ONLY: Record<string, string[]> = {
  DeployToAKSV1: ["AzureMachineLearningWorkspaces", "ContainerServiceClient", "BlockBlobClient"],
  RegisterModelV1: ["AzureMachineLearningWorkspaces", "BlockBlobClient"],
  SubmitAzureMLPipelineV1: ["AzureMachineLearningWorkspaces", "BlockBlobClient"],
  TriggerADFPipelineV1: ["DataFactoryManagementClient"],
};

describe("the shipped tasks' start-up part (build/tasks, built by npm test)", () => {
  const taskRoot = path.join(repoRoot, "build", "tasks");
  for (const [folder, names] of Object.entries(LATER_ONLY)) {
    it(`${folder} loads ${names.join(", ")} only after the sign-in's request`, function () {
      if (!fs.existsSync(path.join(taskRoot, folder, "rest.code"))) this.skip();
      const startup = fs.readFileSync(path.join(taskRoot, folder, "index.code"), "latin1");
      const later = fs.readFileSync(path.join(taskRoot, folder, "rest.code"), "latin1");
      for (const name of names) {
        assert.ok(later.includes(`"${name}"`), `${folder}: rest.code has no class named ${name}`);
        assert.ok(!startup.includes(`"${name}"`), `${folder}: ${name} is in the start-up part`);
      }
    });
  }
});

function decodePng(png: Buffer): { header: Buffer; rows: Buffer } {
  const idat = png.indexOf("IDAT");
  return {
    header: png.subarray(8, 33),
    rows: zlib.inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4))),
  };
}

describe("icons", () => {
  it("encodes RGBA pixels as a PNG", () => {
    const pixels = Buffer.from([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 1, 2, 3, 4]);
    const png = encodePng(pixels, 2, 2);
    assert.deepEqual(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    assert.equal(png.toString("ascii", 12, 16), "IHDR");
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]], [2, 2, 8, 6]);
    assert.deepEqual(decodePng(png).rows, Buffer.concat([Buffer.from([0]), pixels.subarray(0, 8), Buffer.from([0]), pixels.subarray(8)]));
    assert.equal(png.readUInt32BE(png.length - 4), 0xae426082, "IEND's CRC");
  });

  it("refuses a pixel buffer of the wrong size", () => {
    assert.throws(() => encodePng(Buffer.alloc(15), 2, 2), RangeError);
  });

  it("keeps the committed icons in step with their generator", () => {
    for (const { file, size } of ICONS) {
      const committed = decodePng(fs.readFileSync(path.join(repoRoot, "images", file)));
      assert.deepEqual(committed, decodePng(renderIcon(size)), `images/${file}: run node out/scripts/icons.js`);
    }
  });
});
