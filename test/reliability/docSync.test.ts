/** test/RELIABILITY.md lists every bad input case, every call of the fault matrix and the pending bugs. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";
import { BAD_INPUTS } from "./badInputCases";
import { BAD_INPUT_BUGS, DUPLICATE_BUGS, KNOWN_BUGS } from "./knownBugs";
import { AUTH_ROUTES, SCENARIOS } from "./scenarios";

describe("Reliability: test/RELIABILITY.md is in step with the tests", () => {
  const doc = fs.readFileSync(path.join(findRepoRoot(__dirname), "test", "RELIABILITY.md"), "utf8");

  it("lists every bad input case, marking the pending ones", () => {
    const missing = BAD_INPUTS.filter((c) => !doc.includes(`| ${c.scenario.label} | ${c.what} |`)).map((c) => `${c.scenario.label}: ${c.what}`);
    assert.deepEqual(missing, []);
    for (const what of Object.keys(BAD_INPUT_BUGS))
      assert.match(doc, new RegExp(`\\| ${what.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\| [^|\\n]*pending: bug`));
  });

  it("lists every call of the fault matrix", () => {
    const names = [...SCENARIOS.flatMap((s) => s.routes), ...AUTH_ROUTES].map((r) => r.name);
    assert.deepEqual(
      names.filter((n) => !doc.includes(n)),
      [],
    );
  });

  it("has a row for every pending bug's test", () => {
    const section = doc.slice(doc.indexOf("## 7."), doc.indexOf("## 8."));
    const titles = [...Object.keys(DUPLICATE_BUGS), ...Object.keys(BAD_INPUT_BUGS)];
    assert.deepEqual(
      titles.filter((t) => !section.includes(t)),
      [],
    );
    const calls = [...new Set(Object.keys(KNOWN_BUGS).map((id) => id.replace(/^.* on /, "")))];
    assert.deepEqual(
      calls.filter((c) => !section.includes(c)),
      [],
    );
  });
});
