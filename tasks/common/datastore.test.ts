/**
 * Datastore resolution (the ML emulator in-process, real arm-machinelearning client) and uploads
 * to a real Azurite (plain HTTP on loopback, started here: the in-process storage client cannot
 * be made to trust a certificate made at run time; the HTTPS path is covered by the task's e2e
 * tests, which run the built task with NODE_EXTRA_CA_CERTS).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, closeSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { taskLoc } from "./taskLibContext.testing";

const loc = taskLoc();
import { MachineLearningEmulator } from "../../devkit/emulator/arm/machinelearning";
import { RouterHarness } from "../../devkit/emulator/arm/ml/routerHarness";
import { hashLocalArtifact, LocalArtifactError } from "./contentHash";
import { blobContainerUrl, resolveDatastore, uploadArtifact, type DatastoreTarget } from "./datastore";
import { AzureOperationError } from "./errors";
import { MemoryLog } from "./logging";

const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const SUB = "00000000-0000-0000-0000-0000000000dd";
const MiB = 1024 * 1024;
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };
const noSignal = new AbortController().signal;

async function startHttpAzurite(): Promise<{ child: ChildProcess; port: number }> {
  const bin = resolve(__dirname, "../../../node_modules/azurite/dist/src/blob/main.js");
  const child = spawn(
    process.execPath,
    [bin, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const port = await new Promise<number>((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`azurite did not start: ${out}`)), 20000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.once("exit", (code) => fail(new Error(`azurite exited ${code}: ${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, port };
}

async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest("hex");
}

async function sha256OfFile(path: string): Promise<string> {
  return sha256OfStream(createReadStream(path));
}

describe("datastore", function () {
  this.timeout(120000);
  let azurite: { child: ChildProcess; port: number };
  let dir: string;
  let containerIndex = 0;

  before(async () => {
    azurite = await startHttpAzurite();
  });
  after(() => {
    azurite?.child.kill();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "datastore-test-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function newTarget(): Promise<{ target: DatastoreTarget; container: ContainerClient }> {
    const containerName = `upload-test-${++containerIndex}`;
    const containerUrl = blobContainerUrl({ accountName: ACCOUNT, containerName, endpoint: `127.0.0.1:${azurite.port}`, protocol: "http" });
    const key = new StorageSharedKeyCredential(ACCOUNT, KEY);
    const container = new ContainerClient(containerUrl, key);
    await container.create();
    return { target: { datastoreName: "workspaceblobstore", accountName: ACCOUNT, containerName, containerUrl, credential: key }, container };
  }

  async function blobNames(container: ContainerClient): Promise<string[]> {
    const names: string[] = [];
    for await (const b of container.listBlobsFlat()) names.push(b.name);
    return names.sort();
  }

  describe("blobContainerUrl", () => {
    it("uses <account>.blob.<suffix> for storage suffixes and IP-style for loopback hosts", () => {
      assert.equal(
        blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: "core.windows.net", protocol: "https" }),
        "https://acct.blob.core.windows.net/c",
      );
      assert.equal(
        blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: "core.chinacloudapi.cn" }),
        "https://acct.blob.core.chinacloudapi.cn/c",
      );
      assert.equal(
        blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: "127.0.0.1:10000", protocol: "https" }),
        "https://127.0.0.1:10000/acct/c",
      );
      assert.equal(
        blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: "localhost:10000", protocol: "http" }),
        "http://localhost:10000/acct/c",
      );
      assert.equal(blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: "[::1]:10000" }), "https://[::1]:10000/acct/c");
      assert.equal(blobContainerUrl({ accountName: "acct", containerName: "c", endpoint: null }), "https://acct.blob.core.windows.net/c");
    });
  });

  describe("resolveDatastore", () => {
    let h: RouterHarness;
    let ml: MachineLearningEmulator;
    let client: AzureMachineLearningWorkspaces;
    beforeEach(() => {
      h = new RouterHarness({ blob: { endpoint: `http://127.0.0.1:${azurite.port}/${ACCOUNT}`, accountName: ACCOUNT, accountKey: KEY } });
      ml = new MachineLearningEmulator();
      h.use(ml);
      ml.seedDefaults(SUB, "ml_rg");
      client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: h.baseUrl, httpClient: h.httpClient(), retryOptions: { maxRetries: 0 } });
    });
    afterEach(() => {
      ml.dispose();
      h.dispose();
    });
    const ref = { resourceGroupName: "ml_rg", workspaceName: "ml_workspace" };

    it("finds the default datastore and its account key; the container is reachable", async () => {
      const target = await resolveDatastore(client, ref, { credential, network: {} }, { abortSignal: noSignal, loc });
      assert.equal(target.datastoreName, "workspaceblobstore");
      assert.equal(target.accountName, ACCOUNT);
      assert.equal(target.containerUrl, `http://127.0.0.1:${azurite.port}/${ACCOUNT}/${target.containerName}`);
      assert.ok(target.credential instanceof StorageSharedKeyCredential);
      assert.equal(await ml.blobContainerReady(), true);
      assert.equal(await new ContainerClient(target.containerUrl, target.credential).exists(), true);
    });

    it("uses the connection's token for an identity-based datastore, without listing secrets", async () => {
      ml.addDatastore({ name: "identity_store", credentialsType: "None" });
      const target = await resolveDatastore(client, { ...ref, datastoreName: "identity_store" }, { credential, network: {} }, { abortSignal: noSignal, loc });
      assert.equal(target.credential, credential);
      const direct = await h.call(
        "POST",
        `/subscriptions/${SUB}/resourceGroups/ml_rg/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace/datastores/identity_store/listSecrets`,
      );
      assert.equal(direct.status, 400, "listing secrets of an identity-based datastore fails, so resolveDatastore must not do it");
    });

    it("names the datastore when it does not exist, and refuses non-blob datastores", async () => {
      await assert.rejects(
        resolveDatastore(client, { ...ref, datastoreName: "missing" }, { credential, network: {} }, { abortSignal: noSignal, loc }),
        (e: Error) => e instanceof AzureOperationError && /missing/.test(e.message),
      );
      await client.datastores.createOrUpdate("ml_rg", "ml_workspace", "lake", {
        properties: { datastoreType: "AzureDataLakeGen1", storeName: "lake", credentials: { credentialsType: "None" } },
      });
      await assert.rejects(
        resolveDatastore(client, { ...ref, datastoreName: "lake" }, { credential, network: {} }, { abortSignal: noSignal, loc }),
        (e: Error) => e instanceof AzureOperationError && /AzureDataLakeGen1/.test(e.message) && /Azure Blob/.test(e.message),
      );
    });
  });

  describe("uploadArtifact", () => {
    it("uploads a folder under LocalUpload/<md5>/<name>, honouring .amlignore, and marks the indicator blob last", async () => {
      const model = join(dir, "model");
      mkdirSync(join(model, "sub"), { recursive: true });
      writeFileSync(join(model, "weights.bin"), Buffer.alloc(3000, 7));
      writeFileSync(join(model, "sub", "config.json"), "{}");
      writeFileSync(join(model, "notes.tmp"), "ignored");
      writeFileSync(join(model, ".amlignore"), "*.tmp\n");
      const artifact = await hashLocalArtifact(model);
      const { target, container } = await newTarget();
      const log = new MemoryLog();
      const result = await uploadArtifact(target, artifact, { abortSignal: noSignal, loc, log, assetName: "m", assetVersion: "3" });
      assert.deepEqual(result, {
        uploaded: true,
        files: 3,
        bytes: artifact.totalSizeInBytes,
        indicatorMetadata: { upload_status: "completed", name: "m", version: "3" },
      });
      const prefix = `LocalUpload/${artifact.uploadHash}/model`;
      assert.deepEqual(await blobNames(container), [`${prefix}/.amlignore`, `${prefix}/sub/config.json`, `${prefix}/weights.bin`]);
      const props = await container.getBlobClient(artifact.indicatorBlobName).getProperties();
      assert.deepEqual(props.metadata, { upload_status: "completed", name: "m", version: "3" });
      const weights = await container.getBlobClient(`${prefix}/weights.bin`).download();
      assert.equal(await sha256OfStream(weights.readableStreamBody!), createHash("sha256").update(Buffer.alloc(3000, 7)).digest("hex"));
    });

    it("uploads what links inside the folder point to under the links' names; links outside or in a cycle send nothing", async function () {
      const model = join(dir, "model");
      mkdirSync(join(model, "weights"), { recursive: true });
      writeFileSync(join(model, "weights", "w.bin"), "weights");
      writeFileSync(join(dir, "id_rsa"), "PRIVATE KEY");
      mkdirSync(join(dir, "home"));
      writeFileSync(join(dir, "home", "token"), "TOKEN");
      try {
        symlinkSync(join("weights", "w.bin"), join(model, "latest.bin"));
        symlinkSync("weights", join(model, "current"));
      } catch {
        this.skip(); // symlinks need privileges on some Windows agents
      }
      const artifact = await hashLocalArtifact(model);
      const { target, container } = await newTarget();
      await uploadArtifact(target, artifact, { abortSignal: noSignal, loc, log: new MemoryLog() });
      const prefix = `LocalUpload/${artifact.uploadHash}/model`;
      assert.deepEqual(await blobNames(container), [`${prefix}/current/w.bin`, `${prefix}/latest.bin`, `${prefix}/weights/w.bin`]);
      assert.equal((await container.getBlobClient(`${prefix}/latest.bin`).downloadToBuffer()).toString(), "weights");

      // Each refused before anything is sent: the upload needs the hash, and the walk refuses.
      const cases: [string, () => void][] = [
        ["a file outside", () => symlinkSync(join(dir, "id_rsa"), join(model, "notes.txt"))],
        ["a folder outside", () => symlinkSync(join("..", "home"), join(model, "home"))],
        ["a cycle", () => (symlinkSync(".", join(model, "x")), symlinkSync(".", join(model, "y")))],
      ];
      for (const [what, make] of cases) {
        const fresh = await newTarget();
        make();
        await assert.rejects(
          hashLocalArtifact(model).then((a) => uploadArtifact(fresh.target, a, { abortSignal: noSignal, loc, log: new MemoryLog() })),
          (e: Error) => e instanceof LocalArtifactError && e.link !== undefined,
          what,
        );
        assert.deepEqual(await blobNames(fresh.container), [], `${what}: nothing uploaded`);
        for (const name of ["notes.txt", "home", "x", "y"]) rmSync(join(model, name), { force: true });
      }
    });

    it("sends nothing when the indicator says the upload is complete, and redoes an interrupted one", async () => {
      const file = join(dir, "model.pkl");
      writeFileSync(file, "pickled");
      const artifact = await hashLocalArtifact(file);
      const { target, container } = await newTarget();
      // An interrupted upload: the blob exists (wrong content) without the marker.
      await container.getBlockBlobClient(artifact.indicatorBlobName).upload("partial", 7);
      const first = await uploadArtifact(target, artifact, { abortSignal: noSignal, loc, log: new MemoryLog() });
      assert.equal(first.uploaded, true);
      const body = await container.getBlobClient(artifact.indicatorBlobName).downloadToBuffer();
      assert.equal(body.toString(), "pickled");
      const log = new MemoryLog();
      const second = await uploadArtifact(target, artifact, { abortSignal: noSignal, loc, log });
      assert.equal(second.uploaded, false);
      assert.equal(second.indicatorMetadata?.upload_status, "completed");
      assert.ok(log.lines.some((l) => /already uploaded/.test(l)));
    });

    it("fails with a sentence naming the container when storage refuses the credential", async () => {
      const file = join(dir, "m.bin");
      writeFileSync(file, "x");
      const artifact = await hashLocalArtifact(file);
      const { target } = await newTarget();
      const wrong = { ...target, credential: new StorageSharedKeyCredential(ACCOUNT, Buffer.from("not the key").toString("base64")) };
      await assert.rejects(
        uploadArtifact(wrong, artifact, { abortSignal: noSignal, loc, log: new MemoryLog() }),
        (e: Error) => e instanceof AzureOperationError && e.message.includes(target.containerName),
      );
    });

    it("stops when aborted, leaving no completion marker", async () => {
      const model = join(dir, "many");
      mkdirSync(model);
      for (let i = 0; i < 200; i++) writeFileSync(join(model, `f${i}.txt`), `file ${i}`);
      const artifact = await hashLocalArtifact(model);
      const { target, container } = await newTarget();
      const controller = new AbortController();
      const upload = uploadArtifact(target, artifact, { abortSignal: controller.signal, loc, log: new MemoryLog(), concurrency: 2 });
      // Abort once the first files have landed.
      while ((await blobNames(container)).length === 0) await new Promise((r) => setTimeout(r, 2));
      controller.abort(new Error("stop"));
      await assert.rejects(upload);
      const indicator = await container
        .getBlobClient(artifact.indicatorBlobName)
        .getProperties()
        .catch(() => undefined);
      assert.notEqual(indicator?.metadata?.upload_status, "completed");
      assert.ok((await blobNames(container)).length < 200, "the upload stopped early");
    });

    it("streams a large file in parallel blocks with bounded memory and progress lines", async () => {
      const size = 192 * MiB;
      const file = join(dir, "big.bin");
      const fd = openSync(file, "w");
      const chunk = Buffer.alloc(MiB);
      for (let i = 0; i < size / MiB; i++) {
        for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
        writeSync(fd, chunk);
      }
      closeSync(fd);
      const artifact = await hashLocalArtifact(file);
      const { target, container } = await newTarget();
      const log = new MemoryLog();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        await uploadArtifact(target, artifact, { abortSignal: noSignal, loc, log, progressIntervalInMs: 0, blockSizeInBytes: 4 * MiB, blockConcurrency: 4 });
      } finally {
        clearInterval(sampler);
      }
      const growth = peak - before;
      assert.ok(growth < 120 * MiB, `memory grew by ${(growth / MiB).toFixed(0)} MiB uploading ${size / MiB} MiB`);
      assert.ok(log.lines.filter((l) => /^Upload progress: \d+%/.test(l)).length >= 3, log.lines.join("\n"));
      const blob = container.getBlobClient(artifact.indicatorBlobName);
      const blocks = await container.getBlockBlobClient(artifact.indicatorBlobName).getBlockList("committed");
      assert.equal(blocks.committedBlocks?.length, size / (4 * MiB), "uploaded in blocks");
      assert.equal(await sha256OfStream((await blob.download()).readableStreamBody!), await sha256OfFile(file));
    });
  });
});
