/**
 * Steps of a pipeline job (`jobs.<node>`): inline command steps (registered as anonymous components),
 * local component files and registered components, with binding checks and the node dicts the CLI sends.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
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
import { parseAssetReference, ReferenceSyntaxError } from "./references";
import type { YamlPath } from "./yamlSource";
import { setOwn } from "../../common/ownKeys";
import { ANONYMOUS_COMPONENT_NAME } from "../../common/azureml/assetNames";
import { refuseOutsideWorkFolders } from "./workFolders";

const NODE_NAME = /^[a-z_][a-z0-9_]*$/;
/** Step types the CLI accepts in a pipeline that this task does not send yet, with what to do instead. */
const UNSUPPORTED_STEP_TYPES: Readonly<Record<string, string>> = {
  sweep: "submit the sweep as its own job (a type: sweep job YAML), or make this a command step with fixed hyperparameters",
  parallel: "submit the parallel job on its own, or make this a command step that processes the whole input",
  pipeline: "list the sub-pipeline's steps under this pipeline's 'jobs' instead of using a pipeline component",
  spark: "submit the Spark job on its own (a type: spark job YAML)",
  import: "import the data beforehand (az ml data import) and give it to the pipeline as an input",
  data_transfer: "copy the data beforehand and give it to the pipeline as an input",
  automl: "submit the AutoML job on its own and pass its model to the pipeline as an input",
};

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
const COMMON_UNSUPPORTED: Readonly<Record<string, string>> = {
  services: "job services (SSH, Jupyter, TensorBoard) are not supported",
};
const INLINE_STEP_KEYS: KeyRules = { kind: "command step", allowed: [...COMMON_STEP_KEYS, "command", "code", "environment"], unsupported: COMMON_UNSUPPORTED };
const COMPONENT_STEP_KEYS: KeyRules = {
  kind: "component step",
  allowed: [...COMMON_STEP_KEYS, "component"],
  unsupported: {
    ...COMMON_UNSUPPORTED,
    command: "a step that uses a component takes its command from the component",
    code: "a step that uses a component takes its code from the component",
    environment: "a step that uses a component takes its environment from the component",
  },
};

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

interface StepRead {
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
}

/** Reads every step, checks bindings across steps, and returns the `jobs` node templates. */
export async function readPipelineSteps(ctx: StepContext, scope: PipelineScope): Promise<Record<string, Record<string, unknown>>> {
  const { reader } = ctx;
  const jobs = reader.requireMapping(["jobs"]);
  const names = Object.keys(jobs);
  if (names.length === 0) throw reader.error("MissingKey", "A pipeline job needs at least one step under 'jobs'.", ["jobs"]);
  const steps = new Map<string, StepRead>();
  for (const name of names) steps.set(name, await readStep(ctx, scope, name));
  const nodes: Record<string, Record<string, unknown>> = {};
  for (const step of steps.values()) {
    checkBindings(reader, step, steps, scope);
    nodes[step.name] = buildNode(ctx, step, steps, scope);
  }
  return nodes;
}

async function readStep(ctx: StepContext, scope: PipelineScope, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const line = reader.lineOf(p);
  if (!NODE_NAME.test(name)) {
    throw reader.error(
      "InvalidValue",
      `Pipeline node name should be a valid python identifier: '${name}' at line ${line} (lowercase letters, digits and underscores, not starting with a digit).`,
      p,
    );
  }
  const step = reader.requireMapping(p);
  const type = reader.string([...p, "type"]);
  if (type !== undefined && type !== "command") {
    const typeLine = reader.lineOf([...p, "type"]);
    const instead = UNSUPPORTED_STEP_TYPES[type];
    if (instead) {
      throw reader.error(
        "Unsupported",
        `Step '${name}': jobs.${name}.type '${type}' at line ${typeLine} is not supported by this task (supported: command); ${instead}.`,
        [...p, "type"],
      );
    }
    throw reader.error("Unsupported", `Step '${name}': jobs.${name}.type '${type}' at line ${typeLine} is not a step type (supported: command).`, [
      ...p,
      "type",
    ]);
  }
  const isComponentStep = "component" in step;
  if (!isComponentStep && !("command" in step)) {
    throw reader.error("MissingKey", `Step '${name}' at line ${line} needs either 'command' (an inline command step) or 'component'.`, p);
  }
  reader.checkKeys(p, step, isComponentStep ? COMPONENT_STEP_KEYS : INLINE_STEP_KEYS);
  if ("experiment_name" in step)
    plan.warnings.push(`Step '${name}': experiment_name is ignored inside a pipeline step (line ${reader.lineOf([...p, "experiment_name"])}).`);

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
  if (!read.compute && !scope.hasDefaultCompute) {
    throw reader.error(
      "MissingKey",
      `Compute not set for step '${name}' at line ${line}: set jobs.${name}.compute, the pipeline's compute or settings.default_compute.`,
      [...p, "compute"],
    );
  }

  if (!isComponentStep) {
    const command = reader.requireString([...p, "command"]);
    checkCommandPlaceholders(reader, [...p, "command"], command, {
      inputs: new Set(read.inputs.keys()),
      outputs: new Set(read.outputs.keys()),
      owner: `step '${name}'`,
    });
    read.inline = {
      command,
      code: await readCode(ctx, [...p, "code"]),
      environment: await readEnvironment(ctx, [...p, "environment"]),
    };
    read.outputTypes = new Map([...read.outputs].map(([k, o]) => [k, outputType(o, scope)]));
    return read;
  }

  const componentPath = [...p, "component"];
  const value = reader.get(componentPath);
  if (typeof value !== "string") {
    throw reader.error(
      "Unsupported",
      `Step '${name}': 'component' at line ${reader.lineOf(componentPath)} must be a path to a component file or an azureml: reference (inline component definitions are not supported).`,
      componentPath,
    );
  }
  if (/^azureml:/i.test(value)) {
    let parsed;
    try {
      parsed = parseAssetReference(value, "components");
    } catch (error) {
      if (error instanceof ReferenceSyntaxError)
        throw reader.error("InvalidValue", `Step '${name}': component at line ${reader.lineOf(componentPath)}: ${error.message}`, componentPath);
      throw error;
    }
    const location = reader.locate(componentPath);
    if (parsed.form === "passthrough") {
      const registry = parsed.value.startsWith("azureml://");
      read.source = registry ? "REMOTE.REGISTRY" : "REMOTE.WORKSPACE.COMPONENT";
      read.component = registry ? { form: "verbatim", value: parsed.value } : { form: "armId", id: parsed.value };
    } else {
      read.source = "REMOTE.WORKSPACE.COMPONENT";
      read.component =
        parsed.form === "version"
          ? plan.addReference("components", parsed.name, { version: parsed.version, resolution: "static", location })
          : plan.addReference("components", parsed.name, { label: parsed.label, resolution: parsed.label === "latest" ? "latest" : "static", location });
    }
    return read;
  }

  const file = path.resolve(ctx.baseDir, value);
  refuseOutsideWorkFolders({ reader, plan: ctx.plan }, componentPath, file);
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new Error("not a file");
  } catch {
    throw reader.error("FileNotFound", `Component file not found: ${file} (step '${name}', component at line ${reader.lineOf(componentPath)}).`, componentPath);
  }
  const component = await loadLocalComponent(ctx.components, file);
  checkAgainstComponent(reader, read, component);
  read.source = "YAML.COMPONENT";
  read.component = component.componentId;
  read.outputTypes = component.outputs.size ? new Map([...component.outputs].map(([k, o]) => [k, o.type])) : new Map();
  return read;
}

function checkAgainstComponent(reader: DocumentReader, step: StepRead, component: LocalComponent): void {
  for (const inputName of step.inputs.keys()) {
    if (!component.inputs.has(inputName)) {
      const p = [...step.path, "inputs", inputName];
      throw reader.error(
        "UnknownBinding",
        `Step '${step.name}' sets input '${inputName}' at line ${reader.lineOf(p)}, which component ${component.filePath} does not declare (inputs: ${[...component.inputs.keys()].sort().join(", ") || "none"}).`,
        p,
      );
    }
  }
  for (const [inputName, declaration] of component.inputs) {
    if (!declaration.optional && !declaration.hasDefault && !step.inputs.has(inputName)) {
      throw reader.error("MissingKey", `Required input '${inputName}' for component '${step.name}' not provided (component ${component.filePath}).`, [
        ...step.path,
        "inputs",
      ]);
    }
  }
  for (const outputName of step.outputs.keys()) {
    if (!component.outputs.has(outputName)) {
      const p = [...step.path, "outputs", outputName];
      throw reader.error(
        "UnknownBinding",
        `Step '${step.name}' sets output '${outputName}' at line ${reader.lineOf(p)}, which component ${component.filePath} does not declare (outputs: ${[...component.outputs.keys()].sort().join(", ") || "none"}).`,
        p,
      );
    }
  }
}

function checkBindings(reader: DocumentReader, step: StepRead, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): void {
  for (const [inputName, input] of step.inputs) {
    if (input.kind !== "binding") continue;
    const where = `Step '${step.name}' input '${inputName}' at line ${reader.lineOf(input.path)}`;
    const parentInput = /^\$\{\{parent\.inputs\.([^}]+)\}\}$/.exec(input.value);
    if (parentInput) {
      if (!scope.inputNames.has(parentInput[1])) {
        throw reader.error(
          "UnknownBinding",
          `${where} binds to ${input.value}, but the pipeline has no input '${parentInput[1]}' (inputs: ${[...scope.inputNames].sort().join(", ") || "none"}).`,
          input.path,
        );
      }
      continue;
    }
    const jobOutput = /^\$\{\{parent\.jobs\.([^.}]+)\.outputs\.([^.}]+)\}\}$/.exec(input.value);
    if (!jobOutput) {
      throw reader.error(
        "UnknownBinding",
        `${where} binds to ${input.value}: use \${{parent.jobs.<step>.outputs.<name>}} or \${{parent.inputs.<name>}}.`,
        input.path,
      );
    }
    const [, source, output] = jobOutput;
    const sourceStep = steps.get(source);
    if (!sourceStep || source === step.name) {
      throw reader.error(
        "UnknownBinding",
        `${where} binds to ${input.value}, but there is no ${source === step.name ? "other " : ""}step '${source}' (steps: ${[...steps.keys()].sort().join(", ")}).`,
        input.path,
      );
    }
    if (sourceStep.outputTypes && !sourceStep.outputTypes.has(output)) {
      throw reader.error(
        "UnknownBinding",
        `${where} binds to ${input.value}, but step '${source}' has no output '${output}' (outputs: ${[...sourceStep.outputTypes.keys()].sort().join(", ") || "none"}).`,
        input.path,
      );
    }
  }
  for (const [outputName, output] of step.outputs) {
    if (output.kind !== "binding") continue;
    const m = /^\$\{\{parent\.outputs\.([^}]+)\}\}$/.exec(output.value);
    if (!m || !scope.outputs.has(m[1])) {
      throw reader.error(
        "UnknownBinding",
        `Step '${step.name}' output '${outputName}' at line ${reader.lineOf(output.path)} binds to ${output.value}, but the pipeline has no output '${m?.[1] ?? output.value}' (outputs: ${[...scope.outputs.keys()].sort().join(", ") || "none"}).`,
        output.path,
      );
    }
  }
}

function outputType(output: OutputModel, scope: PipelineScope): string {
  if (output.kind === "data") return output.type;
  const m = /^\$\{\{parent\.outputs\.([^}]+)\}\}$/.exec(output.value);
  const parent = m ? scope.outputs.get(m[1]) : undefined;
  return parent?.kind === "data" ? parent.type : "uri_folder";
}

/** The component-spec input an inline step's input implies (the CLI infers types from values and bindings). */
function inferredComponentInput(input: InputModel, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): Record<string, unknown> {
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

function buildNode(ctx: StepContext, step: StepRead, steps: ReadonlyMap<string, StepRead>, scope: PipelineScope): Record<string, unknown> {
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
    component = ctx.plan.addComponent({ key: `step:${step.name}`, specTemplate: spec, description: step.description, tags: step.tags });
  }
  return {
    type: "command",
    name: step.name,
    display_name: step.displayName,
    description: step.description,
    tags: step.tags ?? {},
    properties: step.properties ?? {},
    _source: step.source,
    componentId: restId(component!),
    computeId: step.compute ? restId(step.compute) : undefined,
    inputs: mapEntries(step.inputs, nodeInput),
    outputs: mapEntries(step.outputs, nodeOutput),
    environment_variables: step.environmentVariables,
    resources: step.resources?.snake,
    distribution: step.distribution?.snake,
    limits: step.limits?.snake,
    identity: step.identity?.snake,
    queue_settings: step.queueSettings?.snake,
  };
}
