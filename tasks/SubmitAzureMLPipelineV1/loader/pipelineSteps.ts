/**
 * Steps of a pipeline job (`jobs.<node>`): inline command steps (registered as anonymous components),
 * local component files and registered components, with binding checks and the node dicts the CLI sends.
 */
import {
  checkCommandPlaceholders,
  readCode,
  readCompute,
  readDistribution,
  readIdentity,
  readLimits,
  readQueueSettings,
  readResources,
  type ThreeForms,
} from "./commandParts";
import type { DocumentReader, KeyRules } from "./documentReader";
import { readEnvironment } from "./environments";
import { mapEntries, nodeInput, nodeOutput, readInputs, readOutputs, type InputModel, type OutputModel } from "./jobIo";
import { loadLocalComponent, type LocalComponent, type LocalComponentContext } from "./localComponent";
import { restId, specRef, type IdValue, type PlanBuilder } from "./planBuilder";
import type { YamlPath } from "./yamlSource";
import type { Loc } from "../../common/loc";
import { ownValue, setOwn } from "../../common/ownKeys";
import { ANONYMOUS_COMPONENT_NAME } from "../../common/azureml/assetNames";
import { componentFile, registeredComponent } from "./componentReference";
import { buildParallelNode, readParallelStep, type ParallelStepParts } from "./parallelStep";
import { readPipelineComponentStep } from "./pipelineComponentStep";
import { readSweepStep } from "./sweepStep";

const NODE_NAME = /^[a-z_][a-z0-9_]*$/;
/** Step types the CLI accepts in a pipeline that this task does not send yet, with what to do instead. */
const unsupportedStepTypes = (loc: Loc): Readonly<Record<string, string>> => ({
  spark: loc("LoaderStepSpark"),
  import: loc("LoaderStepImport"),
  data_transfer: loc("LoaderStepDataTransfer"),
  automl: loc("LoaderStepAutoML"),
});

const COMMON_STEP_KEYS = [
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
  "resources",
  "distribution",
  "limits",
  "experiment_name",
  "identity",
  "queue_settings",
];
const inlineStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindCommandStep"),
  allowed: [...COMMON_STEP_KEYS, "command", "code", "environment"],
  unsupported: { services: loc("LoaderNoJobServices") },
});
const componentStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindComponentStep"),
  allowed: [...COMMON_STEP_KEYS, "component"],
  unsupported: {
    services: loc("LoaderNoJobServices"),
    command: loc("LoaderStepComponentCommand"),
    code: loc("LoaderStepComponentCode"),
    environment: loc("LoaderStepComponentEnvironment"),
  },
});

/** What the rest of the pipeline needs to know about the pipeline it is in. */
export interface PipelineScope {
  inputNames: ReadonlySet<string>;
  inputs: ReadonlyMap<string, InputModel>;
  outputs: ReadonlyMap<string, OutputModel>;
  hasDefaultCompute: boolean;
}

export interface StepContext {
  reader: DocumentReader;
  baseDir: string;
  plan: PlanBuilder;
  components: LocalComponentContext;
  abortSignal?: AbortSignal;
}

export interface StepRead {
  name: string;
  path: YamlPath;
  source: "YAML.JOB" | "YAML.COMPONENT" | "REMOTE.WORKSPACE.COMPONENT" | "REMOTE.REGISTRY";
  inputs: Map<string, InputModel>;
  outputs: Map<string, OutputModel>;
  /** Declared output types, when known (unknown for registered components). */
  outputTypes?: ReadonlyMap<string, string>;
  compute?: IdValue;
  resources?: ThreeForms;
  distribution?: ThreeForms;
  limits?: Omit<ThreeForms, "yaml">;
  identity?: Omit<ThreeForms, "yaml">;
  queueSettings?: Omit<ThreeForms, "yaml">;
  environmentVariables?: Record<string, string>;
  displayName?: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  /** Component step: the component id. Inline step: what its anonymous component is built from. */
  component?: IdValue;
  inline?: { command: string; code?: IdValue; environment: IdValue };
  /** `type: parallel` steps (parallelStep.ts). */
  parallel?: ParallelStepParts;
  /** Steps of other types (sweepStep.ts, pipelineComponentStep.ts) build their own node dict. */
  buildNode?: () => Record<string, unknown>;
}

/** Reads every step, checks bindings across steps, and returns the `jobs` node templates. */
export async function readPipelineSteps(ctx: StepContext, scope: PipelineScope): Promise<Record<string, Record<string, unknown>>> {
  const { reader } = ctx;
  const jobs = reader.requireMapping(["jobs"]);
  const names = Object.keys(jobs);
  if (names.length === 0) throw reader.error("MissingKey", reader.loc("LoaderNoSteps"), ["jobs"]);
  const steps = new Map<string, StepRead>();
  for (const name of names) steps.set(name, await readStep(ctx, scope, name));
  const nodes: Record<string, Record<string, unknown>> = {};
  for (const step of steps.values()) {
    checkInputBindings(reader, step, steps, scope);
    checkOutputBindings(reader, step, scope);
    nodes[step.name] = step.buildNode ? step.buildNode() : buildNode(ctx, step, steps, scope);
  }
  return nodes;
}

async function readStep(ctx: StepContext, scope: PipelineScope, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const line = reader.lineOf(p);
  if (!NODE_NAME.test(name)) throw reader.error("InvalidValue", reader.loc("LoaderStepName", name, line), p);
  const step = reader.requireMapping(p);
  const type = checkStepType(reader, name);
  if (type === "parallel") return readParallelStep(ctx, scope, name);
  if (type === "sweep") return readSweepStep(ctx, scope, name);
  if (type === "pipeline") return readPipelineComponentStep(ctx, scope, name);
  const isComponentStep = "component" in step;
  if (!isComponentStep && !("command" in step)) throw reader.error("MissingKey", reader.loc("LoaderStepNeedsCommand", name, line), p);
  reader.checkKeys(p, step, isComponentStep ? componentStepKeys(reader.loc) : inlineStepKeys(reader.loc));
  if ("experiment_name" in step) plan.warnings.push(reader.loc("LoaderStepExperimentName", name, reader.lineOf([...p, "experiment_name"])));

  const read = await readStepSettings(ctx, name);
  if (!read.compute && !scope.hasDefaultCompute) throw reader.error("MissingKey", reader.loc("LoaderStepNoCompute", name, line, name), [...p, "compute"]);
  if (!isComponentStep) return inlineStep(ctx, scope, read);
  const componentPath = [...p, "component"];
  const value = reader.get(componentPath);
  if (typeof value !== "string") {
    throw reader.error("Unsupported", reader.loc("LoaderStepInlineComponent", name, reader.lineOf(componentPath)), componentPath);
  }
  return /^azureml:/i.test(value) ? registeredComponentStep(ctx, read, value) : localComponentStep(ctx, read, value);
}

/** Command and parallel steps are sent; the other step types the CLI knows are refused with what to do instead. */
/** The step types this task sends (`type` absent means command, as for the CLI). */
const STEP_TYPES = ["command", "parallel", "sweep", "pipeline"] as const;
type StepType = (typeof STEP_TYPES)[number];

function checkStepType(reader: DocumentReader, name: string): StepType {
  const typePath = ["jobs", name, "type"];
  const type = reader.string(typePath) ?? "command";
  const sent = STEP_TYPES.find((t) => t === type);
  if (sent) return sent;
  const typeLine = reader.lineOf(typePath);
  const instead = ownValue(unsupportedStepTypes(reader.loc), type);
  if (instead) throw reader.error("Unsupported", reader.loc("LoaderStepTypeUnsupported", name, name, type, typeLine, instead), typePath);
  throw reader.error("Unsupported", reader.loc("LoaderStepTypeUnknown", name, name, type, typeLine), typePath);
}

/** What every step has, inline or component: inputs, outputs, compute and run settings. */
export async function readStepSettings(ctx: StepContext, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const io = { reader, baseDir: ctx.baseDir, plan, level: "node" as const, abortSignal: ctx.abortSignal };
  const read: StepRead = {
    name,
    path: p,
    source: "YAML.JOB",
    inputs: await readInputs(io, [...p, "inputs"]),
    outputs: readOutputs(io, [...p, "outputs"]),
    compute: readCompute(ctx, [...p, "compute"], "get"),
    resources: readResources(reader, [...p, "resources"]),
    distribution: readDistribution(reader, [...p, "distribution"]),
    limits: readLimits(reader, [...p, "limits"]),
    identity: readIdentity(reader, [...p, "identity"]),
    queueSettings: readQueueSettings(reader, [...p, "queue_settings"]),
    environmentVariables: reader.stringMap([...p, "environment_variables"]),
    displayName: reader.string([...p, "display_name"]),
    description: reader.string([...p, "description"]),
    tags: reader.stringMap([...p, "tags"]),
    properties: reader.stringMap([...p, "properties"]),
  };
  reader.string([...p, "name"]); // overwritten by the node key, as the CLI does
  return read;
}

/** A `command:` step: its command, code and environment become an anonymous component (buildNode). */
async function inlineStep(ctx: StepContext, scope: PipelineScope, read: StepRead): Promise<StepRead> {
  const { reader } = ctx;
  const p = read.path;
  const command = reader.requireString([...p, "command"]);
  checkCommandPlaceholders(reader, [...p, "command"], command, {
    inputs: new Set(read.inputs.keys()),
    outputs: new Set(read.outputs.keys()),
    owner: reader.loc("LoaderOwnerStep", read.name),
  });
  read.inline = {
    command,
    code: await readCode(ctx, [...p, "code"]),
    environment: await readEnvironment(ctx, [...p, "environment"]),
  };
  read.outputTypes = new Map([...read.outputs].map(([k, o]) => [k, outputType(o, scope)]));
  return read;
}

/** `component: azureml:name:version` (or `@label`, an ARM id, a registry URI). */
export function registeredComponentStep(ctx: StepContext, read: StepRead, value: string): StepRead {
  const { reader } = ctx;
  const p = [...read.path, "component"];
  const { id, source } = registeredComponent(reader, ctx.plan, p, value, (reason) =>
    reader.loc("LoaderStepComponentInvalid", read.name, reader.lineOf(p), reason),
  );
  read.source = source;
  read.component = id;
  return read;
}

/** `component: ./train.yml`: the file is loaded (once), checked against the step, and registered anonymously. */
async function localComponentStep(ctx: StepContext, read: StepRead, value: string): Promise<StepRead> {
  const { reader } = ctx;
  const componentPath = [...read.path, "component"];
  const file = componentFile(ctx, componentPath, value, (f) => reader.loc("LoaderComponentFileNotFound", f, read.name, reader.lineOf(componentPath)));
  const component = await loadLocalComponent(ctx.components, file);
  checkAgainstComponent(reader, read, component);
  read.source = "YAML.COMPONENT";
  read.component = component.componentId;
  read.outputTypes = component.outputs.size ? new Map([...component.outputs].map(([k, o]) => [k, o.type])) : new Map();
  return read;
}

export function checkAgainstComponent(reader: DocumentReader, step: StepRead, component: LocalComponent): void {
  const { loc } = reader;
  for (const inputName of step.inputs.keys()) {
    if (!component.inputs.has(inputName)) {
      const p = [...step.path, "inputs", inputName];
      const declared = [...component.inputs.keys()].sort().join(", ") || loc("LoaderNone");
      throw reader.error("UnknownBinding", loc("LoaderStepUndeclaredInput", step.name, inputName, reader.lineOf(p), component.filePath, declared), p);
    }
  }
  for (const [inputName, declaration] of component.inputs) {
    if (!declaration.optional && !declaration.hasDefault && !step.inputs.has(inputName)) {
      throw reader.error("MissingKey", loc("LoaderStepMissingInput", inputName, step.name, component.filePath), [...step.path, "inputs"]);
    }
  }
  for (const outputName of step.outputs.keys()) {
    if (!component.outputs.has(outputName)) {
      const p = [...step.path, "outputs", outputName];
      const declared = [...component.outputs.keys()].sort().join(", ") || loc("LoaderNone");
      throw reader.error("UnknownBinding", loc("LoaderStepUndeclaredOutput", step.name, outputName, reader.lineOf(p), component.filePath, declared), p);
    }
  }
}

/** Each `${{parent.inputs.x}}` / `${{parent.jobs.a.outputs.b}}` of the step names something that exists. */
function checkInputBindings(reader: DocumentReader, step: StepRead, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): void {
  const { loc } = reader;
  for (const [inputName, input] of step.inputs) {
    if (input.kind !== "binding") continue;
    const where = loc("LoaderStepInputAt", step.name, inputName, reader.lineOf(input.path));
    const parentInput = /^\$\{\{parent\.inputs\.([^}]+)\}\}$/.exec(input.value);
    if (parentInput) {
      if (!scope.inputNames.has(parentInput[1])) {
        const inputs = [...scope.inputNames].sort().join(", ") || loc("LoaderNone");
        throw reader.error("UnknownBinding", loc("LoaderBindingNoPipelineInput", where, input.value, parentInput[1], inputs), input.path);
      }
      continue;
    }
    const jobOutput = /^\$\{\{parent\.jobs\.([^.}]+)\.outputs\.([^.}]+)\}\}$/.exec(input.value);
    if (!jobOutput) throw reader.error("UnknownBinding", loc("LoaderBindingForm", where, input.value), input.path);
    const [, source, output] = jobOutput;
    const sourceStep = steps.get(source);
    if (!sourceStep || source === step.name) {
      const names = [...steps.keys()].sort().join(", ");
      const message =
        source === step.name
          ? loc("LoaderBindingNoOtherStep", where, input.value, source, names)
          : loc("LoaderBindingNoStep", where, input.value, source, names);
      throw reader.error("UnknownBinding", message, input.path);
    }
    if (sourceStep.outputTypes && !sourceStep.outputTypes.has(output)) {
      const outputs = [...sourceStep.outputTypes.keys()].sort().join(", ") || loc("LoaderNone");
      throw reader.error("UnknownBinding", loc("LoaderBindingNoStepOutput", where, input.value, source, output, outputs), input.path);
    }
  }
}

/** Each `${{parent.outputs.y}}` of the step names an output of the pipeline. */
function checkOutputBindings(reader: DocumentReader, step: StepRead, scope: PipelineScope): void {
  const { loc } = reader;
  for (const [outputName, output] of step.outputs) {
    if (output.kind !== "binding") continue;
    const m = /^\$\{\{parent\.outputs\.([^}]+)\}\}$/.exec(output.value);
    if (!m || !scope.outputs.has(m[1])) {
      const outputs = [...scope.outputs.keys()].sort().join(", ") || loc("LoaderNone");
      const line = reader.lineOf(output.path);
      throw reader.error(
        "UnknownBinding",
        loc("LoaderBindingNoPipelineOutput", step.name, outputName, line, output.value, m?.[1] ?? output.value, outputs),
        output.path,
      );
    }
  }
}

export function outputType(output: OutputModel, scope: PipelineScope): string {
  if (output.kind === "data") return output.type;
  const m = /^\$\{\{parent\.outputs\.([^}]+)\}\}$/.exec(output.value);
  const parent = m ? scope.outputs.get(m[1]) : undefined;
  return parent?.kind === "data" ? parent.type : "uri_folder";
}

/** The component-spec input an inline step's input implies (the CLI infers types from values and bindings). */
export function inferredComponentInput(input: InputModel, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): Record<string, unknown> {
  switch (input.kind) {
    case "literal":
      return { type: input.literalType, default: input.value };
    case "data":
      return { type: input.type, mode: input.yamlMode };
    case "binding": {
      const parentInput = /^\$\{\{parent\.inputs\.([^}]+)\}\}$/.exec(input.value);
      let type = "uri_folder";
      if (parentInput) {
        const source = scope.inputs.get(parentInput[1]);
        if (source?.kind === "literal") type = source.literalType;
        else if (source?.kind === "data") type = source.type;
        else if (source?.kind === "binding") type = "string";
      } else {
        const jobOutput = /^\$\{\{parent\.jobs\.([^.}]+)\.outputs\.([^.}]+)\}\}$/.exec(input.value);
        type = (jobOutput && steps.get(jobOutput[1])?.outputTypes?.get(jobOutput[2])) || "uri_folder";
      }
      return { type, mode: input.yamlMode };
    }
  }
}

/** What a step node sends whatever its type (azure-ai-ml BaseNode._to_rest_object): who it is and its I/O. */
export function nodeBase(step: StepRead, type: string, component: IdValue): Record<string, unknown> {
  return {
    type,
    name: step.name,
    display_name: step.displayName,
    description: step.description,
    tags: step.tags ?? {},
    properties: step.properties ?? {},
    _source: step.source,
    componentId: restId(component),
    computeId: step.compute ? restId(step.compute) : undefined,
    inputs: mapEntries(step.inputs, nodeInput),
    outputs: mapEntries(step.outputs, nodeOutput),
  };
}

function buildNode(ctx: StepContext, step: StepRead, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): Record<string, unknown> {
  if (step.parallel) return buildParallelNode(ctx, step, steps, scope);
  let component = step.component;
  if (step.inline) {
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of step.inputs) setOwn(inputs, k, inferredComponentInput(v, steps, scope));
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of step.outputs) setOwn(outputs, k, { type: outputType(v, scope), mode: v.yamlMode });
    const spec: Record<string, unknown> = {
      name: ANONYMOUS_COMPONENT_NAME,
      type: "command",
      command: step.inline.command,
      code: step.inline.code ? specRef(step.inline.code) : undefined,
      environment: specRef(step.inline.environment),
      inputs,
      outputs,
      resources: step.resources?.yaml,
      distribution: step.distribution?.yaml,
      tags: step.tags ?? {},
      description: step.description,
      is_deterministic: true,
      _source: "YAML.JOB",
    };
    component = ctx.plan.addComponent({ key: `step:${ctx.reader.filePath}:${step.name}`, specTemplate: spec, description: step.description, tags: step.tags });
  }
  return {
    ...nodeBase(step, "command", component!),
    environment_variables: step.environmentVariables,
    resources: step.resources?.snake,
    distribution: step.distribution?.snake,
    limits: step.limits?.snake,
    identity: step.identity?.snake,
    queue_settings: step.queueSettings?.snake,
  };
}
