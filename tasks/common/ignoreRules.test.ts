import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COMPONENT_CODE_ALWAYS_IGNORED, compileIgnorePattern, compileIgnoreRules, loadIgnoreRules, normalizeRelativePath } from "./ignoreRules";

describe("ignoreRules", () => {
  describe("gitwildmatch patterns", () => {
    const excluded = (patterns: string, p: string) => compileIgnoreRules(patterns).isExcluded(p);

    it("matches a pattern without a slash at any depth, files and directories alike", () => {
      assert.equal(excluded("*.log", "debug.log"), true);
      assert.equal(excluded("*.log", "a/b/debug.log"), true);
      assert.equal(excluded("*.log", "debug.log.txt"), false);
      assert.equal(excluded("node_modules", "x/node_modules/pkg/index.js"), true);
    });

    it("anchors a leading slash or a slash inside the pattern to the root", () => {
      assert.equal(excluded("/build", "build/out.bin"), true);
      assert.equal(excluded("/build", "src/build/out.bin"), false);
      assert.equal(excluded("docs/*.md", "docs/a.md"), true);
      assert.equal(excluded("docs/*.md", "x/docs/a.md"), false);
      assert.equal(excluded("docs/*.md", "docs/sub/a.md"), false);
    });

    it("makes a trailing slash match what is inside a directory, not the directory entry itself (pathspec)", () => {
      const rules = compileIgnoreRules("logs/");
      assert.equal(rules.matches("logs"), false);
      assert.equal(rules.matches("logs/run.txt"), true);
      assert.equal(rules.matches("a/logs/run.txt"), true);
      assert.equal(rules.isExcluded("logs/deep/run.txt"), true);
    });

    it("lets `**` span directories", () => {
      assert.equal(excluded("**/temp", "temp"), true);
      assert.equal(excluded("**/temp", "a/b/temp"), true);
      assert.equal(excluded("a/**/b", "a/b"), true);
      assert.equal(excluded("a/**/b", "a/x/y/b"), true);
      assert.equal(excluded("a/**/b", "x/a/b"), false);
      assert.equal(excluded("abc/**", "abc/x/y"), true);
      assert.equal(compileIgnoreRules("abc/**").matches("abc"), false);
    });

    it("keeps `*`, `?` and character classes inside one segment", () => {
      assert.equal(excluded("data?.csv", "data1.csv"), true);
      assert.equal(excluded("data?.csv", "data12.csv"), false);
      assert.equal(excluded("file[0-9].txt", "file7.txt"), true);
      assert.equal(excluded("file[!0-9].txt", "file7.txt"), false);
      assert.equal(excluded("file[!0-9].txt", "filex.txt"), true);
      assert.equal(excluded("a*b", "a/b"), false);
    });

    it("applies the last matching pattern, so a later negation re-includes", () => {
      const rules = compileIgnoreRules("*.txt\n!keep.txt\n");
      assert.equal(rules.isExcluded("drop.txt"), true);
      assert.equal(rules.isExcluded("keep.txt"), false);
      assert.equal(compileIgnoreRules("!keep.txt\n*.txt\n").isExcluded("keep.txt"), true);
    });

    it("re-includes below a `dir/` pattern (as the CLI's walk does) but not below an excluded directory entry", () => {
      const rules = compileIgnoreRules("cache/\n!cache/keep.txt\n");
      assert.equal(rules.matches("cache/keep.txt"), false);
      assert.equal(rules.isExcluded("cache/keep.txt"), false, "the file itself is re-included");
      const dirRules = compileIgnoreRules("cache\n!cache/keep.txt\n");
      assert.equal(dirRules.isExcluded("cache/keep.txt"), true, "the directory entry is excluded, so nothing below it comes back");
    });

    it("skips blank lines and comments, trims lines, honours escapes and CRLF", () => {
      const rules = compileIgnoreRules("# a comment\r\n\r\n   *.tmp   \r\n\\#notes\r\n\\!important\r\n/\r\n");
      assert.deepEqual(
        rules.patterns.map((p) => [p.source, p.line]),
        [
          ["*.tmp", 3],
          ["\\#notes", 4],
          ["\\!important", 5],
        ],
      );
      assert.equal(rules.isExcluded("x.tmp"), true);
      assert.equal(rules.isExcluded("#notes"), true);
      assert.equal(rules.isExcluded("!important"), true);
      assert.equal(rules.isExcluded("a comment"), false);
      assert.equal(compileIgnorePattern("# only", 1), undefined);
      assert.equal(compileIgnorePattern("/", 1), undefined);
    });

    it("treats regex metacharacters in names literally", () => {
      assert.equal(excluded("a+b(1).txt", "a+b(1).txt"), true);
      assert.equal(excluded("a+b(1).txt", "aab1.txt"), false);
    });

    it("normalizes Windows separators and leading ./", () => {
      assert.equal(normalizeRelativePath(".\\logs\\a.txt"), "logs/a.txt");
      assert.equal(normalizeRelativePath("./a/b/"), "a/b");
      const rules = compileIgnoreRules("logs/");
      const relative = path.win32.relative("C:\\work\\src", "C:\\work\\src\\logs\\x.txt");
      assert.equal(relative, "logs\\x.txt");
      assert.equal(rules.isExcluded(relative), true);
    });

    it("appends extra patterns last, so `__pycache__` cannot be re-included", () => {
      const rules = compileIgnoreRules("!__pycache__\n", { extraPatterns: COMPONENT_CODE_ALWAYS_IGNORED });
      assert.equal(rules.isExcluded("pkg/__pycache__/m.cpython-38.pyc"), true);
      assert.equal(rules.patterns.at(-1)?.line, 0);
    });
  });

  describe("loadIgnoreRules", () => {
    let root: string;
    beforeEach(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), "ignore-"));
    });
    afterEach(async () => {
      await fs.rm(root, { recursive: true, force: true });
    });

    it("reads .amlignore and then does not read .gitignore at all", async () => {
      await fs.writeFile(path.join(root, ".amlignore"), "*.csv\n");
      await fs.writeFile(path.join(root, ".gitignore"), "*.py\n");
      const rules = await loadIgnoreRules(root);
      assert.equal(rules.ignoreFilePath, path.join(root, ".amlignore"));
      assert.equal(rules.isExcluded("data.csv"), true);
      assert.equal(rules.isExcluded("train.py"), false);
    });

    it("falls back to .gitignore", async () => {
      await fs.writeFile(path.join(root, ".gitignore"), "*.py\n");
      const rules = await loadIgnoreRules(root);
      assert.equal(rules.ignoreFilePath, path.join(root, ".gitignore"));
      assert.equal(rules.isExcluded("train.py"), true);
    });

    it("reads only the root's ignore file, not nested ones", async () => {
      await fs.mkdir(path.join(root, "sub"));
      await fs.writeFile(path.join(root, "sub", ".amlignore"), "*.txt\n");
      const rules = await loadIgnoreRules(root);
      assert.equal(rules.ignoreFilePath, undefined);
      assert.equal(rules.isExcluded("sub/a.txt"), false);
    });

    it("excludes nothing by default (no .git or ignore-file exclusion the CLI does not make)", async () => {
      const rules = await loadIgnoreRules(root);
      assert.equal(rules.isExcluded(".git/config"), false);
      assert.equal(rules.isExcluded("__pycache__/x.pyc"), false);
      const code = await loadIgnoreRules(root, { extraPatterns: COMPONENT_CODE_ALWAYS_IGNORED });
      assert.equal(code.isExcluded("__pycache__/x.pyc"), true);
    });

    it("ignores a directory named like an ignore file", async () => {
      await fs.mkdir(path.join(root, ".amlignore"));
      await fs.writeFile(path.join(root, ".gitignore"), "*.py\n");
      assert.equal((await loadIgnoreRules(root)).ignoreFilePath, path.join(root, ".gitignore"));
    });
  });
});
