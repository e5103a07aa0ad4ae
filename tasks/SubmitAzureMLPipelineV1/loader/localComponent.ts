/**
 * Local command component files (`component: ./train.yml`): loaded, validated, their `code` uploaded and
 * environment resolved, and registered as an anonymous component (`azureml_anonymous/<hash>`) whose spec
 * is the file's content with `code`/`environment` replaced by `azureml:` ARM ids and `_source: YAML.COMPONENT`.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { checkCommandPlaceholders, readCode, readDistribution, readResources } from "./commandParts";
import { DocumentReader, type KeyRules } from "./documentReader";
import { readEnvironment } from "./environments";
import { DATA_TYPES, LITERAL_TYPES, NAME_PATTERN, OUTPUT_MODES } from "./jobIo";
import { specRef, type IdValue, type PlanBuilder } from "./planBuilder";
import { parseYamlSource } from "./yamlSource";
import type { Loc } from "../../common/loc";
import { ownValue } from "../../common/ownKeys";

export interface ComponentInputDeclaration {
  type: string;
  optional: boolean;
  hasDefault: boolean;
}

export interface LocalComponent {
  filePath: string;
  name?: string;
  inputs: ReadonlyMap<string, ComponentInputDeclaration>;
  outputs: ReadonlyMap<string, { type: string }>;
  componentId: IdValue;
}

const componentKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindCommandComponent"),
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
    "code",
    "environment",
    "command",
    "resources",
    "distribution",
  ],
  unsupported: {
    additional_includes: loc("LoaderNoAdditionalIncludes"),
    instance_count: loc("LoaderNoComponentInstanceCount"),
    properties: loc("LoaderNoComponentProperties"),
  },
});
const COMPONENT_INPUT_KEYS = ["type", "default", "optional", "description", "min", "max", "enum", "mode"];
const COMPONENT_OUTPUT_KEYS = ["type", "description", "mode"];

export interface LocalComponentContext {
  plan: PlanBuilder;
  loc: Loc;
  cache: Map<string, Promise<LocalComponent>>;
  abortSignal?: AbortSignal;
}

/** Loads (once per file) the component at `filePath`. Errors name the file and line. */
export function loadLocalComponent(ctx: LocalComponentContext, filePath: string): Promise<LocalComponent> {
  let loading = ctx.cache.get(filePath);
  if (!loading) {
    loading = readComponentFile(ctx, filePath);
    ctx.cache.set(filePath, loading);
  }
  return loading;
}

async function readComponentFile(ctx: LocalComponentContext, filePath: string): Promise<LocalComponent> {
  const { loc } = ctx;
  const text = await fs.readFile(filePath, "utf8");
  const source = parseYamlSource(text, filePath);
  ctx.plan.warnings.push(...source.duplicateKeyWarnings());
  const reader = new DocumentReader(source, source.value, loc);
  if (source.value === null || typeof source.value !== "object" || Array.isArray(source.value)) {
    throw reader.error("NotAMapping", loc("LoaderComponentNotMapping", filePath), []);
  }
  const doc = reader.requireMapping([], componentKeys(loc));
  const type = reader.string(["type"]) ?? "command";
  if (type !== "command") {
    throw reader.error("Unsupported", loc("LoaderComponentType", type, reader.lineOf(["type"])), ["type"]);
  }
  const name = reader.string(["name"]);
  const command = reader.requireString(["command"]);
  const inputs = readComponentInputs(reader);
  const outputs = readComponentOutputs(reader);
  const owner = loc("LoaderOwnerComponent", filePath);
  checkCommandPlaceholders(reader, ["command"], command, { inputs: new Set(inputs.keys()), outputs: new Set(outputs.keys()), owner });

  const parts = { reader, baseDir: path.dirname(filePath), plan: ctx.plan, abortSignal: ctx.abortSignal };
  const code = await readCode(parts, ["code"]);
  const environment = await readEnvironment(parts, ["environment"]);
  readResources(reader, ["resources"]);
  readDistribution(reader, ["distribution"]);
  reader.boolean(["is_deterministic"]);
  const tags = reader.stringMap(["tags"]);
  const description = reader.string(["description"]);

  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "$schema") continue;
    spec[key] = value;
  }
  spec.type = "command";
  if (code) spec.code = specRef(code);
  spec.environment = specRef(environment);
  if (spec.is_deterministic === undefined) spec.is_deterministic = true;
  spec._source = "YAML.COMPONENT";

  const componentId = ctx.plan.addComponent({ key: `file:${filePath}`, specTemplate: spec, description, tags });
  return { filePath, name, inputs, outputs, componentId };
}

function readComponentInputs(reader: DocumentReader): Map<string, ComponentInputDeclaration> {
  const { loc } = reader;
  const inputs = new Map<string, ComponentInputDeclaration>();
  for (const inputName of Object.keys(reader.mapping(["inputs"]) ?? {})) {
    const p = ["inputs", inputName];
    if (!NAME_PATTERN.test(inputName)) throw reader.error("InvalidValue", loc("LoaderBadParameterName", inputName), p);
    reader.requireMapping(p, { kind: loc("LoaderKindComponentInput"), allowed: COMPONENT_INPUT_KEYS });
    const inputType = reader.requireString([...p, "type"]);
    const types: readonly string[] = [...LITERAL_TYPES, ...DATA_TYPES];
    if (!types.includes(inputType)) {
      throw reader.error("InvalidValue", loc("LoaderUnknownInputType", inputType, reader.lineOf([...p, "type"]), types.join(", ")), [...p, "type"]);
    }
    inputs.set(inputName, { type: inputType, optional: reader.boolean([...p, "optional"]) ?? false, hasDefault: reader.has([...p, "default"]) });
  }
  return inputs;
}

function readComponentOutputs(reader: DocumentReader): Map<string, { type: string }> {
  const { loc } = reader;
  const outputs = new Map<string, { type: string }>();
  for (const outputName of Object.keys(reader.mapping(["outputs"]) ?? {})) {
    const p = ["outputs", outputName];
    if (!NAME_PATTERN.test(outputName)) throw reader.error("InvalidValue", loc("LoaderBadParameterName", outputName), p);
    reader.mapping(p, { kind: loc("LoaderKindComponentOutput"), allowed: COMPONENT_OUTPUT_KEYS });
    const outputType = reader.string([...p, "type"]) ?? "uri_folder";
    if (!(DATA_TYPES as readonly string[]).includes(outputType)) {
      throw reader.error("InvalidValue", loc("LoaderUnknownOutputType", outputType, reader.lineOf([...p, "type"]), DATA_TYPES.join(", ")), [...p, "type"]);
    }
    const mode = reader.string([...p, "mode"]);
    if (mode !== undefined && !ownValue(OUTPUT_MODES, mode)) {
      const allowed = Object.keys(OUTPUT_MODES).join(", ");
      throw reader.error("InvalidValue", loc("LoaderComponentOutputMode", mode, reader.lineOf([...p, "mode"]), allowed), [...p, "mode"]);
    }
    outputs.set(outputName, { type: outputType });
  }
  return outputs;
}
