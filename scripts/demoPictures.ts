/**
 * The Marketplace pictures of a real run: images/build-summary.png (the build's summary tab with the
 * sections the four tasks uploaded) and images/step-log.png (the training step's log), both from an
 * actual `runDemo` against the emulator — the text is the tasks' own output (their uploaded
 * Markdown summaries and their log lines as scripts/stepLog.ts reads them), laid out like the Azure
 * Pipelines web view and rendered in headless chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) at 1366×768, the size the extension manifest reference gives for screenshots
 * (https://learn.microsoft.com/azure/devops/extend/develop/manifest, "screenshots").
 *
 *   npm run build && node out/scripts/demoPictures.js
 */
import * as path from "node:path";
import { runDemo, type DemoResult } from "./demo";
import { findRepoRoot } from "../devkit/repoRoot";

export const SCREENSHOT_SIZE = { width: 1366, height: 768 };
export const CHROMIUM = "/usr/bin/chromium";
/** The step whose log the picture shows (its display name in samples/azure-pipelines.yml). */
export const LOG_STEP = "Train the churn model (Azure ML pipeline)";

export interface DemoPicturePages {
  summary: string;
  log: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAGE_STYLE = `body{margin:0;font-family:"DejaVu Sans",sans-serif;font-size:14px;color:#201f1e;background:#fff}
header{background:#0078d4;color:#fff;padding:10px 24px;font-size:16px}
nav{border-bottom:1px solid #e1dfdd;padding:0 24px}nav span{display:inline-block;padding:10px 12px;color:#605e5c}nav span.on{color:#201f1e;border-bottom:2px solid #0078d4;font-weight:bold}
main{padding:12px 24px;columns:2;column-gap:24px}
section{break-inside:avoid;border:1px solid #e1dfdd;border-radius:4px;margin:0 0 12px;padding:8px 12px}
section h2{font-size:14px;margin:0 0 6px;color:#0078d4}
section h1,section h3{font-size:13px;margin:6px 0}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #e1dfdd;padding:2px 6px;text-align:left}
p,li{font-size:12px;margin:3px 0}ul{margin:2px 0;padding-left:18px}code{font-family:"DejaVu Sans Mono",monospace;font-size:11px}`;

const LOG_STYLE = `body{margin:0;font-family:"DejaVu Sans",sans-serif;background:#1e1e1e;color:#d4d4d4}
header{background:#252526;color:#fff;padding:10px 24px;font-size:15px;border-bottom:1px solid #3c3c3c}
pre{margin:0;padding:8px 0;font-family:"DejaVu Sans Mono",monospace;font-size:13px;line-height:1.45}
.l{display:block;padding:0 24px;white-space:pre}.n{display:inline-block;width:36px;color:#858585;text-align:right;margin-right:16px}
.w{color:#cca700}.e{color:#f48771}.v{color:#9cdcfe}.g{color:#4ec9b0}`;

/** The two pages, from a demo run's results and the lines it wrote. */
export async function demoPicturePages(result: DemoResult, lines: readonly string[]): Promise<DemoPicturePages> {
  const { marked } = (await import("marked")) as { marked: { parse(markdown: string, options: { async: false }): string } };
  const sections = result.steps.flatMap((step) =>
    (step.run?.summaries ?? []).map(
      (s) => `<section><h2>${escapeHtml(path.basename(s.path, ".md"))}</h2>${marked.parse(s.content, { async: false })}</section>`,
    ),
  );
  const steps = result.steps.map((s) => `${s.displayName}: ${s.result}`).join(" · ");
  const summary = `<!doctype html><html><head><meta charset="utf-8"><style>${PAGE_STYLE}</style></head><body>
<header>mlops-demo · azure-pipelines.yml · ${escapeHtml(result.succeeded ? "Succeeded" : "Failed")}</header>
<nav><span class="on">Summary</span><span>Tests</span><span>Code coverage</span></nav>
<main><section><h2>Jobs</h2><p>${escapeHtml(steps)}</p></section>${sections.join("\n")}</main></body></html>`;

  const start = lines.findIndex((l) => l.startsWith("── ") && l.includes(LOG_STEP));
  if (start < 0) throw new Error(`the demo wrote no log for the step '${LOG_STEP}'`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("── "));
  // The demo's sources folder shown as a hosted agent's (System.DefaultWorkingDirectory).
  const repoRoot = findRepoRoot(__dirname);
  const body = lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.replace(/^ {2}/, "").split(repoRoot).join("/home/vsts/work/1/s"));
  const klass = (l: string) => (/WARNING:/.test(l) ? "w" : /ERROR:/.test(l) ? "e" : /output variable/.test(l) ? "v" : /^\s*▸/.test(l) ? "g" : "");
  const log = `<!doctype html><html><head><meta charset="utf-8"><style>${LOG_STYLE}</style></head><body>
<header>${escapeHtml(LOG_STEP)}</header><pre>${body
    .map((l, i) => `<span class="l ${klass(l)}"><span class="n">${i + 1}</span>${escapeHtml(l)}</span>`)
    .join("")}</pre></body></html>`;
  return { summary, log };
}

interface Browser {
  newPage(options: { viewport: { width: number; height: number } }): Promise<{
    setContent(html: string, options: { waitUntil: "load" }): Promise<void>;
    screenshot(options: { path: string; fullPage: false }): Promise<Buffer>;
  }>;
  close(): Promise<void>;
}

/** Screenshots of the pages at SCREENSHOT_SIZE, written to `images/`. */
export async function renderDemoPictures(pages: DemoPicturePages, imagesDir: string): Promise<string[]> {
  const { chromium } = (await import("playwright-core")) as {
    chromium: { launch(o: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const written: string[] = [];
    for (const [name, html] of [
      ["build-summary.png", pages.summary],
      ["step-log.png", pages.log],
    ] as const) {
      const page = await browser.newPage({ viewport: SCREENSHOT_SIZE });
      await page.setContent(html, { waitUntil: "load" });
      const file = path.join(imagesDir, name);
      await page.screenshot({ path: file, fullPage: false });
      written.push(file);
    }
    return written;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const result = await runDemo({ write: (l) => lines.push(l) });
  if (!result.succeeded) throw new Error(`the demo failed:\n${lines.join("\n")}`);
  const imagesDir = path.join(findRepoRoot(__dirname), "images");
  for (const file of await renderDemoPictures(await demoPicturePages(result, lines), imagesDir)) console.log(`wrote ${file}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  });
}
