/**
 * Pieces shared by command jobs, inline command steps and command components: `code`, `compute`,
 * `resources`, `distribution`, `limits`, and the `${{inputs.x}}`/`${{outputs.y}}` placeholders of `command`.
 */
import * as path from "node:path";
import type { DocumentReader, KeyRules } from "./documentReader";
import { LocalPathError, type IdValue, type PlanBuilder } from "./planBuilder";
import { secondsToIsoDuration } from "./pythonValues";
import { parseAssetReference, parseComputeReference, ReferenceSyntaxError } from "./references";
import type { YamlPath } from "./yamlSource";
import type { Loc } from "../../common/loc";
import { ownValue } from "../../common/ownKeys";
import { refuseOutsideWorkFolders } from "./workFolders";

export interface PartsContext {
  reader: DocumentReader;
  baseDir: string;
  plan: PlanBuilder;
  abortSignal?: AbortSignal;
}

/** `code:` → a local folder/file to upload and register, or a code version reference. */
export async function readCode(ctx: PartsContext, p: YamlPath): Promise<IdValue | undefined> {
  const { reader, plan } = ctx;
  const value = reader.string(p);
  if (value === undefined) return undefined;
  const line = reader.lineOf(p);
  const location = reader.locate(p);
  if (/^git\+/i.test(value)) throw reader.error("Unsupported", reader.loc("LoaderCodeGit", value, line), p);
  if (/^azureml:/i.test(value) || value.startsWith("/subscriptions/")) return readCodeReference(ctx, p, value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw reader.error("Unsupported", reader.loc("LoaderCodeNotLocalNorReference", line, value), p);
  const local = path.resolve(ctx.baseDir, value);
  refuseOutsideWorkFolders(ctx, p, local);
  try {
    return await plan.addCode(local, location, ctx.abortSignal);
  } catch (error) {
    if (error instanceof LocalPathError) throw reader.error(error.errorCode, `${error.message} ${reader.loc("LoaderCodeWhere", value, line)}`, p);
    throw error;
  }
}

/** `code: azureml:name:version` (or `@label`, or an ARM id). */
function readCodeReference(ctx: PartsContext, p: YamlPath, value: string): IdValue {
  const { reader, plan } = ctx;
  const location = reader.locate(p);
  let parsed;
  try {
    parsed = parseAssetReference(value.startsWith("/") ? `azureml:${value}` : value, "codes", reader.loc);
  } catch (error) {
    if (error instanceof ReferenceSyntaxError) throw reader.error("InvalidValue", reader.loc("LoaderCodeInvalid", reader.lineOf(p), error.message), p);
    throw error;
  }
  if (parsed.form === "passthrough") {
    if (parsed.value.startsWith("azureml://")) throw reader.error("Unsupported", reader.loc("LoaderCodeFromRegistry", reader.lineOf(p)), p);
    return { form: "armId", id: parsed.value };
  }
  if (parsed.form === "version") return plan.addReference("codes", parsed.name, { version: parsed.version, resolution: "static", location });
  return plan.addReference("codes", parsed.name, { label: parsed.label, resolution: parsed.label === "latest" ? "latest" : "static", location });
}

/** `compute:` → a named compute (looked up when `resolution` is `get`) or a verbatim value. */
export function readCompute(ctx: PartsContext, p: YamlPath, resolution: "get" | "static"): IdValue | undefined {
  const { reader, plan } = ctx;
  const value = reader.string(p);
  if (value === undefined) return undefined;
  let parsed;
  try {
    parsed = parseComputeReference(value, reader.loc);
  } catch (error) {
    if (error instanceof ReferenceSyntaxError) throw reader.error("Unsupported", reader.loc("LoaderComputeInvalid", reader.lineOf(p), error.message), p);
    throw error;
  }
  if (parsed.form === "passthrough") return parsed.value.startsWith("/") ? { form: "armId", id: parsed.value } : { form: "verbatim", value: parsed.value };
  return plan.addReference("computes", parsed.name, { resolution, location: reader.locate(p) });
}

/** The three spellings of one setting: YAML (component spec), snake (pipeline node), camel (REST job). */
export interface ThreeForms {
  yaml: Record<string, unknown>;
  snake: Record<string, unknown>;
  camel: Record<string, unknown>;
}

const resourcesKeys = (loc: Loc): KeyRules => ({
  kind: "resources",
  allowed: ["instance_count", "instance_type", "shm_size", "docker_args", "properties"],
  unsupported: { locations: loc("LoaderNoResourceLocations") },
});

export function readResources(reader: DocumentReader, p: YamlPath): ThreeForms | undefined {
  const m = reader.mapping(p, resourcesKeys(reader.loc));
  if (!m) return undefined;
  const instanceCount = reader.integer([...p, "instance_count"], { min: 1 });
  const instanceType = reader.string([...p, "instance_type"]);
  const shmSize = reader.string([...p, "shm_size"]);
  const dockerArgs = reader.string([...p, "docker_args"]);
  const properties = reader.mapping([...p, "properties"]);
  const snake = { instance_count: instanceCount, instance_type: instanceType, shm_size: shmSize, docker_args: dockerArgs, properties };
  return {
    yaml: snake,
    snake,
    camel: { instanceCount, instanceType, shmSize, dockerArgs, properties },
  };
}

const DISTRIBUTION_TYPES: Readonly<Record<string, { rest: string; keys: string[] }>> = {
  pytorch: { rest: "PyTorch", keys: ["process_count_per_instance"] },
  mpi: { rest: "Mpi", keys: ["process_count_per_instance"] },
  tensorflow: { rest: "TensorFlow", keys: ["worker_count", "parameter_server_count"] },
};

export function readDistribution(reader: DocumentReader, p: YamlPath): ThreeForms | undefined {
  const m = reader.mapping(p);
  if (!m) return undefined;
  const type = reader.requireString([...p, "type"]).toLowerCase();
  const info = ownValue(DISTRIBUTION_TYPES, type);
  if (!info) {
    const allowed = Object.keys(DISTRIBUTION_TYPES).join(", ");
    throw reader.error("InvalidValue", reader.loc("LoaderDistributionType", type, reader.lineOf([...p, "type"]), allowed), [...p, "type"]);
  }
  reader.checkKeys(p, m, { kind: reader.loc("LoaderKindDistribution", type), allowed: ["type", ...info.keys] });
  const yaml: Record<string, unknown> = { type };
  const snake: Record<string, unknown> = { distribution_type: info.rest };
  const camel: Record<string, unknown> = { distributionType: info.rest };
  for (const key of info.keys) {
    const n = reader.integer([...p, key], { min: 0 });
    if (n === undefined) continue;
    yaml[key] = n;
    snake[key] = n;
    camel[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = n;
  }
  return { yaml, snake, camel };
}

/**
 * `identity:` (jobs and steps). Types as the SDK's schemas accept them (azure-ai-ml
 * _schema/job/identity.py: `aml_token`, `managed` or `managed_identity`, `user_identity`, compared
 * after camel_to_snake); REST `IdentityConfiguration` from entities/_credentials.py
 * `_to_job_rest_object` (camelCase in a job body, the msrest attribute names inside a pipeline node:
 * entities/_job/pipeline/_attr_dict / _utils/utils.py `get_rest_dict_for_node_attrs`).
 */
export function readIdentity(reader: DocumentReader, p: YamlPath): Omit<ThreeForms, "yaml"> | undefined {
  const m = reader.mapping(p);
  if (!m) return undefined;
  const type = reader.requireString([...p, "type"]).toLowerCase();
  const rest = ownValue(IDENTITY_TYPES, type);
  if (!rest) {
    const allowed = Object.keys(IDENTITY_TYPES).join(", ");
    throw reader.error("InvalidValue", reader.loc("LoaderIdentityType", type, reader.lineOf([...p, "type"]), allowed), [...p, "type"]);
  }
  if (rest !== "Managed") {
    reader.checkKeys(p, m, { kind: reader.loc("LoaderKindIdentity", type), allowed: ["type"] });
    return { snake: { identity_type: rest }, camel: { identityType: rest } };
  }
  reader.checkKeys(p, m, {
    kind: reader.loc("LoaderKindIdentity", "managed"),
    allowed: ["type", "client_id", "object_id"],
    unsupported: { msi_resource_id: reader.loc("LoaderNoMsiResourceId") },
  });
  const clientId = reader.string([...p, "client_id"]);
  const objectId = reader.string([...p, "object_id"]);
  return { snake: { identity_type: rest, client_id: clientId, object_id: objectId }, camel: { identityType: rest, clientId, objectId } };
}

const IDENTITY_TYPES: Readonly<Record<string, string>> = {
  aml_token: "AMLToken",
  managed: "Managed",
  managed_identity: "Managed",
  user_identity: "UserIdentity",
};

/**
 * `queue_settings: {job_tier}` → `queueSettings: {jobTier}` (azure-ai-ml entities/_job/queue_settings.py
 * `_to_rest_object`, constants/_job/job.py JobTierNames.ENTITY_TO_REST). Carried by jobs api-version 2024-04-01, not 2022-10-01
 * (jobsRest.ts). `priority` exists only in preview api-versions, so it is refused.
 */
export function readQueueSettings(reader: DocumentReader, p: YamlPath): Omit<ThreeForms, "yaml"> | undefined {
  const m = reader.mapping(p, {
    kind: "queue_settings",
    allowed: ["job_tier"],
    unsupported: { priority: reader.loc("LoaderNoQueuePriority") },
  });
  if (!m) return undefined;
  const tier = reader.string([...p, "job_tier"]);
  if (tier === undefined) return { snake: {}, camel: {} };
  const rest = ownValue(JOB_TIERS, tier.toLowerCase());
  if (!rest) {
    const allowed = Object.keys(JOB_TIERS).join(", ");
    throw reader.error("InvalidValue", reader.loc("LoaderJobTier", tier, reader.lineOf([...p, "job_tier"]), allowed), [...p, "job_tier"]);
  }
  return { snake: { job_tier: rest }, camel: { jobTier: rest } };
}

const JOB_TIERS: Readonly<Record<string, string>> = { spot: "Spot", basic: "Basic", standard: "Standard", premium: "Premium" };

export function readLimits(reader: DocumentReader, p: YamlPath): Omit<ThreeForms, "yaml"> | undefined {
  const m = reader.mapping(p, { kind: "limits", allowed: ["timeout"] });
  if (!m) return undefined;
  const seconds = reader.number([...p, "timeout"]);
  const timeout = seconds === undefined ? undefined : secondsToIsoDuration(seconds);
  return { snake: { job_limits_type: "Command", timeout }, camel: { jobLimitsType: "Command", timeout } };
}

/**
 * Checks that every `${{inputs.x}}` / `${{outputs.y}}` in `command` names a declared input/output. Those
 * inside `$[[...]]` optional sections may name inputs that are not set.
 */
export function checkCommandPlaceholders(
  reader: DocumentReader,
  p: YamlPath,
  command: string,
  declared: { inputs: ReadonlySet<string>; outputs: ReadonlySet<string>; owner: string },
): void {
  const placeholder = /\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_.]+)\s*\}\}/g;
  const optionalRanges: [number, number][] = [];
  const optional = /\$\[\[[\s\S]*?\]\]/g;
  for (let m = optional.exec(command); m; m = optional.exec(command)) optionalRanges.push([m.index, m.index + m[0].length]);
  for (let m = placeholder.exec(command); m; m = placeholder.exec(command)) {
    const [, kind, name] = m;
    const set = kind === "inputs" ? declared.inputs : declared.outputs;
    if (set.has(name)) continue;
    const at = m.index;
    if (kind === "inputs" && optionalRanges.some(([s, e]) => at > s && at < e)) continue;
    const names = [...set].sort().join(", ") || reader.loc("LoaderNone");
    const message =
      kind === "inputs"
        ? reader.loc("LoaderCommandUnknownInput", declared.owner, reader.lineOf(p), name, declared.owner, name, names)
        : reader.loc("LoaderCommandUnknownOutput", declared.owner, reader.lineOf(p), name, declared.owner, name, names);
    throw reader.error("UnknownBinding", message, p);
  }
}
