/**
 * The part of an azure-pipelines.yml a local run needs: the pipeline variables and the jobs (top-level
 * `steps:` are one job; `jobs:` with `job`, `dependsOn`, `variables` and `steps`), their task steps
 * with `name` and `inputs` (script steps are kept so a caller can say what it does with them), plus
 * `$(...)` macro expansion as the agent does it: case-insensitive names, unknown macros left as they are.
 *
 * Scalars are read as written (YAML failsafe schema): the pipeline's YAML gives a task its inputs as
 * strings, so `1.10` stays `1.10` and `0x1F` stays `0x1F` (no YAML 1.1/core number or boolean coercion).
 */
import * as yaml from "js-yaml";

export interface TaskStep {
  kind: "task";
  /** As written, e.g. "TriggerADFPipeline@1". */
  reference: string;
  /** "TriggerADFPipeline" */
  taskName: string;
  majorVersion: number;
  /** The step's reference name (`name:`): its output variables are `<name>.<variable>`. */
  name?: string;
  displayName: string;
  /** Input values as written (YAML scalars turned into strings), before macro expansion. */
  inputs: Record<string, string>;
}

export interface ScriptStep {
  kind: "script";
  displayName: string;
  script: string;
}

export type PipelineStep = TaskStep | ScriptStep;

export interface PipelineJob {
  /** `job:` (top-level `steps:`: "Job"). */
  name: string;
  dependsOn: string[];
  /**
   * Job variables; a value may be the runtime expression
   * `$[ dependencies.<job>.outputs['<step name>.<variable>'] ]` (see jobVariableReference).
   */
  variables: Record<string, string>;
  steps: PipelineStep[];
}

export interface PipelineDefinition {
  variables: Record<string, string>;
  jobs: PipelineJob[];
  /** Every job's steps, in order. */
  steps: PipelineStep[];
}

export class PipelineYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PipelineYamlError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalar(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  throw new PipelineYamlError(`${where} must be a scalar (not a list or mapping).`);
}

function readVariables(value: unknown): Record<string, string> {
  const variables: Record<string, string> = {};
  if (value === undefined || value === null) return variables;
  if (isRecord(value)) {
    for (const [name, v] of Object.entries(value)) variables[name] = scalar(v, `variables.${name}`);
    return variables;
  }
  if (Array.isArray(value)) {
    for (const [i, entry] of value.entries()) {
      if (!isRecord(entry) || typeof entry["name"] !== "string") {
        throw new PipelineYamlError(`variables[${i}] must be { name, value } (variable groups and templates are not supported here).`);
      }
      variables[entry["name"]] = scalar(entry["value"] ?? "", `variables[${i}].value`);
    }
    return variables;
  }
  throw new PipelineYamlError("variables must be a mapping or a list of { name, value }.");
}

function readStep(value: unknown, index: number): PipelineStep {
  const where = `steps[${index}]`;
  if (!isRecord(value)) throw new PipelineYamlError(`${where} must be a mapping.`);
  const displayName = typeof value["displayName"] === "string" ? value["displayName"] : undefined;
  if (typeof value["task"] === "string") {
    const reference = value["task"];
    const match = /^([A-Za-z0-9-]+)@(\d+)$/.exec(reference.trim());
    if (!match) throw new PipelineYamlError(`${where}.task '${reference}' must look like <TaskName>@<major version>.`);
    const inputs: Record<string, string> = {};
    const rawInputs = value["inputs"] ?? {};
    if (!isRecord(rawInputs)) throw new PipelineYamlError(`${where}.inputs must be a mapping.`);
    for (const [name, v] of Object.entries(rawInputs)) inputs[name] = scalar(v, `${where}.inputs.${name}`);
    const name = value["name"];
    if (name !== undefined && (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) {
      throw new PipelineYamlError(`${where}.name must be letters, digits and '_' (it prefixes the step's output variables).`);
    }
    return { kind: "task", reference, taskName: match[1], majorVersion: Number(match[2]), name, displayName: displayName ?? reference, inputs };
  }
  for (const key of ["script", "bash", "pwsh", "powershell"]) {
    if (typeof value[key] === "string") return { kind: "script", displayName: displayName ?? key, script: value[key] as string };
  }
  throw new PipelineYamlError(`${where} is neither a task step nor a script step.`);
}

function readJob(value: unknown, index: number): PipelineJob {
  const where = `jobs[${index}]`;
  if (!isRecord(value) || typeof value["job"] !== "string")
    throw new PipelineYamlError(`${where} must be a mapping with job: <name> (deployment jobs and templates are not supported here).`);
  if (!Array.isArray(value["steps"])) throw new PipelineYamlError(`${where} (${value["job"]}) must have steps:.`);
  const dependsOn =
    value["dependsOn"] === undefined
      ? []
      : Array.isArray(value["dependsOn"])
        ? value["dependsOn"].map((d, i) => scalar(d, `${where}.dependsOn[${i}]`))
        : [scalar(value["dependsOn"], `${where}.dependsOn`)];
  const variables = readVariables(value["variables"]);
  for (const [name, v] of Object.entries(variables)) {
    const ref = jobVariableReference(v, `${where} (${value["job"]}), variable ${name}`);
    if (ref && !dependsOn.includes(ref.job))
      throw new PipelineYamlError(`${where} (${value["job"]}), variable ${name}: dependencies.${ref.job} needs dependsOn: ${ref.job}.`);
  }
  return { name: value["job"], dependsOn, variables, steps: value["steps"].map(readStep) };
}

/** Reads a pipeline of top-level `steps:` (one job) or `jobs:` (run in the order written). */
export function parsePipeline(text: string): PipelineDefinition {
  const doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  if (!isRecord(doc)) throw new PipelineYamlError("The pipeline file must be a YAML mapping.");
  let jobs: PipelineJob[];
  if (Array.isArray(doc["steps"])) jobs = [{ name: "Job", dependsOn: [], variables: {}, steps: doc["steps"].map(readStep) }];
  else if (Array.isArray(doc["jobs"])) jobs = doc["jobs"].map(readJob);
  else throw new PipelineYamlError("The pipeline must have top-level steps: or jobs: (stages are not supported by the local runner).");
  const names = jobs.map((j) => j.name);
  for (const job of jobs) {
    const unknown = job.dependsOn.filter((d) => !names.slice(0, names.indexOf(job.name)).includes(d));
    if (unknown.length > 0) throw new PipelineYamlError(`Job ${job.name} depends on ${unknown.join(", ")}, which is not a job written before it.`);
  }
  return { variables: readVariables(doc["variables"]), jobs, steps: jobs.flatMap((j) => j.steps) };
}

/**
 * The output a job variable reads from an earlier job, when its value is the runtime expression
 * `$[ dependencies.<job>.outputs['<step name>.<variable>'] ]` — the one way a later job reads a task's
 * output variable (https://learn.microsoft.com/azure/devops/pipelines/process/set-variables-scripts#set-an-output-variable-for-use-in-future-jobs).
 * Any other `$[ ]` expression is refused: the local runner does not evaluate expressions.
 */
export function jobVariableReference(value: string, where: string): { job: string; output: string } | undefined {
  if (!/^\s*\$\[/.test(value)) return undefined;
  const match = /^\s*\$\[\s*dependencies\.([A-Za-z_][A-Za-z0-9_]*)\.outputs\[\s*'([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.-]+)'\s*\]\s*\]\s*$/.exec(value);
  if (!match)
    throw new PipelineYamlError(`${where}: the local runner evaluates only $[ dependencies.<job>.outputs['<step>.<variable>'] ], not ${value.trim()}.`);
  return { job: match[1], output: match[2] };
}

/**
 * Expands `$(name)` from `variables` (names compared case-insensitively, as the agent does);
 * a macro whose variable does not exist is left as written.
 */
export function expandMacros(value: string, variables: Record<string, string>): string {
  const byName = new Map(Object.entries(variables).map(([k, v]) => [k.toLowerCase(), v]));
  return value.replace(/\$\(([A-Za-z0-9_.\- ]+)\)/g, (macro, name: string) => byName.get(name.toLowerCase()) ?? macro);
}

/** The `$(name)` macros still in `value` (those no variable answered). */
export function unresolvedMacros(value: string): string[] {
  return [...value.matchAll(/\$\(([A-Za-z0-9_.\- ]+)\)/g)].map((m) => m[1]);
}
