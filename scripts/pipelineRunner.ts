/**
 * Runs the steps of a single-job pipeline in order, as the agent does: each task step's inputs get
 * `$(...)` macros expanded from the pipeline variables and from the output variables of the steps
 * before it (`<stepName>.<variable>`; plain `setvariable` ones by their own name), YAML aliases are
 * mapped to input names, the AzureRM service connection input is given the connection's id, and the
 * task runs with runTask (test/harness/agentRunner.ts). The first failed step skips the rest (the
 * default `condition: succeeded()`). Script steps are not run: they are reported as skipped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runTask, type AgentRunResult, type ServiceConnection } from "../test/harness/agentRunner";
import { predefinedVariables } from "../test/harness/agentEnvironment";
import { expandMacros, unresolvedMacros, type PipelineDefinition, type TaskStep } from "./pipelineYaml";
import { readableLog } from "./stepLog";

export interface PipelineRunOptions {
  /** Where the task folders are (<Name>V<major>/index.js). */
  taskRoot: string;
  /** System.DefaultWorkingDirectory (relative paths in inputs resolve against it): the repository. */
  workingDirectory: string;
  connection: ServiceConnection;
  /** Extra environment for every task (the connection's System.* values, IDENTITY_ENDPOINT...). */
  env: Record<string, string>;
  caCertPath?: string;
  /** Queue-time variables: they win over the YAML's `variables:`. */
  queueVariables?: Record<string, string>;
  stepTimeoutInMs?: number;
  /** Where the readable log goes, line by line. */
  write: (line: string) => void;
}

export interface StepOutcome {
  displayName: string;
  reference: string;
  result: "Succeeded" | "SucceededWithIssues" | "Failed" | "Cancelled" | "Skipped";
  durationMs: number;
  run?: AgentRunResult;
}

export interface PipelineRunResult {
  succeeded: boolean;
  steps: StepOutcome[];
  /** Every variable at the end: pipeline, queue-time and step outputs (secret ones included). */
  variables: Record<string, string>;
  secretNames: Set<string>;
}

interface TaskInputManifest {
  name: string;
  type: string;
  aliases?: string[];
  defaultValue?: string | boolean;
}

function readTaskInputs(taskDir: string): TaskInputManifest[] {
  const manifestPath = path.join(taskDir, "task.json");
  if (!fs.existsSync(manifestPath)) throw new Error(`${manifestPath} does not exist: build the tasks first (npm run build).`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { inputs?: TaskInputManifest[] };
  return manifest.inputs ?? [];
}

/**
 * The INPUT_ values for a step, as the agent computes them: the task.json defaults, then the step's
 * values with macros expanded and aliases mapped; the service connection input gets the connection id.
 */
export function stepInputs(step: TaskStep, manifestInputs: TaskInputManifest[], variables: Record<string, string>, connectionId: string): Record<string, string> {
  const byName = new Map<string, TaskInputManifest>();
  for (const input of manifestInputs) {
    byName.set(input.name.toLowerCase(), input);
    for (const alias of input.aliases ?? []) byName.set(alias.toLowerCase(), input);
  }
  const inputs: Record<string, string> = {};
  for (const input of manifestInputs) {
    if (input.defaultValue !== undefined && input.defaultValue !== "") inputs[input.name] = String(input.defaultValue);
  }
  for (const [written, value] of Object.entries(step.inputs)) {
    const input = byName.get(written.toLowerCase());
    if (!input) throw new Error(`${step.reference} has no input '${written}' (step '${step.displayName}').`);
    inputs[input.name] = input.type.startsWith("connectedService:") ? connectionId : expandMacros(value, variables);
  }
  return inputs;
}

function recordOutputs(step: TaskStep, run: AgentRunResult, variables: Record<string, string>, secretNames: Set<string>): void {
  for (const [name, v] of Object.entries(run.variables)) {
    const key = v.isOutput && step.name ? `${step.name}.${name}` : name;
    variables[key] = v.value;
    if (v.isSecret) secretNames.add(key);
  }
}

export async function runPipeline(definition: PipelineDefinition, options: PipelineRunOptions): Promise<PipelineRunResult> {
  const { write } = options;
  const predefined = predefinedVariables({ tempDirectory: "", workFolder: "", collectionUri: options.env["SYSTEM_COLLECTIONURI"] ?? "" });
  const variables: Record<string, string> = { ...definition.variables, ...options.queueVariables };
  const secretNames = new Set<string>();
  const steps: StepOutcome[] = [];
  let failed = false;
  const total = definition.steps.length;

  for (const [index, step] of definition.steps.entries()) {
    const title = `Step ${index + 1}/${total}: ${step.displayName}`;
    if (step.kind === "script" || failed) {
      const why = failed ? "skipped: an earlier step failed" : "script step: not run locally";
      write(`── ${title} (${why})`);
      steps.push({ displayName: step.displayName, reference: step.kind === "task" ? step.reference : "script", result: "Skipped", durationMs: 0 });
      continue;
    }
    const folder = `${step.taskName}V${step.majorVersion}`;
    write(`── ${title} [${step.reference}${step.name ? `, name: ${step.name}` : ""}]`);
    const macroVariables = { ...predefined, ...variables, "System.DefaultWorkingDirectory": options.workingDirectory };
    const inputs = stepInputs(step, readTaskInputs(path.join(options.taskRoot, folder)), macroVariables, options.connection.id);
    for (const [name, value] of Object.entries(inputs)) {
      for (const macro of unresolvedMacros(value)) write(`  WARNING: input ${name}: no variable '${macro}', $(${macro}) is passed as written`);
    }
    const publicVariables: Record<string, string> = {};
    const secretVariables: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) (secretNames.has(name) ? secretVariables : publicVariables)[name] = value;
    const run = await runTask({
      task: folder,
      taskRoot: options.taskRoot,
      inputs,
      connection: options.connection,
      env: options.env,
      ...(options.caCertPath ? { caCertPath: options.caCertPath } : {}),
      variables: {
        ...publicVariables,
        "System.DefaultWorkingDirectory": options.workingDirectory,
        "Build.SourcesDirectory": options.workingDirectory,
      },
      secretVariables,
      timeoutInMs: options.stepTimeoutInMs ?? 300_000,
    });
    recordOutputs(step, run, variables, secretNames);
    const secrets = [...run.secrets, ...[...secretNames].map((name) => variables[name])];
    for (const line of readableLog(run.stdout, secrets)) write(`  ${line}`);
    for (const line of run.stderr.split(/\r?\n/).filter((l) => l.trim())) write(`  stderr: ${line}`);
    const result = run.result ?? "Failed";
    write(`   ${result === "Succeeded" ? "✔" : result === "SucceededWithIssues" ? "!" : "✘"} ${result}${run.resultMessage ? `: ${readableLog(run.resultMessage, secrets).join(" ")}` : ""} (${(run.durationMs / 1000).toFixed(1)} s)`);
    steps.push({ displayName: step.displayName, reference: step.reference, result, durationMs: run.durationMs, run });
    if (result !== "Succeeded" && result !== "SucceededWithIssues") failed = true;
  }
  return { succeeded: !failed, steps, variables, secretNames };
}
