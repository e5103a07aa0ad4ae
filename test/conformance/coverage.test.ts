/**
 * The conformance suite's own bar: at least 80 compared exchanges, from at least 20 distinct
 * recordings of real traffic (the SDKs' and the CLI's test recordings; REST spec examples are cited
 * too, but do not count as recordings).
 */
import assert from "node:assert/strict";
import { loadCases } from "./cases";

describe("Real-Azure conformance coverage", () => {
  it("holds at least 80 compared exchanges from at least 20 real recordings, every case naming its source", () => {
    const all = loadCases().flatMap((f) => f.cases);
    const names = new Set<string>();
    for (const c of all) {
      assert.ok(c.recording.path.length > 0, `case '${c.name}' names no recording`);
      assert.ok(!names.has(c.name), `two cases are named '${c.name}'`);
      names.add(c.name);
    }
    const exchanges = all.reduce((n, c) => n + c.exchanges.length, 0);
    const recordings = new Set(all.filter((c) => c.recording.repo !== "Azure/azure-rest-api-specs").map((c) => `${c.recording.repo}:${c.recording.path}`));
    assert.ok(exchanges >= 80, `${exchanges} exchanges (need 80)`);
    assert.ok(recordings.size >= 20, `${recordings.size} real recordings (need 20; spec examples do not count)`);
  });
});
