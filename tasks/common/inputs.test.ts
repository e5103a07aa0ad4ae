import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NAME_RULES } from "./azureNames";
import { InputError } from "./errors";
import { inputReader } from "./inputs";
import { setTaskEnvironment, taskLoc } from "./taskLibContext.testing";

const { readAzureName, readBoolean, readEnum, readInteger, readKeyValues, readMinutesAsMs, readObject, readPath, readString } = inputReader(taskLoc());

function inputError(name: string, pattern: RegExp) {
  return (err: unknown) => err instanceof InputError && err.inputName === name && pattern.test(err.message);
}

describe("task inputs", () => {
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "inputs-"));
    fs.writeFileSync(path.join(work, "params.yml"), "a: 1\nb: text\n");
    fs.writeFileSync(path.join(work, "list.json"), "[1,2]");
    fs.mkdirSync(path.join(work, "model"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const vars = () => ({ "System.DefaultWorkingDirectory": work });

  it("reads required strings and names a missing one", () => {
    setTaskEnvironment({ factoryName: " mlops-adf " }, vars());
    assert.equal(readString("factoryName", { required: true }), "mlops-adf");
    assert.equal(readString("other"), undefined);
    assert.throws(() => readString("pipelineName", { required: true }), inputError("pipelineName", /Input 'pipelineName' is required/));
  });

  it("reads booleans, integers in range and enums", () => {
    setTaskEnvironment({ wait: "false", n: "30", big: "9999", text: "3.5", mode: "JOBOUTPUT", bad: "maybe" }, vars());
    assert.equal(readBoolean("wait", true), false);
    assert.equal(readBoolean("absent", true), true);
    assert.throws(() => readBoolean("bad", true), inputError("bad", /must be true or false, not 'maybe'/));
    assert.equal(readInteger("n", { default: 1, min: 1, max: 60 }), 30);
    assert.throws(() => readInteger("big", { default: 1, min: 1, max: 60 }), inputError("big", /is 9999; it must be between 1 and 60/));
    assert.throws(
      () => readInteger("text", { default: 1, min: 1, max: 60 }),
      inputError("text", /^Input 'text' must be a whole number between 1 and 60, not '3\.5'\.$/),
    );
    assert.equal(readEnum("mode", ["local", "jobOutput"] as const), "jobOutput");
    assert.throws(() => readEnum("bad", ["local", "jobOutput"] as const), inputError("bad", /one of: local, jobOutput/));
  });

  it("reads minutes with fractions as milliseconds, with or without 0 as no limit", () => {
    setTaskEnvironment({ half: "0.5", zero: "0", neg: "-1", text: "soon", big: "2000" }, vars());
    const noLimit = { default: 60, max: 1440, zeroMeansNoLimit: true };
    const positive = { default: 60, max: 1440, zeroMeansNoLimit: false };
    assert.equal(readMinutesAsMs("half", positive), 30_000);
    assert.equal(readMinutesAsMs("absent", positive), 3_600_000);
    assert.equal(readMinutesAsMs("zero", noLimit), 0);
    assert.throws(() => readMinutesAsMs("zero", positive), inputError("zero", /greater than 0 and at most 1440/));
    assert.throws(() => readMinutesAsMs("neg", noLimit), inputError("neg", /from 0 to 1440 .*0 = no limit.*not '-1'/));
    assert.throws(() => readMinutesAsMs("text", noLimit), inputError("text", /not 'soon'/));
    assert.throws(() => readMinutesAsMs("big", positive), inputError("big", /at most 1440/));
  });

  it("reads objects as JSON, YAML or a file, and refuses other shapes with the line", () => {
    setTaskEnvironment(
      { json: '{"x": 1}', yaml: "x: 1\ny: [a]", file: "params.yml", list: "list.json", broken: '{"x": ', scalar: "42", missing: "nope.json" },
      vars(),
    );
    assert.deepEqual(readObject("json"), { x: 1 });
    assert.deepEqual(readObject("yaml"), { x: 1, y: ["a"] });
    assert.deepEqual(readObject("file"), { a: 1, b: "text" });
    assert.throws(() => readObject("list"), inputError("list", /must be a JSON or YAML object.*a list/));
    assert.throws(() => readObject("broken"), inputError("broken", /line 1/));
    assert.throws(() => readObject("scalar"), inputError("scalar", /the number 42/));
    assert.throws(() => readObject("missing"), inputError("missing", /does not exist/));
    setTaskEnvironment({ outside: "/etc/params.json" }, vars());
    assert.throws(() => readObject("outside"), inputError("outside", /outside the pipeline's working folders/));
  });

  it("reads key=value lines or objects of scalars", () => {
    setTaskEnvironment({ lines: "team=ml\n# comment\nstage = prod", json: '{"a": 1, "b": true}', nested: '{"a": {"b": 1}}', bad: "just text" }, vars());
    assert.deepEqual(readKeyValues("lines"), { team: "ml", stage: "prod" });
    assert.deepEqual(readKeyValues("json"), { a: "1", b: "true" });
    assert.throws(() => readKeyValues("nested"), inputError("nested", /value of 'a' must be a string/));
    assert.throws(() => readKeyValues("bad"), inputError("bad", /line 1: 'just text' is not key=value/));
  });

  it("resolves paths against the working directory and refuses missing ones or ones outside it", () => {
    setTaskEnvironment({ model: "model", file: "params.yml", gone: "absent.bin", outside: "/etc/hostname", up: "../../x" }, vars());
    assert.equal(readPath("model", { kind: "folder" }), path.join(work, "model"));
    assert.throws(() => readPath("model", { kind: "file" }), inputError("model", /is a folder/));
    assert.throws(() => readPath("file", { kind: "folder" }), inputError("file", /is a file/));
    assert.throws(() => readPath("gone"), inputError("gone", /does not exist/));
    assert.throws(() => readPath("outside"), inputError("outside", /outside the pipeline's working folders/));
    assert.throws(() => readPath("up"), inputError("up", /outside/));
  });

  it("checks Azure naming rules", () => {
    setTaskEnvironment({ good: "best_model", bad: "-model", long: "x".repeat(40), endpoint: "model-service" }, vars());
    assert.equal(readAzureName("good", NAME_RULES.asset, { required: true }), "best_model");
    assert.throws(() => readAzureName("bad", NAME_RULES.asset), inputError("bad", /not a valid Azure ML asset name/));
    assert.throws(() => readAzureName("long", NAME_RULES.onlineEndpoint), inputError("long", /3-32 characters/));
    assert.equal(readAzureName("endpoint", NAME_RULES.onlineEndpoint), "model-service");
  });
});
