import * as assert from "node:assert/strict";
import { CliYamlError, DEFAULT_CLI_YAML_LIMITS, parseCliYaml } from "./cliYaml";

/** What `yaml.safe_load(f"v: {text}")["v"]` gives, from PyYAML's resolver regexes and SafeConstructor (see cliYaml.ts). */
const SCALARS: [text: string, expected: unknown][] = [
  // bool: only the yes/no/true/false/on/off spellings of the resolver; y/n are not in it
  ["y", "y"],
  ["Y", "Y"],
  ["n", "n"],
  ["N", "N"],
  ["yes", true],
  ["Yes", true],
  ["YES", true],
  ["no", false],
  ["NO", false],
  ["on", true],
  ["Off", false],
  ["True", true],
  ["FALSE", false],
  ["yEs", "yEs"],
  ["tRue", "tRue"],
  // null
  ["~", null],
  ["null", null],
  ["Null", null],
  ["NULL", null],
  ["", null],
  ["nULL", "nULL"],
  // int: binary, octal with a leading 0, hex, base 60, underscores
  ["0", 0],
  ["-17", -17],
  ["+5", 5],
  ["1_000", 1000],
  ["0b1010", 10],
  ["010", 8],
  ["0x1F", 31],
  ["-0x1f", -31],
  ["1:30", 90],
  ["08", "08"], // 08: no int alternative matches (0[0-7_]+), so a string
  // float: a dot is required; the exponent needs a sign
  ["1.0", 1],
  ["1.", 1],
  [".5", 0.5],
  ["-1.5e+3", -1500],
  ["1.0e-05", 0.00001],
  ["1e3", "1e3"],
  ["1.0e3", "1.0e3"],
  ["1:30.5", 90.5],
  [".inf", Infinity],
  ["-.Inf", -Infinity],
  ["+.INF", Infinity],
  // strings that YAML 1.2 or js-yaml would read otherwise
  ["0o17", "0o17"],
  ["2021-01-01", "2021-01-01"],
  ["'yes'", "yes"],
  ['"1.0"', "1.0"],
  ["!!str 1", "1"],
  ["!!int '7'", 7],
  ["!!float 1", 1],
  ["!!bool YeS", true],
];

describe("cliYaml (PyYAML safe_load semantics)", () => {
  for (const [text, expected] of SCALARS) {
    it(`reads 'v: ${text}' as PyYAML does`, () => {
      const value = (parseCliYaml(`v: ${text}\n`, "/x/a.yml").value as { v: unknown }).v;
      assert.deepEqual(value, expected);
    });
  }

  it("reads .nan as NaN", () => {
    assert.ok(Number.isNaN((parseCliYaml("v: .NaN\n", "/x/a.yml").value as { v: number }).v));
  });

  it("keeps the last of a duplicate key and names both lines", () => {
    const source = parseCliYaml("inputs:\n  a: 1\n  b: 2\n  a: 3\n", "/x/dup.yml");
    assert.deepEqual(source.value, { inputs: { a: 3, b: 2 } });
    assert.deepEqual(source.duplicateKeys, [{ path: ["inputs", "a"], firstLine: 2, line: 4 }]);
    assert.deepEqual(source.duplicateKeyWarnings(), [
      "/x/dup.yml: key 'inputs.a' is given at line 2 and again at line 4; the value at line 4 is used, as the CLI (PyYAML) does.",
    ]);
    assert.equal(source.locationOf(["inputs", "a"]).line, 4);
  });

  it("applies merge keys with the mapping's own keys winning", () => {
    const source = parseCliYaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "/x/m.yml");
    assert.deepEqual((source.value as Record<string, unknown>).use, { x: 1, y: 3 });
    assert.deepEqual(source.duplicateKeys, []);
  });

  it("refuses a plain '=' as safe_load does, and accepts it quoted", () => {
    assert.throws(
      () => parseCliYaml("a: 1\nv: =\n", "/x/e.yml"),
      (e: unknown) => e instanceof CliYamlError && e.location.line === 2 && /quote it/.test(e.message),
    );
    assert.deepEqual(parseCliYaml("v: '='\n", "/x/e.yml").value, { v: "=" });
  });

  it("refuses several documents, as safe_load does", () => {
    assert.throws(
      () => parseCliYaml("a: 1\n---\nb: 2\n", "/x/m.yml"),
      (e: unknown) => e instanceof CliYamlError && /several documents/.test(e.message),
    );
  });

  it("reports syntax errors with file, line and column", () => {
    assert.throws(
      () => parseCliYaml("type: pipeline\njobs:\n  a: [1, 2\n  b: 3\n", "/x/bad.yml"),
      (e: unknown) => e instanceof CliYamlError && e.location.line === 4 && typeof e.location.column === "number" && e.message.includes("/x/bad.yml:4:"),
    );
  });

  it("bounds the file size, the aliases and their expansion", () => {
    const limits = { ...DEFAULT_CLI_YAML_LIMITS, maxBytes: 20 };
    assert.throws(
      () => parseCliYaml("a: 123456789012345678901234567890\n", "/x/big.yml", limits),
      (e: unknown) => e instanceof CliYamlError && /over 20 bytes/.test(e.message),
    );
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      laughs.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(", ")}]`,
      );
    assert.throws(
      () => parseCliYaml(laughs.join("\n"), "/x/laughs.yml"),
      (e: unknown) => e instanceof CliYamlError && /aliases/.test(e.message),
    );
    assert.throws(
      () => parseCliYaml("a: &a [1]\nb: [*a, *a, *a]\n", "/x/al.yml", { ...DEFAULT_CLI_YAML_LIMITS, maxAliases: 2 }),
      (e: unknown) => e instanceof CliYamlError,
    );
    assert.throws(
      () => parseCliYaml("a: &a [*a]\n", "/x/cycle.yml"),
      (e: unknown) => e instanceof CliYamlError && /cycle/.test(e.message),
    );
  });
});
