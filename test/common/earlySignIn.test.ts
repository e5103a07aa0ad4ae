import assert from "node:assert/strict";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { bearerTokenAuthenticationPolicy, createHttpHeaders, createPipelineRequest } from "@azure/core-rest-pipeline";
import * as diagnosticsChannel from "node:diagnostics_channel";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, get as httpGet } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EarlySignInCredential } from "../../tasks/common/earlySignIn";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import { MSI_PATH } from "../../devkit/emulator/identity";
import { emulatorConnection, runTask, type ConnectionScheme } from "../../devkit/harness/agentRunner";
import { buildVariables, sourcesWithSamples } from "../tasks/submitPipeline/run";
import { baseInputs, seedModels, workFolder } from "../tasks/deployToAks/fixture";

function counting(answer: (scopes: string | string[]) => Promise<AccessToken | null>): TokenCredential & { calls: (string | string[])[] } {
  const calls: (string | string[])[] = [];
  return { calls, getToken: (scopes) => (calls.push(scopes), answer(scopes)) };
}

describe("EarlySignInCredential", () => {
  it("asks for the token at once and hands that answer to the first caller for the scope", async () => {
    const token = { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
    const inner = counting(async () => token);
    const early = new EarlySignInCredential(inner, "https://arm/.default");
    assert.deepEqual(inner.calls, ["https://arm/.default"], "signing in started in the constructor");
    assert.equal(await early.getToken(["https://arm/.default"]), token);
    assert.equal(inner.calls.length, 1, "the first caller did not sign in again");
    await early.getToken("https://arm/.default");
    await early.getToken("https://storage/.default");
    assert.deepEqual(inner.calls.slice(1), ["https://arm/.default", "https://storage/.default"], "later callers go to the credential");
  });

  it("asks with the token request options of the ARM clients' bearer policy (one identity cache)", async () => {
    const seen: (GetTokenOptions | undefined)[] = [];
    const token = { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
    const recording: TokenCredential = { getToken: async (_scopes, options) => (seen.push(options), token) };
    // What the real policy of @azure/core-rest-pipeline asks for, through a pipeline that never leaves the process.
    const policy = bearerTokenAuthenticationPolicy({ credential: recording, scopes: "https://arm/.default" });
    await policy.sendRequest(createPipelineRequest({ url: "https://arm/x" }), async (request) => ({ request, status: 200, headers: createHttpHeaders() }));
    new EarlySignInCredential(recording, "https://arm/.default");
    assert.equal(seen.length, 2);
    assert.equal(seen[1]?.enableCae, seen[0]?.enableCae, "the early sign-in asks with the bearer policy's enableCae");
    assert.equal(seen[1]?.enableCae, true);
  });

  it("hands a failed early sign-in to the first caller only, without an unhandled rejection", async () => {
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on("unhandledRejection", onUnhandled);
    try {
      let failures = 0;
      const inner = counting(async () => {
        failures++;
        throw new Error(`sign-in failed ${failures}`);
      });
      const early = new EarlySignInCredential(inner, "s");
      await new Promise((r) => setTimeout(r, 10));
      await assert.rejects(early.getToken("s"), /sign-in failed 1/);
      await assert.rejects(early.getToken("s"), /sign-in failed 2/);
      assert.equal(unhandled, 0);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("EarlySignInCredential.requestSent", () => {
  it("resolves once the sign-in's first HTTP request has been sent, not before", async () => {
    const server = createServer((_req, res) => setTimeout(() => res.end("{}"), 200));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      let sentAt = 0;
      let answeredAt = 0;
      const inner: TokenCredential = {
        getToken: async () => {
          await new Promise((r) => setTimeout(r, 20)); // like msal: a few awaits before the request
          await new Promise<void>((resolve, reject) =>
            httpGet(`http://127.0.0.1:${port}/token`, (res) => {
              res.resume();
              res.on("end", () => {
                answeredAt = performance.now();
                resolve();
              });
            }).on("error", reject),
          );
          return { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      };
      const early = new EarlySignInCredential(inner, "s");
      let resolvedEarly = false;
      void early.requestSent.then(() => {
        resolvedEarly = true;
        sentAt = performance.now();
      });
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(resolvedEarly, false, "no request was on the wire yet");
      await early.requestSent;
      assert.ok(sentAt > 0 && answeredAt === 0, "requestSent settled while the answer was still pending");
      await early.getToken("s");
      assert.ok(answeredAt > sentAt);
    } finally {
      server.close();
    }
  });

  it("resolves when the request fails and when the sign-in settles without any HTTP request", async () => {
    const refused: TokenCredential = {
      getToken: () =>
        new Promise((_resolve, reject) => {
          // Port 1 on loopback: nothing listens (ECONNREFUSED).
          httpGet("http://127.0.0.1:1/token", () => undefined).on("error", reject);
        }),
    };
    const failing = new EarlySignInCredential(refused, "s");
    await failing.requestSent;
    await assert.rejects(failing.getToken("s"));
    const local = new EarlySignInCredential({ getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) }, "s");
    await local.requestSent;
    const failed = new EarlySignInCredential({ getToken: async () => Promise.reject(new Error("no")) }, "s");
    await failed.requestSent;
    await assert.rejects(failed.getToken("s"), /no/);
  });

  it("stops listening to Node's request channel once settled (later requests are not watched)", async () => {
    const early = new EarlySignInCredential({ getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 60_000 }) }, "s");
    await early.requestSent;
    assert.equal(diagnosticsChannel.channel("http.client.request.start").hasSubscribers, false);
  });
});

/**
 * One sign-in per run: every task, built and run as the agent runs it, with every kind of service
 * connection, sends exactly one token request per audience to the (emulated) Entra ID or managed identity
 * endpoint (ARM; and https://ml.azure.com for the x-azureml-token of a pipeline job). The early sign-in and the ARM clients' bearer policy must ask with the same token
 * request options (enableCae), or @azure/identity keeps two caches and asks twice.
 */
describe("One sign-in per task run (e2e)", function () {
  this.timeout(180_000);
  const schemes: ConnectionScheme[] = ["secret", "certificate", "federated", "managedIdentity"];
  let emu: Emulator;
  let sources: string;
  let deployDir: string;
  let registerDir: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
    sources = await sourcesWithSamples();
    deployDir = workFolder();
    registerDir = mkdtempSync(join(tmpdir(), "sign-in-once-"));
  });
  after(async () => {
    await emu?.stop();
    for (const dir of [sources, deployDir, registerDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function tokenRequests(): string[] {
    return emu.requests
      .all()
      .filter((e) => (e.method === "POST" && /\/oauth2\/v2\.0\/token$/.test(e.path)) || (e.method === "GET" && e.path === MSI_PATH))
      .map((e) => `${e.method} ${e.path} ${JSON.stringify((e.body as { scope?: string } | undefined)?.scope ?? e.query["resource"] ?? "")}`);
  }

  const runs: Record<string, (scheme: ConnectionScheme, n: number) => { task: string; inputs: Record<string, string>; variables: Record<string, string> }> = {
    TriggerADFPipelineV1: () => ({
      task: "TriggerADFPipelineV1",
      inputs: {
        resourceGroupName: emu.resourceGroupName,
        factoryName: "mlops-adf",
        pipelineName: "prepare-training-data",
        parameters: "sourceContainer: raw",
        pollingIntervalSeconds: "1",
      },
      variables: {},
    }),
    SubmitAzureMLPipelineV1: (scheme) => ({
      task: "SubmitAzureMLPipelineV1",
      inputs: {
        resourceGroupName: emu.resourceGroupName,
        workspaceName: "ml_workspace",
        jobFile: "pipelines/local-components.yml",
        jobName: `sign_in_once_${scheme}`,
        pollingIntervalSeconds: "1",
      },
      variables: buildVariables(sources, { buildId: "7" }),
    }),
    RegisterModelV1: (scheme, n) => {
      writeFileSync(join(registerDir, `model-${scheme}.pkl`), `model ${scheme} ${n}\n`);
      return {
        task: "RegisterModelV1",
        inputs: { resourceGroupName: emu.resourceGroupName, workspaceName: "ml_workspace", modelName: `once-${scheme}`, modelPath: `model-${scheme}.pkl` },
        variables: { "System.DefaultWorkingDirectory": registerDir },
      };
    },
    DeployToAKSV1: (scheme) => ({
      task: "DeployToAKSV1",
      inputs: baseInputs(`once-${scheme.toLowerCase().slice(0, 8)}`),
      variables: { "System.DefaultWorkingDirectory": deployDir },
    }),
  };

  let n = 0;
  for (const [task, spec] of Object.entries(runs)) {
    for (const scheme of schemes) {
      it(`${task} with a ${scheme} connection asks for one token per audience`, async () => {
        await emu.reset();
        seedModels(emu);
        const run = spec(scheme, n++);
        const { connection, env } = emulatorConnection(emu, scheme);
        emu.requests.clear();
        const r = await runTask({
          task: run.task,
          inputs: { azureSubscription: connection.id, ...run.inputs },
          connection,
          env,
          caCertPath: emu.caCertPath,
          variables: run.variables,
          timeoutInMs: 90_000,
        });
        assert.equal(r.result, "Succeeded", `result ${r.result}: ${r.resultMessage}\n${r.stdout}\n${r.stderr}`);
        // One token per audience: the ARM token, and for an Azure ML pipeline job the
        // https://ml.azure.com token its PUT carries in x-azureml-token (tasks/common/azureml/amlToken.ts).
        const requests = tokenRequests();
        const audiences = requests.map((r) => (/ml\.azure\.com/.test(r) ? "ml" : "arm"));
        assert.deepEqual(audiences.sort(), task === "SubmitAzureMLPipelineV1" ? ["arm", "ml"] : ["arm"], `token requests:\n${requests.join("\n")}`);
      });
    }
  }
});
