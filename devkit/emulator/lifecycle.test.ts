/**
 * Start/stop: Azurite starts and stops with the emulator (reachable with the account key and with
 * an Entra ID storage token through @azure/storage-blob), twenty start/stop cycles leak no
 * process, port or temp file, and `npm run emulator` (cli.js) prints EMULATOR_READY, is trusted
 * through NODE_EXTRA_CA_CERTS by another process, and exits cleanly on SIGINT.
 */
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { connect } from "node:net";
import { resolve } from "node:path";
import { BlobServiceClient, newPipeline, type RequestPolicyFactory } from "@azure/storage-blob";
import { startEmulator, type Emulator } from "./index";
import { blobService, credential, credentialOptions, mlClient } from "./testing";
import { ClientSecretCredential } from "@azure/identity";

const ROOT = resolve(__dirname, "../../..");

function portRefused(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      done(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED"));
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function childPids(): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter(([pid, comm]) => Number(pid) > 0 && comm !== "ps")
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

describe("emulator: Azurite, start/stop and the CLI", function () {
  this.timeout(60000);

  describe("with Azurite", () => {
    let emu: Emulator;
    before(async () => {
      emu = await startEmulator();
    });
    after(async () => {
      await emu?.stop();
    });

    it("serves blobs with the account key that the workspace datastore's listSecrets returns", async () => {
      assert.ok(emu.blob);
      assert.match(emu.blob.endpoint, /^https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      const ml = mlClient(emu, credential(emu, "secret"));
      const secrets = await ml.datastores.listSecrets(emu.resourceGroupName, "ml_workspace", "workspaceblobstore");
      assert.equal((secrets as { key?: string }).key, emu.blob.accountKey);
      const ds = (await ml.datastores.get(emu.resourceGroupName, "ml_workspace", "workspaceblobstore")).properties as {
        endpoint?: string;
        containerName?: string;
        accountName?: string;
      };
      assert.equal(ds.endpoint, new URL(emu.blob.endpoint).host);
      assert.equal(ds.accountName, emu.blob.accountName);
      assert.equal(await emu.ml.blobContainerReady(), true);

      const { service, close } = blobService(emu);
      try {
        const container = service.getContainerClient(ds.containerName!);
        assert.equal(await container.exists(), true);
        await container.getBlockBlobClient("hello/world.txt").upload("hello", 5);
        const names: string[] = [];
        for await (const b of container.listBlobsFlat({ prefix: "hello/" })) names.push(b.name);
        assert.deepEqual(names, ["hello/world.txt"]);
        await emu.reset();
        assert.equal(await emu.ml.blobContainerReady(), true, "after reset the datastore container is there again");
      } finally {
        close();
      }
    });

    it("accepts an Entra ID storage token (identity-based datastores) and rejects anonymous writes", async () => {
      const agent = new Agent({ ca: emu.caCertPem });
      const trust: RequestPolicyFactory = {
        create: (next) => ({
          sendRequest: (request) => {
            (request as unknown as { agent: Agent }).agent = agent;
            return next.sendRequest(request);
          },
        }),
      };
      try {
        const cred = new ClientSecretCredential(emu.tenantId, emu.identities.secret.clientId, emu.identities.secret.clientSecret, credentialOptions(emu));
        const pipeline = newPipeline(cred, { retryOptions: { maxTries: 1 } });
        pipeline.factories.push(trust);
        const container = new BlobServiceClient(emu.blob!.endpoint, pipeline).getContainerClient("oauth-check");
        await container.create();
        assert.equal(await container.exists(), true);
        const anon = newPipeline(undefined, { retryOptions: { maxTries: 1 } });
        anon.factories.push(trust);
        await assert.rejects(
          new BlobServiceClient(emu.blob!.endpoint, anon).getContainerClient("anon-check").create(),
          (e: { statusCode?: number }) => e.statusCode === 401 || e.statusCode === 403 || e.statusCode === 404,
        );
      } finally {
        agent.destroy();
      }
    });
  });

  it("starts and stops 20 times without leaking a process, a port or a temp directory", async function () {
    this.timeout(240_000); // ~55 s alone; Azurite start-up slows down a lot on a loaded machine
    const before = new Set(childPids());
    const seen: { url: number; blob: number; pid: number; ca: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const emu = await startEmulator({ timeScale: 1000 });
      seen.push({ url: Number(new URL(emu.url).port), blob: Number(new URL(emu.blob!.endpoint).port), pid: emu.azuritePid!, ca: emu.caCertPath });
      assert.ok(existsSync(emu.caCertPath));
      await emu.stop();
      await emu.stop(); // idempotent
    }
    for (const s of seen) {
      assert.ok(processGone(s.pid), `azurite ${s.pid} is gone`);
      assert.ok(await portRefused(s.url), `port ${s.url} is closed`);
      assert.ok(await portRefused(s.blob), `azurite port ${s.blob} is closed`);
      assert.ok(!existsSync(s.ca), `${s.ca} was removed`);
    }
    const leftover = childPids().filter((p) => !before.has(p));
    assert.deepEqual(leftover, [], "no child process is left");
  });

  it("`npm run emulator` (cli.js) prints one EMULATOR_READY line, is trusted via NODE_EXTRA_CA_CERTS, and exits cleanly on SIGINT", async () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.emulator, /node out\/devkit\/emulator\/cli\.js$/);
    const child = spawn(process.execPath, [resolve(ROOT, "out/devkit/emulator/cli.js")], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    let out = "";
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`no EMULATOR_READY within 20 s: ${out} ${err}`)), 20000);
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) {
            clearTimeout(timer);
            ready();
          }
        });
        child.once("exit", () => fail(new Error(`cli exited: ${err}`)));
      });
      const lines = out.trim().split("\n");
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^EMULATOR_READY \{/);
      const info = JSON.parse(lines[0].slice("EMULATOR_READY ".length));
      for (const k of ["url", "armUrl", "authorityHost", "armAudience", "tenantId", "subscriptionId", "caCertPath", "blob", "identities", "devops"])
        assert.ok(info[k], `ready info has ${k}`);
      assert.equal(info.identities.secret.clientSecret.length > 10, true);
      assert.ok(existsSync(info.caCertPath));

      // Another process trusts the emulator through NODE_EXTRA_CA_CERTS alone, for the server and Azurite.
      const probe = `
        const https = require("https");
        const get = (u) => new Promise((ok, no) => https.get(u, (r) => { r.resume(); r.on("end", () => ok(r.statusCode)); }).on("error", no));
        Promise.all([get(process.argv[1]), get(process.argv[2])]).then((s) => console.log(JSON.stringify(s)), (e) => { console.error(e.message); process.exit(1); });`;
      const statuses = execFileSync(
        process.execPath,
        ["-e", probe, `${info.url}/${info.tenantId}/v2.0/.well-known/openid-configuration`, `${info.blob.endpoint}?comp=list`],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: info.caCertPath },
          encoding: "utf8",
        },
      );
      const [idp, blob] = JSON.parse(statuses) as number[];
      assert.equal(idp, 200);
      assert.ok(blob >= 200 && blob < 500, `azurite answered over trusted TLS (${blob})`);

      process.kill(-child.pid!, "SIGINT");
      assert.equal(await exit, 0, err);
      assert.ok(await portRefused(Number(new URL(info.url).port)));
      assert.ok(await portRefused(Number(new URL(info.blob.endpoint).port)));
      assert.ok(!existsSync(info.caCertPath));
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
    }
  });
});
