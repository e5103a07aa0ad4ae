import * as assert from "node:assert/strict";
import { JobDefinitionError } from "./errors";
import { loaderLoc } from "./loaderLoc.testing";
import { applyOverrides, parseOverrides } from "./overrides";

const loc = loaderLoc();

const ROOT_KEYS = new Set(["inputs", "jobs", "settings", "name", "experiment_name"]);

function apply(document: Record<string, unknown>, text: string) {
  return applyOverrides(document, parseOverrides(text, loc), { allowedRootKeys: ROOT_KEYS, jobType: "pipeline", loc });
}

function isOverrideError(line: number, pattern: RegExp) {
  return (e: unknown) =>
    e instanceof JobDefinitionError && e.code === "BadOverride" && e.message.startsWith(`Override line ${line} `) && pattern.test(e.message);
}

describe("overrides", () => {
  it("parses key.path=value lines, splitting at the first '=' and skipping blanks and comments", () => {
    assert.deepEqual(parseOverrides("\n# tuned\ninputs.lr=0.1\r\n  jobs.train.compute = azureml:gpu \nname=a=b\n", loc), [
      { lineNumber: 3, text: "inputs.lr=0.1", path: ["inputs", "lr"], value: "0.1" },
      { lineNumber: 4, text: "jobs.train.compute = azureml:gpu", path: ["jobs", "train", "compute"], value: "azureml:gpu" },
      { lineNumber: 5, text: "name=a=b", path: ["name"], value: "a=b" },
    ]);
  });

  it("sets values as strings, creating intermediate mappings and replacing nulls", () => {
    const doc: Record<string, unknown> = { inputs: { lr: 0.01 }, jobs: { train: { outputs: { model: null } } } };
    const origins = apply(doc, "inputs.lr=0.1\nsettings.continue_on_step_failure=true\njobs.train.outputs.model.mode=upload");
    assert.deepEqual(doc, {
      inputs: { lr: "0.1" },
      settings: { continue_on_step_failure: "true" },
      jobs: { train: { outputs: { model: { mode: "upload" } } } },
    });
    assert.equal(origins.originOf(["settings", "continue_on_step_failure"])?.lineNumber, 2);
    assert.equal(origins.originOf(["jobs", "train", "outputs", "model", "mode", "deeper"])?.lineNumber, 3);
    assert.equal(origins.originOf(["inputs", "other"]), undefined);
  });

  it("indexes existing lists", () => {
    const doc: Record<string, unknown> = { jobs: { a: { list: ["x", "y"] } } };
    apply(doc, "jobs.a.list.1=z");
    assert.deepEqual(doc, { jobs: { a: { list: ["x", "z"] } } });
    assert.throws(() => apply(doc, "jobs.a.list.9=z"), isOverrideError(1, /index into a list of 2/));
  });

  it("refuses malformed lines", () => {
    assert.throws(() => parseOverrides("inputs.lr=1\nlearning_rate 0.1", loc), isOverrideError(2, /not of the form key\.path=value/));
    assert.throws(() => parseOverrides("=1", loc), isOverrideError(1, /not of the form/));
    assert.throws(() => parseOverrides("inputs..lr=1", loc), isOverrideError(1, /invalid key path 'inputs\.\.lr'/));
  });

  it("refuses unknown root keys, naming the allowed ones", () => {
    assert.throws(
      () => apply({}, "inputz.lr=1"),
      isOverrideError(1, /sets 'inputz', which is not a key of a pipeline job \(allowed: experiment_name, inputs, jobs, name, settings\)/),
    );
  });

  it("refuses paths through strings (references) and other scalars", () => {
    assert.throws(
      () => apply({ jobs: { train: { component: "azureml:train:1" } } }, "jobs.train.component.inputs.x=1"),
      isOverrideError(1, /defined by a reference string \('azureml:train:1'\)/),
    );
    assert.throws(() => apply({ inputs: { epochs: 20 } }, "\ninputs.epochs.value=3"), isOverrideError(2, /'inputs\.epochs': it is a number \(20\)/));
  });
});
