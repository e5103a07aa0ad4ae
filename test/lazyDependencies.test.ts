import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import * as esbuild from "esbuild";
import { lazyDependencies } from "../scripts/lazyDependencies";

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
});
