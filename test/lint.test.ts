/**
 * The lint and format check (Biome, configured in biome.json) is part of the suite: the repository
 * must pass it, and a planted violation must fail it (so the check cannot pass by not running).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findRepoRoot } from "../devkit/repoRoot";

const ROOT = findRepoRoot(__dirname);
const BIOME = path.join(ROOT, "node_modules", "@biomejs", "biome", "bin", "biome");

function biome(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIOME, "check", "--error-on-warnings", "--max-diagnostics=20", ...args], { cwd, encoding: "utf8" });
}

describe("lint and format (biome.json)", () => {
  it("the repository passes `npm run lint`", () => {
    const r = biome(["."], ROOT);
    assert.equal(r.status, 0, `npm run lint found problems:\n${r.stdout}${r.stderr}`);
  });

  it("fails on a lint violation and on a formatting difference", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-"));
    try {
      fs.copyFileSync(path.join(ROOT, "biome.json"), path.join(dir, "biome.json"));
      fs.mkdirSync(path.join(dir, "tasks"));
      const file = path.join(dir, "tasks", "planted.ts");
      fs.writeFileSync(file, "export function f(x: any): string {\n  return String(x);\n}\n");
      const lint = biome(["--config-path", dir, "."], dir);
      assert.notEqual(lint.status, 0);
      assert.match(lint.stdout + lint.stderr, /noExplicitAny/);
      fs.writeFileSync(file, "export const a  =  1;\n");
      const format = biome(["--config-path", dir, "."], dir);
      assert.notEqual(format.status, 0);
      assert.match(format.stdout + format.stderr, /Formatter would have printed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
