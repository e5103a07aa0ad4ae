import * as assert from "node:assert/strict";
import { JobDefinitionError } from "./errors";
import { parseYamlSource } from "./yamlSource";

describe("yamlSource", () => {
  const text = [
    "type: pipeline", // 1
    "inputs:", // 2
    "  lr: 0.01", // 3
    "  epochs: 20", // 4
    "  ratio: 1.0", // 5
    "  when: 2021-01-01", // 6
    "  flag: yes", // 7
    "  quoted: '1.5'", // 8
    "jobs:", // 9
    "  - a", // 10
    "  - {b: 1}", // 11
    "",
  ].join("\n");

  it("records where keys and values are", () => {
    const source = parseYamlSource(text, "/x/job.yml");
    assert.deepEqual(source.locationOf(["inputs", "epochs"]), { filePath: "/x/job.yml", line: 4, column: 3 });
    assert.equal(source.positionOf(["inputs", "epochs"])?.column, 11);
    assert.equal(source.locationOf(["jobs", 1, "b"]).line, 11);
    assert.equal(source.locationOf(["jobs", 0]).line, 10);
  });

  it("falls back to the nearest ancestor for paths the file does not have", () => {
    const source = parseYamlSource(text, "/x/job.yml");
    assert.equal(source.locationOf(["inputs", "missing", "deeper"]).line, 2);
    assert.equal(source.exactPositionOf(["inputs", "missing"]), undefined);
  });

  it("reads YAML 1.1 like PyYAML, keeping dates as text", () => {
    const source = parseYamlSource(text, "/x/job.yml");
    const inputs = (source.value as { inputs: Record<string, unknown> }).inputs;
    assert.deepEqual(inputs, { lr: 0.01, epochs: 20, ratio: 1, when: "2021-01-01", flag: true, quoted: "1.5" });
    assert.equal(source.isFloatLiteral(["inputs", "ratio"]), true);
    assert.equal(source.isFloatLiteral(["inputs", "epochs"]), false);
    assert.equal(source.isFloatLiteral(["inputs", "quoted"]), false);
  });

  it("keeps the last of a duplicate key, as PyYAML does, and says so", () => {
    const source = parseYamlSource("a: 1\na: 2\n", "/x/dup.yml");
    assert.deepEqual(source.value, { a: 2 });
    assert.deepEqual(source.duplicateKeyWarnings(), [
      "/x/dup.yml: key 'a' is given at line 1 and again at line 2; the value at line 2 is used, as the CLI (PyYAML) does.",
    ]);
  });

  it("reports syntax errors with line and column", () => {
    assert.throws(
      () => parseYamlSource("type: pipeline\njobs:\n  a: [1, 2\n  b: 3\n", "/x/bad.yml"),
      (e: unknown) =>
        e instanceof JobDefinitionError && e.code === "YamlSyntax" && e.line === 4 && typeof e.column === "number" && e.message.includes("/x/bad.yml:4:"),
    );
  });
});
