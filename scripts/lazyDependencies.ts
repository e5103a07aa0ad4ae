/**
 * esbuild plugin: keeps code the first request (the token request) does not need from running
 * before it. Measured with a CPU profile of a task from spawn to its first connect (issue 20).
 *
 * - jsonwebtoken (and semver, which it loads) is used by @azure/msal-node only to sign the client
 *   assertion of a certificate connection (`jwt.sign` in dist/client/ClientAssertion.mjs, its only
 *   use). msal-node imports it at top level, so every task evaluated it at start (~8 ms). The
 *   import is redirected to a module that `require`s jsonwebtoken on the first `sign`: esbuild
 *   wraps a CommonJS package in a lazy init function, evaluated on the first `require` only.
 * - @typespec/ts-http-runtime's formDataPolicy runs `body instanceof FormData` for every request.
 *   Reading Node's global `FormData` loads its bundled undici (~20 ms) on the first request. The
 *   check is kept, behind a test of the object's tag (`[object FormData]`, which every FormData
 *   has), so plain bodies no longer load undici.
 * - @azure/storage-common's `crc64.js` (an Emscripten build of CRC-64 with its wasm inlined, ~87 KB
 *   of each bundle that uploads) runs only when a caller asks for `contentChecksumAlgorithm`
 *   "StorageCrc64" or "Auto" (storage-blob `setUploadChecksumParameters` and `download`, through
 *   `StorageCRC64Calculator.init`). The tasks never do (test/lazyDependencies.test.ts checks their
 *   sources), so the module is replaced by one whose factory rejects, saying so: the .vsix stays
 *   under its 2 MB goal with the tasks' other code loaded lazily (issue 20).
 * Each rewrite fails the build if the package's code no longer has the expected text.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as esbuild from "esbuild";

const LAZY_JWT_NAMESPACE = "lazy-jsonwebtoken";
const FORM_DATA_CHECK = 'typeof FormData !== "undefined" && body instanceof FormData';
const FORM_DATA_CHECK_TAGGED = 'Object.prototype.toString.call(body) === "[object FormData]" && typeof FormData !== "undefined" && body instanceof FormData';

const CRC64_MODULE = /[\\/]@azure[\\/]storage-common[\\/]dist[\\/]esm[\\/]crc64\.js$/;
/** What the replaced crc64.js must still look like (an Emscripten factory exported as default). */
const CRC64_EXPECTED = ["crc64.wasm", "export default NativeCRC64;"];
export const CRC64_OMITTED_MESSAGE =
  'CRC-64 content validation (contentChecksumAlgorithm "StorageCrc64" or "Auto") is not included in this task\'s bundle (scripts/lazyDependencies.ts).';

function inPackage(file: string, name: string): boolean {
  return file.replace(/\\/g, "/").includes(`/node_modules/${name}/`);
}

export function lazyDependencies(): esbuild.Plugin {
  return {
    name: "lazy-dependencies",
    setup(build) {
      build.onResolve({ filter: /^jsonwebtoken$/ }, (args) =>
        inPackage(args.importer, "@azure/msal-node") && args.kind === "import-statement"
          ? { path: "jsonwebtoken", namespace: LAZY_JWT_NAMESPACE, pluginData: { resolveDir: args.resolveDir } }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: LAZY_JWT_NAMESPACE }, (args) => ({
        contents: 'export default { sign: (...args) => require("jsonwebtoken").sign(...args) };\n',
        loader: "js",
        resolveDir: (args.pluginData as { resolveDir: string }).resolveDir,
      }));
      build.onLoad({ filter: CRC64_MODULE }, async (args) => {
        const text = await fs.promises.readFile(args.path, "utf8");
        const missing = CRC64_EXPECTED.filter((expected) => !text.includes(expected));
        if (missing.length > 0) {
          return {
            errors: [
              {
                text: `${path.basename(args.path)}: expected ${missing.map((m) => `"${m}"`).join(" and ")} (scripts/lazyDependencies.ts); update the rewrite for this version`,
              },
            ],
          };
        }
        return {
          contents: `export default function NativeCRC64() {\n  return Promise.reject(new Error(${JSON.stringify(CRC64_OMITTED_MESSAGE)}));\n}\n`,
          loader: "js",
        };
      });
      build.onLoad({ filter: /[\\/]@typespec[\\/]ts-http-runtime[\\/]dist[\\/]esm[\\/]formData\.js$/ }, async (args) => {
        const text = await fs.promises.readFile(args.path, "utf8");
        if (!text.includes(FORM_DATA_CHECK)) {
          return {
            errors: [{ text: `${path.basename(args.path)}: expected "${FORM_DATA_CHECK}" (scripts/lazyDependencies.ts); update the rewrite for this version` }],
          };
        }
        return { contents: text.replace(FORM_DATA_CHECK, FORM_DATA_CHECK_TAGGED), loader: "js" };
      });
    },
  };
}
