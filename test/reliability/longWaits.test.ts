/**
 * Long waits: runs longer than the access token lifetime succeed with every authentication
 * scheme, the tokens being renewed on the way (workload identity federation fetches a new OIDC
 * token for each new Entra ID token).
 *
 * Token lifetime: 10 s, not 30 s. The Azure SDK starts renewing a token 2 minutes before it
 * expires and MSAL treats tokens with less than 5 minutes left as expired, so no lifetime under
 * 5 minutes has a "quiet" period where an in-memory token is reused: any short lifetime renews on
 * use. What the test must catch is a token kept and reused past its expiry (a cached header, a
 * client made once with a fixed token): the emulator rejects an expired token with 401 and no
 * clock-skew allowance, so a run lasting well past the lifetime — here 20 s of real time, 2
 * minutes of scripted time at timeScale 6 — proves the renewal. 10 s keeps the file fast.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import type { Emulator } from "../../devkit/emulator";
import type { AgentRunResult, ConnectionScheme } from "../../devkit/harness/agentRunner";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import { describeRun, runScenario } from "./scenarioRun";
import { ADF, DEPLOY, SUBMIT, type TaskScenario } from "./scenarios";
import { makeSources, seedWorlds } from "./worlds";

const TOKEN_LIFETIME_SECONDS = 10;
const TIME_SCALE = 6;
/** Scripted duration of every remote run: 2 minutes (20 s of real time). */
const SCRIPTED_MS = 120_000;
const SCHEMES: ConnectionScheme[] = ["secret", "certificate", "federated", "managedIdentity"];
const TASKS: TaskScenario[] = [ADF, SUBMIT, DEPLOY];

describe("Reliability: runs longer than the token lifetime", function () {
  this.timeout(150_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  const runs = new Map<string, Promise<AgentRunResult>>();
  const key = (s: TaskScenario, scheme: ConnectionScheme) => `${s.label}/${scheme}`;

  before(async () => {
    running = await startReliabilityEmulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS, timeScale: TIME_SCALE });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    // 2 minutes of scripted time for each remote run.
    emu.datafactory.scriptRuns({ queuedMs: 1000, activityDurationsMs: { CopyRawData: 40_000, CleanAndFeaturize: 60_000, PublishDataset: 19_000 } });
    // inline-steps.yml: 1 s NotStarted + 2 steps × (2 + 3 + 53 + 1 s) + 1 s Finalizing = 120 s.
    emu.ml.scriptJobs({ phaseDurationsMs: { Running: 53_000 } });
    emu.ml.scriptDeployments({ durationMs: SCRIPTED_MS - 10_000 });
    const worlds = await seedWorlds(emu, 1, TASKS.length * SCHEMES.length);
    let n = 0;
    for (const s of TASKS) {
      for (const scheme of SCHEMES) {
        const w = worlds[n++];
        const r = runScenario(emu, s, w, { sources, scheme, inputs: { timeoutInMinutes: "10", pollingIntervalSeconds: "2" }, timeoutInMs: 120_000 });
        r.catch(() => undefined);
        runs.set(key(s, scheme), r);
      }
    }
  });

  after(async () => {
    await Promise.all([...runs.values()].map((p) => p.catch(() => undefined)));
    await running?.stop();
    if (sources) await fs.promises.rm(sources, { recursive: true, force: true });
  });

  for (const s of TASKS) {
    for (const scheme of SCHEMES) {
      it(`${s.label} with ${scheme}: a 2-minute run (20 s real, tokens live ${TOKEN_LIFETIME_SECONDS} s) succeeds`, async () => {
        const r = await runs.get(key(s, scheme))!;
        assert.equal(r.result, "Succeeded", describeRun(r));
        assert.ok(r.durationMs > (TOKEN_LIFETIME_SECONDS + 5) * 1000, `the run took only ${Math.round(r.durationMs)} ms: not longer than a token's life`);
      });
    }
  }

  it("no request was refused for an expired token, and every scheme renewed its tokens", async () => {
    await Promise.all(runs.values());
    const expired = emu.requests.all().filter((e) => e.status === 401);
    assert.deepEqual(
      expired.map((e) => `${e.method} ${e.path}`),
      [],
    );
    const runsPerScheme = TASKS.length;
    const tokenRequests = (clientId: string) =>
      emu.requests
        .filter("POST", /\/oauth2\/v2\.0\/token$/)
        .filter((e) => e.status === 200 && (e.body as { client_id?: string } | undefined)?.client_id === clientId).length;
    const ids = emu.identities;
    const counts: Record<ConnectionScheme, number> = {
      secret: tokenRequests(ids.secret.clientId),
      certificate: tokenRequests(ids.certificate.clientId),
      federated: tokenRequests(ids.federated.clientId),
      managedIdentity: emu.requests.filter("GET", new RegExp(`^${new URL(ids.managedIdentity.identityEndpoint).pathname}$`)).filter((e) => e.status === 200)
        .length,
    };
    for (const scheme of SCHEMES) {
      assert.ok(
        counts[scheme] >= 2 * runsPerScheme,
        `${scheme}: ${counts[scheme]} tokens issued for ${runsPerScheme} runs of 20 s with ${TOKEN_LIFETIME_SECONDS} s tokens (expected at least 2 per run)`,
      );
    }
    const oidc = emu.requests.filter("POST", new RegExp(`^${new URL(emu.devops.oidcRequestUri).pathname}$`)).filter((e) => e.status === 200).length;
    assert.ok(oidc >= 2 * runsPerScheme, `${oidc} OIDC tokens fetched for ${runsPerScheme} federated runs (expected at least 2 per run)`);
    console.log(`      tokens issued: ${JSON.stringify(counts)}, OIDC tokens: ${oidc}`);
  });
});
