/**
 * Bad inputs (table in badInputCases.ts): every case fails the task with a message naming the
 * input, before any remote change — no PUT, POST, PATCH or DELETE reaches the emulator apart from
 * sign-in requests. All cases run at once, each in its own world.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Emulator, LoggedRequest } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { BAD_INPUTS, writeBadFiles, type BadInputCase } from "./badInputCases";
import { BAD_INPUT_BUGS } from "./knownBugs";
import { startReliabilityEmulator, type ReliabilityEmulator } from "./reliabilityEmulator";
import { describeRun, runScenario } from "./scenarioRun";
import { makeSources, seedWorld, type World } from "./worlds";

const STAGGER_MS = 100;

/** Requests that change something (sign-in requests excepted). */
function changes(emu: Emulator, entries: LoggedRequest[]): LoggedRequest[] {
  const signIn = [new URL(emu.devops.oidcRequestUri).pathname, `/${emu.tenantId}/oauth2/v2.0/token`];
  return entries.filter((e) => ["PUT", "POST", "PATCH", "DELETE"].includes(e.method) && !signIn.includes(e.path));
}

/** Requests under the world's own resources (changes elsewhere, e.g. under an unknown name, fail the last test). */
function belongsTo(e: LoggedRequest, w: World): boolean {
  return [w.factoryPath, w.workspacePath, w.clusterPath].some((p) => e.path.startsWith(p));
}

describe("Reliability: bad input catalogue", function () {
  this.timeout(180_000);
  let running: ReliabilityEmulator;
  let emu: Emulator;
  let sources: string;
  let outside: string;
  const runs = new Map<BadInputCase, { w: World; r: Promise<AgentRunResult> }>();

  before(async () => {
    running = await startReliabilityEmulator({ timeScale: 100 });
    emu = running.emu;
    await emu.reset();
    sources = await makeSources();
    outside = await fs.promises.mkdtemp(path.join(os.tmpdir(), "reliability-outside-"));
    await writeBadFiles(sources, outside);
    const worlds = await Promise.all(BAD_INPUTS.map((_, i) => seedWorld(emu, i + 1)));
    BAD_INPUTS.forEach((c, i) => {
      if (BAD_INPUT_BUGS[c.what]) return;
      const w = worlds[i];
      c.seed?.(emu, w);
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.replace("{outside}", outside)]));
      const r = new Promise<void>((res) => setTimeout(res, i * STAGGER_MS)).then(() =>
        runScenario(emu, c.scenario, w, { sources, inputs, timeoutInMs: 90_000 }),
      );
      r.catch(() => undefined);
      runs.set(c, { w, r });
    });
  });

  after(async () => {
    await Promise.all([...runs.values()].map((x) => x.r.catch(() => undefined)));
    await running?.stop();
    for (const dir of [sources, outside]) if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it(`has at least 40 cases across the four tasks (${BAD_INPUTS.length})`, () => {
    assert.ok(BAD_INPUTS.length >= 40);
    assert.equal(new Set(BAD_INPUTS.map((c) => c.scenario.task)).size, 4);
  });

  it("lists known bugs only for cases of the catalogue", () => {
    assert.deepEqual(
      Object.keys(BAD_INPUT_BUGS).filter((what) => !BAD_INPUTS.some((c) => c.what === what)),
      [],
    );
  });

  for (const c of BAD_INPUTS) {
    const title = `${c.scenario.label}: ${c.what} → fails naming it, changes nothing`;
    if (BAD_INPUT_BUGS[c.what]) {
      it.skip(`${title} (${BAD_INPUT_BUGS[c.what]})`, () => undefined);
      continue;
    }
    it(title, async () => {
      const { w, r: pending } = runs.get(c)!;
      const r = await pending;
      assert.equal(r.result, "Failed", describeRun(r));
      assert.match(r.resultMessage ?? "", c.mentions, describeRun(r));
      assert.doesNotMatch(r.resultMessage ?? "", /Unexpected error/, "a bad input is an InputError, not an unexpected one");
      const mine = changes(emu, emu.requests.all()).filter((e) => belongsTo(e, w));
      assert.deepEqual(
        mine.map((e) => `${e.method} ${e.path} → ${e.status}`),
        [],
        `changes made before failing:\n${describeRun(r)}`,
      );
    });
  }

  it("no case changed anything anywhere (sign-in requests excepted)", async () => {
    await Promise.all([...runs.values()].map((x) => x.r));
    assert.deepEqual(
      changes(emu, emu.requests.all()).map((e) => `${e.method} ${e.path} → ${e.status}`),
      [],
    );
  });
});
