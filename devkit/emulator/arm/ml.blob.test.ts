/**
 * The default datastore's blob container is created in a real Azurite (HTTPS, self-signed
 * certificate) from the emulator process, trusting the CA given to the module — and is not
 * created (without crashing anything) when the CA is not trusted.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { generate } from "selfsigned";
import type { BlobAccount } from "../framework";
import { trustingStoragePipeline } from "../testing";
import { MachineLearningEmulator } from "./machinelearning";
import { RouterHarness } from "./ml/routerHarness";

const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const SUB = "00000000-0000-0000-0000-0000000000cc";
const WS = `/subscriptions/${SUB}/resourceGroups/ml_rg/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace`;

/** Starts azurite-blob on a free loopback port with the given certificate. */
async function startAzurite(dir: string, certPem: string, keyPem: string): Promise<{ process: ChildProcess; port: number }> {
  writeFileSync(join(dir, "cert.pem"), certPem);
  writeFileSync(join(dir, "key.pem"), keyPem);
  const bin = resolve(__dirname, "../../../../node_modules/azurite/dist/src/blob/main.js");
  const child = spawn(
    process.execPath,
    [
      bin,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--cert",
      join(dir, "cert.pem"),
      "--key",
      join(dir, "key.pem"),
      "--inMemoryPersistence",
      "--skipApiVersionCheck",
      "--disableTelemetry",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`azurite did not start: ${out}`)), 20000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listens on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`azurite exited with ${code}: ${out}`)));
  });
  return { process: child, port };
}

describe("Machine Learning emulator: default datastore container in Azurite", function () {
  this.timeout(30000);
  let dir: string;
  let azurite: { process: ChildProcess; port: number };
  let ca: string;
  let blob: BlobAccount;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ml-azurite-"));
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    });
    ca = pems.cert;
    azurite = await startAzurite(dir, pems.cert, pems.private);
    blob = { endpoint: `https://127.0.0.1:${azurite.port}/${ACCOUNT}`, accountName: ACCOUNT, accountKey: KEY };
  });
  after(() => {
    azurite?.process.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(withCa: boolean) {
    const h = new RouterHarness({ blob });
    const ml = new MachineLearningEmulator(withCa ? { blobCaCertPem: () => ca } : {});
    h.use(ml);
    ml.seedDefaults(SUB, "ml_rg");
    return { h, ml };
  }

  it("creates the workspace container, reachable at https://<endpoint>/<account>/<container>", async () => {
    const { h, ml } = setup(true);
    try {
      assert.equal(await ml.blobContainerReady(), true);
      const ds = (await h.call("GET", `${WS}/datastores/workspaceblobstore`)).body.properties;
      assert.equal(ds.endpoint, `127.0.0.1:${azurite.port}`);
      const secret = (await h.call("POST", `${WS}/datastores/workspaceblobstore/listSecrets`)).body;
      const agent = new Agent({ ca });
      // The client rule for a loopback suffix: https://<host:port>/<account>
      const pipeline = trustingStoragePipeline({ blob: { endpoint: "", accountName: ds.accountName, accountKey: secret.key } }, agent, 1);
      const service = new BlobServiceClient(`${ds.protocol}://${ds.endpoint}/${ds.accountName}`, pipeline);
      assert.equal(await service.getContainerClient(ds.containerName).exists(), true);
      agent.destroy();
    } finally {
      ml.dispose();
      h.dispose();
    }
  });

  it("reports the container as not ready when Azurite's certificate is not trusted", async () => {
    const { h, ml } = setup(false);
    try {
      assert.equal(await ml.blobContainerReady(), false);
      const secrets = await h.call("POST", `${WS}/datastores/workspaceblobstore/listSecrets`);
      assert.equal(secrets.status, 200, "listSecrets still answers with the account key");
      ml.setBlobCaCertPem(ca);
      assert.equal(await ml.blobContainerReady(), true, "a later attempt with the CA succeeds");
    } finally {
      ml.dispose();
      h.dispose();
    }
  });
});
