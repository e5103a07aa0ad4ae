/**
 * Package acceptance: the .vsix the package script makes (from build/tasks, as `npm run package`
 * does, into a temp folder so dist/ is left alone), unpacked with the project's zip reader, then the
 * lifecycle demo run with the four tasks taken from the unpacked copy (no node_modules in reach) —
 * what a user's agent downloads is what runs.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runDemo } from "../../scripts/demo";
import { packageExtension } from "../../scripts/package";
import { extractZip } from "../../devkit/harness/zipReader";

const TASKS = ["DeployToAKSV1", "RegisterModelV1", "SubmitAzureMLPipelineV1", "TriggerADFPipelineV1"];

describe("packaged extension runs the lifecycle demo", function () {
  this.timeout(240_000);
  let tempDir: string;
  let unpacked: string;

  before(async () => {
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "packaged-demo-"));
    const result = await packageExtension({ environment: "prod", stagingDir: path.join(tempDir, "staging"), outputDir: path.join(tempDir, "dist") });
    assert.deepEqual(result.tasks, TASKS);
    unpacked = path.join(tempDir, "unpacked");
    await extractZip(await fs.promises.readFile(result.vsixPath), unpacked);
  });

  after(async () => {
    if (tempDir) await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  it("ships the overview with its pictures and each task with its own icon", () => {
    const overview = fs.readFileSync(path.join(unpacked, "overview.md"), "utf8");
    const pictures = [...overview.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    assert.ok(pictures.length > 0, "overview.md shows at least one picture");
    for (const picture of pictures) assert.ok(fs.existsSync(path.join(unpacked, picture)), `${picture} is in the package`);
    const icons = TASKS.map((task) => fs.readFileSync(path.join(unpacked, task, "icon.png")).toString("base64"));
    assert.equal(new Set(icons).size, TASKS.length, "every task has its own icon");
  });

  it("runs ADF → Azure ML → register → deploy from the unpacked tasks and gets a prediction", async () => {
    const lines: string[] = [];
    const result = await runDemo({ taskRoot: unpacked, write: (line) => lines.push(line) });
    assert.equal(result.succeeded, true, lines.join("\n"));
    assert.deepEqual(
      result.steps.filter((s) => s.reference !== "script").map((s) => s.result),
      ["Succeeded", "Succeeded", "Succeeded", "Succeeded"],
    );
    assert.equal(result.answer?.status, 200);
    assert.ok(Array.isArray(JSON.parse(result.answer?.body ?? "null")), result.answer?.body);
  });
});
