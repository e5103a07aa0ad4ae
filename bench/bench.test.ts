/**
 * Unit tests of the bench's own arithmetic: statistics, targets, the report, package folders,
 * zip sizes, interval unions and the command line. (The measurements themselves need the
 * emulator and a build: `npm run bench -- --quick`.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { packageFolderOf } from "./closure";
import { parseOptions } from "./options";
import { unionLength } from "./remoteTime";
import { figure, formatReport, type BenchReport } from "./results";
import { median, quantile, summarize } from "./stats";
import { storedFileSize, zipEntrySizes } from "./zipSizes";

describe("bench", () => {
  describe("stats", () => {
    it("median of odd and even counts, unsorted input", () => {
      assert.equal(median([5, 1, 3]), 3);
      assert.equal(median([4, 1, 3, 2]), 2.5);
    });
    it("quantiles interpolate; no values is an error", () => {
      assert.equal(quantile([0, 10], 0.9), 9);
      assert.throws(() => median([]), RangeError);
      assert.deepEqual(summarize([2, 4]), { n: 2, min: 2, median: 3, p90: 3.8, max: 4, mean: 3 });
    });
  });

  describe("figure", () => {
    it("overhead targets compare value − baseline", () => {
      const f = figure({
        section: "cold start",
        name: "t",
        value: 260,
        unit: "ms",
        baseline: { label: "node", value: 50 },
        target: { of: "overhead", op: "<=", value: 150, text: "" },
      });
      assert.equal(f.met, false);
      assert.equal(f.ratio, 5.2);
      assert.equal(figure({ ...f, value: 200 }).met, true);
    });
    it("ratio targets compare value / baseline; no target → no verdict", () => {
      const base = { section: "upload" as const, name: "u", unit: "bytes/s", baseline: { label: "sdk", value: 100 } };
      assert.equal(figure({ ...base, value: 90, target: { of: "ratio", op: ">=", value: 0.9, text: "" } }).met, true);
      assert.equal(figure({ ...base, value: 89, target: { of: "ratio", op: ">=", value: 0.9, text: "" } }).met, false);
      assert.equal(figure({ ...base, value: 89 }).met, undefined);
    });
    it("the table shows MISSED, skipped rows and notes", () => {
      const report: BenchReport = {
        startedAt: "",
        durationInMs: 1000,
        mode: "quick",
        machine: { cpus: 2, cpuModel: "cpu", totalMemoryInBytes: 1024, platform: "linux", node: "v20" },
        figures: [
          figure({
            section: "package size",
            name: ".vsix",
            value: 6 * 1024 * 1024,
            unit: "bytes",
            target: { of: "value", op: "<=", value: 5 * 1024 * 1024, text: "≤ 5 MiB" },
            notes: ["n1"],
          }),
        ],
        skipped: [{ section: "demo", name: "whole demo", reason: "why" }],
      };
      const text = formatReport(report);
      assert.match(text, /\.vsix\s+6\.0 MiB\s+≤ 5 MiB\s+MISSED/);
      assert.match(text, /demo \/ whole demo: why/);
      assert.match(text, /\[\.vsix\] n1/);
    });
  });

  describe("packageFolderOf", () => {
    it("finds the innermost package, scoped or not", () => {
      assert.equal(packageFolderOf("node_modules/@azure/identity/dist/commonjs/index.js"), "node_modules/@azure/identity");
      assert.equal(packageFolderOf("node_modules/a/node_modules/@s/b/lib/x.js"), "node_modules/a/node_modules/@s/b");
      assert.equal(packageFolderOf("node_modules\\tslib\\tslib.js"), "node_modules/tslib");
      assert.equal(packageFolderOf("tasks/common/wait.ts"), undefined);
    });
  });

  describe("zip sizes", () => {
    it("a deflated entry's stored size matches what storedFileSize predicts", function () {
      const zip = which("zip");
      if (!zip) this.skip();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-zip-"));
      try {
        const text = "hello bench ".repeat(2000);
        fs.writeFileSync(path.join(dir, "a.txt"), text);
        execFileSync(zip!, ["-q", "-X", "-9", "out.zip", "a.txt"], { cwd: dir });
        const [entry] = zipEntrySizes(fs.readFileSync(path.join(dir, "out.zip")));
        assert.equal(entry.name, "a.txt");
        assert.equal(entry.uncompressedBytes, text.length);
        const predicted = storedFileSize(path.join(dir, "a.txt"), "a.txt");
        assert.equal(predicted.raw, text.length);
        // zip -9 and zlib's default level differ by a few bytes at most on text this regular.
        assert.ok(Math.abs(predicted.stored - entry.storedBytes) < 16, `${predicted.stored} vs ${entry.storedBytes}`);
        assert.ok(entry.compressedBytes < zlib.deflateRawSync(Buffer.from(text), { level: 0 }).length);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("unionLength", () => {
    it("merges overlapping and touching intervals", () => {
      assert.equal(
        unionLength([
          [0, 10],
          [5, 15],
          [20, 25],
          [25, 30],
        ]),
        25,
      );
      assert.equal(unionLength([]), 0);
    });
  });

  describe("parseOptions", () => {
    it("full defaults: 10 cold starts, 10 s / 60 s real and 10 min scaled runs, 1 GiB and 10,000 files", () => {
      const o = parseOptions([]);
      assert.equal(o.coldStartRuns, 10);
      assert.deepEqual(
        o.completionRuns.map((r) => [r.virtualSeconds, r.timeScale]),
        [
          [10, 1],
          [60, 1],
          [600, 30],
        ],
      );
      assert.equal(o.largeFileBytes, 1024 ** 3);
      assert.equal(o.smallFiles, 10_000);
      assert.equal(o.output, "bench/results.json");
      assert.equal(o.uploadRuns, 5);
    });
    it("--upload-runs and --node (repeatable)", () => {
      const o = parseOptions(["--upload-runs=4", "--node=/a/node", "--node=/b/node"]);
      assert.equal(o.uploadRuns, 4);
      assert.deepEqual(o.extraNodes.slice(-2), ["/a/node", "/b/node"]);
      assert.throws(() => parseOptions(["--upload-runs=0"]), /positive integer/);
    });
    it("--upload-cases picks the large file, the small files or both; an unknown case fails", () => {
      assert.deepEqual(parseOptions([]).uploadCases, ["large", "files"]);
      assert.deepEqual(parseOptions(["--upload-cases=files"]).uploadCases, ["files"]);
      assert.deepEqual(parseOptions(["--upload-cases=files,large"]).uploadCases, ["large", "files"]);
      assert.throws(() => parseOptions(["--upload-cases=small"]), /unknown upload case\(s\) small/);
    });
    it("--quick, --only, --runs; unknown options fail with the usage", () => {
      const o = parseOptions(["--quick", "--only=size,coldstart", "--runs=5"]);
      assert.deepEqual(o.sections, ["coldstart", "size"]);
      assert.equal(o.coldStartRuns, 5);
      assert.equal(o.output, "bench/results.quick.json");
      assert.throws(() => parseOptions(["--only=speed"]), /unknown section/);
      assert.throws(() => parseOptions(["--fast"]), /usage:/);
    });
  });
});

function which(command: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    const full = path.join(dir, command);
    if (fs.existsSync(full)) return full;
  }
  return undefined;
}
