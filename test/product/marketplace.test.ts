/**
 * The Marketplace listing: vss-extension.json has what the listing needs, overview.md tells a user
 * what each task does and exactly which roles to assign, the pictures it shows exist, and the
 * committed pictures are the ones scripts/productImages.ts generates.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { discoverTaskFolders } from "../../scripts/build";
import { findRepoRoot } from "../../devkit/repoRoot";
import { renderLifecycleDiagram, renderTaskIcon, TASK_PICTURES } from "../../scripts/productImages";

const repoRoot = findRepoRoot(__dirname);
const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), "utf8");

function pngSize(file: string): { width: number; height: number } {
  const png = fs.readFileSync(path.join(repoRoot, file));
  assert.equal(png.toString("latin1", 1, 4), "PNG", `${file} is a PNG`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("Marketplace listing", () => {
  const manifest = JSON.parse(read("vss-extension.json")) as Record<string, any>;
  const overview = read("overview.md");
  const tasks = discoverTaskFolders(path.join(repoRoot, "tasks")).folders;

  it("vss-extension.json: category, tags, icon, details, links, repository", () => {
    assert.deepEqual(manifest["categories"], ["Azure Pipelines"]);
    for (const tag of ["MLOps", "Azure Machine Learning", "Azure Data Factory", "AKS"]) assert.ok(manifest["tags"].includes(tag), tag);
    assert.deepEqual(pngSize(manifest["icons"]["default"]), { width: 128, height: 128 });
    assert.equal(manifest["content"]["details"]["path"], "overview.md");
    for (const link of ["getstarted", "learn", "support", "license"]) assert.match(manifest["links"][link]["uri"], /^https:\/\//, link);
    assert.equal(manifest["repository"]["type"], "git");
    assert.ok(manifest["description"].length <= 200);
    for (const shot of manifest["screenshots"] ?? []) assert.ok(fs.existsSync(path.join(repoRoot, shot.path)), shot.path);
    assert.ok(!("version" in manifest), "the version comes from package.json at package time");
    assert.ok(!("contributions" in manifest), "task contributions are generated from tasks/ by scripts/package.ts");
    assert.ok(
      manifest["files"].some((f: { path: string; addressable?: boolean }) => f.path === "images" && f.addressable),
      "images/ is addressable for overview.md",
    );
    assert.ok(fs.existsSync(path.join(repoRoot, "LICENSE")) && /MIT License/.test(read("LICENSE")));
  });

  it("overview.md describes every task, with a YAML example and the pictures it shows", () => {
    assert.ok(tasks.length >= 4);
    for (const folder of tasks) {
      const name = folder.replace(/V(\d+)$/, "@$1");
      assert.ok(overview.includes(`\`${name}\``), `overview.md names ${name}`);
      assert.ok(overview.includes(`- task: ${name}`), `the YAML example uses ${name}`);
    }
    const pictures = [...overview.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)];
    assert.ok(pictures.length > 0);
    for (const [, alt, file] of pictures) {
      assert.ok(alt.length > 10, `${file} has alt text`);
      assert.ok(file.startsWith("images/") && fs.existsSync(path.join(repoRoot, file)), `${file} exists under images/`);
    }
  });

  it("overview.md names the exact roles each task needs", () => {
    for (const role of [
      "Data Factory Contributor",
      "AzureML Data Scientist",
      "AzureML Compute Operator",
      "Contributor",
      "Reader",
      "Storage Blob Data Contributor",
    ]) {
      assert.ok(overview.includes(`**${role}**`), `overview.md names **${role}**`);
    }
    // DeployToAKS only reads the cluster: no role that lets it get cluster credentials or change it.
    assert.ok(!overview.includes("Cluster User Role"), "a role the code does not need");
  });

  describe("overview.md's claims match the code", () => {
    const manifests = tasks.map((folder) => ({ folder, json: JSON.parse(read(`tasks/${folder}/task.json`)) as Record<string, any> }));

    it("the input reference lists every input of every task with its YAML aliases and default, and its outputs", () => {
      for (const { folder, json } of manifests) {
        const start = overview.indexOf(`### \`${folder.replace(/V(\d+)$/, "@$1")}\``);
        assert.ok(start > overview.indexOf("## Input reference"), `${folder} has an input reference section`);
        const section = overview.slice(start, overview.indexOf("\n#", start + 4));
        for (const input of json["inputs"] as { name: string; aliases?: string[]; defaultValue?: string; required?: boolean }[]) {
          const aliases = input.aliases?.length ? ` (${input.aliases.map((a) => `\`${a}\``).join(", ")})` : "";
          const row = section.split("\n").find((l) => l.startsWith(`| \`${input.name}\`${aliases} |`));
          assert.ok(row, `${folder}: input ${input.name}${aliases} is in the reference`);
          if (!input.required && input.defaultValue)
            assert.ok(row.includes(`| \`${input.defaultValue}\` |`), `${folder}: ${input.name} default ${input.defaultValue}`);
        }
        for (const output of json["outputVariables"] as { name: string }[])
          assert.ok(section.includes(`\`<step>.${output.name}\``), `${folder}: output ${output.name}`);
      }
    });

    it("the agent version is the tasks' minimumAgentVersion", () => {
      const versions = new Set(manifests.map((m) => m.json["minimumAgentVersion"] as string));
      assert.equal(versions.size, 1);
      assert.ok(overview.includes(`agent **${[...versions][0]}** or later`));
    });

    it("waiting: no limit of its own by default, alias timeoutInMinutes, 0 allowed and the same polling default everywhere", () => {
      const waiting = manifests.filter((m) => m.json["inputs"].some((i: { name: string }) => i.name === "waitTimeoutInMinutes"));
      assert.deepEqual(waiting.map((m) => m.folder).sort(), ["DeployToAKSV1", "SubmitAzureMLPipelineV1", "TriggerADFPipelineV1"]);
      for (const { folder, json } of waiting) {
        const input = (name: string) => json["inputs"].find((i: { name: string }) => i.name === name);
        assert.deepEqual([input("waitTimeoutInMinutes").defaultValue, input("waitTimeoutInMinutes").aliases], ["0", ["timeoutInMinutes"]], folder);
        assert.equal(input("pollingIntervalSeconds").defaultValue, "30", folder);
      }
      assert.match(overview, /`waitTimeoutInMinutes` \(YAML alias\s+`timeoutInMinutes`[^)]*\) is `0` by default/);
    });

    it("Submit Azure ML pipeline supports the job types the page names, and only those", () => {
      // The loader's job types (its refusal lists them from this table: task.json LoaderUnsupportedJobType).
      assert.match(read("tasks/SubmitAzureMLPipelineV1/loader/loadJob.ts"), /JOB_TYPES[^=]*= \{ pipeline: "pipeline", command: "command" \}/);
      assert.match(overview, /for `type: pipeline`\s+and `type: command` jobs/);
    });

    it("Submit Azure ML pipeline supports the step types the page names", () => {
      // pipelineSteps.ts STEP_TYPES: the step types sent; the others are refused (LoaderStepTypeUnsupported).
      assert.match(read("tasks/SubmitAzureMLPipelineV1/loader/pipelineSteps.ts"), /STEP_TYPES = \["command", "parallel", "sweep", "pipeline"\] as const/);
      assert.match(overview, /Pipeline steps are `command`, `parallel`, `sweep` or `pipeline` steps/);
      assert.match(read("tasks/SubmitAzureMLPipelineV1/task.json"), /\(supported: command, parallel, sweep, pipeline\); %s/);
    });

    it("Deploy model to AKS only reads the cluster (one call on it: managedClusters.get)", () => {
      const dir = path.join(repoRoot, "tasks", "DeployToAKSV1");
      const calls = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
        .flatMap((f) => [...fs.readFileSync(path.join(dir, f), "utf8").matchAll(/\baks\.(\w+)\.(\w+)\(/g)].map((m) => `${m[1]}.${m[2]}`));
      assert.deepEqual([...new Set(calls)], ["managedClusters.get"]);
      assert.match(overview, /\*\*Reader\*\* \| the AKS cluster \(the task reads it; it never changes it\)/);
    });

    it("the release notes are in CHANGELOG.md and name the wait limit change", () => {
      assert.match(read("CHANGELOG.md"), /## Unreleased[\s\S]*waitTimeoutInMinutes[\s\S]*## 1\.0\.0/);
      assert.ok(overview.includes("CHANGELOG.md"));
    });
  });

  it("each task has its own generated 32×32 icon, and the diagram is the generated one", () => {
    assert.deepEqual(TASK_PICTURES.map((t) => t.folder).sort(), [...tasks].sort());
    for (const task of TASK_PICTURES) {
      const file = path.join("tasks", task.folder, "icon.png");
      assert.deepEqual(pngSize(file), { width: 32, height: 32 });
      assert.ok(fs.readFileSync(path.join(repoRoot, file)).equals(renderTaskIcon(task)), `${file} is stale: run node out/scripts/productImages.js`);
    }
    assert.ok(fs.readFileSync(path.join(repoRoot, "images", "lifecycle.png")).equals(renderLifecycleDiagram()), "images/lifecycle.png is stale");
  });
});
