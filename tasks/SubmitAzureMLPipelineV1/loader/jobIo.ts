/**
 * Job inputs and outputs: reading them from YAML (literals, bindings, data with local/asset/URI paths)
 * and writing them as the CLI sends them — camelCase `JobInput`/`JobOutput` at job level, snake_case
 * dicts inside pipeline `jobs` nodes.
 */
import * as path from "node:path";
import { datastoreUriOf } from "../../common/contentHash";
import { DocumentReader, describeValue, type KeyRules } from "./documentReader";
import type { YamlPath } from "./yamlSource";
import { pythonStr } from "./pythonValues";
import { LocalPathError, restId, statLocalPath, type IdValue, type PlanBuilder } from "./planBuilder";
import { isRemoteUri, parseAssetReference, parseDatastoreReference, ReferenceSyntaxError } from "./references";
import type { IdPlaceholder } from "./placeholders";
import type { Loc } from "../../common/loc";
import { ownValue, setOwn } from "../../common/ownKeys";
import { refuseOutsideWorkFolders } from "./workFolders";

export const LITERAL_TYPES = ["string", "integer", "number", "boolean"] as const;
export const DATA_TYPES = ["uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"] as const;
const MODEL_TYPES = new Set(["custom_model", "mlflow_model", "triton_model"]);
export type LiteralType = (typeof LITERAL_TYPES)[number];
export type DataType = (typeof DATA_TYPES)[number];

/** YAML input modes → REST `InputDeliveryMode`. */
export const INPUT_MODES: Readonly<Record<string, string>> = {
  ro_mount: "ReadOnlyMount",
  mount: "ReadOnlyMount",
  download: "Download",
  direct: "Direct",
  eval_mount: "EvalMount",
  eval_download: "EvalDownload",
};
/** YAML output modes → REST `OutputDeliveryMode` (2022-10-01 has no `Direct`). */
export const OUTPUT_MODES: Readonly<Record<string, string>> = {
  rw_mount: "ReadWriteMount",
  mount: "ReadWriteMount",
  upload: "Upload",
};

export const NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const BINDING = /^\$\{\{\s*(.*?)\s*\}\}$/;

/** `${{parent...}}`: sent as a literal string (with `mode` when given). */
export interface BindingModel {
  kind: "binding";
  value: string;
  mode?: string;
  yamlMode?: string;
  path: YamlPath;
}

export type InputModel =
  | { kind: "literal"; value: string; literalType: LiteralType; description?: string }
  | BindingModel
  | { kind: "data"; type: DataType; uri: string | IdPlaceholder; mode?: string; yamlMode?: string; description?: string };

export type OutputModel = BindingModel | { kind: "data"; type: DataType; mode?: string; yamlMode?: string; uri?: string; description?: string };

export interface IoContext {
  reader: DocumentReader;
  /** Folder local paths are relative to (the declaring YAML's). */
  baseDir: string;
  plan: PlanBuilder;
  /** `job`: top-level inputs (bindings not allowed); `node`: a pipeline step's. */
  level: "job" | "node";
  abortSignal?: AbortSignal;
}

const dataInputKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindInput"),
  allowed: ["type", "path", "mode", "description", "datastore"],
  unsupported: { optional: loc("LoaderNoOptionalInput"), default: loc("LoaderNoInputDefault") },
});
/** JobOutput `assetName`/`assetVersion` are in preview jobs api-versions only (not in GA 2024-04-01 nor 2024-10-01). */
const outputKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindOutput"),
  allowed: ["type", "mode", "path", "description"],
  unsupported: {
    name: loc("LoaderNoOutputAsset"),
    version: loc("LoaderNoOutputAsset"),
  },
});

/** Reads `inputs` at `basePath` (a mapping of name → value). */
export async function readInputs(ctx: IoContext, basePath: YamlPath): Promise<Map<string, InputModel>> {
  const inputs = new Map<string, InputModel>();
  const mapping = ctx.reader.mapping(basePath);
  if (!mapping) return inputs;
  for (const name of Object.keys(mapping)) {
    const p = [...basePath, name];
    if (!NAME_PATTERN.test(name) && !(ctx.level === "job" && /^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(name))) {
      throw ctx.reader.error("InvalidValue", ctx.reader.loc("LoaderBadParameterName", name), p);
    }
    const model = await readInput(ctx, p);
    if (model) inputs.set(name, model);
  }
  return inputs;
}

async function readInput(ctx: IoContext, p: YamlPath): Promise<InputModel | undefined> {
  const { reader } = ctx;
  const value = reader.get(p);
  // The CLI drops pipeline inputs whose value is None or "".
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    if (typeof value === "string") {
      const binding = readBinding(ctx, p, value, "input");
      if (binding) return binding;
    }
    return literalInput(reader, p, value);
  }
  if (Array.isArray(value)) {
    throw reader.error("InvalidValue", reader.loc("LoaderInputIsList", DocumentReader.describe(p), describeValue(value, reader.loc)), p);
  }
  if (Object.hasOwn(value, "value")) return literalValueInput(ctx, p, value as Record<string, unknown>);
  return dataInput(ctx, p);
}

/** `name: {type, path, mode, datastore, description}`. */
async function dataInput(ctx: IoContext, p: YamlPath): Promise<InputModel> {
  const { reader } = ctx;
  reader.mapping(p, dataInputKeys(reader.loc));
  const type = readDataType(reader, [...p, "type"], "input") ?? "uri_folder";
  const description = reader.string([...p, "description"]);
  const yamlMode = reader.string([...p, "mode"]);
  let mode: string | undefined;
  if (yamlMode !== undefined) {
    mode = ownValue(INPUT_MODES, yamlMode);
    if (!mode) {
      const allowed = Object.keys(INPUT_MODES).join(", ");
      throw reader.error("InvalidValue", reader.loc("LoaderInputMode", yamlMode, reader.lineOf([...p, "mode"]), allowed), [...p, "mode"]);
    }
  }
  const pathValue = reader.string([...p, "path"], { required: true })!;
  const binding = readBinding(ctx, [...p, "path"], pathValue, "input");
  if (binding) return { ...binding, mode, yamlMode };
  const uri = await resolveInputPath(ctx, [...p, "path"], pathValue, type, reader.string([...p, "datastore"]));
  return { kind: "data", type, uri, mode, yamlMode, description };
}

/**
 * The literal form `name: {value: 15}`: azure-ai-ml _schema/job/input_output_entry.py
 * `InputLiteralValueSchema` (tried after the data-input schemas by InputsField) loads
 * `UnionField([Str, Bool, Int, Float])` and returns the bare value, so the input is then what
 * `name: <value>` would be, after marshmallow's union: a string stays a string; 1/0 (also 1.0/0.0)
 * become True/False (fields.Boolean.truthy/falsy come before Int); other numbers go through the
 * non-strict fields.Integer, which truncates (`int(2.5)` → 2).
 */
async function literalValueInput(ctx: IoContext, p: YamlPath, mapping: Record<string, unknown>): Promise<InputModel | undefined> {
  const { reader } = ctx;
  reader.checkKeys(p, mapping, { kind: reader.loc("LoaderKindLiteralInput"), allowed: ["value"] });
  const vp = [...p, "value"];
  const raw = mapping.value;
  if (typeof raw === "string") return readBinding(ctx, vp, raw, "input") ?? literalInput(reader, vp, raw);
  if (typeof raw === "boolean") return literalInput(reader, vp, raw);
  if (typeof raw === "number" && Number.isFinite(raw)) {
    if (raw === 1 || raw === 0) return { kind: "literal", value: raw === 1 ? "True" : "False", literalType: "boolean" };
    return { kind: "literal", value: String(Math.trunc(raw)), literalType: "integer" };
  }
  throw reader.error("InvalidValue", reader.loc("LoaderLiteralValue", DocumentReader.describe(vp), reader.lineOf(vp), describeValue(raw, reader.loc)), vp);
}

function literalInput(reader: DocumentReader, p: YamlPath, value: string | number | boolean): InputModel {
  const isFloat = typeof value === "number" && reader.isFloatLiteral(p);
  const literalType: LiteralType =
    typeof value === "boolean" ? "boolean" : typeof value === "number" ? (isFloat || !Number.isInteger(value) ? "number" : "integer") : "string";
  return { kind: "literal", value: pythonStr(value, isFloat), literalType };
}

/** `${{parent.inputs.x}}` / `${{parent.jobs.a.outputs.b}}` (inputs) or `${{parent.outputs.y}}` (outputs). */
function readBinding(ctx: IoContext, p: YamlPath, text: string, direction: "input" | "output"): BindingModel | undefined {
  const m = BINDING.exec(text.trim());
  if (!m) return undefined;
  const { reader } = ctx;
  const expr = m[1];
  const line = reader.lineOf(p);
  if (ctx.level === "job") {
    if (direction === "input") return { kind: "binding", value: text, path: p }; // sent as a literal, as the CLI does
    throw reader.error("InvalidValue", reader.loc("LoaderJobOutputBinding", DocumentReader.describe(p), line), p);
  }
  if (/^(inputs|outputs)\./.test(expr)) {
    throw reader.error("UnknownBinding", reader.loc("LoaderBindingOldFormat", text, line, expr), p);
  }
  if (direction === "input" && !/^parent\.(inputs|jobs)\./.test(expr)) {
    throw reader.error("UnknownBinding", reader.loc("LoaderInputBindingTarget", text, line), p);
  }
  if (direction === "output" && !/^parent\.outputs\./.test(expr)) {
    throw reader.error("UnknownBinding", reader.loc("LoaderOutputBindingTarget", text, line), p);
  }
  return { kind: "binding", value: `\${{${expr}}}`, path: p };
}

function readDataType(reader: DocumentReader, p: YamlPath, direction: "input" | "output"): DataType | undefined {
  const type = reader.string(p);
  if (type === undefined) return undefined;
  if ((DATA_TYPES as readonly string[]).includes(type)) return type as DataType;
  const line = reader.lineOf(p);
  if ((LITERAL_TYPES as readonly string[]).includes(type)) {
    const message = direction === "input" ? reader.loc("LoaderInputLiteralType", type, line) : reader.loc("LoaderOutputLiteralType", type, line);
    throw reader.error("InvalidValue", message, p);
  }
  const allowed = DATA_TYPES.join(", ");
  const message =
    direction === "input" ? reader.loc("LoaderUnknownInputType", type, line, allowed) : reader.loc("LoaderUnknownOutputType", type, line, allowed);
  throw reader.error("InvalidValue", message, p);
}

async function resolveInputPath(ctx: IoContext, p: YamlPath, value: string, type: DataType, datastore: string | undefined): Promise<string | IdPlaceholder> {
  const { reader, plan } = ctx;
  const location = reader.locate(p);
  if (isRemoteUri(value)) {
    checkDatastoreOfUri(ctx, p, value);
    return value;
  }
  if (/^azureml:/i.test(value)) {
    const kind = MODEL_TYPES.has(type) ? "models" : "data";
    let parsed;
    try {
      parsed = parseAssetReference(value, kind, reader.loc);
    } catch (error) {
      if (error instanceof ReferenceSyntaxError) throw reader.error("InvalidValue", reader.loc("LoaderInputPathInvalid", reader.lineOf(p), error.message), p);
      throw error;
    }
    if (parsed.form === "passthrough") return parsed.value;
    const id: IdValue =
      parsed.form === "version"
        ? plan.addReference(kind, parsed.name, { version: parsed.version, resolution: "static", location })
        : plan.addReference(kind, parsed.name, { label: parsed.label, resolution: parsed.label === "latest" ? "latest" : "static", location });
    return restId(id);
  }
  return localInputPath(ctx, p, value, type, datastore);
}

/** A local file or folder input: uploaded to the datastore (the input's, else workspaceblobstore). */
async function localInputPath(ctx: IoContext, p: YamlPath, value: string, type: DataType, datastore: string | undefined): Promise<string> {
  const { reader, plan } = ctx;
  const local = path.resolve(ctx.baseDir, value.replace(/^file:/i, ""));
  refuseOutsideWorkFolders(ctx, p, local);
  try {
    const { isDirectory } = await statLocalPath(local, reader.loc);
    if (type === "uri_file" && isDirectory) {
      throw reader.error("InvalidValue", reader.loc("LoaderInputNotAFile", local, reader.lineOf(p)), p);
    }
    if (type === "uri_folder" && !isDirectory) {
      throw reader.error("InvalidValue", reader.loc("LoaderInputNotAFolder", local, reader.lineOf(p)), p);
    }
    if (datastore !== undefined) addDatastoreReference(ctx, [...p.slice(0, -1), "datastore"], datastore);
    const location = reader.locate(p);
    const upload = await plan.addUpload(local, { kind: "data", datastoreName: datastore ?? "workspaceblobstore", location, abortSignal: ctx.abortSignal });
    return datastoreUriOf({ blobPrefix: upload.blobPrefix, isDirectory: upload.isDirectory }, upload.datastoreName);
  } catch (error) {
    if (error instanceof LocalPathError) {
      throw reader.error(error.errorCode, `${error.message} ${reader.loc("LoaderInputPathWhere", value, reader.lineOf(p))}`, p);
    }
    throw error;
  }
}

/**
 * A datastore the job names (`azureml://datastores/<name>/paths/...`, an input's `datastore:`) becomes a
 * workspace reference, so it is looked up (GET) with the others before anything is uploaded or
 * registered, and `validateOnly` refuses a missing one with file, line and key. The URI itself is sent
 * unchanged, as the CLI sends it.
 */
function checkDatastoreOfUri(ctx: IoContext, p: YamlPath, uri: string): void {
  const m = /^azureml:\/\/datastores\/([^/]+)\/paths(?:\/|$)/i.exec(uri);
  if (m) addDatastoreReference(ctx, p, decodeURIComponent(m[1]));
}

function addDatastoreReference(ctx: IoContext, p: YamlPath, raw: string): void {
  let parsed;
  try {
    parsed = parseDatastoreReference(raw, ctx.reader.loc);
  } catch (error) {
    if (error instanceof ReferenceSyntaxError)
      throw ctx.reader.error("InvalidValue", ctx.reader.loc("LoaderDatastoreInvalid", ctx.reader.lineOf(p), error.message), p);
    throw error;
  }
  if (parsed.form === "named") ctx.plan.addReference("datastores", parsed.name, { resolution: "static", location: ctx.reader.locate(p) });
}

/** Reads `outputs` at `basePath`. */
export function readOutputs(ctx: IoContext, basePath: YamlPath): Map<string, OutputModel> {
  const outputs = new Map<string, OutputModel>();
  const mapping = ctx.reader.mapping(basePath);
  if (!mapping) return outputs;
  for (const name of Object.keys(mapping)) {
    const p = [...basePath, name];
    if (!NAME_PATTERN.test(name)) {
      throw ctx.reader.error("InvalidValue", ctx.reader.loc("LoaderBadParameterName", name), p);
    }
    outputs.set(name, readOutput(ctx, p));
  }
  return outputs;
}

function readOutput(ctx: IoContext, p: YamlPath): OutputModel {
  const { reader } = ctx;
  const value = reader.get(p);
  if (value === null || value === undefined) return { kind: "data", type: "uri_folder" };
  if (typeof value === "string") {
    const binding = readBinding(ctx, p, value, "output");
    if (binding) return binding;
    throw reader.error("InvalidValue", reader.loc("LoaderOutputForm", DocumentReader.describe(p), reader.lineOf(p), describeValue(value, reader.loc)), p);
  }
  reader.mapping(p, outputKeys(reader.loc));
  const type = readDataType(reader, [...p, "type"], "output") ?? "uri_folder";
  const yamlMode = reader.string([...p, "mode"]);
  let mode: string | undefined;
  if (yamlMode !== undefined) {
    mode = ownValue(OUTPUT_MODES, yamlMode);
    if (!mode) {
      const line = reader.lineOf([...p, "mode"]);
      const allowed = Object.keys(OUTPUT_MODES).join(", ");
      const message = yamlMode === "direct" ? reader.loc("LoaderOutputModeDirect", line, allowed) : reader.loc("LoaderOutputMode", yamlMode, line, allowed);
      throw reader.error("InvalidValue", message, [...p, "mode"]);
    }
  }
  const pathValue = reader.string([...p, "path"]);
  if (pathValue !== undefined) {
    const binding = readBinding(ctx, [...p, "path"], pathValue, "output");
    if (binding) return { ...binding, mode, yamlMode };
    if (!isRemoteUri(pathValue)) {
      throw reader.error("InvalidValue", reader.loc("LoaderOutputPathNotUri", pathValue, reader.lineOf([...p, "path"])), [...p, "path"]);
    }
    checkDatastoreOfUri(ctx, [...p, "path"], pathValue);
  }
  return { kind: "data", type, mode, yamlMode, uri: pathValue, description: reader.string([...p, "description"]) };
}

// ---------------------------------------------------------------------------------------------
// REST forms

/** Job-level `JobInput` (camelCase, msrest-serialized). */
export function restJobInput(input: InputModel): Record<string, unknown> {
  switch (input.kind) {
    case "literal":
      return { jobInputType: "literal", value: input.value, description: input.description };
    case "binding":
      return { jobInputType: "literal", value: input.value };
    case "data":
      return { jobInputType: input.type, uri: input.uri, mode: input.mode, description: input.description };
  }
}

/** Job-level `JobOutput`. */
export function restJobOutput(output: OutputModel): Record<string, unknown> {
  if (output.kind === "binding") throw new Error("Job-level outputs cannot be bindings.");
  return { jobOutputType: output.type, mode: output.mode, uri: output.uri, description: output.description };
}

/** Input inside a pipeline node (snake_case `as_dict()` form). */
export function nodeInput(input: InputModel): Record<string, unknown> {
  switch (input.kind) {
    case "literal":
      return { job_input_type: "literal", value: input.value };
    case "binding":
      return { job_input_type: "literal", value: input.value, mode: input.mode };
    case "data":
      return { job_input_type: input.type, uri: input.uri, mode: input.mode };
  }
}

/** Output inside a pipeline node: bindings as `{value, type: "literal"}`. */
export function nodeOutput(output: OutputModel): Record<string, unknown> {
  if (output.kind === "binding") return { value: output.value, type: "literal", mode: output.mode };
  return { job_output_type: output.type, mode: output.mode, uri: output.uri };
}

export function mapEntries<V>(map: ReadonlyMap<string, V>, convert: (value: V) => Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of map) setOwn(out, k, convert(v));
  return out;
}
