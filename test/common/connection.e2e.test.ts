/**
 * The shared core end to end: a fixture task (test/common/fixtures/ConnectionProbeV1) built like
 * the real ones and run as the agent runs it, signing in with each service connection scheme
 * against the emulator, through the agent's proxy, failing with the documented sentences, and
 * ending on timeout and cancellation.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildTask } from "../../scripts/build";
import { findRepoRoot } from "../../devkit/repoRoot";
import { type Emulator, startEmulator } from "../../devkit/emulator";
import { type ConnectionScheme, emulatorConnection, runTask, type AgentRunResult } from "../../devkit/harness/agentRunner";
import { startConnectProxy } from "../../devkit/harness/connectProxy";

const FIXTURE = "ConnectionProbeV1";

describe("shared core: service connection to Azure, as the agent runs a task", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let taskRoot: string;

  before(async () => {
    taskRoot = await fs.promises.mkdtemp(path.join(os.tmpdir(), "connection-probe-"));
    await buildTask(path.join(findRepoRoot(__dirname), "test", "common", "fixtures", FIXTURE), path.join(taskRoot, FIXTURE));
    emu = await startEmulator({ azurite: false, tokenLifetimeSeconds: 2 });
  });
  after(async () => {
    await emu?.stop();
    await fs.promises.rm(taskRoot, { recursive: true, force: true });
  });
  afterEach(async () => emu.reset());

  function probe(
    scheme: ConnectionScheme,
    extra: {
      inputs?: Record<string, string>;
      env?: Record<string, string>;
      variables?: Record<string, string>;
      interrupt?: { signal: "SIGINT" | "SIGTERM"; when: RegExp };
    } = {},
  ): Promise<AgentRunResult> {
    const { connection, env } = emulatorConnection(emu, scheme);
    return runTask({
      task: FIXTURE,
      taskRoot,
      inputs: { azureSubscription: connection.id, resourceGroupName: emu.resourceGroupName, workspaceName: "ml_workspace", ...extra.inputs },
      connection,
      env: { ...env, ...extra.env },
      variables: { "System.Debug": "true", ...extra.variables },
      caCertPath: emu.caCertPath,
      interrupt: extra.interrupt,
      timeoutInMs: 60_000,
    });
  }

  function assertNoSecrets(r: AgentRunResult): void {
    // Lines handing a secret to the agent's masker are the only ones allowed to carry it.
    const output = (r.stdout + r.stderr)
      .split(/\r?\n/)
      .filter((line) => !line.startsWith("##vso[task.setsecret]"))
      .join("\n");
    for (const secret of emu.secrets()) assert.ok(!output.includes(secret), `output leaks a secret (${secret.slice(0, 6)}...)`);
  }

  for (const scheme of ["federated", "secret", "certificate", "managedIdentity"] as const) {
    it(`signs in with ${scheme} and reads the workspace`, async () => {
      const r = await probe(scheme);
      assert.equal(r.result, "Succeeded", r.resultMessage ?? r.stderr);
      assert.match(r.variables["workspaceId"].value, /\/workspaces\/ml_workspace$/);
      assert.equal(r.variables["armUrl"].value, emu.url);
      assertNoSecrets(r);
    });
  }

  it("workload identity federation fetches a new OIDC token when its access token expires", async () => {
    const r = await probe("federated", { inputs: { calls: "3", intervalMs: "2500" } });
    assert.equal(r.result, "Succeeded", r.resultMessage);
    const oidc = emu.requests.all().filter((q) => /oidctoken/i.test(q.path));
    const tokens = emu.requests.all().filter((q) => /oauth2\/v2\.0\/token$/.test(q.path));
    assert.ok(tokens.length >= 2, `token requests: ${tokens.length}`);
    assert.ok(oidc.length >= tokens.length, `OIDC requests ${oidc.length} < token requests ${tokens.length}`);
    assertNoSecrets(r);
  });

  it("falls back to azure-devops-node-api's createOidcToken where SYSTEM_OIDCREQUESTURI is absent", async () => {
    const r = await probe("federated", { env: { SYSTEM_OIDCREQUESTURI: "" } });
    assert.equal(r.result, "Succeeded", r.resultMessage);
    assert.ok(
      emu.requests.all().some((q) => q.method === "POST" && /\/_apis\/distributedtask\/hubs\/[^/]+\/plans\/[^/]+\/jobs\/[^/]+\/oidctoken$/i.test(q.path)),
    );
  });

  it("sends every request through the agent's proxy, and none when the bypass list matches", async () => {
    const proxy = await startConnectProxy();
    try {
      const r = await probe("secret", { variables: { "Agent.ProxyUrl": proxy.url } });
      assert.equal(r.result, "Succeeded", r.resultMessage);
      const port = new URL(emu.url).port;
      assert.ok(proxy.targets.length >= 1 && proxy.targets.every((t) => t === `127.0.0.1:${port}`), JSON.stringify(proxy.targets));
      const before = proxy.targets.length;
      const bypassed = await probe("secret", { variables: { "Agent.ProxyUrl": proxy.url, "Agent.ProxyBypassList": JSON.stringify(["127\\.0\\.0\\.1"]) } });
      assert.equal(bypassed.result, "Succeeded", bypassed.resultMessage);
      assert.equal(proxy.targets.length, before);
    } finally {
      await proxy.close();
    }
  });

  it("never prints proxy credentials embedded in Agent.ProxyUrl (System.Debug=true), and still sends them to the proxy", async () => {
    const proxy = await startConnectProxy();
    const password = "pr0xy-Pa55word-in-url";
    try {
      const withCredentials = proxy.url.replace("://", `://build-agent:${encodeURIComponent(password)}@`);
      const r = await probe("secret", { variables: { "Agent.ProxyUrl": withCredentials } });
      assert.equal(r.result, "Succeeded", r.resultMessage);
      assert.ok(proxy.targets.length >= 1, "the requests went through the proxy");
      assert.ok(
        proxy.authorizations.length >= 1 && proxy.authorizations.every((a) => a === `Basic ${Buffer.from(`build-agent:${password}`).toString("base64")}`),
        JSON.stringify(proxy.authorizations),
      );
      assert.ok(r.secrets.includes(password), "the password is registered with task.setsecret");
      const shown = (r.stdout + r.stderr).split(/\r?\n/).filter((line) => !line.startsWith("##vso[task.setsecret]"));
      assert.deepEqual(
        shown.filter((line) => line.includes(password)),
        [],
        "the password is printed",
      );
      assert.ok(
        shown.some((line) => line.includes(`Agent.ProxyUrl=${proxy.url}`)),
        "task-lib prints the bare proxy URL",
      );
    } finally {
      await proxy.close();
    }
  });

  it("fails with the sign-in fix when the client secret is wrong", async () => {
    const { connection, env } = emulatorConnection(emu, "secret");
    connection.authParameters["serviceprincipalkey"] = "not-the-secret";
    const r = await runTask({
      task: FIXTURE,
      taskRoot,
      inputs: { azureSubscription: connection.id, resourceGroupName: emu.resourceGroupName, workspaceName: "ml_workspace" },
      connection,
      env,
      caCertPath: emu.caCertPath,
    });
    assert.equal(r.result, "Failed");
    assert.match(r.resultMessage ?? "", /^Could not sign in with the service connection: AADSTS7000215.*client secret is wrong or expired/);
  });

  it("refuses a scheme it does not support, naming the input", async () => {
    const { connection, env } = emulatorConnection(emu, "secret");
    const r = await runTask({
      task: FIXTURE,
      taskRoot,
      inputs: { azureSubscription: connection.id, resourceGroupName: emu.resourceGroupName, workspaceName: "ml_workspace" },
      connection: { ...connection, scheme: "UsernamePassword" as never },
      env,
      caCertPath: emu.caCertPath,
    });
    assert.equal(r.result, "Failed");
    assert.match(
      r.resultMessage ?? "",
      /Input 'azureSubscription': the service connection uses the 'UsernamePassword' authentication scheme.*WorkloadIdentityFederation, ServicePrincipal, ManagedServiceIdentity/,
    );
    assert.equal(emu.requests.all().length, 0);
  });

  it("names the role and scope when the identity has no access", async () => {
    emu.world.revokeRoles(emu.identities.secret.clientId);
    const r = await probe("secret");
    assert.equal(r.result, "Failed");
    assert.match(
      r.resultMessage ?? "",
      /not allowed to perform 'Microsoft\.MachineLearningServices\/workspaces\/read' on '\/subscriptions\/.*\/workspaces\/ml_workspace'\. Assign it the 'Reader' role/,
    );
  });

  it("names the resource and group when it does not exist", async () => {
    const r = await probe("secret", { inputs: { workspaceName: "nope" } });
    assert.equal(r.result, "Failed");
    assert.equal(r.resultMessage, `workspace 'nope' was not found in resource group '${emu.resourceGroupName}'. Check the name, or create it first.`);
  });

  it("fails at the timeout and is cancelled by SIGINT within seconds", async () => {
    const timedOut = await probe("secret", { inputs: { waitTimeoutMs: "500" } });
    assert.equal(timedOut.result, "Failed");
    assert.equal(timedOut.resultMessage, "The run did not finish within 500 ms.");
    const cancelled = await probe("secret", { inputs: { waitTimeoutMs: "60000" }, interrupt: { signal: "SIGINT", when: /waiting for a run/ } });
    assert.equal(cancelled.result, "Cancelled");
    assert.ok(cancelled.durationMs < 10_000, `took ${cancelled.durationMs} ms`);
  });
});
