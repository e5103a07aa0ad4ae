/**
 * A hash pass over the upload data, run as its own process so that it is timed alone:
 * - `task`: the tasks' own hashLocalArtifact (tasks/common/contentHash.ts), the hash phase of a
 *   RegisterModel upload (the CLI's MD5 upload hash over names and contents);
 * - `md5`: a plain streamed MD5 of a file, what any upload to `LocalUpload/<md5>/` must pay first
 *   (added to the plain SDK baseline of the large-file case).
 * Prints one JSON line `{ "hashMs": … }`.
 *
 *   node out/bench/hashPass.js task|md5 <path>
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { hashLocalArtifact } from "../tasks/common/contentHash";

async function main(): Promise<void> {
  const [mode, source] = process.argv.slice(2);
  const started = performance.now();
  if (mode === "task") {
    await hashLocalArtifact(source);
  } else if (mode === "md5") {
    const md5 = createHash("md5");
    for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 })) md5.update(chunk as Buffer);
    md5.digest();
  } else {
    throw new Error(`usage: hashPass.js task|md5 <path> (got ${mode})`);
  }
  console.log(JSON.stringify({ hashMs: performance.now() - started }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
