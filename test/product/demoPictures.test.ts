/**
 * The Marketplace screenshots (scripts/demoPictures.ts): listed in vss-extension.json at the size
 * the manifest reference documents (1366×768), shown by overview.md, and made from a real demo run:
 * the pages the script renders hold every summary the tasks uploaded and the training step's own
 * log lines.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runDemo } from "../../scripts/demo";
import { LOG_STEP, SCREENSHOT_SIZE, demoPicturePages } from "../../scripts/demoPictures";
import { findRepoRoot } from "../../devkit/repoRoot";

const repoRoot = findRepoRoot(__dirname);

function pngSize(file: string): { width: number; height: number } {
  const png = fs.readFileSync(path.join(repoRoot, file));
  assert.equal(png.toString("latin1", 1, 4), "PNG", `${file} is a PNG`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("Marketplace screenshots of a real demo run", function () {
  this.timeout(120_000);

  it("are the manifest's screenshots, 1366×768, and overview.md shows them", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "vss-extension.json"), "utf8")) as { screenshots: { path: string }[] };
    assert.deepEqual(
      manifest.screenshots.map((s) => s.path),
      ["images/build-summary.png", "images/step-log.png"],
    );
    const overview = fs.readFileSync(path.join(repoRoot, "overview.md"), "utf8");
    for (const { path: file } of manifest.screenshots) {
      assert.deepEqual(pngSize(file), SCREENSHOT_SIZE, file);
      assert.ok(overview.includes(`](${file})`), `overview.md shows ${file}`);
    }
  });

  it("are rendered from the tasks' own output: every uploaded summary and the training step's log", async () => {
    const lines: string[] = [];
    const result = await runDemo({ write: (l) => lines.push(l) });
    assert.equal(result.succeeded, true, lines.join("\n"));
    const pages = await demoPicturePages(result, lines);
    const summaries = result.steps.flatMap((s) => s.run?.summaries ?? []);
    assert.ok(summaries.length >= 3, "the tasks uploaded their summaries");
    for (const s of summaries) assert.ok(pages.summary.includes(path.basename(s.path, ".md").replace(/&/g, "&#38;")), `the summary tab shows ${s.path}`);
    const train = result.steps.find((s) => s.displayName === LOG_STEP)?.run;
    const jobName = train?.variables["JobName"]?.value;
    assert.ok(jobName);
    assert.match(pages.log, new RegExp(`output variable JobName = ${jobName}`));
    assert.match(pages.log, /Submitted job/);
    assert.ok(!pages.log.includes(repoRoot), "no path of this machine");
  });
});
