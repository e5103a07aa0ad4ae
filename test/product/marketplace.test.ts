/**
 * The Marketplace listing: vss-extension.json has what the listing needs, overview.md tells a user
 * what each task does and exactly which roles to assign, the pictures it shows exist, and the
 * committed pictures are the ones scripts/productImages.ts generates.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { discoverTaskFolders } from "../../scripts/build";
import { findRepoRoot } from "../../scripts/repoRoot";
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
    assert.ok(manifest["files"].some((f: { path: string; addressable?: boolean }) => f.path === "images" && f.addressable), "images/ is addressable for overview.md");
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
      "Azure Kubernetes Service Cluster User Role",
      "Reader",
      "Storage Blob Data Contributor",
    ]) {
      assert.ok(overview.includes(`**${role}**`), `overview.md names **${role}**`);
    }
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
