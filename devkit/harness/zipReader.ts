/**
 * Reads a .zip (a .vsix is one) through its central directory, with node:zlib for deflated
 * entries. Enough for packages tfx writes: stored or deflated entries, no ZIP64, no encryption.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

export interface ZipEntry {
  /** Path inside the archive, with `/`. */
  name: string;
  data: Buffer;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      return offset;
    }
  }
  throw new Error("Not a zip archive: no end of central directory record.");
}

/** Every file entry (directories are skipped), decompressed. */
export function readZip(zip: Buffer): ZipEntry[] {
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || offset === 0xffffffff) {
    throw new Error("ZIP64 archives are not supported.");
  }
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) {
      throw new Error(`Corrupt zip: no central directory header at ${offset}.`);
    }
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString(flags & 0x800 ? "utf8" : "latin1", offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;

    if (flags & 0x1) {
      throw new Error(`${name} is encrypted.`);
    }
    if (zip.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) {
      throw new Error(`Corrupt zip: no local header for ${name}.`);
    }
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    if (name.endsWith("/")) {
      continue;
    }
    let data: Buffer;
    if (method === 0) {
      data = Buffer.from(raw);
    } else if (method === 8) {
      data = zlib.inflateRawSync(raw);
    } else {
      throw new Error(`${name} uses compression method ${method}, which is not supported.`);
    }
    if (data.length !== size) {
      throw new Error(`${name}: expected ${size} bytes, got ${data.length}.`);
    }
    entries.push({ name, data });
  }
  return entries;
}

/** Writes the entries under `dir`, refusing names that would escape it. */
export async function extractZip(zip: Buffer, dir: string): Promise<ZipEntry[]> {
  const entries = readZip(zip);
  const root = path.resolve(dir);
  for (const entry of entries) {
    const target = path.resolve(root, entry.name);
    if (!target.startsWith(root + path.sep)) {
      throw new Error(`Zip entry ${entry.name} points outside the target folder.`);
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.writeFile(target, entry.data);
  }
  return entries;
}
