/**
 * Sizes as a .vsix (a zip) stores files: each file deflated on its own, plus its local header and
 * central directory entry (30 + 46 bytes, and the name twice).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP_ENTRY_OVERHEAD = 30 + 46;

export interface ZipEntrySize {
  name: string;
  compressedBytes: number;
  uncompressedBytes: number;
  /** compressed + headers: what the entry adds to the archive. */
  storedBytes: number;
}

/** Every entry of a zip with its sizes, from the central directory. */
export function zipEntrySizes(zip: Buffer): ZipEntrySize[] {
  let end = -1;
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new Error("not a zip archive");
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntrySize[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) throw new Error(`corrupt central directory at ${offset}`);
    const compressedBytes = zip.readUInt32LE(offset + 20);
    const uncompressedBytes = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength);
    entries.push({
      name,
      compressedBytes,
      uncompressedBytes,
      storedBytes: compressedBytes + ZIP_ENTRY_OVERHEAD + 2 * nameLength + extraLength + commentLength,
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** What one file would add to a zip under `entryName` (deflated, default level, as tfx writes). */
export function storedFileSize(file: string, entryName: string): { raw: number; stored: number } {
  const data = fs.readFileSync(file);
  const deflated = zlib.deflateRawSync(data).length;
  const name = Buffer.byteLength(entryName);
  return { raw: data.length, stored: Math.min(deflated, data.length) + ZIP_ENTRY_OVERHEAD + 2 * name };
}

/** Every file under `dir`, skipping folders named in `skipDirs` (e.g. nested node_modules). */
export function listFiles(dir: string, skipDirs: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (!skipDirs.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        out.push(full);
      }
    }
  };
  walk(dir);
  return out;
}
