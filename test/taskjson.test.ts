/**
 * Every tasks/<Name>V<N>/task.json: validated against the official tasks.schema.json (from
 * ../shared/reference, skipped when that folder is absent) and by the checks the schema cannot
 * express (test/taskManifestChecks.ts), which always run. The fixture task and
 * known-bad manifests prove each check can fail.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { commonMessagesPath, readPackageVersion, readTaskManifest } from "../scripts/build";
import { findRepoRoot } from "../devkit/repoRoot";
import { checkMessages, checkTaskManifest, locKeysUsed, taskSourceFiles, visibleRuleInputs } from "./taskManifestChecks";

const repoRoot = findRepoRoot(__dirname);
const packageVersion = readPackageVersion(repoRoot);
const schemaPath = path.resolve(repoRoot, "..", "shared", "reference", "tasks.schema.json");
const commonMessages = JSON.parse(fs.readFileSync(commonMessagesPath(repoRoot), "utf8")) as Record<string, string>;
const fixtureDir = path.join(repoRoot, "test", "fixtures", "EchoTaskV1");

function taskFolders(): string[] {
  const tasksDir = path.join(repoRoot, "tasks");
  if (!fs.existsSync(tasksDir)) {
    return [];
  }
  return fs
    .readdirSync(tasksDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /V\d+$/.test(entry.name) && fs.existsSync(path.join(tasksDir, entry.name, "task.json")))
    .map((entry) => path.join(tasksDir, entry.name))
    .sort();
}

/**
 * tasks.schema.json is draft-04 (`$schema` draft-04, `id`), which Ajv 8 does not load without
 * the ajv-draft-04 plugin (not installed). The schema uses no keyword whose meaning changed
 * after draft-04 (no boolean exclusiveMinimum/Maximum, `id` only at the root), so dropping the
 * root `$schema`/`id` and compiling as draft-07 validates the same documents.
 */
function compileTaskSchema(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  delete schema["$schema"];
  delete schema["id"];
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  return ajv.compile(schema);
}

function schemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
}

function fixtureManifest(): Record<string, unknown> {
  return readTaskManifest(path.join(fixtureDir, "task.json"));
}

describe("task.json", () => {
  describe("against the official schema (../shared/reference/tasks.schema.json)", () => {
    let validate: ValidateFunction;

    before(function () {
      if (!fs.existsSync(schemaPath)) {
        this.skip(); // ../shared is absent in this checkout: the schema is reference data, not part of the project
      }
      validate = compileTaskSchema();
    });

    it("accepts the fixture task", () => {
      assert.ok(validate(fixtureManifest()), schemaErrors(validate));
    });

    it("rejects manifests that break the schema", () => {
      assert.equal(validate({ ...fixtureManifest(), name: "Echo Task" }), false, "a name with a space");
      assert.equal(validate({ ...fixtureManifest(), id: "not-a-guid" }), false, "an id that is not a GUID");
      assert.equal(validate({ ...fixtureManifest(), unknownKey: true }), false, "an unknown top-level key");
      const inputs = fixtureManifest()["inputs"] as Record<string, unknown>[];
      assert.equal(validate({ ...fixtureManifest(), inputs: [{ ...inputs[0], type: "notAType" }] }), false, "an unknown input type");
      assert.equal(
        validate({ ...fixtureManifest(), inputs: [{ ...inputs[0], validation: { expression: "isUrl(value)", message: "m" } }] }),
        false,
        "input.validation is not in the schema",
      );
    });

    for (const dir of taskFolders()) {
      it(`accepts tasks/${path.basename(dir)}/task.json`, () => {
        assert.ok(validate(readTaskManifest(path.join(dir, "task.json"))), schemaErrors(validate));
      });
    }
  });

  describe("checks the schema cannot express", () => {
    for (const dir of taskFolders()) {
      const folder = path.basename(dir);
      describe(`tasks/${folder}`, () => {
        it("has a consistent identity, version, handlers and references", () => {
          const problems = checkTaskManifest(readTaskManifest(path.join(dir, "task.json")), { folder, packageVersion });
          assert.deepEqual(problems, []);
        });

        it("declares exactly the messages its sources use with loc()", () => {
          // tasks/common keys live in tasks/common/messages.json (merged into every built task.json).
          const manifest = readTaskManifest(path.join(dir, "task.json"));
          const commonDir = path.join(repoRoot, "tasks", "common") + path.sep;
          const used = locKeysUsed(taskSourceFiles(dir).filter((file) => !file.startsWith(commonDir)));
          for (const key of Object.keys(commonMessages)) used.delete(key);
          assert.deepEqual(checkMessages(manifest["messages"] as Record<string, unknown>, used), []);
        });
      });
    }

    it("tasks/common/messages.json holds exactly the keys the shared code uses", () => {
      const commonDir = path.join(repoRoot, "tasks", "common");
      const files = fs
        .readdirSync(commonDir, { recursive: true, encoding: "utf8" })
        .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
        .map((file) => path.join(commonDir, file));
      assert.deepEqual(checkMessages(commonMessages, locKeysUsed(files)), []);
    });

    it("pass for the fixture task", () => {
      assert.deepEqual(checkTaskManifest(fixtureManifest(), { folder: "EchoTaskV1", packageVersion }), []);
      assert.deepEqual(checkMessages(fixtureManifest()["messages"] as Record<string, unknown>, locKeysUsed(taskSourceFiles(fixtureDir))), []);
    });

    it("report identity, version and handler mistakes", () => {
      const manifest = {
        ...fixtureManifest(),
        id: "not-a-guid",
        name: "Echo",
        friendlyName: "x".repeat(41),
        version: { Major: 2, Minor: "0", Patch: 9 },
        minimumAgentVersion: "2.144.0",
        execution: { Node20_1: { target: "main.js" } },
      };
      const problems = checkTaskManifest(manifest, { folder: "EchoTaskV1", packageVersion: "1.0.0" });
      const expected = [
        /id "not-a-guid" is not a GUID/,
        /name "Echo" should be "EchoTask"/,
        /version.Major 2 should be 1/,
        /friendlyName must be 1 to 40 characters/,
        /version.Major is 2 but package.json's version 1.0.0 says 1/,
        /version.Minor must be a number/,
        /version.Patch is 9/,
        /execution.Node20_1.target is "main.js"; execution.Node24 is missing/,
        /minimumAgentVersion 2.144.0 is below 3.232.1/,
      ];
      assert.equal(problems.length, expected.length, problems.join("\n"));
      expected.forEach((pattern, i) => assert.match(problems[i], pattern));
    });

    it("report broken references between inputs, groups and data sources", () => {
      const manifest = {
        ...fixtureManifest(),
        groups: [{ name: "advanced", displayName: "Advanced", visibleRule: "nope = true" }],
        inputs: [
          { name: "a", type: "string", label: "A", helpMarkDown: "A." },
          { name: "a", type: "string", label: "A again", helpMarkDown: "" },
          { name: "b", type: "string", label: "B", groupName: "missing", visibleRule: "a = x && ghost != y || c" },
        ],
        outputVariables: [{ name: "o" }, { name: "o" }],
        dataSourceBindings: [
          { target: "b", endpointId: "$(a)", parameters: { factory: "$(phantom)" } },
          { target: "nothing", endpointUrl: "{{{endpoint.url}}}/x?f=$(b)" },
        ],
      };
      assert.deepEqual(checkTaskManifest(manifest, { folder: "EchoTaskV1", packageVersion }), [
        "input a is declared twice",
        "output variable o is declared twice",
        "input a has no helpMarkDown",
        "input b has no helpMarkDown",
        'input b: groupName "missing" is not a declared group',
        'input b: visibleRule clause "c" is not "<input> <operator> <value>"',
        "input b: visibleRule refers to unknown input ghost",
        "group advanced: visibleRule refers to unknown input nope",
        "dataSourceBindings[0] refers to unknown input $(phantom)",
        'dataSourceBindings[1]: target "nothing" is not an input',
      ]);
    });

    it("read visibleRule operators the classic editor supports", () => {
      assert.deepEqual(visibleRuleInputs("scriptType = ps || scriptType != pscore && action NotEndsWith bake"), {
        names: ["scriptType", "scriptType", "action"],
        unreadable: [],
      });
    });

    it("report loc keys missing from messages and messages never used", () => {
      assert.deepEqual(checkMessages({ Used: "u", Unused: "x" }, new Set(["Used", "Missing"])), [
        "loc key Missing is used but not in messages",
        "message Unused is never used with loc()",
      ]);
    });

    it("follow relative imports to find the loc keys a task reaches", async () => {
      const root = await fs.promises.mkdtemp(path.join(os.tmpdir(), "taskjson-"));
      try {
        const taskDir = path.join(root, "tasks", "DemoV1");
        await fs.promises.mkdir(path.join(root, "tasks", "common"), { recursive: true });
        await fs.promises.mkdir(taskDir);
        await fs.promises.writeFile(path.join(taskDir, "index.ts"), 'import { f } from "../common/shared.js";\ntl.loc("FromEntry");\n');
        await fs.promises.writeFile(path.join(taskDir, "index.test.ts"), 'tl.loc("FromTest");\n');
        await fs.promises.writeFile(path.join(root, "tasks", "common", "shared.ts"), "import \"./deeper\";\nexport const f = () => loc('FromCommon');\n");
        await fs.promises.writeFile(path.join(root, "tasks", "common", "deeper.ts"), "tl.loc(`FromDeeper`, 1);\n");
        await fs.promises.writeFile(path.join(root, "tasks", "common", "unreached.ts"), 'tl.loc("Unreached");\n');
        const files = taskSourceFiles(taskDir);
        assert.deepEqual(
          files.map((file) => path.relative(root, file)),
          [path.join("tasks", "DemoV1", "index.ts"), path.join("tasks", "common", "deeper.ts"), path.join("tasks", "common", "shared.ts")].sort(),
        );
        assert.deepEqual([...locKeysUsed(files)].sort(), ["FromCommon", "FromDeeper", "FromEntry"]);
      } finally {
        await fs.promises.rm(root, { recursive: true, force: true });
      }
    });
  });
});
