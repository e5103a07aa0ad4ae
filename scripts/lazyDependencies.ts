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
 * Each rewrite fails the build if the package's code no longer has the expected text.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as esbuild from "esbuild";

const LAZY_JWT_NAMESPACE = "lazy-jsonwebtoken";
const FORM_DATA_CHECK = 'typeof FormData !== "undefined" && body instanceof FormData';
const FORM_DATA_CHECK_TAGGED = 'Object.prototype.toString.call(body) === "[object FormData]" && typeof FormData !== "undefined" && body instanceof FormData';

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
