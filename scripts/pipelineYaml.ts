/**
 * The part of an azure-pipelines.yml a local run needs: the pipeline variables and the steps of a
 * single-job pipeline (task steps with their `name` and `inputs`; script steps are kept so a caller
 * can say what it does with them), plus `$(...)` macro expansion as the agent does it:
 * case-insensitive names, unknown macros left as they are.
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

export interface PipelineDefinition {
  variables: Record<string, string>;
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
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new PipelineYamlError(`${where} must be a string, number or boolean.`);
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

/** Reads a single-job pipeline (top-level `steps:`). */
export function parsePipeline(text: string): PipelineDefinition {
  const doc = yaml.load(text);
  if (!isRecord(doc)) throw new PipelineYamlError("The pipeline file must be a YAML mapping.");
  if (!Array.isArray(doc["steps"])) {
    throw new PipelineYamlError("The pipeline must have top-level steps: (stages and jobs are not supported by the local runner).");
  }
  return { variables: readVariables(doc["variables"]), steps: doc["steps"].map(readStep) };
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
