/**
 * Issue 19, in-process: YAML/JSON input limits (finding 7), user-named keys such as `toString`,
 * `constructor` and `__proto__` (finding 9), Windows paths (finding 11) and the real-path
 * confinement rule (finding 2) of the shared input layer.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isInside, outsideWorkFolders } from "../../tasks/common/confinement";
import { InputError } from "../../tasks/common/errors";
import { inputReader, isFileName } from "../../tasks/common/inputs";
import { ownValue, setOwn } from "../../tasks/common/ownKeys";
import { DEFAULT_YAML_LIMITS, expandedTooLarge } from "../../tasks/common/yamlLimits";
import { checkParameters, secureParameterNames } from "../../tasks/TriggerADFPipelineV1/parameters";
import { setTaskEnvironment, taskLoc } from "../../tasks/common/taskLibContext.testing";

const { readKeyValues, readObject, readPath } = inputReader(taskLoc());

/** A "billion laughs" document: `levels` anchors, each a list of `width` aliases of the one before. */
function aliasBomb(levels: number, width: number): string {
  const name = (i: number) => String.fromCharCode(97 + i);
  const lines = ["a: &a [lol]"];
  for (let i = 1; i <= levels; i++) lines.push(`${name(i)}: &${name(i)} [${Array.from({ length: width }, () => `*${name(i - 1)}`).join(",")}]`);
  return lines.join("\n");
}

function inputError(name: string, pattern: RegExp) {
  return (err: unknown) => err instanceof InputError && err.inputName === name && pattern.test(err.message);
}

describe("issue 19: input limits, user-named keys, Windows paths, real-path confinement", () => {
  let work: string;
  let outside: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "input-safety-"));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "input-safety-outside-"));
    fs.writeFileSync(path.join(outside, "id_rsa"), "-----BEGIN KEY-----\n");
    fs.writeFileSync(path.join(outside, "params.json"), '{"a": 1}');
    fs.mkdirSync(path.join(work, "model"));
    fs.writeFileSync(path.join(work, "params.json"), '{"a": 1}');
    fs.symlinkSync(path.join(outside, "params.json"), path.join(work, "linked-params.json"));
    fs.symlinkSync(outside, path.join(work, "linked-folder"), "dir");
    fs.symlinkSync(path.join(work, "params.json"), path.join(work, "inner-link.json"));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  const vars = () => ({ "System.DefaultWorkingDirectory": work, "Agent.BuildDirectory": "", "Agent.TempDirectory": "" });

  describe("finding 7: YAML aliases and size", () => {
    it("a 347-byte alias bomb is refused quickly, naming the input (it would be a 33 MB body)", () => {
      const text = aliasBomb(9, 9);
      assert.ok(text.length <= 347, `${text.length} bytes`);
      setTaskEnvironment({ parameters: text }, vars());
      const started = Date.now();
      assert.throws(
        () => readObject("parameters"),
        inputError(
          "parameters",
          /^Input 'parameters' \(parameters\) holds more than 100000 values once its aliases \(\*name\) are expanded\. Write the values out without YAML anchors/,
        ),
      );
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    });

    it("a 485-byte one (which never finished) and a self-referencing one are refused at once", () => {
      const text = aliasBomb(12, 10);
      assert.ok(text.length <= 485, `${text.length} bytes`);
      for (const input of [text, "a: &x\n  b: *x\n"]) {
        setTaskEnvironment({ parameters: input }, vars());
        const started = Date.now();
        assert.throws(
          () => readObject("parameters"),
          (err: unknown) => err instanceof InputError && err.inputName === "parameters",
        );
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      }
    });

    it("too many aliases are refused by the parser with the line; a few are fine", () => {
      const many = `base: &b 1\nlist: [${Array.from({ length: DEFAULT_YAML_LIMITS.maxAliases + 1 }, () => "*b").join(", ")}]`;
      setTaskEnvironment({ parameters: many, ok: "base: &b {x: 1}\nother: *b" }, vars());
      assert.throws(() => readObject("parameters"), inputError("parameters", /line \d+/));
      assert.deepEqual(readObject("ok"), { base: { x: 1 }, other: { x: 1 } });
    });

    it("an input file above the size limit is refused before parsing", () => {
      fs.writeFileSync(path.join(work, "huge.json"), `{"a": "${"x".repeat(DEFAULT_YAML_LIMITS.maxSourceChars)}"}`);
      setTaskEnvironment({ parameters: "huge.json" }, vars());
      assert.throws(() => readObject("parameters"), inputError("parameters", /huge\.json\) is \d+ characters long \(at most 1000000\)/));
    });

    it("expandedTooLarge counts shared nodes every time they are reached, and stops at the limit", () => {
      const leaf = { s: "x".repeat(10) };
      const shared = Array.from({ length: 10 }, () => leaf);
      const wide = Array.from({ length: 10 }, () => shared);
      assert.equal(expandedTooLarge(wide), undefined);
      assert.match(expandedTooLarge(wide, { ...DEFAULT_YAML_LIMITS, maxExpandedNodes: 100 }) ?? "", /more than 100 values/);
      assert.match(expandedTooLarge(wide, { ...DEFAULT_YAML_LIMITS, maxExpandedChars: 500 }) ?? "", /more than 500 characters/);
    });
  });

  describe("finding 9: toString, constructor, __proto__ as names", () => {
    const loc = taskLoc("TriggerADFPipelineV1");
    it("ADF parameters with those names: a clear error when undeclared, sent as own keys when declared", () => {
      for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
        const given = JSON.parse(`{"${name}": "1"}`) as Record<string, unknown>;
        assert.throws(
          () => checkParameters({ p: { type: "String", defaultValue: "" } }, given, { pipelineName: "prep", loc }),
          inputError("parameters", new RegExp(`'${name.replace(/_/g, "_")}' is not a parameter of the pipeline \\(it declares: p\\)`)),
        );
        assert.throws(() => checkParameters(undefined, given, { pipelineName: "prep", loc }), inputError("parameters", /it declares none/));
        const declared = JSON.parse(`{"${name}": {"type": "Int"}}`);
        const values = checkParameters(declared, given, { pipelineName: "prep", loc });
        assert.deepEqual(Object.keys(values), [name]);
        assert.equal(JSON.stringify(values), `{"${name}":1}`);
        assert.equal(Object.getPrototypeOf(values), Object.prototype, "the prototype is untouched");
        assert.throws(
          () => checkParameters(declared, {}, { pipelineName: "prep", loc }),
          inputError("parameters", new RegExp(`'${name}' \\(Int\\) has no default value`)),
        );
        assert.deepEqual([...secureParameterNames(declared)], []);
      }
    });

    it("tags given as key=value lines or YAML keep __proto__ and constructor as plain keys", () => {
      setTaskEnvironment({ tags: "__proto__=x\nconstructor=y", yamlTags: '{"__proto__": "x", "toString": "y"}' }, vars());
      const lines = readKeyValues("tags");
      assert.deepEqual(Object.entries(lines), [
        ["__proto__", "x"],
        ["constructor", "y"],
      ]);
      assert.equal(Object.getPrototypeOf(lines), Object.prototype);
      assert.deepEqual(Object.entries(readKeyValues("yamlTags")), [
        ["__proto__", "x"],
        ["toString", "y"],
      ]);
    });

    it("ownValue and setOwn see own keys only", () => {
      const o: Record<string, number> = {};
      assert.equal(ownValue(o, "toString"), undefined);
      setOwn(o, "__proto__", 1);
      assert.equal(ownValue(o, "__proto__"), 1);
      assert.equal(JSON.stringify(o), '{"__proto__":1}');
    });
  });

  describe("finding 11: Windows paths", () => {
    it("a Windows path as the parameters file is a file name, not inline YAML", () => {
      for (const value of ["D:\\a\\1\\s\\params.json", "D:/a/1/s/params.yml", "params.yaml", "C:\\agent\\_work\\1\\s\\cfg\\run params.json"])
        assert.equal(isFileName(value), true, value);
      for (const value of ["a: params.json", '{"file": "x.json"}', "a: 1\nb: c.json"]) assert.equal(isFileName(value), false, value);
    });

    it("the working-folder rule on a Windows agent (path.win32): drive letters, case, separators", () => {
      const w = path.win32;
      assert.equal(isInside("D:\\a\\1\\s", "D:\\a\\1\\s\\params.json", w), true);
      assert.equal(isInside("D:\\a\\1\\s", "d:\\A\\1\\S\\sub\\params.json", w), true);
      assert.equal(isInside("D:\\a\\1\\s", "D:/a/1/s/params.json", w), true);
      assert.equal(isInside("D:\\a\\1\\s", "D:\\a\\1\\s", w), true);
      assert.equal(isInside("D:\\a\\1\\s", "D:\\a\\1\\src\\x.json", w), false);
      assert.equal(isInside("D:\\a\\1\\s", "E:\\a\\1\\s\\x.json", w), false);
      assert.equal(isInside("D:\\a\\1\\s", "D:\\a\\1\\s\\..\\x.json", w), false);
      assert.equal(isInside("/a/1/s", "/a/1/s/x.json", path.posix), true);
      assert.equal(isInside("/a/1/s", "/A/1/s/x.json", path.posix), false);
    });

    it("a parameters file given with the platform's absolute path is read (D:\\a\\1\\s\\params.json on Windows)", () => {
      setTaskEnvironment({ parameters: path.join(work, "params.json") }, vars());
      assert.deepEqual(readObject("parameters"), { a: 1 });
    });
  });

  describe("finding 2: real-path confinement of path inputs", () => {
    it("a link inside the working folder to a file outside is refused, naming the input, the link and its target", () => {
      setTaskEnvironment({ parameters: "linked-params.json", smokeTestFile: "linked-params.json" }, vars());
      const target = fs.realpathSync(path.join(outside, "params.json"));
      assert.throws(
        () => readObject("parameters"),
        inputError(
          "parameters",
          new RegExp(
            `^Input 'parameters' is 'linked-params\\.json', which is a link to ${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, outside the pipeline's working folders\\. Give a path under`,
          ),
        ),
      );
      assert.throws(
        () => readPath("smokeTestFile", { kind: "file" }),
        inputError("smokeTestFile", /which is a link to .*outside the pipeline's working folders/),
      );
    });

    it("a linked folder (modelPath itself a link, or a path through a linked folder) is refused", () => {
      setTaskEnvironment({ modelPath: "linked-folder", jobFile: "linked-folder/id_rsa", missing: "linked-folder/not-there.yml" }, vars());
      assert.throws(() => readPath("modelPath", { kind: "any" }), inputError("modelPath", /'linked-folder', which is a link to/));
      assert.throws(() => readPath("jobFile", { kind: "file" }), inputError("jobFile", /'linked-folder\/id_rsa', which is a link to/));
      assert.throws(() => readPath("missing", { kind: "file" }), inputError("missing", /which is a link to .*not-there\.yml/));
    });

    it("links that stay inside, and plain paths, are accepted; ../ outside is refused as before", () => {
      setTaskEnvironment({ parameters: "inner-link.json", modelPath: "model", up: "../x.json" }, vars());
      assert.deepEqual(readObject("parameters"), { a: 1 });
      assert.equal(readPath("modelPath", { kind: "folder" }), path.join(work, "model"));
      assert.throws(() => readPath("up"), inputError("up", /outside the pipeline's working folders/));
    });

    it("outsideWorkFolders: real paths on both sides; no roots, no check", () => {
      assert.equal(outsideWorkFolders(path.join(work, "linked-folder", "id_rsa"), [work]), fs.realpathSync(path.join(outside, "id_rsa")));
      assert.equal(outsideWorkFolders(path.join(work, "params.json"), [work]), undefined);
      fs.symlinkSync(work, path.join(outside, "work-link"), "dir");
      assert.equal(outsideWorkFolders(path.join(work, "params.json"), [path.join(outside, "work-link")]), undefined, "a root that is itself a link");
      assert.equal(outsideWorkFolders("/etc/passwd", []), undefined);
    });
  });
});
