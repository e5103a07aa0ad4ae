/**
 * Secrets: a representative run of every task with System.Debug=true under every authentication
 * scheme (and failing runs, whose error paths print the most) must not show any secret the
 * emulator knows — client secrets, the certificate's private key, access tokens, OIDC tokens, the
 * managed identity header, the job's access token, storage account keys, endpoint keys and AML
 * tokens. The harness fails any run whose stdout/stderr holds one (registered through
 * registerSecretSource); this file also scans the uploaded summaries and the non-secret output
 * variables, and checks that the endpoint key is handed to the agent as a secret.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Emulator } from "../../devkit/emulator";
import type { AgentRunResult, ConnectionScheme } from "../../devkit/harness/agentRunner";
import { leakedSecrets } from "../../devkit/harness/secretScan";
import { DEFAULT_PIPELINE_SPEC } from "../../devkit/emulator/arm/datafactory";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import { describeRun, runScenario } from "./scenarioRun";
import { ADF, DEPLOY, REGISTER, SCENARIOS, SUBMIT, type TaskScenario } from "./scenarios";
import { makeSources, seedWorld, type World } from "./worlds";

const SCHEMES: ConnectionScheme[] = ["secret", "certificate", "federated", "managedIdentity"];
const DEBUG = { "System.Debug": "true" };

interface SecretRun {
  title: string;
  scenario: TaskScenario;
  scheme: ConnectionScheme;
  inputs?: Record<string, string>;
  expect: "Succeeded" | "Failed";
  /** Emulator state making the run fail. */
  arrange?: (emu: Emulator, w: World) => void;
}

const RUNS: SecretRun[] = [
  ...SCENARIOS.flatMap((scenario) =>
    SCHEMES.map((scheme): SecretRun => ({ title: `${scenario.label} with ${scheme}`, scenario, scheme, expect: "Succeeded" })),
  ),
  {
    title: "DeployToAKS with an aml_token endpoint (the token is the output)",
    scenario: DEPLOY,
    scheme: "federated",
    inputs: { authMode: "aml_token" },
    expect: "Succeeded",
  },
  {
    title: "TriggerADFPipeline whose run fails (error path)",
    scenario: ADF,
    scheme: "certificate",
    inputs: { pipelineName: "failing-pipeline" },
    expect: "Failed",
    arrange: (emu, w) => {
      // Run scripts go by pipeline name: a pipeline only this world has.
      emu.datafactory.addPipeline(emu.subscriptionId, w.resourceGroupName, w.factory, "failing-pipeline", DEFAULT_PIPELINE_SPEC);
      emu.datafactory.scriptRun("failing-pipeline", { failActivity: "CleanAndFeaturize" });
    },
  },
  {
    title: "SubmitAzureMLPipeline whose job fails (error path)",
    scenario: SUBMIT,
    scheme: "secret",
    expect: "Failed",
    arrange: (emu, w) => emu.ml.scriptJob(w.job, { failStep: "train" }),
  },
  {
    title: "DeployToAKS whose smoke test fails and is rolled back (error path)",
    scenario: DEPLOY,
    scheme: "managedIdentity",
    expect: "Failed",
    arrange: (emu, w) => emu.ml.setScoringRule(w.endpoint, { kind: "error", status: 500, message: "model file is corrupt" }),
  },
  {
    title: "RegisterModel refusing an existing version (error path)",
    scenario: REGISTER,
    scheme: "federated",
    inputs: { version: "1" },
    expect: "Failed",
    arrange: (emu, w) =>
      emu.ml.seedAsset(
        "models",
        w.model,
        "1",
        { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/old/" },
        { subscriptionId: emu.subscriptionId, resourceGroupName: w.resourceGroupName, workspaceName: w.workspace },
      ),
  },
];

describe("Reliability: no secret in any output (System.Debug=true, every scheme)", function () {
  this.timeout(150_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  const results = new Map<SecretRun, { w: World; r: Promise<AgentRunResult> }>();

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: 200 });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    const worlds = await Promise.all(RUNS.map((_, i) => seedWorld(emu, i + 1)));
    RUNS.forEach((run, i) => {
      const w = worlds[i];
      run.arrange?.(emu, w);
      const r = new Promise<void>((res) => setTimeout(res, i * 150)).then(() =>
        runScenario(emu, run.scenario, w, { sources, scheme: run.scheme, inputs: run.inputs, variables: DEBUG, timeoutInMs: 90_000 }),
      );
      r.catch(() => undefined);
      results.set(run, { w, r });
    });
  });

  after(async () => {
    await Promise.all([...results.values()].map((x) => x.r.catch(() => undefined)));
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  it("the harness scan knows the emulator's secrets (a planted one is found)", () => {
    const planted = `debug: key=${emu.identities.secret.clientSecret}`;
    assert.deepEqual(leakedSecrets(planted), [emu.identities.secret.clientSecret]);
    assert.deepEqual(leakedSecrets(`##vso[task.setsecret]${emu.identities.secret.clientSecret}`), [], "lines handing a secret to the agent are allowed");
  });

  for (const run of RUNS) {
    it(`${run.title}: ${run.expect}, nothing secret in stdout, stderr, summaries or plain outputs`, async () => {
      const { w, r: pending } = results.get(run)!;
      const r = await pending; // rejects with SecretLeakError when stdout/stderr shows a secret
      assert.equal(r.result, run.expect, describeRun(r));
      assert.match(r.stdout, /##vso\[task\.debug\]/, "System.Debug=true produced debug output");
      const plain = Object.entries(r.variables)
        .filter(([, v]) => !v.isSecret)
        .map(([k, v]) => `${k}=${v.value}`);
      const elsewhere = [...r.summaries.map((s) => s.content), ...plain, ...r.issues.map((i) => i.message)].join("\n");
      assert.deepEqual(
        leakedSecrets(elsewhere).map((s) => `${s.slice(0, 4)}…`),
        [],
        "a secret in a summary, an issue or a plain output variable",
      );
      // Issue 19 finding 6: every secret obtained is handed to the agent's masker the moment it is known.
      assert.ok(
        r.secrets.some((x) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(x)),
        "the access tokens obtained are registered with task.setsecret",
      );
      if (run.scenario !== ADF && run.expect === "Succeeded" && emu.blob) {
        assert.ok(r.secrets.includes(emu.blob.accountKey), "the storage account key from listSecrets is registered with task.setsecret");
      }
      if (run.scenario === DEPLOY && run.expect === "Succeeded") {
        const e = emu.ml.endpoint(w.endpoint)!;
        const key = r.variables["EndpointKey"];
        assert.equal(key?.isSecret, true, "EndpointKey is a secret variable");
        assert.ok(key.value.length >= 8);
        assert.ok(r.secrets.includes(key.value), "the key or token is registered with task.setsecret");
        if (run.inputs?.authMode === "aml_token") assert.notEqual(key.value, e.primaryKey, "an aml_token endpoint outputs a token, not a key");
        else assert.equal(key.value, e.primaryKey);
      }
    });
  }

  it("every secret class was in play (so the scans above had something to find)", async () => {
    await Promise.all([...results.values()].map((x) => x.r.catch(() => undefined)));
    const known = new Set(emu.secrets());
    const ids = emu.identities;
    const classes: Record<string, boolean> = {
      "client secret": known.has(ids.secret.clientSecret),
      "certificate private key": [...known].some((s) => s.includes("PRIVATE KEY")),
      "managed identity header": known.has(ids.managedIdentity.identityHeader),
      "job access token (System.AccessToken)": known.has(emu.devops.systemAccessToken),
      "storage account key": !!emu.blob && known.has(emu.blob.accountKey),
      "endpoint keys":
        RUNS.some((x) => x.scenario === DEPLOY) &&
        [...results.values()].some(({ w }) => {
          const e = emu.ml.endpoint(w.endpoint);
          return !!e && known.has(e.primaryKey);
        }),
      "access and OIDC tokens (JWTs)": [...known].filter((s) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(s)).length >= RUNS.length,
    };
    assert.deepEqual(
      Object.entries(classes)
        .filter(([, v]) => !v)
        .map(([k]) => k),
      [],
    );
  });
});
