/**
 * `type: pipeline` steps: a pipeline component, from a local file (its own steps registered first, then the
 * component itself, all as `azureml_anonymous`) or an `azureml:` / registry component id.
 *
 * Sources (Azure/azure-sdk-for-python, sdk/ml/azure-ai-ml):
 * - Node dict: `entities/_builders/pipeline.py` `_to_rest_object` = base_node.py's (name, type, display_name,
 *   tags, computeId, inputs, outputs, properties, `_source`; no description) + `componentId`; `settings` on a
 *   node are ignored with a warning (`_customized_validate`).
 * - What is really sent: tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJob
 *   test_pipeline_with_pipeline_component.json. The pipeline component is PUT to
 *   `components/azureml_anonymous/versions/…` after its inner components, with `componentSpec` = the file's
 *   keys (`$schema`, display_name, description, …), input defaults as Python `str()` (`"default": "1"`),
 *   `type: pipeline`, `jobs` = the inner node dicts without `name` and without empty members,
 *   `_source: "YAML.COMPONENT"`, `sourceJobId: null`. The job's node is
 *   `{name, type: "pipeline", inputs, _source: "YAML.COMPONENT", componentId}`, empty members left out.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readCompute } from "./commandParts";
import type { Loc } from "../../common/loc";
import { DocumentReader, type KeyRules } from "./documentReader";
import {
  DATA_TYPES,
  LITERAL_TYPES,
  type InputModel,
  mapEntries,
  NAME_PATTERN,
  nodeInput,
  nodeOutput,
  OUTPUT_MODES,
  type OutputModel,
  readInputs,
  readOutputs,
} from "./jobIo";
import type { ComponentInputDeclaration, LocalComponent } from "./localComponent";
import { type PipelineScope, readPipelineSteps, type StepContext, type StepRead } from "./pipelineSteps";
import type { PlanBuilder } from "./planBuilder";
import { restId, type IdValue } from "./planBuilder";
import { pythonStr } from "./pythonValues";
import { componentFile, registeredComponent } from "./componentReference";
import { parseYamlSource, type YamlPath } from "./yamlSource";

const pipelineStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindPipelineStep"),
  allowed: ["type", "name", "display_name", "description", "tags", "properties", "compute", "inputs", "outputs", "component", "settings", "experiment_name"],
  unsupported: {
    jobs: loc("LoaderPipelineStepNoJobs"),
    command: loc("LoaderPipelineStepNoCommand"),
  },
});

const pipelineComponentKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindPipelineComponent"),
  allowed: ["$schema", "type", "name", "version", "display_name", "description", "tags", "inputs", "outputs", "jobs", "is_deterministic"],
  unsupported: {
    settings: loc("LoaderPipelineComponentNoSettings"),
    compute: loc("LoaderPipelineComponentNoCompute"),
  },
});
const inputKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindComponentInput"),
  allowed: ["type", "default", "optional", "description", "min", "max", "enum"],
});
const outputKeys = (loc: Loc): KeyRules => ({ kind: loc("LoaderKindComponentOutput"), allowed: ["type", "description", "mode"] });

/** Files being read, per plan: a component that includes itself (directly or not) is refused. */
const loading = new WeakMap<PlanBuilder, string[]>();

/** Reads `jobs.<name>` of `type: pipeline`; the returned step builds its own node dict. */
export async function readPipelineComponentStep(ctx: StepContext, scope: PipelineScope, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const step = reader.requireMapping(p, pipelineStepKeys(reader.loc));
  for (const key of ["experiment_name", "settings"]) {
    if (key in step) plan.warnings.push(reader.loc("LoaderPipelineStepIgnored", name, key, reader.lineOf([...p, key])));
  }
  if ("description" in step) plan.warnings.push(reader.loc("LoaderStepDescriptionNotSent", name, "pipeline", reader.lineOf([...p, "description"])));
  reader.string([...p, "description"]);
  reader.string([...p, "name"]); // overwritten by the node key, as the CLI does

  const io = { reader, baseDir: ctx.baseDir, plan, level: "node" as const, abortSignal: ctx.abortSignal };
  const inputs = await readInputs(io, [...p, "inputs"]);
  const outputs = readOutputs(io, [...p, "outputs"]);
  const compute = readCompute(ctx, [...p, "compute"], "get");
  const target = await readComponentRef(ctx, scope, name, [...p, "component"]);
  if (target.component) checkAgainstComponent(reader, name, p, target.component, inputs, outputs);

  const displayName = reader.string([...p, "display_name"]);
  const tags = reader.stringMap([...p, "tags"]);
  const properties = reader.stringMap([...p, "properties"]);
  return {
    name,
    path: p,
    source: target.source,
    inputs,
    outputs,
    outputTypes: target.component ? new Map([...target.component.outputs].map(([k, o]) => [k, o.type])) : undefined,
    compute,
    component: target.id,
    displayName,
    tags,
    properties,
    buildNode: () => {
      const node: Record<string, unknown> = {
        name,
        type: "pipeline",
        display_name: displayName,
        computeId: compute ? restId(compute) : undefined,
        _source: target.source,
        componentId: restId(target.id),
      };
      // Empty members are not sent (the recording above).
      if (tags && Object.keys(tags).length) node.tags = tags;
      if (properties && Object.keys(properties).length) node.properties = properties;
      if (inputs.size) node.inputs = mapEntries(inputs, nodeInput);
      if (outputs.size) node.outputs = mapEntries(outputs, nodeOutput);
      return node;
    },
  };
}

interface ComponentRef {
  id: IdValue;
  source: StepRead["source"];
  component?: LocalComponent;
}

async function readComponentRef(ctx: StepContext, scope: PipelineScope, stepName: string, p: YamlPath): Promise<ComponentRef> {
  const { reader, plan } = ctx;
  const value = reader.get(p);
  const line = reader.lineOf(p);
  if (value === undefined || value === null) {
    throw reader.error("MissingKey", reader.loc("LoaderPipelineStepNoComponent", stepName, reader.lineOf(p.slice(0, -1))), p);
  }
  if (typeof value !== "string") {
    throw reader.error("Unsupported", reader.loc("LoaderPipelineStepInlineComponent", stepName, line), p);
  }
  if (/^azureml:/i.test(value)) {
    return registeredComponent(reader, plan, p, value, (reason) => reader.loc("LoaderStepComponentInvalid", stepName, line, reason));
  }
  const file = componentFile(ctx, p, value, (f) => reader.loc("LoaderPipelineComponentNotFound", f, stepName, line));
  const stack = loading.get(plan) ?? [];
  if (stack.includes(file)) {
    throw reader.error(
      "InvalidValue",
      reader.loc("LoaderPipelineComponentCycle", stepName, file, line, [...stack, file].map((f) => path.basename(f)).join(" → ")),
      p,
    );
  }
  const key = `pipeline:${file}`;
  let pending = ctx.components.cache.get(key);
  if (!pending) {
    pending = (async () => {
      loading.set(plan, [...stack, file]);
      try {
        return await readPipelineComponentFile(ctx, scope, file);
      } finally {
        loading.set(plan, stack);
      }
    })();
    ctx.components.cache.set(key, pending);
  }
  const component = await pending;
  return { id: component.componentId, source: "YAML.COMPONENT", component };
}

async function readPipelineComponentFile(ctx: StepContext, scope: PipelineScope, file: string): Promise<LocalComponent> {
  const source = parseYamlSource(await fs.readFile(file, "utf8"), file);
  ctx.plan.warnings.push(...source.duplicateKeyWarnings());
  const loc = ctx.reader.loc;
  const reader = new DocumentReader(source, source.value, loc);
  if (source.value === null || typeof source.value !== "object" || Array.isArray(source.value)) {
    throw reader.error("NotAMapping", loc("LoaderComponentNotMapping", file), []);
  }
  const doc = reader.requireMapping([], pipelineComponentKeys(loc));
  const type = reader.string(["type"]);
  if (type !== "pipeline") {
    throw reader.error("InvalidValue", loc("LoaderPipelineComponentType", file, type ?? "command", reader.lineOf(["type"]) ?? 1), ["type"]);
  }
  const name = reader.string(["name"]);
  reader.string(["version"], { allowNumbers: true });
  const description = reader.string(["description"]);
  const tags = reader.stringMap(["tags"]);
  reader.string(["display_name"]);

  const declarations = new Map<string, ComponentInputDeclaration>();
  const innerInputs = new Map<string, InputModel>();
  const specInputs: Record<string, unknown> = {};
  for (const inputName of Object.keys(reader.mapping(["inputs"]) ?? {})) {
    const p = ["inputs", inputName];
    if (!NAME_PATTERN.test(inputName)) throw reader.error("InvalidValue", loc("LoaderBadParameterName", inputName), p);
    const declared = reader.requireMapping(p, inputKeys(loc));
    const inputType = reader.requireString([...p, "type"]);
    if (![...LITERAL_TYPES, ...DATA_TYPES].includes(inputType as never)) {
      throw reader.error(
        "InvalidValue",
        loc("LoaderUnknownInputType", inputType, reader.lineOf([...p, "type"]), [...LITERAL_TYPES, ...DATA_TYPES].join(", ")),
        [...p, "type"],
      );
    }
    const optional = reader.boolean([...p, "optional"]) ?? false;
    const hasDefault = reader.has([...p, "default"]);
    declarations.set(inputName, { type: inputType, optional, hasDefault });
    const entry: Record<string, unknown> = { ...declared };
    if (hasDefault) {
      const d = declared.default;
      if (d !== null && typeof d === "object")
        throw reader.error("InvalidValue", loc("LoaderPipelineComponentDefault", inputName, reader.lineOf([...p, "default"])), [...p, "default"]);
      entry.default = pythonStr(d as string | number | boolean | null, reader.isFloatLiteral([...p, "default"]));
    }
    specInputs[inputName] = entry;
    // What the inner steps see through ${{parent.inputs.<name>}} (types for inline steps' inferred inputs).
    innerInputs.set(
      inputName,
      (LITERAL_TYPES as readonly string[]).includes(inputType)
        ? { kind: "literal", value: "", literalType: inputType as (typeof LITERAL_TYPES)[number] }
        : { kind: "data", type: inputType as (typeof DATA_TYPES)[number], uri: "" },
    );
  }
  const outputs = new Map<string, { type: string }>();
  const innerOutputs = new Map<string, OutputModel>();
  for (const outputName of Object.keys(reader.mapping(["outputs"]) ?? {})) {
    const p = ["outputs", outputName];
    if (!NAME_PATTERN.test(outputName)) throw reader.error("InvalidValue", loc("LoaderBadParameterName", outputName), p);
    reader.mapping(p, outputKeys(loc));
    const outputType = reader.string([...p, "type"]) ?? "uri_folder";
    if (!DATA_TYPES.includes(outputType as never)) {
      throw reader.error("InvalidValue", loc("LoaderUnknownOutputType", outputType, reader.lineOf([...p, "type"]), DATA_TYPES.join(", ")), [...p, "type"]);
    }
    const mode = reader.string([...p, "mode"]);
    if (mode !== undefined && !OUTPUT_MODES[mode]) {
      throw reader.error("InvalidValue", loc("LoaderComponentOutputMode", mode, reader.lineOf([...p, "mode"]), Object.keys(OUTPUT_MODES).join(", ")), [
        ...p,
        "mode",
      ]);
    }
    outputs.set(outputName, { type: outputType });
    innerOutputs.set(outputName, { kind: "data", type: outputType as (typeof DATA_TYPES)[number], mode: mode && OUTPUT_MODES[mode], yamlMode: mode });
  }

  const innerCtx: StepContext = { reader, baseDir: path.dirname(file), plan: ctx.plan, components: ctx.components, abortSignal: ctx.abortSignal };
  const jobs = await readPipelineSteps(innerCtx, {
    inputNames: new Set(innerInputs.keys()),
    inputs: innerInputs,
    outputs: innerOutputs,
    // The inner steps run on the pipeline job's default compute when they name none.
    hasDefaultCompute: scope.hasDefaultCompute,
  });
  const specJobs: Record<string, unknown> = {};
  for (const [nodeName, node] of Object.entries(jobs)) specJobs[nodeName] = innerNode(node);

  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) spec[key] = value;
  spec.inputs = specInputs;
  if (!("outputs" in doc)) delete spec.outputs;
  spec.type = "pipeline";
  spec.jobs = specJobs;
  spec._source = "YAML.COMPONENT";
  spec.sourceJobId = null;
  const componentId = ctx.plan.addComponent({ key: `file:${file}`, specTemplate: spec, description, tags });
  return { filePath: file, name, inputs: declarations, outputs, componentId };
}

/** A node inside a pipeline component's spec: no `name` (the key names it), no empty members (the recording). */
function innerNode(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "name" || value === undefined) continue;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && value.constructor === Object && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}

function checkAgainstComponent(
  reader: DocumentReader,
  stepName: string,
  p: YamlPath,
  component: LocalComponent,
  inputs: ReadonlyMap<string, unknown>,
  outputs: ReadonlyMap<string, unknown>,
): void {
  for (const inputName of inputs.keys()) {
    if (!component.inputs.has(inputName)) {
      throw reader.error(
        "UnknownBinding",
        reader.loc(
          "LoaderStepUndeclaredInput",
          stepName,
          inputName,
          reader.lineOf([...p, "inputs", inputName]),
          component.filePath,
          [...component.inputs.keys()].sort().join(", ") || "none",
        ),
        [...p, "inputs", inputName],
      );
    }
  }
  for (const [inputName, declaration] of component.inputs) {
    if (!declaration.optional && !declaration.hasDefault && !inputs.has(inputName)) {
      throw reader.error("MissingKey", reader.loc("LoaderPipelineStepMissingInput", inputName, component.filePath, stepName, reader.lineOf(p)), [
        ...p,
        "inputs",
      ]);
    }
  }
  for (const outputName of outputs.keys()) {
    if (!component.outputs.has(outputName)) {
      throw reader.error(
        "UnknownBinding",
        reader.loc(
          "LoaderStepUndeclaredOutput",
          stepName,
          outputName,
          reader.lineOf([...p, "outputs", outputName]),
          component.filePath,
          [...component.outputs.keys()].sort().join(", ") || "none",
        ),
        [...p, "outputs", outputName],
      );
    }
  }
}
