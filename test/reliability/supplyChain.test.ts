/**
 * Supply chain: what ships is pinned by the lockfile, and `npm audit` finds no high or critical
 * advisory in the production dependencies. The audit needs the registry's advisory endpoint; where
 * the network refuses it (as on the build machines of this project), that test is skipped with the
 * reason, never passed blindly.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";

const repoRoot = findRepoRoot(__dirname);
const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, { version?: string; integrity?: string; link?: boolean; dev?: boolean }>;
};
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe("supply chain", () => {
  it("pins every installed package by version and sha512 integrity in a v3 lockfile", () => {
    assert.equal(lock.lockfileVersion, 3);
    const unpinned = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== "" && !entry.link && (!entry.version || !/^sha512-/.test(entry.integrity ?? "")))
      .map(([key]) => key);
    assert.deepEqual(unpinned, []);
  });

  it("locks exactly the dependencies package.json declares, production ones as non-dev", () => {
    for (const name of Object.keys(manifest.dependencies)) {
      const entry = lock.packages[`node_modules/${name}`];
      assert.ok(entry, `${name} is not in package-lock.json: run npm install`);
      assert.notEqual(entry.dev, true, `${name} is a production dependency but locked as dev`);
    }
    for (const name of Object.keys(manifest.devDependencies)) {
      assert.ok(lock.packages[`node_modules/${name}`], `${name} is not in package-lock.json: run npm install`);
    }
    assert.deepEqual(
      lock.packages[""] && Object.keys((lock.packages[""] as { dependencies?: object }).dependencies ?? {}).sort(),
      Object.keys(manifest.dependencies).sort(),
    );
  });

  it("has no high or critical advisory in production dependencies (npm audit --omit=dev)", function () {
    this.timeout(90_000);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const run = spawnSync(npm, ["audit", "--omit=dev", "--json"], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
    let report: { metadata?: { vulnerabilities?: Record<string, number> }; error?: { summary?: string }; message?: string } | undefined;
    try {
      report = JSON.parse(run.stdout);
    } catch {
      report = undefined;
    }
    const counts = report?.metadata?.vulnerabilities;
    if (!counts) {
      const reason = report?.error?.summary ?? report?.message ?? (run.stderr || "no answer").split("\n").find((l) => /error|405|ENOTFOUND|ECONN/i.test(l));
      // The advisory endpoint is unreachable here: reported as skipped, never passed.
      console.log(`      npm audit unavailable: ${reason}`);
      this.skip();
    }
    assert.equal((counts["high"] ?? 0) + (counts["critical"] ?? 0), 0, JSON.stringify(counts));
  });
});
