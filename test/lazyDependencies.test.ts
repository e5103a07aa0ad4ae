import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import * as esbuild from "esbuild";
import { CRC64_OMITTED_MESSAGE, lazyDependencies } from "../scripts/lazyDependencies";

/** Writes `files` (relative path → text) under a new temp folder. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lazy-deps-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

async function bundle(root: string, entry: string): Promise<string> {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    logLevel: "silent",
    plugins: [lazyDependencies()],
  });
  return result.outputFiles[0].text;
}

/** Runs a CommonJS bundle in a fresh context; returns its exports and that context's globals. */
function run(code: string, globals: PropertyDescriptorMap = {}): { exports: Record<string, (...args: unknown[]) => unknown>; context: vm.Context } {
  const module = { exports: {} as Record<string, (...args: unknown[]) => unknown> };
  const context = vm.createContext(Object.defineProperties({ module, exports: module.exports }, globals));
  vm.runInContext(code, context);
  return { exports: module.exports, context };
}

describe("lazyDependencies (build plugin)", () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

  it("evaluates jsonwebtoken imported by msal-node only on the first sign", async () => {
    const root = tree({
      "node_modules/jsonwebtoken/index.js": "globalThis.jwtLoaded = true; exports.sign = (payload) => 'signed:' + payload;",
      "node_modules/@azure/msal-node/dist/assertion.mjs": "import jwt from 'jsonwebtoken';\nexport const sign = (p) => jwt.sign(p);",
      "entry.mjs": "export { sign } from './node_modules/@azure/msal-node/dist/assertion.mjs';",
    });
    roots.push(root);
    const { exports, context } = run(await bundle(root, "entry.mjs"));
    assert.equal(context.jwtLoaded, undefined, "jsonwebtoken ran at start");
    assert.equal(exports.sign("x"), "signed:x");
    assert.equal(context.jwtLoaded, true);
  });

  it("leaves jsonwebtoken imported elsewhere as it is", async () => {
    const root = tree({
      "node_modules/jsonwebtoken/index.js": "globalThis.jwtLoaded = true; exports.sign = () => 'signed';",
      "entry.mjs": "import jwt from 'jsonwebtoken';\nexport const sign = () => jwt.sign();",
    });
    roots.push(root);
    const { context } = run(await bundle(root, "entry.mjs"));
    assert.equal(context.jwtLoaded, true);
  });

  const formDataFile = "node_modules/@typespec/ts-http-runtime/dist/esm/formData.js";
  const formDataSource = 'export function isForm(body) {\n  return typeof FormData !== "undefined" && body instanceof FormData;\n}\n';

  it("reads the global FormData only for a body tagged FormData", async () => {
    const root = tree({ [formDataFile]: formDataSource, "entry.mjs": `export { isForm } from './${formDataFile}';` });
    roots.push(root);
    class FormData {
      get [Symbol.toStringTag]() {
        return "FormData";
      }
    }
    let reads = 0;
    const { exports } = run(await bundle(root, "entry.mjs"), { FormData: { get: () => (reads++, FormData) } });
    assert.equal(exports.isForm("text body"), false);
    assert.equal(exports.isForm({ a: 1 }), false);
    assert.equal(reads, 0, "the global FormData was read for a plain body");
    assert.equal(exports.isForm(new FormData()), true);
    assert.ok(reads > 0);
  });

  it("fails the build, naming the file and the plugin, when formData.js no longer has the expected check", async () => {
    const root = tree({
      [formDataFile]: "export function isForm(body) { return body instanceof FormData; }\n",
      "entry.mjs": `export { isForm } from './${formDataFile}';`,
    });
    roots.push(root);
    await assert.rejects(bundle(root, "entry.mjs"), (err: esbuild.BuildFailure) => {
      assert.match(err.errors[0].text, /formData\.js: expected .*scripts\/lazyDependencies\.ts/);
      return true;
    });
  });
  const crc64File = "node_modules/@azure/storage-common/dist/esm/crc64.js";

  it("replaces storage-common's CRC-64 wasm module by one that rejects, naming why", async () => {
    const root = tree({
      [crc64File]:
        "globalThis.crc64Loaded = true;\nvar wasmBinaryFile = 'crc64.wasm';\nconst NativeCRC64 = async () => ({ wasm: 'BIG-INLINED-WASM' });\nexport default NativeCRC64;\n",
      "entry.mjs": `import NativeCRC64 from './${crc64File}';\nexport const init = () => NativeCRC64();`,
    });
    roots.push(root);
    const code = await bundle(root, "entry.mjs");
    assert.ok(!code.includes("BIG-INLINED-WASM"), "the original module is still in the bundle");
    const { exports, context } = run(code, { Promise: { value: Promise }, Error: { value: Error } });
    await assert.rejects(exports.init() as Promise<unknown>, (err: Error) => err.message === CRC64_OMITTED_MESSAGE);
    assert.equal(context.crc64Loaded, undefined);
  });

  it("fails the build when crc64.js no longer looks like the Emscripten module it replaces", async () => {
    const root = tree({ [crc64File]: "export default async function other() {}\n", "entry.mjs": `export { default } from './${crc64File}';` });
    roots.push(root);
    await assert.rejects(bundle(root, "entry.mjs"), (err: esbuild.BuildFailure) => {
      assert.match(err.errors[0].text, /crc64\.js: expected "crc64\.wasm" and "export default NativeCRC64;" .*scripts\/lazyDependencies\.ts/);
      return true;
    });
  });

  it("the installed storage-common still has the crc64.js the rewrite expects, and no task asks for CRC-64 validation", () => {
    const repo = path.resolve(__dirname, "..", "..");
    const installed = fs.readFileSync(path.join(repo, crc64File), "utf8");
    assert.ok(installed.includes("crc64.wasm") && installed.includes("export default NativeCRC64;"));
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && /ChecksumAlgorithm|rangeGetContentCrc64/.test(fs.readFileSync(full, "utf8")))
          offenders.push(full);
      }
    };
    walk(path.join(repo, "tasks"));
    assert.deepEqual(offenders, [], "a task sets a storage checksum algorithm: the CRC-64 module must then stay in the bundle");
  });
});
