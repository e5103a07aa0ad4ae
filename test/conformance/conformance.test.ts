/**
 * Real-Azure conformance: every case under cases/ is replayed against the emulator (fresh default
 * scenario per case) and must answer as the recorded service did. See case.ts for the format.
 */
import assert from "node:assert/strict";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import { loadCases, RECORDING_REPOSITORIES } from "./cases";
import { replay, tokensFor } from "./replay";

describe("Real-Azure conformance (recorded exchanges replayed against the emulator)", function () {
  this.timeout(30_000);
  let emu: Emulator;
  let tokens: Record<"arm" | "ml", string>;

  before(async function () {
    this.timeout(60_000);
    emu = await startEmulator({ timeScale: 1000 });
    tokens = await tokensFor(emu);
  });
  after(async () => emu?.stop());

  for (const { file, cases } of loadCases()) {
    describe(file.replace(/\.js$/, ""), () => {
      for (const c of cases) {
        it(`${c.name} [${c.recording.repo}: ${c.recording.path}]`, async () => {
          assert.ok(
            RECORDING_REPOSITORIES.includes(c.recording.repo),
            `recording repository ${c.recording.repo} is not one of ${RECORDING_REPOSITORIES.join(", ")}`,
          );
          await emu.reset();
          const problems = await replay(emu, c, tokens);
          assert.deepEqual(problems, [], `the emulator answers differently from the recording:\n  ${problems.join("\n  ")}`);
        });
      }
    });
  }
});
