/**
 * The Azure ML CLI v2's hashes of a local file or folder, and the blobs it uploads for it.
 *
 * Two hashes, as azure-ai-ml computes them (`_asset_utils.get_object_hash` / `get_content_hash`):
 * - **Upload hash** (names the blob folder, so the CLI and this task share uploads): MD5 seeded with the
 *   ASCII bytes `Initialize for october 2021 AML CLI version`. A file: its bytes. A folder: the entries of
 *   each directory sorted by lower-cased name, ignored entries skipped; for each entry its name (UTF-8),
 *   then the file's bytes or, for a directory, the same walk recursively, in place.
 *   Blobs: `LocalUpload/<md5>/<folder name>/<relative path>` (a file: `LocalUpload/<md5>/<file name>`).
 * - **Content hash** (`hash_sha256`, hash version `202208`, sent in CodeVersion properties): SHA-256 of the
 *   file count (decimal), then for every file sorted by lower-cased relative path `#<relative path>#` and its
 *   size (decimal), then every file's bytes in the same order. A single file: count 1 and its own name.
 *
 * Symbolic links inside the folder: the CLI hashes the link's name, then the content of its target
 * (`_get_dir_hash`: `os.readlink`, then the file's bytes or the folder's walk), and uploads the target's
 * content under the link's name (`traverse_directory`: the link's path as the blob path), in
 * Azure/azure-sdk-for-python `sdk/ml/azure-ai-ml/azure/ai/ml/_utils/_asset_utils.py`. So does this walk,
 * with two refusals the CLI lacks (it follows anything and loops on a cycle): a link whose real path
 * is outside the folder (`notes.txt -> ~/.ssh/id_rsa` would upload the key), and a link to a folder
 * that holds it (`x -> .`, an endless walk). Entries are read with lstat, links resolved with
 * realpath and checked against the folder's real path; files are then read through their real path.
 * A dangling link counts by its name only (the CLI's `is_file`/`is_dir` are both false).
 *
 * Small files (up to one chunk) are read synchronously: for folders of many small files an async
 * stat and read per file costs far more than the hashing. Larger files are streamed in chunks, so
 * memory does not grow with file size. The walk yields to the event loop now and then, so requests
 * started before it (the datastore lookup, the sign-in) progress meanwhile.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import { IgnorePatternError, loadIgnoreRules, type IgnoreRules } from "./ignoreRules";

/** The seed the CLI feeds to MD5 before anything else. */
export const UPLOAD_HASH_SEED = "Initialize for october 2021 AML CLI version";
/** Blob folder every local upload goes under. */
export const LOCAL_UPLOAD_ROOT = "LocalUpload";
/** `hash_version` of the SHA-256 content hash. */
export const CONTENT_HASH_VERSION = "202208";

const DEFAULT_CHUNK_SIZE_IN_BYTES = 1024 * 1024;

/** One file to upload. */
export interface UploadFile {
  /** Absolute local path to read: the real path (a link inside the folder resolved to its target). */
  localPath: string;
  /** Path relative to the uploaded folder, `/`-separated (the file name for a single file). */
  relativePath: string;
  sizeInBytes: number;
  /** Full blob name in the datastore container. */
  blobName: string;
}

/** A hashed local file or folder, ready to upload. */
export interface LocalArtifact {
  /** Absolute, resolved local path. */
  localPath: string;
  isDirectory: boolean;
  /** Folder or file name used in blob names. */
  baseName: string;
  /** The CLI's upload hash (lower-case hex MD5). */
  uploadHash: string;
  /** SHA-256 content hash (lower-case hex), when requested. */
  contentHash?: string;
  /** `LocalUpload/<md5>/<name>`: the uploaded folder (or the single file's blob name). */
  blobPrefix: string;
  /** Files in upload order (code-point order of relative path, as the CLI sorts). */
  files: UploadFile[];
  /** The blob whose metadata marks a completed upload (`upload_status=completed`): the first file. */
  indicatorBlobName: string;
  totalSizeInBytes: number;
  /** The ignore file applied, if any. */
  ignoreFilePath?: string;
}

export interface HashLocalArtifactOptions {
  /** Patterns appended after the folder's ignore file (e.g. `__pycache__` for code). */
  extraIgnorePatterns?: readonly string[];
  /** Also compute the SHA-256 content hash (reads the files a second time). */
  computeContentHash?: boolean;
  chunkSizeInBytes?: number;
  abortSignal?: AbortSignal;
  /**
   * Called once, when the walk reaches the first file it hashes (for a single file: before reading
   * it): the artifact is then known not to be empty, so a caller may start what the upload needs
   * (the datastore lookup) while the rest is hashed.
   */
  onFirstFile?: () => void;
}

/**
 * Error for a local path the CLI would refuse (missing, empty folder, unreadable), or a link the
 * walk refuses (`UnsupportedEntry` with `link` set: it leads outside the folder, or into a cycle).
 */
export class LocalArtifactError extends Error {
  readonly code: "PathNotFound" | "EmptyDirectory" | "UnsupportedEntry";
  readonly localPath: string;
  /** For a refused link: why. `localPath` is then the link itself. */
  readonly link?: "outside" | "cycle";
  constructor(code: LocalArtifactError["code"], localPath: string, message: string, options?: { cause?: unknown; link?: "outside" | "cycle" }) {
    super(message, options);
    this.name = "LocalArtifactError";
    this.code = code;
    this.localPath = localPath;
    this.link = options?.link;
  }
}

/** Hashes a local file or folder the way the CLI does and lists the blobs to upload. */
export async function hashLocalArtifact(localPath: string, options: HashLocalArtifactOptions = {}): Promise<LocalArtifact> {
  const resolved = path.resolve(localPath);
  let stat;
  try {
    stat = statSync(resolved);
  } catch (error) {
    throw new LocalArtifactError("PathNotFound", resolved, `No such file or directory: ${resolved}`, { cause: error });
  }
  const chunkSize = options.chunkSizeInBytes ?? DEFAULT_CHUNK_SIZE_IN_BYTES;
  const baseName = path.basename(resolved);
  const md5 = createHash("md5").update(UPLOAD_HASH_SEED, "latin1");

  if (stat.isFile()) {
    options.onFirstFile?.();
    await feedFile(md5, resolved, stat.size, chunkSize, options.abortSignal);
    const uploadHash = md5.digest("hex");
    const blobName = `${LOCAL_UPLOAD_ROOT}/${uploadHash}/${baseName}`;
    const files: UploadFile[] = [{ localPath: resolved, relativePath: baseName, sizeInBytes: stat.size, blobName }];
    return {
      localPath: resolved,
      isDirectory: false,
      baseName,
      uploadHash,
      contentHash: options.computeContentHash ? await contentHashOf(files, chunkSize, options.abortSignal) : undefined,
      blobPrefix: blobName,
      files,
      indicatorBlobName: blobName,
      totalSizeInBytes: stat.size,
    };
  }
  if (!stat.isDirectory()) {
    throw new LocalArtifactError("UnsupportedEntry", resolved, `${resolved} is neither a file nor a directory.`);
  }

  const rules = await loadIgnoreRules(resolved, { extraPatterns: options.extraIgnorePatterns }).catch((error: unknown) => {
    if (error instanceof IgnorePatternError)
      throw new LocalArtifactError("UnsupportedEntry", error.ignoreFilePath ?? resolved, error.message, { cause: error });
    throw error;
  });
  const collected: Omit<UploadFile, "blobName">[] = [];
  const rootReal = realpathSync(resolved);
  const walk: WalkState = {
    root: resolved,
    rootReal,
    relativeDir: "",
    realDir: rootReal,
    ancestors: [rootReal],
    md5,
    rules,
    chunkSize,
    collected,
    abortSignal: options.abortSignal,
    clock: new YieldClock(),
    onFirstFile: options.onFirstFile,
  };
  await walkDirectory(walk);
  if (collected.length === 0) {
    throw new LocalArtifactError("EmptyDirectory", resolved, `Directory ${resolved} is empty. path or local_path must be a non-empty directory.`);
  }
  const uploadHash = md5.digest("hex");
  const blobPrefix = `${LOCAL_UPLOAD_ROOT}/${uploadHash}/${baseName}`;
  const files = collected.sort((a, b) => compareCodePoints(a.relativePath, b.relativePath)).map((f) => ({ ...f, blobName: `${blobPrefix}/${f.relativePath}` }));
  return {
    localPath: resolved,
    isDirectory: true,
    baseName,
    uploadHash,
    contentHash: options.computeContentHash ? await contentHashOf(files, chunkSize, options.abortSignal) : undefined,
    blobPrefix,
    files,
    indicatorBlobName: files[0].blobName,
    totalSizeInBytes: files.reduce((sum, f) => sum + f.sizeInBytes, 0),
    ignoreFilePath: rules.ignoreFilePath,
  };
}

interface WalkState {
  root: string;
  /** The folder's real path: every file read must be inside it. */
  rootReal: string;
  relativeDir: string;
  /** Real path of the directory being walked. */
  realDir: string;
  /** Real paths of the directories from the root down to this one (a link to one of them is a cycle). */
  ancestors: readonly string[];
  md5: Hash;
  rules: IgnoreRules;
  chunkSize: number;
  collected: Omit<UploadFile, "blobName">[];
  abortSignal?: AbortSignal;
  clock: YieldClock;
  /** Called at the first file. */
  onFirstFile?: () => void;
}

async function walkDirectory(state: WalkState): Promise<void> {
  const dir = state.relativeDir ? path.join(state.root, ...state.relativeDir.split("/")) : state.root;
  const names = readdirSync(dir);
  names.sort((a, b) => compareCodePoints(a.toLowerCase(), b.toLowerCase()));
  for (const name of names) {
    state.abortSignal?.throwIfAborted();
    await state.clock.maybeYield();
    const relativePath = state.relativeDir ? `${state.relativeDir}/${name}` : name;
    if (state.rules.matches(relativePath)) continue;
    state.md5.update(name, "utf8");
    const full = path.join(dir, name);
    const entry = lstatSync(full, { throwIfNoEntry: false });
    if (!entry) continue;
    let real = path.join(state.realDir, name);
    let stat = entry;
    if (entry.isSymbolicLink()) {
      try {
        real = realpathSync(full);
        stat = statSync(real);
      } catch {
        continue; // a dangling link: the CLI hashes its name only and uploads nothing
      }
      if (!isInside(state.rootReal, real)) {
        throw new LocalArtifactError(
          "UnsupportedEntry",
          full,
          `${full} is a symbolic link to ${real}, outside the folder ${state.root}; a link may only point inside the uploaded folder. Copy the file into the folder or remove the link.`,
          { link: "outside" },
        );
      }
    }
    if (stat.isFile()) {
      if (state.collected.length === 0) state.onFirstFile?.(); // `collected` is shared by the whole walk
      await feedFile(state.md5, real, stat.size, state.chunkSize, state.abortSignal);
      state.collected.push({ localPath: real, relativePath, sizeInBytes: stat.size });
    } else if (stat.isDirectory()) {
      if (state.ancestors.includes(real)) {
        throw new LocalArtifactError(
          "UnsupportedEntry",
          full,
          `${full} is a symbolic link to ${real}, a folder that contains the link: walking it would never end. Remove the link.`,
          { link: "cycle" },
        );
      }
      await walkDirectory({ ...state, relativeDir: relativePath, realDir: real, ancestors: [...state.ancestors, real] });
    }
  }
}

/** True when `candidate` (a real path) is `root` or below it. */
function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** Lets the event loop run every few milliseconds of synchronous reading. */
class YieldClock {
  private last = performance.now();
  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < 20) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}

async function contentHashOf(files: readonly Omit<UploadFile, "blobName">[], chunkSize: number, abortSignal?: AbortSignal): Promise<string> {
  const sorted = [...files].sort((a, b) => compareCodePoints(a.relativePath.toLowerCase(), b.relativePath.toLowerCase()));
  const sha = createHash("sha256");
  sha.update(String(sorted.length), "utf8");
  for (const f of sorted) {
    sha.update(`#${f.relativePath}#`, "utf8");
    sha.update(String(f.sizeInBytes), "utf8");
  }
  const clock = new YieldClock();
  for (const f of sorted) {
    await clock.maybeYield();
    await feedFile(sha, f.localPath, f.sizeInBytes, chunkSize, abortSignal);
  }
  return sha.digest("hex");
}

async function feedFile(hash: Hash, filePath: string, sizeInBytes: number, chunkSize: number, abortSignal?: AbortSignal): Promise<void> {
  abortSignal?.throwIfAborted();
  // Small files in one synchronous read: an async read (or a stream) per file costs more than the hashing.
  if (sizeInBytes <= chunkSize) {
    hash.update(readFileSync(filePath));
    return;
  }
  const stream = createReadStream(filePath, { highWaterMark: chunkSize, signal: abortSignal });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** Compares strings by Unicode code point (Python's `str` ordering), not UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  // Fast path: UTF-16 code unit order is code point order unless the first difference involves a
  // surrogate (a code point above U+FFFF against one in U+E000–U+FFFF); only then walk code points.
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) !== 0xd800 && (y & 0xf800) !== 0xd800) return x - y;
    return compareCodePointsSlow(a, b);
  }
  return a.length - b.length;
}

function compareCodePointsSlow(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** `azureml://datastores/<ds>/paths/<blobPrefix>` with a trailing `/` for folders (what the CLI sends as a job input URI). */
export function datastoreUriOf(artifact: Pick<LocalArtifact, "blobPrefix" | "isDirectory">, datastoreName: string): string {
  return `azureml://datastores/${datastoreName}/paths/${artifact.blobPrefix}${artifact.isDirectory ? "/" : ""}`;
}

/**
 * The path below the container that a CodeVersion's `codeUri` points at: the folder for a folder, the
 * hash folder (`LocalUpload/<md5>`) for a single file.
 */
export function codeUriPathOf(artifact: Pick<LocalArtifact, "blobPrefix" | "isDirectory" | "uploadHash">): string {
  return artifact.isDirectory ? artifact.blobPrefix : `${LOCAL_UPLOAD_ROOT}/${artifact.uploadHash}`;
}
