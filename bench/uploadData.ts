/** Test data for the upload section: one large random file, and a folder of many small files. */
import { randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const CHUNK = 8 * 1024 * 1024;

/** Writes `bytes` random bytes to `file` (fresh content each run, so content-hashed uploads are never skipped). */
export async function writeLargeFile(file: string, bytes: number): Promise<void> {
  const handle = await fs.promises.open(file, "w");
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (let written = 0; written < bytes; ) {
      const n = Math.min(CHUNK, bytes - written);
      randomFillSync(buffer, 0, n);
      await handle.write(buffer, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

/** Writes `count` files of 512 B – 8 KiB (random content) in folders of 100; returns the total size. */
export async function writeSmallFiles(dir: string, count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, `part-${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) await fs.promises.mkdir(folder, { recursive: true });
    const size = 512 + ((i * 2654435761) % (8 * 1024 - 512));
    const data = randomFillSync(Buffer.alloc(size));
    await fs.promises.writeFile(path.join(folder, `file-${String(i).padStart(5, "0")}.bin`), data);
    total += size;
  }
  return total;
}
