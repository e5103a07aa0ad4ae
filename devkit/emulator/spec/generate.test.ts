/**
 * The committed request-body schemas are what the generator makes from the REST spec, and they
 * accept the spec's own request examples. Needs ../shared/reference (skips where it is absent).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { validate } from "../framework";
import { GENERATED_FILE, OPERATIONS, SPEC_DIR, generate, render } from "./generate";
import { bodySchema } from "./load";

const SPEC_ROOT = join(__dirname, "..", "..", "..", "..", "..", "shared", "reference", "azure-rest-specs");

function examples(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? examples(p) : p.endsWith(".json") ? [p] : [];
  });
}

describe("emulator request schemas generated from the REST spec", () => {
  before(function () {
    if (!existsSync(join(SPEC_ROOT, SPEC_DIR))) this.skip();
  });

  it("the committed file equals a fresh generation (run node out/devkit/emulator/spec/generate.js after a spec change)", () => {
    assert.equal(readFileSync(GENERATED_FILE, "utf8"), render(generate(SPEC_ROOT)));
  });

  it("accepts every request body of the spec's examples for the operations the emulator validates", () => {
    const byOperation = new Map<string, string>(Object.entries(OPERATIONS));
    let checked = 0;
    for (const file of examples(join(SPEC_ROOT, SPEC_DIR, "examples"))) {
      const example = JSON.parse(readFileSync(file, "utf8"));
      const body = example.parameters?.body;
      if (body === undefined) continue;
      // Examples name their operation only by file; match them through the body schema they validate against.
      const operation = operationOf(file);
      const name = operation && byOperation.get(operation);
      if (!name) continue;
      const problem = validate(body, { ...bodySchema(name as never), required: true } as never);
      assert.equal(problem, undefined, `${file}: ${problem}`);
      checked++;
    }
    assert.ok(checked >= 8, `only ${checked} examples checked`);
  });

  it("refuses what the spec refuses: an unknown discriminator value, a missing required field, a wrong type", () => {
    const job = bodySchema("job");
    assert.match(validate({ properties: { jobType: "Nope" } }, job) ?? "", /jobType: 'Nope' is not one of/);
    assert.match(validate({ properties: { jobType: "Command", environmentId: "e" } }, job) ?? "", /command: is required/);
    assert.match(
      validate({ properties: { jobType: "Command", command: "x", environmentId: "e", inputs: { a: { jobInputType: "literal", value: 1 } } } }, job) ?? "",
      /value: must be a string/,
    );
  });
});

/** "examples/Job/CommandJob/createOrUpdate.json" → "Jobs_CreateOrUpdate" (the examples' own layout). */
function operationOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf("examples");
  const group = parts[at + 1]!;
  const action = parts[parts.length - 1]!.replace(/\.json$/, "");
  const verb =
    action === "createOrUpdate"
      ? "CreateOrUpdate"
      : action === "update"
        ? "Update"
        : action === "getLogs"
          ? "GetLogs"
          : action === "regenerateKeys"
            ? "RegenerateKeys"
            : undefined;
  if (!verb) return undefined;
  const plural: Record<string, string> = {
    Job: "Jobs",
    ComponentVersion: "ComponentVersions",
    CodeVersion: "CodeVersions",
    EnvironmentVersion: "EnvironmentVersions",
    ModelVersion: "ModelVersions",
    ModelContainer: "ModelContainers",
    OnlineEndpoint: "OnlineEndpoints",
    OnlineDeployment: "OnlineDeployments",
    Compute: "Compute",
    Datastore: "Datastores",
  };
  return plural[group] ? `${plural[group]}_${verb}` : undefined;
}
