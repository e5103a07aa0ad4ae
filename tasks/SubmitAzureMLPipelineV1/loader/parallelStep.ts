/**
 * `type: parallel` steps of a pipeline job, read and sent as `az ml job create` sends them.
 *
 * Evidence (Azure/azure-sdk-for-python, sdk/ml/azure-ai-ml/azure/ai/ml/):
 * - _schema/pipeline/component_job.py `ParallelSchema` (a step with `component:`) and
 *   _schema/job/parallel_job.py `ParallelJobSchema` (an inline step with `task:`), both on
 *   _schema/job/parameterized_parallel.py `ParameterizedParallelSchema`: `task`, `mini_batch_size`
 *   (a string field: `10` unquoted is refused, `"10"` or `"10kb"` read), `input_data`, `resources`,
 *   `retry_settings` {timeout, max_retries}, `max_concurrency_per_instance`, `error_threshold`,
 *   `mini_batch_error_threshold` (integers), `logging_level` (DEBUG, INFO, WARNING),
 *   `environment_variables`, `partition_keys`.
 * - _schema/component/parallel_task.py `ComponentParallelTaskSchema`: task {type: run_function | model |
 *   function, code, entry_script, program_arguments, model, append_row_to, environment (required)}.
 * - entities/_job/parallel/parallel_job.py `_to_component`: an inline step becomes an anonymous
 *   parallel component with task, inputs, outputs, input_data, mini_batch_size, logging_level,
 *   max_concurrency_per_instance, error_threshold, mini_batch_error_threshold, retry_settings and
 *   resources (settings that are `${{...}}` bindings stay on the node only); `_to_node`: the node gets
 *   compute, inputs, outputs, those settings, environment_variables, properties and identity — not
 *   display_name, description nor tags; _schema/pipeline/pipeline_component.py
 *   `_post_load_pipeline_jobs` then only sets the node's name (the key) and `_source: YAML.JOB` on
 *   node and component (the inline step is read by _schema/pipeline/pipeline_parallel_job.py).
 * - entities/_builders/parallel.py `Parallel.__init__`: `mini_batch_size` "<n>[kb|mb|gb]" becomes an
 *   integer (×1024ⁿ); a node whose component is a loaded file takes resources, retry_settings,
 *   input_data, max_concurrency_per_instance, mini_batch_error_threshold, mini_batch_size and task from
 *   it when it sets none; `_picked_fields_from_dict_to_rest_object` + `_to_rest_object`: the node dict
 *   carries type, resources, error_threshold, mini_batch_error_threshold, environment_variables,
 *   max_concurrency_per_instance, task, input_data, componentId, retry_settings, logging_level,
 *   mini_batch_size; `_from_rest_object_to_init_params` strips the `azureml:` prefix `_to_rest_object`
 *   puts on task.code and task.environment.
 * - _schema/component/parallel_component.py `ParallelComponentSchema`: the component spec dumps
 *   mini_batch_size with a string field (so the integer goes back as its decimal string).
 * - A recorded pipeline PUT with an inline parallel step (needuv/azure-sdk-for-python, a fork carrying
 *   sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobtest_pipeline_job_with_parallel_job.json,
 *   azure-ai-ml 0.1.0b4): the node carries `type: parallel`, `mini_batch_size` as an integer (102400 for
 *   "100kb"), `task` with `code`/`environment` as `azureml:` + ARM ids, `input_data`, `retry_settings`
 *   {timeout, max_retries}, `max_concurrency_per_instance`, `mini_batch_error_threshold`, and
 *   `environment_variables: {}` when the step sets none (Parallel.__init__ defaults it to {}). Unset
 *   settings were sent as null there; they are left out here, as for command nodes.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { checkCommandPlaceholders, readCode, readResources, type ThreeForms } from "./commandParts";
import { DocumentReader, type KeyRules } from "./documentReader";
import { readEnvironment } from "./environments";
import { readComponentInputs, readComponentOutputs, type LocalComponent } from "./localComponent";
import {
  checkAgainstComponent,
  inferredComponentInput,
  outputType,
  readStepSettings,
  registeredComponentStep,
  nodeBase,
  type PipelineScope,
  type StepContext,
  type StepRead,
} from "./pipelineSteps";
import { specRef, type IdValue } from "./planBuilder";
import { parseYamlSource, type YamlPath } from "./yamlSource";
import type { Loc } from "../../common/loc";
import { setOwn } from "../../common/ownKeys";
import { ANONYMOUS_COMPONENT_NAME } from "../../common/azureml/assetNames";
import { componentFile } from "./componentReference";

/** The parallel run settings of a step or of a parallel component file. */
export interface ParallelSettings {
  /** As the node sends it: the integer, or a `${{...}}` binding (node only). */
  miniBatchSize?: number | string;
  inputData?: string;
  errorThreshold?: number;
  miniBatchErrorThreshold?: number;
  maxConcurrencyPerInstance?: number;
  loggingLevel?: string;
  retrySettings?: Record<string, number | undefined>;
  resources?: ThreeForms;
  task?: ParallelTask;
}

export interface ParallelTask {
  type: string;
  code?: IdValue;
  entryScript?: string;
  programArguments?: string;
  appendRowTo?: string;
  environment: IdValue;
}

/** What a parallel step adds to a step read by pipelineSteps.ts. */
export interface ParallelStepParts {
  settings: ParallelSettings;
  /** Settings the node takes from its local component file when it sets none (Parallel.__init__). */
  fromComponent?: ParallelSettings;
}

interface ParallelComponentFile extends LocalComponent {
  settings: ParallelSettings;
}

const LOGGING_LEVELS = ["DEBUG", "INFO", "WARNING"];
const TASK_TYPES = ["run_function", "model", "function"];
const MINI_BATCH_SIZE = /^\d+([kKmMgG][bB])*$/;
const BINDING = /^\$\{\{\s*parent\.inputs\.[A-Za-z0-9_.]+\s*\}\}$/;
const PARALLEL_SETTING_KEYS = [
  "mini_batch_size",
  "input_data",
  "error_threshold",
  "mini_batch_error_threshold",
  "max_concurrency_per_instance",
  "logging_level",
  "retry_settings",
  "resources",
];
const STEP_KEYS = [
  "type",
  "name",
  "display_name",
  "description",
  "tags",
  "properties",
  "compute",
  "inputs",
  "outputs",
  "environment_variables",
  "experiment_name",
];

const stepRefusals = (loc: Loc): Record<string, string> => ({
  partition_keys: loc("LoaderParallelNoPartitionKeys"),
  identity: loc("LoaderParallelNoIdentity"),
  services: loc("LoaderNoJobServices"),
  command: loc("LoaderParallelNoCommand"),
  code: loc("LoaderParallelTaskHolds"),
  environment: loc("LoaderParallelTaskHolds"),
});
const inlineStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindParallelStep"),
  allowed: [...STEP_KEYS, ...PARALLEL_SETTING_KEYS, "task"],
  unsupported: stepRefusals(loc),
});
const componentStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindParallelStep"),
  allowed: [...STEP_KEYS, ...PARALLEL_SETTING_KEYS, "component"],
  unsupported: { ...stepRefusals(loc), task: loc("LoaderParallelStepTask") },
});
const taskKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindParallelTask"),
  allowed: ["type", "code", "entry_script", "program_arguments", "append_row_to", "environment"],
  unsupported: { model: loc("LoaderParallelTaskModel") },
});
const componentFileKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindParallelComponent"),
  allowed: [
    "$schema",
    "type",
    "name",
    "version",
    "display_name",
    "description",
    "tags",
    "is_deterministic",
    "inputs",
    "outputs",
    "task",
    ...PARALLEL_SETTING_KEYS,
  ],
  unsupported: {
    partition_keys: loc("LoaderParallelNoPartitionKeys"),
    code: loc("LoaderParallelTaskHolds"),
    environment: loc("LoaderParallelTaskHolds"),
    instance_count: loc("LoaderNoComponentInstanceCount"),
    additional_includes: loc("LoaderNoAdditionalIncludes"),
    properties: loc("LoaderNoComponentProperties"),
  },
});

/** Reads `jobs.<name>` of `type: parallel`: inline (`task:`), a local component file or a registered component. */
export async function readParallelStep(ctx: StepContext, scope: PipelineScope, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const step = reader.requireMapping(p);
  const line = reader.lineOf(p);
  const isComponentStep = "component" in step;
  if (!isComponentStep && !("task" in step)) throw reader.error("MissingKey", reader.loc("LoaderParallelNeedsTask", name, line), p);
  reader.checkKeys(p, step, isComponentStep ? componentStepKeys(reader.loc) : inlineStepKeys(reader.loc));
  if ("experiment_name" in step) plan.warnings.push(reader.loc("LoaderStepExperimentName", name, reader.lineOf([...p, "experiment_name"])));
  for (const key of ["display_name", "description", "tags"]) {
    if (!isComponentStep && key in step) plan.warnings.push(reader.loc("LoaderParallelInlineDropped", name, key, reader.lineOf([...p, key])));
  }
  const read = await readStepSettings(ctx, name);
  if (!read.compute && !scope.hasDefaultCompute) throw reader.error("MissingKey", reader.loc("LoaderStepNoCompute", name, line, name), [...p, "compute"]);
  const io = { inputs: new Set(read.inputs.keys()), outputs: new Set(read.outputs.keys()), owner: reader.loc("LoaderOwnerStep", name) };
  const settings = readParallelSettings(reader, p, io);
  if (!isComponentStep) {
    settings.task = await readTask(ctx, [...p, "task"], io);
    read.parallel = { settings };
    read.outputTypes = new Map([...read.outputs].map(([k, o]) => [k, outputType(o, scope)]));
    // An inline step's display_name, description and tags are not carried (ParallelJob._to_node).
    read.displayName = undefined;
    read.description = undefined;
    read.tags = undefined;
    return read;
  }
  const componentPath = [...p, "component"];
  const value = reader.get(componentPath);
  if (typeof value !== "string") {
    throw reader.error("Unsupported", reader.loc("LoaderStepInlineComponent", name, reader.lineOf(componentPath)), componentPath);
  }
  if (/^azureml:/i.test(value)) {
    const registered = registeredComponentStep(ctx, read, value);
    registered.parallel = { settings };
    return registered;
  }
  const file = componentFile(ctx, componentPath, value, (f) => reader.loc("LoaderComponentFileNotFound", f, name, reader.lineOf(componentPath)));
  const component = await loadParallelComponent(ctx, file);
  checkAgainstComponent(reader, read, component);
  read.source = "YAML.COMPONENT";
  read.component = component.componentId;
  read.outputTypes = new Map([...component.outputs].map(([k, o]) => [k, o.type]));
  read.parallel = { settings, fromComponent: component.settings };
  return read;
}

/** The parallel settings at `p` (a step or a component file's root). */
function readParallelSettings(reader: DocumentReader, p: YamlPath, io: { inputs: ReadonlySet<string>; outputs: ReadonlySet<string>; owner: string }) {
  const settings: ParallelSettings = {
    miniBatchSize: readMiniBatchSize(reader, [...p, "mini_batch_size"]),
    inputData: reader.string([...p, "input_data"]),
    errorThreshold: reader.integer([...p, "error_threshold"]),
    miniBatchErrorThreshold: reader.integer([...p, "mini_batch_error_threshold"]),
    maxConcurrencyPerInstance: reader.integer([...p, "max_concurrency_per_instance"]),
    loggingLevel: reader.string([...p, "logging_level"]),
    resources: readResources(reader, [...p, "resources"]),
  };
  if (settings.inputData !== undefined) checkCommandPlaceholders(reader, [...p, "input_data"], settings.inputData, io);
  if (settings.loggingLevel !== undefined && !LOGGING_LEVELS.includes(settings.loggingLevel)) {
    const lp = [...p, "logging_level"];
    throw reader.error("InvalidValue", reader.loc("LoaderParallelLoggingLevel", settings.loggingLevel, reader.lineOf(lp), LOGGING_LEVELS.join(", ")), lp);
  }
  const rp = [...p, "retry_settings"];
  if (reader.mapping(rp, { kind: "retry_settings", allowed: ["timeout", "max_retries"] })) {
    settings.retrySettings = { timeout: reader.integer([...rp, "timeout"]), max_retries: reader.integer([...rp, "max_retries"]) };
  }
  return settings;
}

/** `mini_batch_size`: a string "<n>", "<n>kb|mb|gb" → integer, or a `${{parent.inputs.x}}` binding. */
function readMiniBatchSize(reader: DocumentReader, p: YamlPath): number | string | undefined {
  const value = reader.get(p);
  if (value === undefined || value === null) return undefined;
  const line = reader.lineOf(p);
  if (typeof value !== "string") throw reader.error("InvalidValue", reader.loc("LoaderParallelMiniBatchQuote", line, String(value), String(value)), p);
  if (BINDING.test(value.trim())) return value;
  if (!MINI_BATCH_SIZE.test(value)) throw reader.error("InvalidValue", reader.loc("LoaderParallelMiniBatchSize", value, line), p);
  if (/^\d+$/.test(value)) return Number(value);
  const unit = value.slice(-2).toLowerCase();
  const number = Number(value.slice(0, -2));
  const scale = unit === "kb" ? 1024 : unit === "mb" ? 1024 ** 2 : unit === "gb" ? 1024 ** 3 : undefined;
  // "1kbkb" matches the SDK's pattern but int("1kb") fails there too.
  if (scale === undefined || !/^\d+$/.test(value.slice(0, -2))) throw reader.error("InvalidValue", reader.loc("LoaderParallelMiniBatchSize", value, line), p);
  return number * scale;
}

/** `task: {type: run_function, code, entry_script, program_arguments, append_row_to, environment}`. */
async function readTask(
  ctx: { reader: DocumentReader; baseDir: string; plan: StepContext["plan"]; abortSignal?: AbortSignal },
  p: YamlPath,
  io: { inputs: ReadonlySet<string>; outputs: ReadonlySet<string>; owner: string },
): Promise<ParallelTask> {
  const { reader } = ctx;
  reader.requireMapping(p, taskKeys(reader.loc));
  const type = reader.requireString([...p, "type"]);
  if (!TASK_TYPES.includes(type)) {
    throw reader.error("InvalidValue", reader.loc("LoaderParallelTaskType", type, reader.lineOf([...p, "type"]), TASK_TYPES.join(", ")), [...p, "type"]);
  }
  const programArguments = reader.string([...p, "program_arguments"]);
  if (programArguments !== undefined) checkCommandPlaceholders(reader, [...p, "program_arguments"], programArguments, io);
  const appendRowTo = reader.string([...p, "append_row_to"]);
  if (appendRowTo !== undefined) checkCommandPlaceholders(reader, [...p, "append_row_to"], appendRowTo, io);
  return {
    type,
    entryScript: reader.string([...p, "entry_script"]),
    programArguments,
    appendRowTo,
    code: await readCode(ctx, [...p, "code"]),
    environment: await readEnvironment(ctx, [...p, "environment"]),
  };
}

/** Loads (once per file) a `type: parallel` component file; its task's code is uploaded and environment resolved. */
function loadParallelComponent(ctx: StepContext, filePath: string): Promise<ParallelComponentFile> {
  const key = `parallel:${filePath}`;
  let loading = ctx.components.cache.get(key) as Promise<ParallelComponentFile> | undefined;
  if (!loading) {
    loading = readParallelComponentFile(ctx, filePath);
    ctx.components.cache.set(key, loading);
  }
  return loading;
}

async function readParallelComponentFile(ctx: StepContext, filePath: string): Promise<ParallelComponentFile> {
  const { loc } = ctx.components;
  const source = parseYamlSource(await fs.readFile(filePath, "utf8"), filePath);
  ctx.plan.warnings.push(...source.duplicateKeyWarnings());
  const reader = new DocumentReader(source, source.value, loc);
  if (source.value === null || typeof source.value !== "object" || Array.isArray(source.value)) {
    throw reader.error("NotAMapping", loc("LoaderComponentNotMapping", filePath), []);
  }
  const type = reader.string(["type"]);
  if (type !== "parallel")
    throw reader.error("Unsupported", loc("LoaderParallelComponentType", filePath, type ?? "command", reader.lineOf(["type"])), ["type"]);
  const doc = reader.requireMapping([], componentFileKeys(loc));
  const inputs = readComponentInputs(reader);
  const outputs = readComponentOutputs(reader);
  const io = { inputs: new Set(inputs.keys()), outputs: new Set(outputs.keys()), owner: loc("LoaderOwnerComponent", filePath) };
  const settings = readParallelSettings(reader, [], io);
  if (typeof settings.miniBatchSize === "string") {
    throw reader.error("InvalidValue", loc("LoaderParallelMiniBatchSize", settings.miniBatchSize, reader.lineOf(["mini_batch_size"])), ["mini_batch_size"]);
  }
  settings.task = await readTask({ reader, baseDir: path.dirname(filePath), plan: ctx.plan, abortSignal: ctx.abortSignal }, ["task"], io);
  reader.boolean(["is_deterministic"]);
  const tags = reader.stringMap(["tags"]);
  const description = reader.string(["description"]);

  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== "$schema") spec[k] = v;
  spec.task = taskDict(settings.task);
  if (settings.miniBatchSize !== undefined) spec.mini_batch_size = String(settings.miniBatchSize);
  if (spec.is_deterministic === undefined) spec.is_deterministic = true;
  spec._source = "YAML.COMPONENT";
  const componentId = ctx.plan.addComponent({ key: `file:${filePath}`, specTemplate: spec, description, tags });
  return { filePath, name: reader.string(["name"]), inputs, outputs, componentId, settings };
}

/** The task as the component spec and the node carry it: code and environment as `azureml:` ids. */
function taskDict(task: ParallelTask): Record<string, unknown> {
  return {
    type: task.type,
    code: task.code ? specRef(task.code) : undefined,
    entry_script: task.entryScript,
    program_arguments: task.programArguments,
    append_row_to: task.appendRowTo,
    environment: specRef(task.environment),
  };
}

/** The `jobs.<name>` dict of a parallel step (registering an inline step's anonymous component first). */
export function buildParallelNode(ctx: StepContext, step: StepRead, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): Record<string, unknown> {
  const own = step.parallel!.settings;
  const inherited = step.parallel!.fromComponent ?? {};
  let component = step.component;
  if (own.task) {
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of step.inputs) setOwn(inputs, k, inferredComponentInput(v, steps, scope));
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of step.outputs) setOwn(outputs, k, { type: outputType(v, scope), mode: v.yamlMode });
    const spec: Record<string, unknown> = {
      name: ANONYMOUS_COMPONENT_NAME,
      type: "parallel",
      inputs,
      outputs,
      task: taskDict(own.task),
      input_data: own.inputData,
      // A binding stays on the node only (ParallelJob._to_component).
      mini_batch_size: typeof own.miniBatchSize === "number" ? String(own.miniBatchSize) : undefined,
      logging_level: own.loggingLevel,
      max_concurrency_per_instance: own.maxConcurrencyPerInstance,
      error_threshold: own.errorThreshold,
      mini_batch_error_threshold: own.miniBatchErrorThreshold,
      retry_settings: own.retrySettings,
      resources: own.resources?.yaml,
      tags: {},
      is_deterministic: true,
      _source: "YAML.JOB",
    };
    component = ctx.plan.addComponent({ key: `step:${step.name}`, specTemplate: spec });
  }
  const task = own.task ?? inherited.task;
  return {
    ...nodeBase(step, "parallel", component!),
    environment_variables: step.environmentVariables ?? {},
    task: task ? taskDict(task) : undefined,
    input_data: own.inputData ?? inherited.inputData,
    mini_batch_size: own.miniBatchSize ?? inherited.miniBatchSize,
    logging_level: own.loggingLevel,
    max_concurrency_per_instance: own.maxConcurrencyPerInstance ?? inherited.maxConcurrencyPerInstance,
    error_threshold: own.errorThreshold,
    mini_batch_error_threshold: own.miniBatchErrorThreshold ?? inherited.miniBatchErrorThreshold,
    retry_settings: own.retrySettings ?? inherited.retrySettings,
    resources: (own.resources ?? inherited.resources)?.snake,
  };
}
