/**
 * The upload baseline, run as its own process (like the task): a plain parallel
 * @azure/storage-blob upload of a file or a folder, with the task's default parallelism
 * (8 files at a time, 4 blocks of 8 MiB per file, up to 32 MiB in one request). Nothing else:
 * no hashing, no ARM, no indicator blob. Prints one JSON line with its own upload time.
 * Blobs are named `<prefix>/<path relative to the folder>` (a single file: `<prefix>/<file name>`);
 * the bench passes the task's own `LocalUpload/<md5>/…` folder as the prefix (upload.ts).
 *
 *   BENCH_UPLOAD='{"containerUrl":..,"accountName":..,"accountKey":..,"source":..,"prefix":..}' node out/bench/baselineUpload.js
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";

interface BaselineArgs {
  containerUrl: string;
  accountName: string;
  accountKey: string;
  source: string;
  prefix: string;
  fileConcurrency?: number;
  blockConcurrency?: number;
  blockSizeInBytes?: number;
}

function files(source: string): { local: string; name: string }[] {
  if (fs.statSync(source).isFile()) return [{ local: source, name: path.basename(source) }];
  const out: { local: string; name: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else out.push({ local: full, name: path.relative(source, full).split(path.sep).join("/") });
    }
  };
  walk(source);
  return out;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.env["BENCH_UPLOAD"] ?? "") as BaselineArgs;
  const container = new ContainerClient(args.containerUrl, new StorageSharedKeyCredential(args.accountName, args.accountKey));
  await container.createIfNotExists();
  const started = performance.now();
  const queue = files(args.source);
  const count = queue.length;
  let bytes = 0;
  const blockSize = args.blockSizeInBytes ?? 8 * 1024 * 1024;
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const res = await container.getBlockBlobClient(`${args.prefix}/${f.name}`).uploadFile(f.local, {
        blockSize,
        maxSingleShotSize: blockSize * 4,
        concurrency: args.blockConcurrency ?? 4,
      });
      if (res.errorCode) throw new Error(res.errorCode);
      bytes += fs.statSync(f.local).size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.fileConcurrency ?? 8, count) }, worker));
  console.log(JSON.stringify({ files: count, bytes, uploadMs: performance.now() - started }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
