/**
 * A V8 code cache for a task bundle, kept beside it on the agent.
 *
 * Half of a task's cold start is V8 parsing and compiling the ~2 MB bundle before the first
 * request. The build (scripts/build.ts) splits the bundle in CommonJS modules and writes them in
 * two files (`splitForCodeCache`): `index.code`, the entry and the modules it loads at once (what
 * runs before the first request: task-lib, @azure/identity, the inputs), and `rest.code`, what only
 * the entries' dynamic `import()`s reach (ARM SDKs, storage, the operation), read and compiled once
 * the first of them is required, after the sign-in's request is on the wire. `index.js` becomes a
 * small loader (not `.js` for the others: nothing but the loader loads them; and not a string inside
 * index.js, which V8 would have to scan on every start). Each file is one script evaluating to a
 * table of module functions, run by the loader's own `require` (one instance of each module, shared
 * by both parts). The loader compiles `index.code` with `vm.Script` and the cached data of an
 * earlier run (`cachedData`, which every Node version the tasks run on has;
 * `module.enableCompileCache` exists only from Node 22.1). Before the split, the whole bundle was
 * read and the cache held the rest's functions too (uncompiled): measured on the ADF task, 1.47 MB
 * read and 1.0 MB of cache before the first request, now 0.71 MB (issue 20).
 *
 * - Key: the file name holds the SHA-256 of `index.code` (V8 itself keys a cache by its
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
export const CODE_CACHE_MAGIC = "mlops-v8-cache-3";
/** The file beside index.js that holds the code the task runs before its first request (the code cache covers it). */
export const CODE_FILE = "index.code";
/** The file beside index.js that holds the rest of the task's code, compiled once something asks for it. */
export const REST_CODE_FILE = "rest.code";
/** The module name of the entry in a split bundle. */
export const ENTRY_MODULE = "./index.js";

/**
 * A bundle split in CommonJS modules (scripts/build.ts: esbuild's code splitting): each a module
 * body, named as the others `require` it (`./chunk-ABC.js`). `startup` holds the entry and what it
 * `require`s at load (the code before the first request), `rest` what only dynamic `import()`s reach.
 */
export interface SplitBundle {
  startup: Record<string, string>;
  rest: Record<string, string>;
}

/**
 * `index.js` (the loader), `index.code` (the startup modules) and, for a split bundle with a rest,
 * `rest.code`. A plain string is one CommonJS module body: the entry alone.
 */
export function splitForCodeCache(bundle: string | SplitBundle): { loader: string; code: string; rest?: string } {
  const parts: SplitBundle = typeof bundle === "string" ? { startup: { [ENTRY_MODULE]: bundle }, rest: {} } : bundle;
  if (!(ENTRY_MODULE in parts.startup)) throw new Error(`splitForCodeCache: the startup modules have no ${ENTRY_MODULE}`);
  const code = moduleTable(parts.startup);
  const rest = Object.keys(parts.rest).length > 0 ? moduleTable(parts.rest) : undefined;
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 32);
  const args = [
    CODE_FILE,
    rest === undefined ? null : REST_CODE_FILE,
    Object.keys(parts.rest),
    hash,
    CODE_CACHE_MAGIC,
    /^\p{ASCII}*$/u.test(code + (rest ?? "")),
  ];
  return {
    loader: `"use strict";\n(${loader.toString()})(${args.map((a) => JSON.stringify(a)).join(", ")});\n`,
    code,
    ...(rest === undefined ? {} : { rest }),
  };
}

/** `({ "./a.js": function (exports, require, module, __filename, __dirname) {...}, ... })`: one script, each module compiled lazily by V8. */
function moduleTable(modules: Record<string, string>): string {
  const entries = Object.entries(modules).map(
    ([name, body]) => `${JSON.stringify(name)}: function (exports, require, module, __filename, __dirname) {${body}\n}`,
  );
  return `({\n${entries.join(",\n")}\n})`;
}

/**
 * Runs in the task process (serialized with toString, so it may use only Node's modules and its
 * parameters; the loader's `require`, `module`, `__filename` and `__dirname` are in scope there).
 */
function loader(codeFile: string, restFile: string | null, restNames: string[], hash: string, magic: string, ascii: boolean): void {
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
  type ModuleBody = (exports: unknown, require: unknown, module: unknown, filename: string, dirname: string) => void;
  const startup = script.runInThisContext() as Record<string, ModuleBody>;
  // The rest: compiled (without a cache: it runs after the first request) when a module of it is first required.
  let rest: Record<string, ModuleBody> | undefined;
  const restModule = (name: string): ModuleBody => {
    if (rest === undefined) {
      const text = fs.readFileSync(path.join(__dirname, restFile as string), ascii ? "latin1" : "utf8");
      rest = new vm.Script(text, { filename: path.join(__dirname, restFile as string) }).runInThisContext() as Record<string, ModuleBody>;
    }
    return rest[name];
  };
  const loaded = new Map<string, { exports: unknown }>();
  const own = (id: string): boolean => Object.hasOwn(startup, id) || restNames.includes(id);
  const load = (id: string): unknown => {
    const done = loaded.get(id);
    if (done) return done.exports;
    // The entry is this module (require.main === module stays true); the others are modules of their own.
    const mod: { exports: unknown } = id === "./index.js" ? module : { exports: {} };
    loaded.set(id, mod);
    const body = Object.hasOwn(startup, id) ? startup[id] : restModule(id);
    body.call(mod.exports, mod.exports, moduleRequire, mod, __filename, __dirname);
    return mod.exports;
  };
  const moduleRequire = Object.assign((id: string) => (own(id) ? load(id) : require(id)), {
    resolve: require.resolve,
    main: require.main,
    cache: require.cache,
    extensions: require.extensions,
  });
  load("./index.js");
}
