import assert from "node:assert/strict";
import { formatDuration, formatTable, markdownTable } from "./logging";

describe("logging helpers", () => {
  it("formats durations for people", () => {
    assert.equal(formatDuration(950), "950ms");
    assert.equal(formatDuration(5_400), "5s");
    assert.equal(formatDuration(65_000), "1m 05s");
    assert.equal(formatDuration(3_723_000), "1h 02m 03s");
    assert.equal(formatDuration(undefined), "");
    assert.equal(formatDuration(-1), "");
  });

  it("aligns text tables and keeps cells on one line", () => {
    const table = formatTable(
      ["Name", "Status"],
      [
        ["CopyRawData", "Succeeded"],
        ["Clean", "Failed:\nbad row"],
      ],
    );
    assert.equal(table, ["Name         Status", "-----------  ---------------", "CopyRawData  Succeeded", "Clean        Failed: bad row"].join("\n"));
  });

  it("escapes pipes and line breaks in Markdown tables", () => {
    assert.equal(markdownTable(["a", "b"], [["x|y", "1\n2"]]), "| a | b |\n|---|---|\n| x\\|y | 1<br>2 |");
  });
});
