import * as assert from "node:assert/strict";
import { promises as fs, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { codeUriPathOf, compareCodePoints, datastoreUriOf, hashLocalArtifact, LocalArtifactError } from "./contentHash";
import { COMPONENT_CODE_ALWAYS_IGNORED } from "./ignoreRules";

/*
 * Known vectors, derived by hand from the CLI's algorithm (and checked with Python's hashlib):
 * - file `data.csv` = "col\n1\n":
 *     md5("Initialize for october 2021 AML CLI version" + "col\n1\n")
 *     sha256("1" + "#data.csv#" + "6" + "col\n1\n")
 * - folder `proj` with `B.txt`="hello", `a.txt`="at", `a/c.txt`="c":
 *     walk order by lower-cased name: a (dir: c.txt), a.txt, B.txt →
 *     md5(seed + "a" + "c.txt" + "c" + "a.txt" + "at" + "B.txt" + "hello")
 *     files by lower-cased relative path: a.txt < a/c.txt < b.txt ('.' < '/') →
 *     sha256("3" + "#a.txt#2" + "#a/c.txt#1" + "#B.txt#5" + "at" + "c" + "hello")
 */
const FILE_MD5 = "21d5525f9755c2832228acc10ad1daf5";
const FILE_SHA256 = "6a039ab4764bdd49317d24388d22ed8058012532eb1cc7e9ee14888cdf5dadd7";
const DIR_MD5 = "430ef36703ac51219d249c915ff302c2";
const DIR_SHA256 = "937dd90cd2ac957f2987f58ba6542f36dcacd2d1c82472aecd5d09d7e7e2c50b";

describe("contentHash", () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "content-hash-"));
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function writeTree(root: string, files: Record<string, string>): Promise<void> {
    for (const [rel, content] of Object.entries(files)) {
      const full = path.join(root, ...rel.split("/"));
      await fs.mkdir(path.dirname(full), { recursive: true });
      await fs.writeFile(full, content);
    }
  }

  it("hashes a single file: its bytes only, blob LocalUpload/<md5>/<file name>", async () => {
    await writeTree(tmp, { "data.csv": "col\n1\n" });
    const artifact = await hashLocalArtifact(path.join(tmp, "data.csv"), { computeContentHash: true });
    assert.equal(artifact.uploadHash, FILE_MD5);
    assert.equal(artifact.contentHash, FILE_SHA256);
    assert.equal(artifact.isDirectory, false);
    assert.equal(artifact.blobPrefix, `LocalUpload/${FILE_MD5}/data.csv`);
    assert.deepEqual(
      artifact.files.map((f) => [f.relativePath, f.sizeInBytes, f.blobName]),
      [["data.csv", 6, `LocalUpload/${FILE_MD5}/data.csv`]],
    );
    assert.equal(artifact.indicatorBlobName, `LocalUpload/${FILE_MD5}/data.csv`);
    assert.equal(datastoreUriOf(artifact, "workspaceblobstore"), `azureml://datastores/workspaceblobstore/paths/LocalUpload/${FILE_MD5}/data.csv`);
    assert.equal(codeUriPathOf(artifact), `LocalUpload/${FILE_MD5}`);
  });

  it("hashes a folder as the CLI walks it and lists blobs in code-point order", async () => {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "B.txt": "hello", "a.txt": "at", "a/c.txt": "c" });
    const artifact = await hashLocalArtifact(root, { computeContentHash: true });
    assert.equal(artifact.uploadHash, DIR_MD5);
    assert.equal(artifact.contentHash, DIR_SHA256);
    assert.equal(artifact.blobPrefix, `LocalUpload/${DIR_MD5}/proj`);
    assert.deepEqual(
      artifact.files.map((f) => f.blobName),
      [`LocalUpload/${DIR_MD5}/proj/B.txt`, `LocalUpload/${DIR_MD5}/proj/a.txt`, `LocalUpload/${DIR_MD5}/proj/a/c.txt`],
    );
    assert.equal(artifact.indicatorBlobName, `LocalUpload/${DIR_MD5}/proj/B.txt`);
    assert.equal(artifact.totalSizeInBytes, 8);
    assert.equal(datastoreUriOf(artifact, "ds"), `azureml://datastores/ds/paths/LocalUpload/${DIR_MD5}/proj/`);
    assert.equal(codeUriPathOf(artifact), `LocalUpload/${DIR_MD5}/proj`);
  });

  it("calls onFirstFile once, at the first file, and never for an empty or all-ignored folder", async () => {
    const root = path.join(tmp, "calls");
    await writeTree(root, { "a/c.txt": "c", "b/d.txt": "d", "e.txt": "e" });
    let calls = 0;
    const artifact = await hashLocalArtifact(root, { onFirstFile: () => calls++ });
    assert.equal(calls, 1);
    assert.equal(artifact.uploadHash, (await hashLocalArtifact(root)).uploadHash, "the callback changes nothing");
    const single = path.join(root, "e.txt");
    let singleCalls = 0;
    await hashLocalArtifact(single, { onFirstFile: () => singleCalls++ });
    assert.equal(singleCalls, 1);
    const empty = path.join(tmp, "empty-dir");
    await fs.mkdir(empty);
    const ignored = path.join(tmp, "ignored-dir");
    await writeTree(ignored, { ".amlignore": "*\n", "x.txt": "x" });
    let never = 0;
    for (const folder of [empty, ignored]) {
      await assert.rejects(hashLocalArtifact(folder, { onFirstFile: () => never++ }), (e: unknown) => (e as LocalArtifactError).code === "EmptyDirectory");
    }
    assert.equal(never, 0);
  });

  it("gives the same hashes whatever the read chunk size (files are streamed)", async () => {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "B.txt": "hello", "a.txt": "at", "a/c.txt": "c" });
    const artifact = await hashLocalArtifact(root, { computeContentHash: true, chunkSizeInBytes: 1 });
    assert.equal(artifact.uploadHash, DIR_MD5);
    assert.equal(artifact.contentHash, DIR_SHA256);
  });

  it("names the folder by its resolved name (./ and trailing separators do not matter)", async () => {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "B.txt": "hello", "a.txt": "at", "a/c.txt": "c" });
    const viaDot = await hashLocalArtifact(path.join(root, "a", "..") + path.sep);
    assert.equal(viaDot.baseName, "proj");
    assert.equal(viaDot.uploadHash, DIR_MD5);
  });

  it("does not change the hashes for ignored files, and leaves them out of the upload", async () => {
    const root = path.join(tmp, "src");
    await writeTree(root, { ".amlignore": "*.log\nscratch/\n", "train.py": "print(1)\n" });
    const before = await hashLocalArtifact(root, { computeContentHash: true });
    await writeTree(root, { "debug.log": "noise", "scratch/notes.txt": "n" });
    const after = await hashLocalArtifact(root, { computeContentHash: true });
    assert.equal(after.contentHash, before.contentHash);
    assert.deepEqual(
      after.files.map((f) => f.relativePath),
      [".amlignore", "train.py"],
    );
    // The CLI's walk still feeds the name of a directory whose contents a `dir/` pattern ignores.
    assert.notEqual(after.uploadHash, before.uploadHash);
    await writeTree(root, { "more.log": "x" });
    assert.equal((await hashLocalArtifact(root)).uploadHash, after.uploadHash);
  });

  it("excludes __pycache__ from code only when asked", async () => {
    const root = path.join(tmp, "src");
    await writeTree(root, { "train.py": "print(1)\n" });
    const clean = await hashLocalArtifact(root, { extraIgnorePatterns: COMPONENT_CODE_ALWAYS_IGNORED });
    await writeTree(root, { "__pycache__/train.cpython-38.pyc": "\u0000bytecode" });
    const code = await hashLocalArtifact(root, { extraIgnorePatterns: COMPONENT_CODE_ALWAYS_IGNORED });
    assert.equal(code.uploadHash, clean.uploadHash);
    const data = await hashLocalArtifact(root);
    assert.notEqual(data.uploadHash, clean.uploadHash);
    assert.equal(data.files.length, 2);
  });

  it("changes both hashes when a file is renamed or its content changes", async () => {
    const root = path.join(tmp, "src");
    await writeTree(root, { "train.py": "print(1)\n" });
    const original = await hashLocalArtifact(root, { computeContentHash: true });
    await fs.rename(path.join(root, "train.py"), path.join(root, "fit.py"));
    const renamed = await hashLocalArtifact(root, { computeContentHash: true });
    assert.notEqual(renamed.uploadHash, original.uploadHash);
    assert.notEqual(renamed.contentHash, original.contentHash);
    await fs.writeFile(path.join(root, "fit.py"), "print(2)\n");
    const edited = await hashLocalArtifact(root, { computeContentHash: true });
    assert.notEqual(edited.uploadHash, renamed.uploadHash);
    assert.notEqual(edited.contentHash, renamed.contentHash);
  });

  /** Makes a link, or skips the test where links need privileges (some Windows agents). */
  async function link(ctx: Mocha.Context, target: string, at: string): Promise<void> {
    try {
      await fs.symlink(target, at);
    } catch {
      ctx.skip();
    }
  }

  it("follows links inside the folder as the CLI does: the link's name, the target's content", async function () {
    const base = { "a.txt": "at", ".amlignore": "store\n", "store/hello.txt": "hello", "store/real-a/c.txt": "c" };
    const copied = path.join(tmp, "copied", "proj");
    await writeTree(copied, { ...base, "B.txt": "hello", "a/c.txt": "c" });
    const linked = path.join(tmp, "linked", "proj");
    await writeTree(linked, base);
    await link(this, path.join(linked, "store", "hello.txt"), path.join(linked, "B.txt"));
    await link(this, path.join("store", "real-a"), path.join(linked, "a"));
    const viaLinks = await hashLocalArtifact(linked, { computeContentHash: true });
    const viaCopies = await hashLocalArtifact(copied, { computeContentHash: true });
    assert.equal(viaLinks.uploadHash, viaCopies.uploadHash);
    assert.equal(viaLinks.contentHash, viaCopies.contentHash);
    const real = realpathSync(linked);
    assert.deepEqual(
      viaLinks.files.map((f) => [f.relativePath, f.localPath]),
      [
        [".amlignore", path.join(real, ".amlignore")],
        ["B.txt", path.join(real, "store", "hello.txt")],
        ["a.txt", path.join(real, "a.txt")],
        ["a/c.txt", path.join(real, "store", "real-a", "c.txt")],
      ],
      "files are read through their real path and uploaded under the link's name",
    );
  });

  it("refuses a link to a file outside the folder, naming the link", async function () {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "a.txt": "at" });
    await writeTree(tmp, { "secret.txt": "id_rsa" });
    await link(this, path.join(tmp, "secret.txt"), path.join(root, "notes.txt"));
    await assert.rejects(
      hashLocalArtifact(root),
      (e: unknown) =>
        e instanceof LocalArtifactError &&
        e.code === "UnsupportedEntry" &&
        e.link === "outside" &&
        e.localPath === path.join(root, "notes.txt") &&
        e.message.includes(path.join(root, "notes.txt")) &&
        /outside the folder/.test(e.message),
    );
  });

  it("refuses a link to a folder outside the folder, and a relative link that climbs out", async function () {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "a.txt": "at" });
    await writeTree(tmp, { "home/.ssh/id_rsa": "key" });
    await link(this, path.join(tmp, "home"), path.join(root, "home"));
    await assert.rejects(
      hashLocalArtifact(root),
      (e: unknown) => e instanceof LocalArtifactError && e.link === "outside" && e.message.includes(path.join(root, "home")),
    );
    await fs.rm(path.join(root, "home"));
    await link(this, "../home/.ssh/id_rsa", path.join(root, "id"));
    await assert.rejects(
      hashLocalArtifact(root),
      (e: unknown) => e instanceof LocalArtifactError && e.link === "outside" && e.message.includes(path.join(root, "id")),
    );
  });

  it("refuses a link cycle (two links to the folder itself) instead of walking forever", async function () {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "a.txt": "at", "sub/b.txt": "b" });
    await link(this, ".", path.join(root, "x"));
    await link(this, "..", path.join(root, "sub", "up"));
    const started = Date.now();
    await assert.rejects(
      hashLocalArtifact(root),
      (e: unknown) => e instanceof LocalArtifactError && e.link === "cycle" && /never end/.test(e.message) && e.message.includes(path.join(root, "sub", "up")),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("counts a dangling link by its name only, as the CLI does", async function () {
    const root = path.join(tmp, "proj");
    await writeTree(root, { "a.txt": "at" });
    await link(this, path.join(tmp, "gone.txt"), path.join(root, "gone.txt"));
    const artifact = await hashLocalArtifact(root);
    assert.deepEqual(
      artifact.files.map((f) => f.relativePath),
      ["a.txt"],
    );
  });

  it("refuses a missing path and a folder with nothing to upload", async () => {
    await assert.rejects(
      hashLocalArtifact(path.join(tmp, "missing")),
      (e: unknown) => e instanceof LocalArtifactError && e.code === "PathNotFound" && /No such file or directory/.test(e.message),
    );
    const root = path.join(tmp, "empty");
    await writeTree(root, { ".amlignore": "*\n" });
    await assert.rejects(hashLocalArtifact(root), (e: unknown) => e instanceof LocalArtifactError && e.code === "EmptyDirectory" && /is empty/.test(e.message));
  });

  it("refuses a path that is neither a file nor a folder", async function () {
    if (process.platform === "win32") this.skip();
    await assert.rejects(hashLocalArtifact("/dev/null"), (e: unknown) => e instanceof LocalArtifactError && e.code === "UnsupportedEntry");
  });

  it("stops when aborted", async () => {
    await writeTree(tmp, { "a.txt": "a" });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(hashLocalArtifact(tmp, { abortSignal: controller.signal }), (e: unknown) => (e as Error).name === "AbortError");
  });

  it("compares by code point like Python", () => {
    assert.ok(compareCodePoints("B", "a") < 0);
    assert.ok(compareCodePoints("a.txt", "a/c") < 0);
    assert.ok(compareCodePoints("\uFF5E", "\u{1F600}") < 0, "BMP character before an astral one, unlike UTF-16 order");
    assert.equal(compareCodePoints("x", "x"), 0);
    assert.ok(compareCodePoints("ab", "abc") < 0 && compareCodePoints("abc", "ab") > 0, "a prefix first");
    assert.ok(compareCodePoints("a\u{1F600}", "a\u{1F601}") < 0, "two astral characters differing in the low surrogate");
    assert.ok(compareCodePoints("\u{1F600}z", "\uE000") > 0, "astral after U+E000 even with a shorter other string");
  });

  it("orders like a sort by code point arrays (the fast path agrees with the slow one)", () => {
    const alphabet = ["a", "B", "/", ".", "\u00e9", "\uE000", "\uFFFD", "\u{1F600}", "\u{1F601}", "\u{10FFFF}"];
    let seed = 42;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const strings = Array.from({ length: 400 }, () =>
      Array.from({ length: Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""),
    );
    const reference = (x: string, y: string) => {
      const cx = [...x].map((c) => c.codePointAt(0)!);
      const cy = [...y].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(cx.length, cy.length); i++) if (cx[i] !== cy[i]) return cx[i] - cy[i];
      return cx.length - cy.length;
    };
    for (let i = 0; i + 1 < strings.length; i++) {
      const [x, y] = [strings[i], strings[i + 1]];
      assert.equal(Math.sign(compareCodePoints(x, y)), Math.sign(reference(x, y)), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  });
});
