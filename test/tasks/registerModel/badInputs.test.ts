/**
 * RegisterModel with bad inputs, run as the agent runs it: each fails with a message naming the
 * input, and nothing is uploaded or registered (checked in the emulator's request log and in
 * Azurite).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { WorkspaceBlobs, listSecretsCalls, runRegister } from "./fixture";

describe("RegisterModel task: bad inputs", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let blobs: WorkspaceBlobs;
  let workDir: string;

  before(async () => {
    emu = await startEmulator();
    blobs = new WorkspaceBlobs(emu);
    workDir = mkdtempSync(join(tmpdir(), "register-bad-"));
    writeFileSync(join(workDir, "model.pkl"), "model");
    mkdirSync(join(workDir, "empty"));
    mkdirSync(join(workDir, "only-ignored"));
    writeFileSync(join(workDir, "only-ignored", ".amlignore"), "*\n");
  });
  after(async () => {
    blobs?.close();
    await emu?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  beforeEach(() => emu.reset());

  const cases: { title: string; inputs: Record<string, string>; message: RegExp }[] = [
    { title: "a model path that does not exist", inputs: { modelName: "m", modelPath: "missing.pkl" }, message: /modelPath/ },
    { title: "an empty folder", inputs: { modelName: "m", modelPath: "empty" }, message: /Input 'modelPath': the folder .*empty.* is empty/ },
    { title: "a folder whose files are all ignored", inputs: { modelName: "m", modelPath: "only-ignored" }, message: /Input 'modelPath'.*is empty/ },
    { title: "a model name with a period", inputs: { modelName: "my.model", modelPath: "model.pkl" }, message: /modelName.*my\.model.*Azure ML model/ },
    { title: "a model name with a space", inputs: { modelName: "my model", modelPath: "model.pkl" }, message: /modelName/ },
    { title: "a model name starting with a hyphen", inputs: { modelName: "-model", modelPath: "model.pkl" }, message: /modelName/ },
    { title: "tags that are not valid JSON", inputs: { modelName: "m", modelPath: "model.pkl", tags: '{"stage": ' }, message: /Input 'tags'/ },
    { title: "properties that are a list", inputs: { modelName: "m", modelPath: "model.pkl", properties: '["a"]' }, message: /Input 'properties'/ },
    { title: "a version with a slash", inputs: { modelName: "m", modelPath: "model.pkl", version: "1/2" }, message: /Input 'version'/ },
    { title: "an unknown model type", inputs: { modelName: "m", modelPath: "model.pkl", modelType: "onnx" }, message: /modelType/ },
    {
      title: "an mlflow_model that is a single file",
      inputs: { modelName: "m", modelPath: "model.pkl", modelType: "mlflow_model" },
      message: /Input 'modelPath'.*is a file/,
    },
    {
      title: "a job output name with a slash",
      inputs: { modelName: "m", modelSource: "jobOutput", jobName: "j1", outputName: "a/b" },
      message: /Input 'outputName'/,
    },
  ];

  for (const c of cases) {
    it(`fails on ${c.title}, naming the input, with nothing uploaded`, async () => {
      emu.requests.clear();
      const r = await runRegister(emu, c.inputs, { workDir });
      assert.equal(r.result, "Failed", r.stdout);
      assert.match(r.resultMessage ?? "", c.message);
      assert.equal(listSecretsCalls(emu).length, 0, "no datastore credentials fetched");
      assert.equal(emu.requests.filter(undefined, /\/(models|datastores)\b/).length, 0, "no model or datastore calls");
      assert.deepEqual(await blobs.names("LocalUpload/"), []);
    });
  }
});
