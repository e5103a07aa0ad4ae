import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { anonymousEnvironmentVersion, condaFileText, readCondaFile } from "./cliEnvironment";

describe("cliEnvironment (inline environments as the CLI registers them)", () => {
  it("sends the conda file as PyYAML's yaml.dump(sort_keys=True) writes it, whatever its layout", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "conda-"));
    try {
      const file = path.join(dir, "conda.yml");
      // Keys out of order, indented sequences, flow style, quotes where PyYAML needs none, a duplicate key.
      await fs.writeFile(
        file,
        [
          "name: scratch",
          "dependencies:",
          "    - 'python=3.8'",
          "    - pip",
          "    - {pip: [mlflow==2.9.2]}",
          "channels: [conda-forge]",
          "name: evaluate-env",
          "",
        ].join("\n"),
      );
      const { text, warnings } = await readCondaFile(file);
      assert.equal(text, "channels:\n- conda-forge\ndependencies:\n- python=3.8\n- pip\n- pip:\n  - mlflow==2.9.2\nname: evaluate-env\n");
      assert.deepEqual(warnings, [`${file}: key 'name' is given at line 1 and again at line 7; the value at line 7 is used, as the CLI (PyYAML) does.`]);
      // Same version as the CLI gives this image + conda (vector computed with azure-ai-ml's
      // Environment._generate_anonymous_name_version; also asserted in loader/pythonValues.test.ts).
      assert.equal(anonymousEnvironmentVersion("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest", text), "40570c39f271ff8108a911c7a996a4e6");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("quotes exactly the strings PyYAML's resolver would read as something else", () => {
    // representer + resolver: 'yes' and '3.8' would come back as bool/float, so they are quoted; y and 1e3 would not.
    assert.equal(
      condaFileText({ d: ["y", "yes", "3.8", "1e3", "~", 2, 1.5, 0.00001, true, null] }),
      "d:\n- y\n- 'yes'\n- '3.8'\n- 1e3\n- '~'\n- 2\n- 1.5\n- 1.0e-05\n- true\n- null\n",
    );
  });
});
