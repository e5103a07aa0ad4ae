import * as assert from "node:assert/strict";
import { anonymousEnvironmentVersion, condaFileText as dumpCondaYaml, pythonStrJoin } from "../../common/cliEnvironment";
import { hashDictAsUuid, pythonFloatRepr, pythonJsonDumps, pythonStr, secondsToIsoDuration } from "./pythonValues";

describe("pythonValues", () => {
  it("formats floats like Python's repr", () => {
    const cases: [number, string][] = [
      [0.01, "0.01"],
      [1, "1.0"],
      [1e16, "1e+16"],
      [123456789012345.6, "123456789012345.6"],
      [0.0001, "0.0001"],
      [1e-5, "1e-05"],
      [-2.5e-7, "-2.5e-07"],
      [1e22, "1e+22"],
      [0.1 + 0.2, "0.30000000000000004"],
      [0, "0.0"],
      [-0, "-0.0"],
      [Infinity, "inf"],
      [-Infinity, "-inf"],
      [NaN, "nan"],
      [1234.5, "1234.5"],
      [100, "100.0"],
    ];
    for (const [value, expected] of cases) assert.equal(pythonFloatRepr(value), expected, String(value));
  });

  it("gives str() of YAML scalars as the CLI sends literal inputs", () => {
    assert.equal(pythonStr(true), "True");
    assert.equal(pythonStr(false), "False");
    assert.equal(pythonStr(20), "20");
    assert.equal(pythonStr(1, true), "1.0");
    assert.equal(pythonStr(1.8), "1.8");
    assert.equal(pythonStr("abc"), "abc");
    assert.equal(pythonStr(null), "None");
  });

  it("dumps JSON like json.dumps(sort_keys=True) and hashes it as a UUID", () => {
    const value = { b: [1, 2.5, true, null], a: 'é"x\n', c: { z: 1e-5, y: 1.5 } };
    assert.equal(pythonJsonDumps(value), '{"a": "\\u00e9\\"x\\n", "b": [1, 2.5, true, null], "c": {"y": 1.5, "z": 1e-05}}');
    // Checked with Python: hashlib.md5(json.dumps(value, sort_keys=True).encode()).hexdigest() as 8-4-4-4-12.
    assert.equal(hashDictAsUuid(value), "add15177-4cfa-96ca-3888-e685e1c2bb88");
    assert.notEqual(hashDictAsUuid(value), hashDictAsUuid({ ...value, a: "other" }));
    assert.equal(hashDictAsUuid({ x: 1, y: 2 }), hashDictAsUuid({ y: 2, x: 1 }), "key order does not matter");
  });

  it("reproduces Python's str.join quirk", () => {
    assert.equal(pythonStrJoin("", "abc"), "abc");
    assert.equal(pythonStrJoin("-", "abc"), "a-b-c");
  });

  it("computes the CLI's anonymous environment version (vector checked with Python)", () => {
    const conda = dumpCondaYaml({ name: "evaluate-env", channels: ["conda-forge"], dependencies: ["python=3.8", "pip", { pip: ["mlflow==2.9.2"] }] });
    assert.equal(conda, "channels:\n- conda-forge\ndependencies:\n- python=3.8\n- pip\n- pip:\n  - mlflow==2.9.2\nname: evaluate-env\n");
    assert.equal(anonymousEnvironmentVersion("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest", conda), "40570c39f271ff8108a911c7a996a4e6");
    assert.equal(anonymousEnvironmentVersion("python:3.8", undefined), "227fd58140a69ca655f6844fee2f3f2e");
  });

  it("converts seconds to ISO-8601 durations as isodate prints them", () => {
    assert.equal(secondsToIsoDuration(3600), "PT1H");
    assert.equal(secondsToIsoDuration(10), "PT10S");
    assert.equal(secondsToIsoDuration(90), "PT1M30S");
    assert.equal(secondsToIsoDuration(86400), "P1D");
    assert.equal(secondsToIsoDuration(90061), "P1DT1H1M1S");
    assert.equal(secondsToIsoDuration(0), "P0D");
  });
});
