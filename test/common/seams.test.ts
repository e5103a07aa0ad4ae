/**
 * Source scan of the seams between the tasks (issue 18): one message lookup type (`Loc`, in
 * tasks/common/loc.ts) and no task-lib message lookup in shared code outside the entry runner, so
 * no module's wording depends on which task set task-lib's resource file last; and the same file
 * names for the same roles in every task (index.ts entry, inputs.ts with `readInputs`, operation.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";

const ROOT = findRepoRoot(__dirname);

interface SourceFile {
  /** Repository-relative, with `/`. */
  path: string;
  text: string;
}

const isTestCode = (file: string) => /\.(test|testing)\.ts$/.test(file);
/** Code lines only (comments may name task-lib's functions); a block comment keeps its line breaks, so lines keep their numbers. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, "")).replace(/(^|[^:])\/\/.*$/gm, "$1");

/** Shipped files of tasks/common that call task-lib's loc or set its resource file (only taskEntry.ts may). */
function globalLocUses(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (!file.path.startsWith("tasks/common/") || isTestCode(file.path) || file.path === "tasks/common/taskEntry.ts") continue;
    for (const [i, line] of code(file.text).split("\n").entries()) {
      if (/\btl\.loc\b|\bsetResourcePath\b/.test(line)) problems.push(`${file.path}:${i + 1} uses task-lib's messages; take \`loc\` from the context instead`);
    }
  }
  return problems;
}

/** Message lookup types declared anywhere under tasks/ but tasks/common/loc.ts. */
function extraLocTypes(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (file.path === "tasks/common/loc.ts") continue;
    for (const [i, line] of code(file.text).split("\n").entries()) {
      if (/\btype\s+\w+\s*=\s*\(\s*key\s*:\s*string\s*,\s*\.\.\.\w+\s*:\s*unknown\[\]\s*\)\s*=>\s*string/.test(line)) {
        problems.push(`${file.path}:${i + 1} declares its own message lookup type; use Loc from tasks/common/loc.ts`);
      }
    }
  }
  return problems;
}

/** Task folders without the role files: index.ts, inputs.ts exporting readInputs, operation.ts. */
function missingRoles(taskFolders: { name: string; files: Map<string, string> }[]): string[] {
  const problems: string[] = [];
  for (const task of taskFolders) {
    for (const role of ["index.ts", "inputs.ts", "operation.ts"]) {
      if (!task.files.has(role)) problems.push(`tasks/${task.name} has no ${role}`);
    }
    const inputs = task.files.get("inputs.ts");
    if (inputs !== undefined && !/export function readInputs\(/.test(inputs)) problems.push(`tasks/${task.name}/inputs.ts does not export readInputs`);
  }
  return problems;
}

function sourcesUnder(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourcesUnder(rel));
    else if (entry.name.endsWith(".ts")) out.push({ path: rel, text: fs.readFileSync(path.join(ROOT, rel), "utf8") });
  }
  return out;
}

function taskFolders(): { name: string; files: Map<string, string> }[] {
  return fs
    .readdirSync(path.join(ROOT, "tasks"))
    .filter((name) => fs.existsSync(path.join(ROOT, "tasks", name, "task.json")))
    .map((name) => {
      const dir = path.join(ROOT, "tasks", name);
      const files = new Map(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".ts"))
          .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")] as const),
      );
      return { name, files };
    });
}

describe("seams between the tasks: one Loc, one shape", () => {
  const files = sourcesUnder("tasks");

  it("tasks/common words messages with the context's loc: no task-lib loc nor resource path outside taskEntry.ts", () => {
    assert.deepEqual(globalLocUses(files), []);
  });

  it("one message lookup type under tasks/: Loc of tasks/common/loc.ts", () => {
    assert.deepEqual(extraLocTypes(files), []);
  });

  it("every task has index.ts, inputs.ts (readInputs) and operation.ts", () => {
    const tasks = taskFolders();
    assert.ok(tasks.length >= 4, `found ${tasks.length} task folders`);
    assert.deepEqual(missingRoles(tasks), []);
  });

  it("the scans catch planted violations, naming file and line", () => {
    const planted: SourceFile[] = [
      { path: "tasks/common/planted.ts", text: '/**\n * tl.loc in a comment is fine\n */\nconst a = 1; // tl.loc\nthrow new Error(tl.loc("Common_X"));\n' },
      { path: "tasks/common/taskEntry.ts", text: 'tl.setResourcePath("x");\n' },
      { path: "tasks/common/planted.test.ts", text: 'tl.setResourcePath("x");\n' },
      { path: "tasks/common/other.ts", text: "tl.setResourcePath(file);\n" },
      { path: "tasks/XV1/loc.ts", text: "export type Localize = (key: string, ...args: unknown[]) => string;\n" },
    ];
    assert.deepEqual(globalLocUses(planted), [
      "tasks/common/planted.ts:5 uses task-lib's messages; take `loc` from the context instead",
      "tasks/common/other.ts:1 uses task-lib's messages; take `loc` from the context instead",
    ]);
    assert.deepEqual(extraLocTypes(planted), ["tasks/XV1/loc.ts:1 declares its own message lookup type; use Loc from tasks/common/loc.ts"]);
    const task = {
      name: "XV1",
      files: new Map([
        ["index.ts", ""],
        ["inputs.ts", "export function readRequest() {}"],
      ]),
    };
    assert.deepEqual(missingRoles([task]), ["tasks/XV1 has no operation.ts", "tasks/XV1/inputs.ts does not export readInputs"]);
  });
});
