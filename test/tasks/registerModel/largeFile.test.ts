/**
 * RegisterModel with a 1 GiB model file, run as the agent runs it against the emulator and
 * Azurite: the file is generated (pseudo-random) in a temp folder, uploaded in parallel blocks
 * with progress lines, compared with the blob by streaming SHA-256, and deleted afterwards.
 */
import assert from "node:assert/strict";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { WorkspaceBlobs, blobPathOf, outputs, runRegister, sha256OfFile } from "./fixture";

const GiB = 1024 * 1024 * 1024;
const CHUNK = 16 * 1024 * 1024;

describe("RegisterModel task: 1 GiB model file", function () {
  this.timeout(300_000);
  let emu: Emulator;
  let blobs: WorkspaceBlobs;
  let workDir: string;

  before(async () => {
    emu = await startEmulator();
    blobs = new WorkspaceBlobs(emu);
    workDir = mkdtempSync(join(tmpdir(), "register-large-"));
  });
  after(async () => {
    blobs?.close();
    await emu?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("uploads and registers it; the blob matches the local bytes", async () => {
    const file = join(workDir, "large-model.bin");
    const fd = openSync(file, "w");
    const buffer = Buffer.alloc(CHUNK);
    for (let written = 0; written < GiB; written += CHUNK) writeSync(fd, randomFillSync(buffer));
    closeSync(fd);

    const started = Date.now();
    const r = await runRegister(emu, { modelName: "large-model", modelPath: "large-model.bin" }, { workDir, timeoutInMs: 240_000 });
    const elapsed = Date.now() - started;
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    console.log(`      (1 GiB: hashed, uploaded and registered in ${(elapsed / 1000).toFixed(1)} s)`);
    assert.ok((r.stdout.match(/Upload progress: \d+%/g) ?? []).length >= 1, "progress lines for a large upload");
    assert.equal(outputs(r).ModelVersion, "1");
    const blobPath = blobPathOf(outputs(r).ModelUri!);
    assert.equal(await blobs.sha256(blobPath), await sha256OfFile(file));
  });
});
