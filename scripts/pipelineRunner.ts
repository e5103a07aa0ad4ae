/**
 * Runs the jobs of a pipeline in order, and each job's steps in order, as the agent does: each task
 * step's inputs (as written, trimmed) get `$(...)` macros expanded from the pipeline and job variables
 * and from the output variables of the steps before it in the same job, YAML aliases are mapped to
 * input names, the AzureRM service connection input is given the connection's id, and the task runs
 * with runTask (devkit/harness/agentRunner.ts).
 *
 * Output variables are stored only as `<step name>.<variable>`: a variable set with isOutput=true, or
 * one the task.json declares in outputVariables, exactly as the agent's ExecutionContext.SetVariable does
 * (microsoft/azure-pipelines-agent src/Agent.Worker/ExecutionContext.cs); a step without `name:` gets a
 * generated one, so its outputs cannot be read by a name the author wrote. Only plain `setvariable`
 * ones keep their own name. A later job reads an earlier job's outputs only through a job variable
 * `$[ dependencies.<job>.outputs['<step>.<variable>'] ]`.
 *
 * The first failed step skips the rest of its job (the default `condition: succeeded()`), and the jobs
 * that depend on it. Script steps are not run: they are reported as skipped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runTask, type AgentRunResult, type ServiceConnection } from "../devkit/harness/agentRunner";
import { predefinedVariables } from "../devkit/harness/agentEnvironment";
import { expandMacros, jobVariableReference, unresolvedMacros, type PipelineDefinition, type PipelineJob, type TaskStep } from "./pipelineYaml";
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
  job: string;
  displayName: string;
  reference: string;
  result: "Succeeded" | "SucceededWithIssues" | "Failed" | "Cancelled" | "Skipped";
  durationMs: number;
  run?: AgentRunResult;
}

export interface PipelineRunResult {
  succeeded: boolean;
  steps: StepOutcome[];
  /** Every variable at the end of the last job run: pipeline, queue-time, job and step outputs (secret ones included). */
  variables: Record<string, string>;
  secretNames: Set<string>;
  /** Each job's output variables (`<step name>.<variable>` → value), as `dependencies.<job>.outputs` shows them. */
  jobOutputs: Record<string, Record<string, string>>;
}

interface TaskInputManifest {
  name: string;
  type: string;
  aliases?: string[];
  defaultValue?: string | boolean;
}

interface TaskManifest {
  inputs?: TaskInputManifest[];
  outputVariables?: { name: string }[];
}

function readManifest(taskDir: string): TaskManifest {
  const manifestPath = path.join(taskDir, "task.json");
  if (!fs.existsSync(manifestPath)) throw new Error(`${manifestPath} does not exist: build the tasks first (npm run build).`);
  return JSON.parse(fs.readFileSync(manifestPath, "utf8")) as TaskManifest;
}

/**
 * The INPUT_ values for a step, as the agent computes them: the task.json defaults, then the step's
 * values with macros expanded and aliases mapped; the service connection input gets the connection id.
 */
export function stepInputs(
  step: TaskStep,
  manifestInputs: TaskInputManifest[],
  variables: Record<string, string>,
  connectionId: string,
): Record<string, string> {
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
    // The agent trims each input (TaskRunner.cs, "Merge the instance inputs") before expanding macros.
    inputs[input.name] = input.type.startsWith("connectedService:") ? connectionId : expandMacros(value.trim(), variables);
  }
  return inputs;
}

/**
 * Stores what the step set: output variables (isOutput, or declared in task.json) only as
 * `<refName>.<variable>`, in the job's variables and in its outputs; other variables by their name.
 */
function recordOutputs(
  refName: string,
  declared: ReadonlySet<string>,
  run: AgentRunResult,
  job: { variables: Record<string, string>; secretNames: Set<string>; outputs: Record<string, string> },
): void {
  for (const [name, v] of Object.entries(run.variables)) {
    const isOutput = v.isOutput || declared.has(name.toLowerCase());
    const key = isOutput ? `${refName}.${name}` : name;
    job.variables[key] = v.value;
    if (isOutput) job.outputs[key] = v.value;
    if (v.isSecret) job.secretNames.add(key);
  }
}

/** The job's own variables; `$[ dependencies.<job>.outputs['<step>.<var>'] ]` read from the earlier job's outputs. */
function jobVariables(job: PipelineJob, jobOutputs: Record<string, Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.variables)) {
    const ref = jobVariableReference(value, `job ${job.name}, variable ${name}`);
    if (!ref) values[name] = value;
    else {
      // An output the earlier job did not set is an empty value in Azure Pipelines.
      const found = Object.entries(jobOutputs[ref.job] ?? {}).find(([key]) => key.toLowerCase() === ref.output.toLowerCase());
      values[name] = found?.[1] ?? "";
    }
  }
  return values;
}

export async function runPipeline(definition: PipelineDefinition, options: PipelineRunOptions): Promise<PipelineRunResult> {
  const { write } = options;
  const steps: StepOutcome[] = [];
  const jobOutputs: Record<string, Record<string, string>> = {};
  const failedJobs = new Set<string>();
  const total = definition.steps.length;
  let last = { variables: {} as Record<string, string>, secretNames: new Set<string>() };
  let done = 0;
  for (const job of definition.jobs) {
    if (definition.jobs.length > 1) write(`══ Job ${job.name}${job.dependsOn.length > 0 ? ` (depends on ${job.dependsOn.join(", ")})` : ""}`);
    const skip = job.dependsOn.some((d) => failedJobs.has(d));
    const variables = skip ? {} : { ...definition.variables, ...options.queueVariables, ...jobVariables(job, jobOutputs) };
    const run = await runJob(job, { ...options, variables, skip, firstIndex: done, total });
    done += job.steps.length;
    steps.push(...run.steps);
    jobOutputs[job.name] = run.outputs;
    if (!run.succeeded) failedJobs.add(job.name);
    last = run;
  }
  return { succeeded: failedJobs.size === 0, steps, variables: last.variables, secretNames: last.secretNames, jobOutputs };
}

interface JobRun {
  succeeded: boolean;
  steps: StepOutcome[];
  variables: Record<string, string>;
  secretNames: Set<string>;
  outputs: Record<string, string>;
}

async function runJob(
  job: PipelineJob,
  options: PipelineRunOptions & { variables: Record<string, string>; skip: boolean; firstIndex: number; total: number },
): Promise<JobRun> {
  const { write } = options;
  const predefined = predefinedVariables({ tempDirectory: "", workFolder: "", collectionUri: options.env["SYSTEM_COLLECTIONURI"] ?? "" });
  const variables = { ...options.variables };
  const secretNames = new Set<string>();
  const outputs: Record<string, string> = {};
  const steps: StepOutcome[] = [];
  let failed = false;

  for (const [i, step] of job.steps.entries()) {
    const index = options.firstIndex + i;
    const title = `Step ${index + 1}/${options.total}: ${step.displayName}`;
    if (step.kind === "script" || failed || options.skip) {
      const why = options.skip ? "skipped: a job it depends on failed" : failed ? "skipped: an earlier step failed" : "script step: not run locally";
      write(`── ${title} (${why})`);
      steps.push({
        job: job.name,
        displayName: step.displayName,
        reference: step.kind === "task" ? step.reference : "script",
        result: "Skipped",
        durationMs: 0,
      });
      continue;
    }
    const folder = `${step.taskName}V${step.majorVersion}`;
    write(`── ${title} [${step.reference}${step.name ? `, name: ${step.name}` : ""}]`);
    const macroVariables = { ...predefined, ...variables, "System.DefaultWorkingDirectory": options.workingDirectory };
    const manifest = readManifest(path.join(options.taskRoot, folder));
    const inputs = stepInputs(step, manifest.inputs ?? [], macroVariables, options.connection.id);
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
    // Azure Pipelines gives a step without `name:` a generated reference name.
    const refName = step.name ?? `__step${index + 1}`;
    recordOutputs(refName, new Set((manifest.outputVariables ?? []).map((o) => o.name.toLowerCase())), run, { variables, secretNames, outputs });
    const secrets = [...run.secrets, ...[...secretNames].map((name) => variables[name])];
    for (const line of readableLog(run.stdout, secrets)) write(`  ${line}`);
    for (const line of run.stderr.split(/\r?\n/).filter((l) => l.trim())) write(`  stderr: ${line}`);
    const result = run.result ?? "Failed";
    write(
      `   ${result === "Succeeded" ? "✔" : result === "SucceededWithIssues" ? "!" : "✘"} ${result}${run.resultMessage ? `: ${readableLog(run.resultMessage, secrets).join(" ")}` : ""} (${(run.durationMs / 1000).toFixed(1)} s)`,
    );
    steps.push({ job: job.name, displayName: step.displayName, reference: step.reference, result, durationMs: run.durationMs, run });
    if (result !== "Succeeded" && result !== "SucceededWithIssues") failed = true;
  }
  return { succeeded: !failed && !options.skip, steps, variables, secretNames, outputs };
}
