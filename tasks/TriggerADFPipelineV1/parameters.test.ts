import assert from "node:assert/strict";
import { InputError } from "../common/errors";
import { checkParameters, convert, secureParameterNames, type DeclaredParameters } from "./parameters";
import { taskLoc } from "../common/taskLibContext.testing";

const DECLARED: DeclaredParameters = {
  sourceContainer: { type: "String" },
  outputFolder: { type: "String", defaultValue: "prepared" },
  sampleFraction: { type: "Float", defaultValue: 1.0 },
  maxFiles: { type: "Int", defaultValue: 10 },
  dryRun: { type: "Bool", defaultValue: false },
  tables: { type: "Array", defaultValue: [] },
  options: { type: "Object", defaultValue: {} },
  token: { type: "SecureString", defaultValue: "" },
};

function failure(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an InputError");
}

describe("TriggerADFPipeline parameters", () => {
  const loc = taskLoc("TriggerADFPipelineV1");
  const check = (given: Record<string, unknown>) => checkParameters(DECLARED, given, { pipelineName: "prep", loc });

  it("converts values to the declared types, strings from YAML or variables included", () => {
    assert.deepEqual(
      check({
        sourceContainer: "raw",
        sampleFraction: "0.25",
        maxFiles: "42",
        dryRun: "TRUE",
        tables: '["a","b"]',
        options: { deep: { x: 1 } },
        token: "s3cr3t",
      }),
      { sourceContainer: "raw", sampleFraction: 0.25, maxFiles: 42, dryRun: true, tables: ["a", "b"], options: { deep: { x: 1 } }, token: "s3cr3t" },
    );
    assert.deepEqual(check({ sourceContainer: 2024, outputFolder: true }), { sourceContainer: "2024", outputFolder: "true" });
  });

  it("sends the declared spelling of a name given in another case", () => {
    assert.deepEqual(check({ SOURCECONTAINER: "raw" }), { sourceContainer: "raw" });
  });

  it("fails on an undeclared name, naming the declared ones", () => {
    const err = failure(() => check({ sourceContainer: "raw", sourceContaner: "typo" }));
    assert.equal(err.inputName, "parameters");
    assert.match(err.message, /pipeline 'prep'/);
    assert.match(err.message, /'sourceContaner' is not a parameter of the pipeline \(it declares: sourceContainer, outputFolder/);
  });

  it("fails on a missing required parameter and on every wrong type, all in one message", () => {
    const err = failure(() => check({ maxFiles: 1.5, dryRun: "maybe", tables: { a: 1 }, options: [1], sampleFraction: "abc" }));
    assert.match(err.message, /'sourceContainer' \(String\) has no default value and must be given/);
    assert.match(err.message, /'maxFiles' must be of type Int, but the value given is the number 1.5/);
    assert.match(err.message, /'dryRun' must be of type Bool, but the value given is "maybe"/);
    assert.match(err.message, /'tables' must be of type Array, but the value given is an object/);
    assert.match(err.message, /'options' must be of type Object, but the value given is an array/);
    assert.match(err.message, /'sampleFraction' must be of type Float, but the value given is "abc"/);
  });

  it("refuses nulls and objects for strings, and says when a pipeline declares nothing", () => {
    assert.deepEqual(convert(null, "String"), { ok: false });
    assert.deepEqual(convert({ a: 1 }, "SecureString"), { ok: false });
    assert.deepEqual(convert("9007199254740993", "Int"), { ok: false });
    const err = failure(() => checkParameters(undefined, { x: 1 }, { pipelineName: "bare", loc }));
    assert.match(err.message, /'x' is not a parameter of the pipeline \(it declares none\)/);
  });

  it("knows which parameters are secure", () => {
    assert.deepEqual([...secureParameterNames(DECLARED)], ["token"]);
  });
});
