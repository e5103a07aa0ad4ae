import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { format } from "node:util";
import { InputError } from "./errors";
import {
  compare,
  evaluateGate,
  formatNumber,
  GateFailedError,
  gateFailureMessage,
  gateReport,
  metricProperties,
  metricsFromProperties,
  needsChampion,
  parseQualityGate,
  type Loc,
} from "./qualityGate";

const messages = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "tasks", "common", "messages.json"), "utf8")) as Record<string, string>;
const loc: Loc = (key, ...params) => {
  if (messages[key] === undefined) throw new Error(`no message ${key}`);
  return format(messages[key], ...params);
};

function refused(text: string): InputError {
  try {
    parseQualityGate(text, loc);
  } catch (err) {
    assert.ok(err instanceof InputError);
    return err;
  }
  assert.fail(`accepted: ${text}`);
}

describe("quality gate", () => {
  describe("parseQualityGate", () => {
    it("reads numbers, champion with and without an offset, comments and blank lines", () => {
      const c = parseQualityGate("# gate\naccuracy >= 0.8\n\n  loss<=champion+0.05\nf1 > champion - 1e-2\nauc != -3\nevaluate.accuracy == .5\n", loc);
      assert.deepEqual(
        c.map((x) => [x.line, x.metric, x.op, x.threshold]),
        [
          [2, "accuracy", ">=", { kind: "number", value: 0.8 }],
          [4, "loss", "<=", { kind: "champion", offset: 0.05 }],
          [5, "f1", ">", { kind: "champion", offset: -0.01 }],
          [6, "auc", "!=", { kind: "number", value: -3 }],
          [7, "evaluate.accuracy", "==", { kind: "number", value: 0.5 }],
        ],
      );
      assert.equal(needsChampion(c), true);
      assert.equal(needsChampion(c.slice(0, 1)), false);
      assert.deepEqual(parseQualityGate("", loc), []);
      assert.deepEqual(parseQualityGate(undefined, loc), []);
    });

    it("refuses a malformed line, naming the input, the line and the syntax", () => {
      for (const [text, line, shown] of [
        ["accuracy >= 0.8\naccuracy => 0.8", 2, "accuracy => 0.8"],
        ["accuracy >= high", 1, "accuracy >= high"],
        ["accuracy >= champion * 2", 1, "accuracy >= champion * 2"],
        ["\n\n>= 0.8", 3, ">= 0.8"],
        ["accuracy 0.8", 1, "accuracy 0.8"],
        ["accuracy >= champion + ", 1, "accuracy >= champion +"],
      ] as const) {
        const err = refused(text);
        assert.equal(err.inputName, "qualityGate");
        assert.match(
          err.message,
          new RegExp(`^Input 'qualityGate', line ${line}: '${shown.replace(/[*+.]/g, "\\$&")}' is not a condition\\. .*<metric> <op> champion`),
        );
      }
    });
  });

  describe("evaluateGate", () => {
    const gate = parseQualityGate("accuracy >= 0.9\naccuracy >= champion\nloss <= champion + 0.01", loc);

    it("passes and fails each condition against the candidate and the champion", () => {
      const pass = evaluateGate(gate, { accuracy: 0.93, loss: 0.2 }, { name: "m:1", metrics: { accuracy: 0.91, loss: 0.195 } }, loc);
      assert.equal(pass.passed, true);
      assert.deepEqual(
        pass.rows.map((r) => [formatNumber(r.threshold!), r.passed]),
        [
          ["0.9", true],
          ["0.91", true],
          ["0.205", true],
        ],
      );
      const fail = evaluateGate(gate, { accuracy: 0.88, loss: 0.3 }, { name: "m:1", metrics: { accuracy: 0.91, loss: 0.2 } }, loc);
      assert.equal(fail.passed, false);
      assert.deepEqual(
        fail.rows.map((r) => r.passed),
        [false, false, false],
      );
      assert.match(
        gateFailureMessage(fail, "m:2", loc),
        /m:2 was refused because accuracy >= 0\.9 \(0\.88 vs 0\.9\); accuracy >= champion \(0\.88 vs 0\.91\); loss <= champion \+ 0\.01 \(0\.3 vs 0\.21\)/,
      );
      assert.ok(new GateFailedError("x") instanceof Error);
    });

    it("lets conditions against a missing champion (or a champion without the metric) pass", () => {
      const none = evaluateGate(gate, { accuracy: 0.91, loss: 1 }, undefined, loc);
      assert.equal(none.passed, true);
      assert.deepEqual(
        none.rows.map((r) => r.threshold),
        [0.9, undefined, undefined],
      );
      const partial = evaluateGate(gate, { accuracy: 0.91, loss: 1 }, { name: "m:1", metrics: { accuracy: 0.95 } }, loc);
      assert.deepEqual(
        partial.rows.map((r) => r.passed),
        [true, false, true],
      );
    });

    it("names the metrics that were logged when a condition names another", () => {
      assert.throws(
        () => evaluateGate(gate, { acc: 0.9, "evaluate.acc": 0.9 }, undefined, loc),
        (err: unknown) => {
          assert.ok(err instanceof InputError);
          assert.equal(
            err.message,
            "Input 'qualityGate', line 1: the metric 'accuracy' was never logged. The metrics logged are: acc, evaluate.acc. Fix the metric's name, or log it with mlflow.log_metric in the job.",
          );
          return true;
        },
      );
      assert.throws(() => evaluateGate(gate, {}, undefined, loc), /The metrics logged are: none \(the job logged no MLflow metrics\)/);
    });

    it("compares with a small tolerance (decimal strings round-trip)", () => {
      assert.equal(compare(0.81 + 0.01, ">=", 0.82), true);
      assert.equal(compare(0.82, "==", 0.81 + 0.01), true);
      assert.equal(compare(0.82, "!=", 0.81 + 0.01), false);
      assert.equal(compare(0.8200001, ">", 0.82), true);
      assert.equal(compare(0.82, ">", 0.82), false);
      assert.equal(compare(0.82, "<", 0.82), false);
      assert.equal(compare(0.81, "<=", 0.82), true);
    });

    it("prints every condition as a table (condition, candidate, champion, threshold, verdict)", () => {
      const result = evaluateGate(gate, { accuracy: 0.88, loss: 0.2 }, { name: "model:1", metrics: { accuracy: 0.91 } }, loc);
      const report = gateReport(result, "model:2", loc);
      const lines = report.text.split("\n");
      assert.equal(lines[0], "Quality gate: model:2 vs model:1");
      assert.match(lines[1], /^Condition\s+Candidate\s+Champion\s+Threshold\s+Verdict$/);
      assert.match(lines[3], /^accuracy >= 0\.9\s+0\.88\s+0\.91\s+0\.9\s+FAIL$/);
      assert.match(lines[4], /^accuracy >= champion\s+0\.88\s+0\.91\s+0\.91\s+FAIL$/);
      assert.match(lines[5], /^loss <= champion \+ 0\.01\s+0\.2\s+-\s+-\s+pass \(nothing to compare with\)$/);
      assert.match(report.markdown, /\| `accuracy >= champion` \| 0\.88 \| 0\.91 \| 0\.91 \| FAIL \|/);
      const passed = gateReport(evaluateGate(gate.slice(0, 1), { accuracy: 0.95 }, undefined, loc), "model:3", loc);
      assert.match(passed.text, /Quality gate passed \(1 condition\(s\)\): accuracy >= 0\.9\.$/);
    });
  });

  it("carries metrics in model-version properties as metric.<name>", () => {
    const props = metricProperties({ accuracy: 0.91, "evaluate.loss": 0.2 });
    assert.deepEqual(props, { "metric.accuracy": "0.91", "metric.evaluate.loss": "0.2" });
    assert.deepEqual(metricsFromProperties({ ...props, "metric.bad": "n/a", "metric.empty": "", other: "1", "metric.null": null }), {
      accuracy: 0.91,
      "evaluate.loss": 0.2,
    });
    assert.deepEqual(metricsFromProperties(undefined), {});
    assert.equal(formatNumber(0.123456789), "0.123457");
    assert.equal(formatNumber(3), "3");
  });
});
