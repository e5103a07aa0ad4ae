/**
 * The code cache loader of the task bundles (scripts/codeCache.ts): the wrapped code runs as the
 * module it was, a cache is written and then used, and no cache file, however damaged, breaks a run.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { CODE_CACHE_MAGIC, CODE_FILE, REST_CODE_FILE, type SplitBundle, splitForCodeCache } from "../scripts/codeCache";

const run = promisify(execFile);

/** A CommonJS body that uses the module variables and prints what it sees. */
const BODY = `
const os = require("os");
module.exports.answer = 42;
function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }
console.log(JSON.stringify({ dir: __dirname, file: __filename, main: require.main === module, exportsSame: exports === module.exports, sum: work(10), eol: os.EOL.length }));
`;

describe("code cache loader", function () {
  this.timeout(30_000);
  let dir: string;

  function writeTask(into: string, body: string | SplitBundle): void {
    const split = splitForCodeCache(body);
    fs.writeFileSync(path.join(into, "index.js"), split.loader);
    fs.writeFileSync(path.join(into, CODE_FILE), split.code);
    if (split.rest !== undefined) fs.writeFileSync(path.join(into, REST_CODE_FILE), split.rest);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "code-cache-"));
    writeTask(dir, BODY);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function runIndex(): Promise<Record<string, unknown>> {
    const { stdout } = await run(process.execPath, [path.join(dir, "index.js")], { cwd: dir });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  function cacheFiles(): string[] {
    return fs.readdirSync(dir).filter((f) => f.startsWith(".v8-cache-"));
  }

  const expected = () => ({ dir, file: path.join(dir, "index.js"), main: true, exportsSame: true, sum: 45, eol: os.EOL.length });

  it("runs the code as the module it was, writes a cache keyed by the code's hash, then reuses it", async () => {
    assert.deepEqual(await runIndex(), expected());
    const files = cacheFiles();
    assert.equal(files.length, 1);
    const hash = createHash("sha256")
      .update(fs.readFileSync(path.join(dir, CODE_FILE)))
      .digest("hex")
      .slice(0, 32);
    assert.ok(files[0].includes(hash) && files[0].includes(process.versions.v8) && files[0].includes(process.arch), files[0]);
    const cache = path.join(dir, files[0]);
    const raw = fs.readFileSync(cache);
    assert.equal(raw.subarray(0, CODE_CACHE_MAGIC.length).toString("latin1"), CODE_CACHE_MAGIC);
    const writtenAt = fs.statSync(cache).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await runIndex(), expected());
    assert.equal(fs.statSync(cache).mtimeMs, writtenAt, "an accepted cache is not written again");
  });

  it("runs with a truncated, corrupt, empty, foreign or rejected cache, and replaces it", async () => {
    await runIndex();
    const [name] = cacheFiles();
    const cache = path.join(dir, name);
    const good = fs.readFileSync(cache);
    const header = good.subarray(0, CODE_CACHE_MAGIC.length + 1 + good[CODE_CACHE_MAGIC.length]);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0xff;
    // A cache that passes the integrity check but that V8 refuses: made for other code.
    const other = path.join(dir, "other");
    fs.mkdirSync(other);
    writeTask(other, `${BODY}\n// other code of another length\n`);
    await run(process.execPath, [path.join(other, "index.js")]);
    const foreign = fs.readFileSync(path.join(other, fs.readdirSync(other).find((f) => f.startsWith(".v8-cache-"))!));
    const damaged: [string, Buffer][] = [
      ["truncated", good.subarray(0, good.length >> 1)],
      ["one byte flipped", flipped],
      ["empty", Buffer.alloc(0)],
      ["header only", header],
      ["garbage", Buffer.from("not a cache at all")],
      ["another code's cache (rejected by V8)", foreign],
    ];
    for (const [what, bytes] of damaged) {
      fs.writeFileSync(cache, bytes);
      assert.deepEqual(await runIndex(), expected(), what);
      assert.ok(fs.readFileSync(cache).length > header.length, `${what}: replaced by a new cache`);
      assert.deepEqual(await runIndex(), expected(), `${what}: the replacement works`);
    }
  });

  it("writes the cache as soon as the code's first HTTP request has been sent", async () => {
    const server = http.createServer((_req, res) => setTimeout(() => res.end("ok"), 50));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      // Reports whether a cache file exists when the answer arrives (50 ms after the request; the 2 s timer and exit come later).
      writeTask(
        dir,
        `require("http").get(${JSON.stringify(url)}, (res) => { res.resume(); res.on("end", () => {
          const cached = require("fs").readdirSync(__dirname).some((f) => f.startsWith(".v8-cache-") && f.endsWith(".bin"));
          console.log(JSON.stringify({ cached }));
        }); });`,
      );
      const { stdout } = await run(process.execPath, [path.join(dir, "index.js")], { cwd: dir });
      assert.deepEqual(JSON.parse(stdout), { cached: true }, "no cache yet when the first answer arrived");
      assert.equal(cacheFiles().filter((f) => f.endsWith(".bin")).length, 1);
    } finally {
      server.close();
    }
  });

  it("runs code that is not ASCII (decoded as UTF-8), with and without its cache", async () => {
    writeTask(dir, 'console.log(JSON.stringify({ text: "caf\u00e9 \u{1F600} ✓ é" }));');
    const expectedText = "caf\u00e9 \u{1F600} ✓ é";
    assert.deepEqual(await runIndex(), { text: expectedText });
    assert.equal(cacheFiles().length, 1);
    assert.deepEqual(await runIndex(), { text: expectedText });
  });

  it("runs when the cache is a folder (cannot be read or written)", async () => {
    await runIndex();
    const [name] = cacheFiles();
    fs.rmSync(path.join(dir, name));
    fs.mkdirSync(path.join(dir, name));
    assert.deepEqual(await runIndex(), expected());
  });
  describe("a bundle split in modules (scripts/build.ts)", () => {
    /** The shape esbuild's CommonJS pass writes: chunks required by name, import() as a require in a promise. */
    const SPLIT: SplitBundle = {
      startup: {
        "./index.js": `
const shared = require("./chunk-shared.js");
shared.seen.push("entry");
const before = { restEvaluated: globalThis.__restEvaluated === true };
Promise.resolve().then(() => require("./operation-x.js")).then((op) => {
  console.log(JSON.stringify({ before, result: op.run(), seen: shared.seen, sameShared: op.shared === shared, main: require.main === module, dir: __dirname, file: __filename }));
});`,
        "./chunk-shared.js": "exports.seen = []; exports.count = (globalThis.__sharedCount = (globalThis.__sharedCount ?? 0) + 1);",
      },
      rest: {
        "./operation-x.js": `
globalThis.__restEvaluated = true;
const shared = require("./chunk-shared.js");
shared.seen.push("operation");
exports.shared = shared;
exports.run = () => require("os").EOL.length + shared.count;`,
      },
    };

    it("runs the entry, shares each module between the parts, and compiles the rest only when it is required", async () => {
      writeTask(dir, SPLIT);
      assert.ok(fs.existsSync(path.join(dir, REST_CODE_FILE)));
      const expectedRun = {
        before: { restEvaluated: false },
        result: os.EOL.length + 1,
        seen: ["entry", "operation"],
        sameShared: true,
        main: true,
        dir,
        file: path.join(dir, "index.js"),
      };
      const first = await runIndex();
      assert.deepEqual(first, expectedRun);
      assert.equal(cacheFiles().length, 1);
      assert.deepEqual(await runIndex(), expectedRun, "with its cache");
    });

    it("does not read rest.code in a run that never needs it", async () => {
      writeTask(dir, {
        startup: { "./index.js": 'console.log(JSON.stringify({ ok: require("./chunk-shared.js").ok }));', "./chunk-shared.js": "exports.ok = 1;" },
        rest: { "./unused.js": "throw new Error('evaluated');" },
      });
      fs.writeFileSync(path.join(dir, REST_CODE_FILE), "this is not JavaScript (");
      assert.deepEqual(await runIndex(), { ok: 1 });
    });

    it("fails naming rest.code when it is missing and a module of it is required", async () => {
      writeTask(dir, SPLIT);
      fs.rmSync(path.join(dir, REST_CODE_FILE));
      await assert.rejects(run(process.execPath, [path.join(dir, "index.js")], { cwd: dir }), (err: Error & { stderr: string }) => {
        assert.match(err.stderr, /ENOENT.*rest\.code/);
        return true;
      });
    });

    it("refuses startup modules without an entry", () => {
      assert.throws(() => splitForCodeCache({ startup: { "./chunk.js": "" }, rest: {} }), /no \.\/index\.js/);
    });
  });
});
