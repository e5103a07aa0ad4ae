import * as assert from "node:assert/strict";
import * as path from "node:path";
import { defaultExperimentName, generateJobName } from "./cliDefaultNames";

describe("cliDefaultNames", () => {
  it("generates <adjective>_<noun>_<10 characters> names", () => {
    const name = generateJobName();
    assert.match(name, /^[a-z]+_[a-z]+_[bcdfghjklmnpqrstvwxyz0-9]{10}$/);
    let i = 0;
    const fixed = generateJobName(() => i++ % 3);
    // The suffix draws first (0,1,2,0,… → b,c,d,b,…), then the adjective and the noun.
    assert.equal(fixed, "brave_cloud_bcdbcdbcdb");
    assert.notEqual(generateJobName(), generateJobName());
  });

  it("derives the experiment name from a folder like the CLI (stem, no spaces), else Default", () => {
    assert.equal(defaultExperimentName("/agent/_work/1/s/My Project"), "MyProject");
    assert.equal(defaultExperimentName("/repo/ml.pipelines/"), "ml");
    assert.equal(defaultExperimentName("C:\\agent\\_work\\1\\s\\churn model", path.win32), "churnmodel");
    assert.equal(defaultExperimentName("/"), "Default");
  });
});
