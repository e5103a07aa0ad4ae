/**
 * RegisterModel from local files, run as the agent runs it, against the emulator with Azurite:
 * upload to the default datastore (content-hashed like the CLI), lineage, next-version logic,
 * no overwrite, skipIfUnchanged, concurrent registrations, identity-based datastores.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { WorkspaceBlobs, armCall, blobPathOf, listSecretsCalls, modelVersionPuts, outputs, runRegister, sha256OfFile, workspacePath } from "./fixture";
import { visibleOutput } from "../../../devkit/harness/secretScan";

describe("RegisterModel task: local files", function () {
  this.timeout(180_000);
  let emu: Emulator;
  let blobs: WorkspaceBlobs;
  let workDir: string;

  before(async () => {
    emu = await startEmulator();
    blobs = new WorkspaceBlobs(emu);
  });
  after(async () => {
    blobs?.close();
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
    workDir = mkdtempSync(join(tmpdir(), "register-model-"));
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  /** A file whose content no other test uploads (uploads are content-addressed). */
  function uniqueFile(name: string): string {
    const file = join(workDir, name);
    writeFileSync(file, `model ${randomUUID()}\n`);
    return file;
  }

  it("registers a single file: uploaded bytes, the CLI's URI, outputs and build lineage", async () => {
    const file = uniqueFile("model.pkl");
    const r = await runRegister(emu, { modelName: "credit-model", modelPath: "model.pkl", description: "first", tags: '{"stage": "candidate"}' }, { workDir });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const out = outputs(r);
    assert.equal(out.ModelName, "credit-model");
    assert.equal(out.ModelVersion, "1");
    assert.equal(out.ModelId, "azureml:credit-model:1");
    assert.match(
      out.ModelUri!,
      new RegExp(
        `^azureml://subscriptions/${emu.subscriptionId}/resourcegroups/${emu.resourceGroupName}/workspaces/ml_workspace/datastores/workspaceblobstore/paths/LocalUpload/[0-9a-f]{32}/model\\.pkl$`,
      ),
    );
    const blob = blobPathOf(out.ModelUri!);
    assert.equal(await blobs.sha256(blob), await sha256OfFile(file));
    assert.deepEqual(await blobs.metadata(blob), { upload_status: "completed", name: "credit-model", version: "1" });

    const version = await armCall(emu, "GET", `${workspacePath(emu)}/models/credit-model/versions/1`);
    const p = version.body.properties;
    assert.equal(p.modelUri, out.ModelUri);
    assert.equal(p.modelType, "custom_model");
    assert.equal(p.description, "first");
    assert.equal(p.tags.stage, "candidate");
    assert.equal(p.tags["devops.buildId"], "42");
    assert.equal(p.properties["devops.buildId"], "42");
    assert.equal(p.properties["devops.repository"], "mlops-project");
    assert.equal(p.properties["devops.sourceVersion"], "3f786850e387550fdab836ed7e6dc881de23001b");
    assert.match(p.properties["devops.buildUrl"], /\/mlops\/_build\/results\?buildId=42$/);
    assert.match(p.properties["mlops.uploadHash"], /^[0-9a-f]{32}$/);
    const puts = modelVersionPuts(emu, "credit-model");
    assert.equal(puts.length, 1);
    for (const secret of emu.secrets()) assert.ok(!visibleOutput(r.stdout + r.stderr).includes(secret), "no key or token in the log");
  });

  it("uploads a folder of 1,000 small files without its ignored files and registers the next version after 1..3", async () => {
    const folder = join(workDir, "model");
    mkdirSync(join(folder, "shards"), { recursive: true });
    const salt = randomUUID();
    for (let i = 0; i < 1000; i++) writeFileSync(join(folder, "shards", `part-${String(i).padStart(4, "0")}.bin`), `${salt} shard ${i}`);
    writeFileSync(join(folder, "debug.log"), "ignored");
    writeFileSync(join(folder, ".amlignore"), "*.log\n");
    for (const v of ["1", "2", "3"])
      emu.ml.seedAsset("models", "folder-model", v, { modelType: "custom_model", modelUri: `azureml://datastores/workspaceblobstore/paths/old/${v}/` });

    const started = Date.now();
    const r = await runRegister(emu, { modelName: "folder-model", modelPath: "model" }, { workDir });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const out = outputs(r);
    assert.equal(out.ModelVersion, "4");
    const prefix = blobPathOf(out.ModelUri!);
    assert.match(prefix, /^LocalUpload\/[0-9a-f]{32}\/model$/);
    const names = await blobs.names(`${prefix}/`);
    assert.equal(names.length, 1001, "1,000 shards and the .amlignore file");
    assert.ok(!names.some((n) => n.endsWith("debug.log")), "ignored files are not uploaded");
    for (const i of [0, 499, 999]) {
      const rel = `shards/part-${String(i).padStart(4, "0")}.bin`;
      assert.equal(await blobs.sha256(`${prefix}/${rel}`), await sha256OfFile(join(folder, rel)));
    }
    assert.match(r.stdout, /Upload progress: \d+%/, "progress lines for many files");
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
  });

  it("skipIfUnchanged: the same content registers nothing and outputs the latest version", async () => {
    uniqueFile("same.pkl");
    const first = await runRegister(emu, { modelName: "stable-model", modelPath: "same.pkl", skipIfUnchanged: "true" }, { workDir });
    assert.equal(first.result, "Succeeded", first.stdout);
    const second = await runRegister(emu, { modelName: "stable-model", modelPath: "same.pkl", skipIfUnchanged: "true" }, { workDir });
    assert.equal(second.result, "Succeeded", second.stdout);
    assert.equal(outputs(second).ModelVersion, "1");
    assert.equal(outputs(second).ModelUri, outputs(first).ModelUri);
    assert.match(second.stdout, /same content/);
    assert.equal(modelVersionPuts(emu, "stable-model").length, 1, "no second registration");

    uniqueFile("same.pkl"); // new content
    const third = await runRegister(emu, { modelName: "stable-model", modelPath: "same.pkl", skipIfUnchanged: "true" }, { workDir });
    assert.equal(outputs(third).ModelVersion, "2");
  });

  it("without skipIfUnchanged the same content gets a new version (upload skipped: already complete)", async () => {
    uniqueFile("again.pkl");
    await runRegister(emu, { modelName: "again-model", modelPath: "again.pkl" }, { workDir });
    const r = await runRegister(emu, { modelName: "again-model", modelPath: "again.pkl" }, { workDir });
    assert.equal(r.result, "Succeeded", r.stdout);
    assert.equal(outputs(r).ModelVersion, "2");
    assert.match(r.stdout, /already uploaded/);
  });

  it("refuses an explicit version that exists, before uploading anything", async () => {
    emu.ml.seedAsset("models", "pinned", "7", { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/old/" });
    uniqueFile("pinned.pkl");
    emu.requests.clear();
    const r = await runRegister(emu, { modelName: "pinned", modelPath: "pinned.pkl", version: "7" }, { workDir });
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage!, /Input 'version'.*'pinned' version '7' already exists/);
    assert.equal(modelVersionPuts(emu, "pinned").length, 0);
    assert.equal(listSecretsCalls(emu).length, 0, "no upload was attempted");

    const ok = await runRegister(emu, { modelName: "pinned", modelPath: "pinned.pkl", version: "8" }, { workDir });
    assert.equal(ok.result, "Succeeded", ok.stdout);
    assert.equal(outputs(ok).ModelVersion, "8");
  });

  it("two concurrent registrations get distinct versions", async () => {
    uniqueFile("a.pkl");
    uniqueFile("b.pkl");
    const [a, b] = await Promise.all([
      runRegister(emu, { modelName: "raced", modelPath: "a.pkl" }, { workDir }),
      runRegister(emu, { modelName: "raced", modelPath: "b.pkl" }, { workDir }),
    ]);
    const results = [a, b];
    for (const r of results) assert.ok(r.result === "Succeeded" || /conflict|taken|already exists/i.test(r.resultMessage ?? ""), r.stdout + r.stderr);
    const versions = results.filter((r) => r.result === "Succeeded").map((r) => outputs(r).ModelVersion);
    assert.equal(new Set(versions).size, versions.length, `versions ${versions.join(", ")}`);
    assert.ok(versions.length >= 1);
    const listed = await armCall(emu, "GET", `${workspacePath(emu)}/models/raced/versions`);
    const uris = listed.body.value.map((v: { properties: { modelUri: string } }) => v.properties.modelUri);
    assert.equal(new Set(uris).size, versions.length, "each registered version keeps its own files");
  });

  it("uploads with the connection's own token to an identity-based datastore (no listSecrets)", async () => {
    emu.ml.addDatastore({ name: "workspaceblobstore", credentialsType: "None", isDefault: true, description: "identity-based" });
    const file = uniqueFile("identity.pkl");
    emu.requests.clear();
    const r = await runRegister(emu, { modelName: "identity-model", modelPath: "identity.pkl" }, { workDir, scheme: "federated" });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    assert.equal(listSecretsCalls(emu).length, 0);
    assert.equal(await blobs.sha256(blobPathOf(outputs(r).ModelUri!)), await sha256OfFile(file));
  });

  it("requires an MLmodel file at the root of an mlflow_model folder, before uploading", async () => {
    const folder = join(workDir, "mlflow");
    mkdirSync(folder);
    writeFileSync(join(folder, "model.pkl"), randomUUID());
    emu.requests.clear();
    const r = await runRegister(emu, { modelName: "flow", modelPath: "mlflow", modelType: "mlflow_model" }, { workDir });
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage!, /modelPath.*no MLmodel file/);
    assert.equal(listSecretsCalls(emu).length, 0);

    writeFileSync(join(folder, "MLmodel"), "flavors:\n  python_function: {}\n");
    const ok = await runRegister(emu, { modelName: "flow", modelPath: "mlflow", modelType: "mlflow_model" }, { workDir });
    assert.equal(ok.result, "Succeeded", ok.stdout);
    const version = await armCall(emu, "GET", `${workspacePath(emu)}/models/flow/versions/1`);
    assert.equal(version.body.properties.modelType, "mlflow_model");
  });
});
