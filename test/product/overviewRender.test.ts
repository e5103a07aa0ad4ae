/**
 * overview.md as the Marketplace shows it: Markdown → HTML (marked), rendered in headless Debian
 * chromium (/usr/bin/chromium, driven by playwright-core), a screenshot taken, and every picture must
 * have loaded (naturalWidth > 0). Skipped, saying why, when chromium or the two dev dependencies are
 * not installed (`apt-get install -y chromium`; `marked` and `playwright-core` in devDependencies).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";

const repoRoot = findRepoRoot(__dirname);
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

interface Marked {
  parse(markdown: string, options?: { async: false }): string;
}
interface Page {
  goto(url: string, options?: { waitUntil?: "load" }): Promise<unknown>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<Buffer>;
  evaluate<T>(fn: () => T): Promise<T>;
}
interface Browser {
  newPage(options?: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
}

/** A module by name without static types, so the project compiles before it is installed. */
async function optionalImport<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch {
    return undefined;
  }
}

describe("overview.md renders with its pictures (headless chromium)", function () {
  this.timeout(90_000);
  let marked: Marked;
  let playwright: Playwright;
  let tempDir: string;

  before(async function () {
    const reasons: string[] = [];
    if (!fs.existsSync(CHROMIUM)) reasons.push(`${CHROMIUM} is not installed (apt-get install -y chromium)`);
    const markedModule = await optionalImport<{ marked: Marked }>("marked");
    const playwrightModule = await optionalImport<Playwright>("playwright-core");
    if (!markedModule) reasons.push("the dev dependency 'marked' is not installed");
    if (!playwrightModule) reasons.push("the dev dependency 'playwright-core' is not installed");
    if (reasons.length > 0) {
      console.log(`      skipped: ${reasons.join("; ")}`);
      this.skip();
    }
    marked = markedModule!.marked;
    playwright = playwrightModule!;
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "overview-render-"));
  });

  after(async () => {
    if (tempDir) await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  it("shows every picture and the whole page", async () => {
    const body = marked.parse(fs.readFileSync(path.join(repoRoot, "overview.md"), "utf8"), { async: false });
    // Beside the repository's images/, as the .vsix lays them out next to overview.md.
    const htmlPath = path.join(repoRoot, "build", "overview-render.html");
    await fs.promises.mkdir(path.dirname(htmlPath), { recursive: true });
    await fs.promises.writeFile(
      htmlPath,
      `<!doctype html><html><head><meta charset="utf-8"><base href="${new URL(`file://${repoRoot}/`).href}"><title>overview</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:24px auto}img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px}</style></head>
<body>${body}</body></html>`,
    );
    const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(new URL(`file://${htmlPath}`).href, { waitUntil: "load" });
      const images = await page.evaluate(() =>
        Array.from(document.images).map((img) => ({ src: img.getAttribute("src"), naturalWidth: img.naturalWidth, complete: img.complete })),
      );
      assert.ok(images.length > 0, "overview.md shows at least one picture");
      for (const image of images) assert.ok(image.complete && image.naturalWidth > 0, `${image.src} did not load`);
      const headings = await page.evaluate(() => Array.from(document.querySelectorAll("h2")).map((h) => h.textContent ?? ""));
      const sections = [
        "The tasks",
        "What is supported, and what is not",
        "What you see",
        "A complete pipeline",
        "Long training jobs",
        "Permissions",
        "Agent requirements",
        "Troubleshooting",
        "Input reference",
        "Release notes",
      ];
      for (const heading of sections) assert.ok(headings.includes(heading), `section '${heading}'`);
      const tables = await page.evaluate(() => document.querySelectorAll("table").length);
      assert.ok(tables >= 8, "the task, permission, troubleshooting, check and input reference tables render as tables");
      const screenshotPath = path.join(tempDir, "overview.png");
      const png = await page.screenshot({ path: screenshotPath, fullPage: true });
      assert.ok(png.length > 10_000, "a real screenshot");
      assert.ok(png.readUInt32BE(20) > 900, "the page is taller than one screen (the whole overview)");
    } finally {
      await browser.close();
      await fs.promises.rm(htmlPath, { force: true });
    }
  });
});
