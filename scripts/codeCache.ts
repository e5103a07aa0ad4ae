/**
 * A V8 code cache for a task bundle, kept beside it on the agent.
 *
 * Half of a task's cold start is V8 parsing and compiling the ~2 MB bundle before the first
 * request. The build splits the bundle (`splitForCodeCache`): `index.js` becomes a small loader,
 * and the bundle's code goes to `index.code` (not `.js`: nothing but the loader loads it; and not
 * a string inside index.js, which V8 would have to scan on every start). The loader compiles the
 * code with `vm.Script` and the cached data of an earlier run (`cachedData`, which every Node
 * version the tasks run on has; `module.enableCompileCache` exists only from Node 22.1).
 *
 * - Key: the file name holds the SHA-256 of the bundle's code (V8 itself keys a cache by its
 *   version, flags and the source's *length* only), the V8 version and the architecture.
 * - Integrity: the file is `MAGIC + n + checksum (n bytes) + data`, the checksum CRC-32
 *   (zlib.crc32, Node ≥ 20.15) or else MD5; anything else (truncated, corrupt, empty) is not
 *   handed to V8 (release builds of V8 do not verify the payload's checksum).
 * - A cache V8 rejects (other flags) or no cache: the code compiles as usual, and a new cache is
 *   written as soon as the run's first HTTP request has been sent (Node's `http.client.request.start`
 *   channel, then the request's `finish`), else once the run has warmed up (2 s) or at exit,
 *   whichever comes first: temp file + rename, so concurrent runs never read a half-written file.
 *   A folder that cannot be written is skipped. Written at the first request, the cache holds what
 *   runs before it (the tasks load the rest of their code once the sign-in is on the wire,
 *   tasks/common/earlySignIn.ts): about half the size of a cache written at 2 s, so half the
 *   deserializing on the way to that request (measured: 1.2 MB, 18–24 ms vs 2.2 MB, 31–37 ms); the
 *   code after it compiles while the sign-in is answered.
 * - Nothing is shipped in the .vsix: caches are made on the agent (a self-hosted agent keeps its
 *   task folders between jobs; a fresh hosted agent pays the uncached start once per task).
 */
import { createHash } from "node:crypto";

/** First bytes of every cache file the loader writes. */
export const CODE_CACHE_MAGIC = "mlops-v8-cache-2";
/** The file beside index.js that holds the bundle's code. */
export const CODE_FILE = "index.code";

/** `index.js` (the loader) and `index.code` (the bundle's code, wrapped as a CommonJS module body) for a CommonJS bundle. */
export function splitForCodeCache(code: string): { loader: string; code: string } {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 32);
  return {
    loader: `"use strict";\n(${loader.toString()})(${JSON.stringify(CODE_FILE)}, ${JSON.stringify(hash)}, ${JSON.stringify(CODE_CACHE_MAGIC)}, ${/^\p{ASCII}*$/u.test(code)});\n`,
    // On one line with the first line of the bundle, so its source map still holds (one column shift on line 1).
    code: `(function (exports, require, module, __filename, __dirname) {${code}\n})`,
  };
}

/**
 * Runs in the task process (serialized with toString, so it may use only Node's modules and its
 * parameters; the loader's `require`, `module`, `__filename` and `__dirname` are in scope there).
 */
function loader(codeFile: string, hash: string, magic: string, ascii: boolean): void {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const vm = require("node:vm") as typeof import("node:vm");
  const zlib = require("node:zlib") as typeof import("node:zlib") & { crc32?: (data: Buffer) => number };
  const checksum = (data: Buffer): Buffer => {
    if (typeof zlib.crc32 !== "function") return (require("node:crypto") as typeof import("node:crypto")).createHash("md5").update(data).digest();
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(zlib.crc32(data) >>> 0);
    return sum;
  };
  // esbuild writes ASCII (non-ASCII escaped), which the build checked (`ascii`): decoded as Latin-1
  // the same text costs a copy instead of a UTF-8 decode (measured for 1.9 MB in a fresh process:
  // 16–20 ms instead of 20–25 ms with the read; a runtime isAscii check cost 3 ms of it).
  const code = fs.readFileSync(path.join(__dirname, codeFile), ascii ? "latin1" : "utf8");
  const file = path.join(__dirname, `.v8-cache-${hash}-${process.versions.v8}-${process.arch}.bin`);
  const header = Buffer.from(magic, "latin1");
  let cachedData: Buffer | undefined;
  try {
    const stored = fs.readFileSync(file);
    const sumLength = stored[header.length] ?? 0;
    const sum = stored.subarray(header.length + 1, header.length + 1 + sumLength);
    const data = stored.subarray(header.length + 1 + sumLength);
    if (stored.subarray(0, header.length).equals(header) && data.length > 0 && checksum(data).equals(sum)) cachedData = data;
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
        const sum = checksum(data);
        const temp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temp, Buffer.concat([header, Buffer.from([sum.length]), sum, data]));
        fs.renameSync(temp, file);
      } catch {
        // a read-only task folder: run without a cache
      }
    };
    setTimeout(save, 2000).unref();
    process.once("exit", save);
    const channels = require("node:diagnostics_channel") as typeof import("node:diagnostics_channel");
    if (typeof channels.subscribe === "function") {
      const onRequest = (message: unknown) => {
        channels.unsubscribe("http.client.request.start", onRequest);
        const request = (message as { request?: import("node:http").ClientRequest } | undefined)?.request;
        if (!request || typeof request.once !== "function") return save();
        request.once("finish", save);
        request.once("close", save);
      };
      channels.subscribe("http.client.request.start", onRequest);
    }
  }
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, __filename, __dirname);
}
