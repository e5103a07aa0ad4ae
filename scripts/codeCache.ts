/**
 * A V8 code cache for a task bundle, kept beside it on the agent.
 *
 * Half of a task's cold start is V8 parsing and compiling the ~2 MB bundle before the first
 * request. The build wraps the bundle (`wrapWithCodeCache`): `index.js` becomes a small loader
 * holding the bundle's code as a string, which it compiles with `vm.Script` and the cached data
 * of an earlier run (Node's own `cachedData`, the mechanism of `v8.compileFunction` caches, which
 * every Node version the tasks run on has; `module.enableCompileCache` exists only from Node 22.1).
 *
 * - Key: the file name holds the SHA-256 of the bundle's code (V8 itself keys a cache by its
 *   version, flags and the source's *length* only), the V8 version and the architecture.
 * - Integrity: the file is `MAGIC + md5(data) + data`; anything else (truncated, corrupt, empty)
 *   is not handed to V8 (release builds of V8 do not verify the payload's checksum).
 * - A cache V8 rejects (other flags) or no cache: the code compiles as usual, and a new cache is
 *   written once the run has warmed up (2 s) or at exit, whichever comes first: temp file + rename,
 *   so concurrent runs never read a half-written file. A folder that cannot be written is skipped.
 * - Nothing is shipped in the .vsix: caches are made on the agent (a self-hosted agent keeps its
 *   task folders between jobs; a fresh hosted agent pays the uncached start once per task).
 */
import { createHash } from "node:crypto";

/** First bytes of every cache file the loader writes. */
export const CODE_CACHE_MAGIC = "mlops-v8-cache-1";

/** `index.js` for `code` (a CommonJS bundle): the loader, the code as a string, its hash. */
export function wrapWithCodeCache(code: string): string {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 32);
  // The bundle runs as a CommonJS module body, with the loader's own module variables.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  return `"use strict";\n(${loader.toString()})(${JSON.stringify(wrapped)}, ${JSON.stringify(hash)}, ${JSON.stringify(CODE_CACHE_MAGIC)});\n`;
}

/** The cache file name for a bundle hash (the loader computes the same). */
export function codeCacheFileName(hash: string, v8Version: string, arch: string): string {
  return `.v8-cache-${hash}-${v8Version}-${arch}.bin`;
}

/**
 * Runs in the task process (serialized with toString, so it may use only Node's modules and its
 * parameters; the loader's `require`, `module`, `__filename` and `__dirname` are in scope there).
 */
function loader(code: string, hash: string, magic: string): void {
  const fs = require("fs") as typeof import("node:fs");
  const path = require("path") as typeof import("node:path");
  const vm = require("vm") as typeof import("node:vm");
  const crypto = require("crypto") as typeof import("node:crypto");
  const file = path.join(__dirname, `.v8-cache-${hash}-${process.versions.v8}-${process.arch}.bin`);
  const header = Buffer.from(magic, "latin1");
  let cachedData: Buffer | undefined;
  try {
    const raw = fs.readFileSync(file);
    const sum = raw.subarray(header.length, header.length + 16);
    const data = raw.subarray(header.length + 16);
    if (raw.subarray(0, header.length).equals(header) && data.length > 0 && crypto.createHash("md5").update(data).digest().equals(sum)) cachedData = data;
  } catch {
    // no cache yet, or unreadable: compile as usual
  }
  const script = new vm.Script(code, { filename: __filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    let written = false;
    const save = () => {
      if (written) return;
      written = true;
      try {
        const data = script.createCachedData();
        const temp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temp, Buffer.concat([header, crypto.createHash("md5").update(data).digest(), data]));
        fs.renameSync(temp, file);
      } catch {
        // a read-only task folder: run without a cache
      }
    };
    setTimeout(save, 2000).unref();
    process.once("exit", save);
  }
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, __filename, __dirname);
}
