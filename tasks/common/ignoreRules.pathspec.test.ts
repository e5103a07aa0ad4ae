/**
 * Ignore rules against pathspec's own expectations. Every row is (pattern, path, does the pattern match it,
 * and for `!` rows the pattern's `include`), taken from cpburnz/python-pathspec tests/test_02_gitwildmatch.py
 * (the test named in the row), except the rows marked SDK, which follow the copy of pathspec the CLI ships
 * (Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/azure/ai/ml/_utils/_pathspec.py) where it differs from
 * newer pathspec releases. Paths are given to the pattern's regex as pathspec's `match_file` gets them.
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hashLocalArtifact, LocalArtifactError } from "./contentHash";
import { compileIgnorePattern, compileIgnoreRules, IgnorePatternError } from "./ignoreRules";

type Row = [pattern: string, matched: readonly string[], notMatched: readonly string[], source: string];

const TABLE: readonly Row[] = [
  ["/an/absolute/file/path", ["an/absolute/file/path", "an/absolute/file/path/foo"], ["foo/an/absolute/file/path"], "test_01_absolute"],
  ["!/foo/build", ["foo/build/file.py"], ["build/file.py"], "test_01_absolute_ignore"],
  ["spam", ["spam", "spam/", "foo/spam", "spam/foo", "foo/spam/bar"], [], "test_01_relative"],
  ["foo/spam", ["foo/spam", "foo/spam/bar"], ["bar/foo/spam"], "test_01_relative_nested"],
  ["!temp", ["temp/foo"], [], "test_02_ignore"],
  ["spam/**", ["spam/bar"], ["foo/spam/bar"], "test_03_child_double_asterisk"],
  ["left/**/right", ["left/right", "left/bar/right", "left/foo/bar/right", "left/bar/right/foo"], ["foo/left/bar/right"], "test_03_inner_double_asterisk"],
  ["**", ["x", "y.py", "A/x", "A/y.py", "A/B/x", "A/B/y.py", "A/B/C/x", "A/B/C/y.py"], [], "test_03_only_double_asterisk"],
  ["**/**/**", ["x", "A/B/C/y.py"], [], "test_03_duplicate_leading_double_asterisk_edge_case"],
  ["**/spam", ["spam", "foo/spam", "foo/spam/bar"], [], "test_03_parent_double_asterisk"],
  ["**/**/api", ["api", "x/api", "x/api/y"], ["apis"], "test_03_duplicate_leading_double_asterisk_edge_case"],
  ["**/api/", ["api/x", "a/api/x"], ["api", "a/api"], "test_03_duplicate_leading_double_asterisk_edge_case"],
  ["**/**/api/**/**", ["api/x", "a/api/x"], ["api", "a/api"], "test_03_duplicate_leading_double_asterisk_edge_case"],
  // `**/`: everything but the root's own entries (the CLI documents it as excluding all subfolders' content).
  ["**/", ["a/b", "a/b/c", "src/train.py"], ["a", "train.py"], "test_03_double_asterisk_trailing_slash_edge_case"],
  ["**/**/", ["a/b"], ["a"], "test_03_double_asterisk_trailing_slash_edge_case"],
  ["foo-*-bar", ["foo--bar", "foo-hello-bar", "a/foo-hello-bar", "foo-hello-bar/b", "a/foo-hello-bar/b"], [], "test_04_infix_wildcard"],
  ["~temp-*", ["~temp-", "~temp-foo", "~temp-foo/bar", "foo/~temp-bar", "foo/~temp-bar/baz"], [], "test_04_postfix_wildcard"],
  ["*.py", ["bar.py", "bar.py/", "foo/bar.py", "foo/bar.py/baz"], [], "test_04_prefix_wildcard"],
  ["dir/", ["dir/", "foo/dir/", "foo/dir/bar"], ["dir"], "test_05_directory"],
  ["asteris\\*", ["asteris*"], ["asterisk"], "test_10_escape_asterisk_end"],
  ["as\\*erisk", ["as*erisk"], ["asterisk"], "test_10_escape_asterisk_mid"],
  ["\\*sterisk", ["*sterisk"], ["asterisk"], "test_10_escape_asterisk_start"],
  ["\\!mark", ["!mark"], [], "test_10_escape_exclamation_mark_start"],
  ["\\#sign", ["#sign"], [], "test_10_escape_pound_start"],
  ["dirG/", ["dirG/dirH/fileI", "dirG/dirH/fileJ", "dirG/fileO"], ["fileA", "fileB", "dirD/fileE", "dirD/fileF"], "test_11_issue_19_directory_a"],
  ["dirG/*", ["dirG/dirH/fileI", "dirG/dirH/fileJ", "dirG/fileO"], ["fileA", "fileB", "dirD/fileE", "dirD/fileF"], "test_11_issue_19_directory_b"],
  ["dirG/**", ["dirG/dirH/fileI", "dirG/dirH/fileJ", "dirG/fileO"], ["fileA", "fileB", "dirD/fileE", "dirD/fileF"], "test_11_issue_19_directory_c"],
  ["*", ["file.txt", "anydir/file.txt"], [], "test_12_issue_62"],
  ["**/*", ["file.txt", "anydir/file.txt"], [], "test_12_asterisk_2_regex_equivalent"],
  ["a[!gy]c", ["abc", "adc"], ["agc", "ayc"], "test_13_issue_77_1_negate_with_exclamation_mark"],
  // SDK: _translate_segment_glob escapes a leading '^' ("POSIX declares [^...] undefined in a glob"), so it is
  // a literal; newer pathspec (test_13_issue_77_1_negate_with_caret) negates instead. The CLI's copy wins.
  ["a[^gy]c", ["agc", "ayc", "a^c"], ["abc", "adc"], "SDK _pathspec.py _translate_segment_glob"],
  // SDK: "[]-]" matches ']' and '-'; an unclosed '[' is a literal.
  ["a[]-]c", ["a]c", "a-c"], ["abc"], "SDK _pathspec.py _translate_segment_glob"],
  ["a[bc", ["a[bc"], ["ab"], "SDK _pathspec.py _translate_segment_glob"],
];

describe("ignoreRules: the CLI's pathspec, case by case", () => {
  for (const [pattern, matched, notMatched, source] of TABLE) {
    it(`${pattern}  (${source})`, () => {
      const compiled = compileIgnorePattern(pattern, 1)!;
      assert.equal(compiled.exclude, !pattern.startsWith("!"));
      for (const p of matched) assert.equal(compiled.regex.test(p), true, `${pattern} should match ${p}`);
      for (const p of notMatched) assert.equal(compiled.regex.test(p), false, `${pattern} should not match ${p}`);
    });
  }

  it("null operations: blank, comment, lone '/' (test_00_empty, test_02_comment, test_01_absolute_root)", () => {
    for (const p of ["", "   ", "# Cork soakers.", "/"]) assert.equal(compileIgnorePattern(p, 1), undefined, JSON.stringify(p));
  });

  it("invalid patterns are refused with the file and line, as the CLI refuses them (test_09_single_escape_fail, test_09_single_exclamation_mark_fail)", () => {
    for (const [text, line] of [
      ["a\n\\\n", 2],
      ["!\n", 1],
    ] as const) {
      assert.throws(
        () => compileIgnoreRules(text, { ignoreFilePath: "/src/.amlignore" }),
        (e: unknown) => e instanceof IgnorePatternError && e.line === line && e.message.includes(`at line ${line} of /src/.amlignore`),
      );
    }
  });

  it("`**/` in .amlignore uploads the root's files only, as the CLI does", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "amlignore-"));
    try {
      await fs.mkdir(path.join(root, "src", "deep"), { recursive: true });
      await fs.writeFile(path.join(root, ".amlignore"), "**/\n");
      await fs.writeFile(path.join(root, "train.py"), "print(1)\n");
      await fs.writeFile(path.join(root, "src", "util.py"), "x = 1\n");
      await fs.writeFile(path.join(root, "src", "deep", "more.py"), "y = 2\n");
      const artifact = await hashLocalArtifact(root);
      assert.deepEqual(artifact.files.map((f) => f.relativePath).sort(), [".amlignore", "train.py"]);
      await fs.writeFile(path.join(root, ".amlignore"), "ok\n!\n");
      await assert.rejects(
        hashLocalArtifact(root),
        (e: unknown) => e instanceof LocalArtifactError && e.message.includes(`Invalid pattern '!' at line 2 of ${path.join(root, ".amlignore")}`),
      );
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
