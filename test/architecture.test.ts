/**
 * Who may import whom (README "Architecture"), checked on the import specifiers of every .ts file
 * under tasks/, devkit/ and scripts/. Test code (test/, bench/, and *.test.ts / *.testing.ts files
 * anywhere) may import anything, but nothing else may import it. And every test file lies where
 * `npm test` (.mocharc.js) finds it.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findRepoRoot } from "../devkit/repoRoot";

const ROOT = findRepoRoot(__dirname);
const SCANNED = ["tasks", "devkit", "scripts"];

interface SourceFile {
  /** Repository-relative, with `/`. */
  path: string;
  text: string;
}

const isTestCode = (file: string) => /\.(test|testing)\.ts$/.test(file) || /^(test|bench)\//.test(file);

/** tasks/common, tasks/<Task>V1, devkit, scripts, test, bench, or the top folder. */
function partOf(file: string): string {
  const [top, second] = file.split("/");
  return top === "tasks" && second !== undefined ? `tasks/${second}` : (top ?? file);
}

/** The parts a file of `part` may import besides its own. */
function allowedTargets(part: string): string[] {
  if (part === "scripts") return ["devkit"];
  if (part.startsWith("tasks/") && part !== "tasks/common") return ["tasks/common"];
  return []; // tasks/common, devkit
}

const STATIC = /^[ \t]*(?:import|export)\b[^;]*?\bfrom[ \t]*(["'])([^"'\n]+)\1/gm;
const SIDE_EFFECT = /^[ \t]*import[ \t]*(["'])([^"'\n]+)\1/gm;
const CALL = /\b(?:import|require)[ \t]*\([ \t]*(["'])([^"'\n]+)\1[ \t]*\)/g;

/** The relative import specifiers of a file, with their 1-based lines. */
function relativeImports(text: string): { specifier: string; line: number }[] {
  const found = new Map<number, string>();
  for (const pattern of [STATIC, SIDE_EFFECT, CALL]) {
    for (const m of text.matchAll(pattern)) {
      const specifier = m[2]!;
      if (specifier.startsWith(".")) found.set(m.index! + m[0].lastIndexOf(specifier), specifier);
    }
  }
  return [...found].map(([at, specifier]) => ({ specifier, line: text.slice(0, at).split("\n").length }));
}

/** One message per forbidden import: file, line, what it imports and what its part may import. */
function importViolations(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (isTestCode(file.path)) continue;
    const part = partOf(file.path);
    const allowed = [part, ...allowedTargets(part)];
    for (const { specifier, line } of relativeImports(file.text)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
      const where = `${file.path}:${line} imports ${specifier}`;
      if (isTestCode(target.replace(/(\.js)?$/, ".ts"))) problems.push(`${where}, which is test code: only tests may import it`);
      else if (!allowed.includes(partOf(target))) problems.push(`${where} (${partOf(target)}): ${part} may import only ${allowed.join(" and ")}`);
    }
  }
  return problems;
}

function sourceFiles(dir: string): SourceFile[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [{ path: file, text: fs.readFileSync(path.join(ROOT, file), "utf8") }] : [];
  });
}

describe("architecture: who may import whom", () => {
  it("no file under tasks/, devkit/ or scripts/ imports in a forbidden direction", () => {
    const files = SCANNED.flatMap((dir) => sourceFiles(dir));
    const tasks = new Set(files.filter((f) => /^tasks\/[^/]+V\d+\/index\.ts$/.test(f.path)).map((f) => partOf(f.path)));
    const usingCommon = new Set(files.filter((f) => relativeImports(f.text).some((i) => i.specifier.startsWith("../common/"))).map((f) => partOf(f.path)));
    assert.ok(tasks.size >= 4, `the scan found ${tasks.size} tasks`);
    assert.deepEqual(
      [...tasks].filter((t) => !usingCommon.has(t)),
      [],
      "the scan reads each task's imports of tasks/common",
    );
    assert.deepEqual(importViolations(files), []);
  });

  it("fails on each forbidden direction, naming the file and the line", () => {
    const files: SourceFile[] = [
      { path: "tasks/RegisterModelV1/index.ts", text: 'import * as tl from "azure-pipelines-task-lib/task";\nimport { x } from "../../devkit/emulator";\n' },
      { path: "tasks/RegisterModelV1/operation.ts", text: 'import {\n  a,\n  b,\n} from "../DeployToAKSV1/operation";\n' },
      { path: "tasks/RegisterModelV1/inputs.ts", text: 'const build = require("../../scripts/build");\n' },
      { path: "tasks/DeployToAKSV1/index.ts", text: '\nexport { seed } from "../../test/tasks/deployToAks/fixture";\n' },
      { path: "tasks/DeployToAKSV1/loc.ts", text: 'import "./loc.testing";\n' },
      { path: "tasks/common/cloud.ts", text: 'const m = await import("../TriggerADFPipelineV1/index.js");\n' },
      { path: "devkit/harness/agentRunner.ts", text: 'import { buildTask } from "../../scripts/build";\nimport type { Case } from "../../test/l0/l0Case";\n' },
      { path: "devkit/emulator/arm/ml/jobs.ts", text: 'import { describeArmError } from "../../../../tasks/common/armErrors";\n' },
      { path: "scripts/demo.ts", text: '// a comment\nimport { runSubmitTask } from "../test/tasks/submitPipeline/run";\n' },
    ];
    assert.deepEqual(importViolations(files), [
      "tasks/RegisterModelV1/index.ts:2 imports ../../devkit/emulator (devkit): tasks/RegisterModelV1 may import only tasks/RegisterModelV1 and tasks/common",
      "tasks/RegisterModelV1/operation.ts:4 imports ../DeployToAKSV1/operation (tasks/DeployToAKSV1): tasks/RegisterModelV1 may import only tasks/RegisterModelV1 and tasks/common",
      "tasks/RegisterModelV1/inputs.ts:1 imports ../../scripts/build (scripts): tasks/RegisterModelV1 may import only tasks/RegisterModelV1 and tasks/common",
      "tasks/DeployToAKSV1/index.ts:2 imports ../../test/tasks/deployToAks/fixture, which is test code: only tests may import it",
      "tasks/DeployToAKSV1/loc.ts:1 imports ./loc.testing, which is test code: only tests may import it",
      "tasks/common/cloud.ts:1 imports ../TriggerADFPipelineV1/index.js (tasks/TriggerADFPipelineV1): tasks/common may import only tasks/common",
      "devkit/harness/agentRunner.ts:1 imports ../../scripts/build (scripts): devkit may import only devkit",
      "devkit/harness/agentRunner.ts:2 imports ../../test/l0/l0Case, which is test code: only tests may import it",
      "devkit/emulator/arm/ml/jobs.ts:1 imports ../../../../tasks/common/armErrors (tasks/common): devkit may import only devkit",
      "scripts/demo.ts:2 imports ../test/tasks/submitPipeline/run, which is test code: only tests may import it",
    ]);
  });

  it("allows a task's own files and tasks/common, scripts → devkit, and anything from test code", () => {
    const files: SourceFile[] = [
      {
        path: "tasks/RegisterModelV1/index.ts",
        text: 'import { run } from "./operation";\nimport { readString } from "../common/inputs";\nimport * as fs from "node:fs";\n',
      },
      { path: "tasks/common/azureml/scope.ts", text: 'export { isNotFound } from "../armErrors";\n' },
      { path: "scripts/localRun.ts", text: 'import { startEmulator } from "../devkit/emulator";\nimport { buildTask } from "./build";\n' },
      { path: "tasks/common/datastore.test.ts", text: 'import { RouterHarness } from "../../devkit/emulator/arm/ml/routerHarness";\n' },
      { path: "tasks/common/taskLibContext.testing.ts", text: 'import { commonMessagesPath } from "../../scripts/build";\n' },
      { path: "devkit/harness/agentRunner.test.ts", text: 'import { buildTask } from "../../scripts/build";\n' },
      {
        path: "tasks/DeployToAKSV1/endpoint.ts",
        text: '/**\n * see devkit/emulator/GUESSES.md; never import x from "../../devkit/emulator"\n */\nexport const a = 1;\n',
      },
    ];
    assert.deepEqual(importViolations(files), []);
  });
});

describe("architecture: every test file is found by npm test", () => {
  it("each *.test.ts of the compiled folders (tsconfig.json) is under a spec root of .mocharc.js", () => {
    const roots = [...fs.readFileSync(path.join(ROOT, ".mocharc.js"), "utf8").matchAll(/"out\/([\w-]+)\/\*\*\/\*\.test\.js"/g)].map((m) => m[1]!);
    const compiled = (JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as { include: string[] }).include.map(
      (glob) => glob.split("/")[0]!,
    );
    assert.ok(roots.includes("test") && roots.includes("tasks"), `spec roots read from .mocharc.js: ${roots.join(", ")}`);
    const tests = [...new Set(compiled)].flatMap((dir) => sourceFiles(dir)).filter((f) => f.path.endsWith(".test.ts"));
    assert.ok(tests.length > 50, `found ${tests.length} test files`);
    assert.deepEqual(
      tests.filter((f) => !roots.includes(f.path.split("/")[0]!)).map((f) => f.path),
      [],
      "never run by npm test: move them to their home (README Architecture) or add their folder to .mocharc.js",
    );
  });
});
