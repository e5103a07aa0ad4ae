/**
 * Checks on a task.json that the official schema cannot express: identity and version rules,
 * handlers, references between inputs, groups and data sources, and `tl.loc` keys against
 * `messages`. Each check returns problems as sentences; an empty list means the task is fine.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkExecutionTargets, parseVersion, type TaskVersion } from "../scripts/build";

/**
 * Node20_1 is the handler every agent since 3.232.1 has (Microsoft's Node 24 migration guide);
 * the Node24 handler (agent 4.265.1+) is declared too, and an agent that lacks it runs Node20_1,
 * so requiring 4.265.1 would only force needless agent upgrades.
 */
export const MINIMUM_AGENT_VERSION = "3.232.1";

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const VISIBLE_RULE_CLAUSE = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:!=|=|<=|>=|<|>|NotEndsWith|EndsWith|NotContains|Contains)/;
const INPUT_REFERENCE = /\$\(([A-Za-z][A-Za-z0-9]*)\)/g;
const LOC_CALL = /\bloc\(\s*["'`]([A-Za-z0-9_.-]+)["'`]/g;
const RELATIVE_IMPORT = /(?:from|import|require\()\s*["'](\.{1,2}\/[^"']+)["']/g;

interface TaskInput {
  name?: unknown;
  helpMarkDown?: unknown;
  groupName?: unknown;
  visibleRule?: unknown;
}

interface TaskManifest {
  id?: unknown;
  name?: unknown;
  friendlyName?: unknown;
  version?: Partial<Record<keyof TaskVersion, unknown>>;
  minimumAgentVersion?: unknown;
  groups?: { name?: unknown; visibleRule?: unknown }[];
  inputs?: TaskInput[];
  dataSourceBindings?: Record<string, unknown>[];
  outputVariables?: { name?: unknown }[];
  messages?: Record<string, unknown>;
  [key: string]: unknown;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

function duplicates(values: unknown[]): string[] {
  const seen = new Set<unknown>();
  const repeated = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) {
      repeated.add(String(value));
    }
    seen.add(value);
  }
  return [...repeated];
}

/** Input names a visibleRule compares, or an error for a clause it cannot read. */
export function visibleRuleInputs(rule: string): { names: string[]; unreadable: string[] } {
  const names: string[] = [];
  const unreadable: string[] = [];
  for (const clause of rule.split(/&&|\|\|/)) {
    const match = VISIBLE_RULE_CLAUSE.exec(clause);
    if (match) {
      names.push(match[1]);
    } else {
      unreadable.push(clause.trim());
    }
  }
  return { names, unreadable };
}

/** Identity, version, handler and cross-reference checks of one task.json. */
export function checkTaskManifest(manifest: TaskManifest, options: { folder: string; packageVersion: string }): string[] {
  const problems: string[] = [];
  const { folder } = options;

  if (typeof manifest.id !== "string" || !GUID.test(manifest.id)) {
    problems.push(`id ${JSON.stringify(manifest.id)} is not a GUID`);
  }
  const folderMatch = /^(.+)V(\d+)$/.exec(folder);
  if (!folderMatch) {
    problems.push(`folder ${folder} is not <Name>V<major>`);
  } else {
    if (manifest.name !== folderMatch[1]) {
      problems.push(`name ${JSON.stringify(manifest.name)} should be "${folderMatch[1]}" (the folder name without V${folderMatch[2]})`);
    }
    if (manifest.version?.Major !== Number(folderMatch[2])) {
      problems.push(`version.Major ${JSON.stringify(manifest.version?.Major)} should be ${folderMatch[2]} (the folder's V${folderMatch[2]})`);
    }
  }
  if (typeof manifest.friendlyName !== "string" || manifest.friendlyName.length === 0 || manifest.friendlyName.length > 40) {
    problems.push("friendlyName must be 1 to 40 characters (tfx refuses longer ones)");
  }

  const expected = parseVersion(options.packageVersion);
  for (const part of ["Major", "Minor", "Patch"] as const) {
    const value = manifest.version?.[part];
    if (typeof value !== "number") {
      problems.push(`version.${part} must be a number, not ${JSON.stringify(value)}`);
    } else if (value !== expected[part]) {
      problems.push(`version.${part} is ${value} but package.json's version ${options.packageVersion} says ${expected[part]}`);
    }
  }

  try {
    checkExecutionTargets(manifest, "task.json");
  } catch (err) {
    problems.push((err as Error).message);
  }

  if (typeof manifest.minimumAgentVersion !== "string" || !/^\d+\.\d+(\.\d+)?$/.test(manifest.minimumAgentVersion)) {
    problems.push(`minimumAgentVersion must be a version string, at least ${MINIMUM_AGENT_VERSION}`);
  } else if (compareVersions(manifest.minimumAgentVersion, MINIMUM_AGENT_VERSION) < 0) {
    problems.push(`minimumAgentVersion ${manifest.minimumAgentVersion} is below ${MINIMUM_AGENT_VERSION}, the first agent with the Node20_1 handler`);
  }

  const inputs = manifest.inputs ?? [];
  const inputNames = new Set(inputs.map((input) => input.name));
  const groupNames = new Set((manifest.groups ?? []).map((group) => group.name));
  for (const name of duplicates(inputs.map((input) => input.name))) {
    problems.push(`input ${name} is declared twice`);
  }
  for (const name of duplicates((manifest.outputVariables ?? []).map((variable) => variable.name))) {
    problems.push(`output variable ${name} is declared twice`);
  }
  const checkRule = (owner: string, rule: unknown) => {
    if (rule === undefined) {
      return;
    }
    if (typeof rule !== "string") {
      problems.push(`${owner}: visibleRule must be a string`);
      return;
    }
    const { names, unreadable } = visibleRuleInputs(rule);
    for (const clause of unreadable) {
      problems.push(`${owner}: visibleRule clause "${clause}" is not "<input> <operator> <value>"`);
    }
    for (const name of names) {
      if (!inputNames.has(name)) {
        problems.push(`${owner}: visibleRule refers to unknown input ${name}`);
      }
    }
  };
  for (const input of inputs) {
    const owner = `input ${String(input.name)}`;
    if (typeof input.helpMarkDown !== "string" || input.helpMarkDown.trim().length === 0) {
      problems.push(`${owner} has no helpMarkDown`);
    }
    if (input.groupName !== undefined && !groupNames.has(input.groupName)) {
      problems.push(`${owner}: groupName ${JSON.stringify(input.groupName)} is not a declared group`);
    }
    checkRule(owner, input.visibleRule);
  }
  for (const group of manifest.groups ?? []) {
    checkRule(`group ${String(group.name)}`, group.visibleRule);
  }

  for (const [index, binding] of (manifest.dataSourceBindings ?? []).entries()) {
    const owner = `dataSourceBindings[${index}]`;
    if (!inputNames.has(binding["target"])) {
      problems.push(`${owner}: target ${JSON.stringify(binding["target"])} is not an input`);
    }
    for (const name of referencedInputs(binding)) {
      if (!inputNames.has(name)) {
        problems.push(`${owner} refers to unknown input $(${name})`);
      }
    }
  }
  return problems;
}

/** `$(input)` references anywhere in a value (strings, nested objects such as `parameters`). */
function referencedInputs(value: unknown): string[] {
  if (typeof value === "string") {
    return [...value.matchAll(INPUT_REFERENCE)].map((match) => match[1]);
  }
  if (value && typeof value === "object") {
    return Object.values(value).flatMap(referencedInputs);
  }
  return [];
}

/**
 * The TypeScript sources a task's entry reaches: every non-test .ts file in the task folder and
 * the files they import relatively (e.g. tasks/common/...), transitively.
 */
export function taskSourceFiles(taskDir: string): string[] {
  const queue = fs
    .readdirSync(taskDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && !file.endsWith(".d.ts"))
    .map((file) => path.join(taskDir, file));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !fs.existsSync(file)) {
      continue;
    }
    seen.add(file);
    for (const match of fs.readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
      const target = path.resolve(path.dirname(file), match[1]);
      const candidates = [target.replace(/\.js$/, ".ts"), `${target}.ts`, path.join(target, "index.ts")];
      const found = candidates.find((candidate) => candidate.endsWith(".ts") && fs.existsSync(candidate));
      if (found) {
        queue.push(found);
      }
    }
  }
  return [...seen].sort();
}

/** Keys passed as string literals to `loc(...)` / `tl.loc(...)` in these files. */
export function locKeysUsed(files: string[]): Set<string> {
  const keys = new Set<string>();
  for (const file of files) {
    for (const match of fs.readFileSync(file, "utf8").matchAll(LOC_CALL)) {
      keys.add(match[1]);
    }
  }
  return keys;
}

/** Every used key exists in `messages`, and every message is used. */
export function checkMessages(messages: Record<string, unknown> | undefined, used: Set<string>): string[] {
  const declared = new Set(Object.keys(messages ?? {}));
  const problems: string[] = [];
  for (const key of [...used].sort()) {
    if (!declared.has(key)) {
      problems.push(`loc key ${key} is used but not in messages`);
    }
  }
  for (const key of [...declared].sort()) {
    if (!used.has(key)) {
      problems.push(`message ${key} is never used with loc()`);
    }
  }
  return problems;
}
