/**
 * What to deploy: the CLI v2 Kubernetes endpoint and deployment YAML files merged with the task
 * inputs (inputs win), as one typed spec — and the REST bodies the CLI would send for it
 * (cli-v2-models-endpoints-to-rest.md §3, §4). Pure: no service calls; local paths are resolved
 * against the YAML file's folder but not read.
 */
import * as path from "node:path";
import type { ContainerResourceSettings, ManagedServiceIdentity, OnlineDeployment, OnlineEndpoint, ProbeSettings } from "@azure/arm-machinelearning";
import { type AssetReferenceError, parseComputeReference } from "./references";
import { Fields, SpecError, type YamlDocument } from "./yamlFields";
import { outsideWorkFolders } from "../common/confinement";

export type AuthModeInput = "key" | "aml_token";

/** Task inputs that override file fields (undefined: not given). */
export interface SpecOverrides {
  endpointName?: string;
  deploymentName?: string;
  computeName?: string;
  authMode?: AuthModeInput;
  model?: string;
  environment?: string;
  /** Absolute path of the local code folder. */
  codePath?: string;
  scoringScript?: string;
  instanceType?: string;
  instanceCount?: number;
  requestTimeoutMs?: number;
  /** The pipeline's working folders: local paths in the YAML files must really be inside one (none: no check). */
  workFolders?: readonly string[];
}

export type EnvironmentSpec =
  | { kind: "reference"; value: string }
  | { kind: "inline"; image: string; conda?: { path: string } | { inline: Record<string, unknown> }; name?: string; version?: string; description?: string };

/**
 * `model: {path: ...}` in a deployment file: the CLI loads it as an anonymous Model (azure-ai-ml
 * _schema/_deployment/deployment.py `model` union with AnonymousModelSchema; entities/_assets/asset.py:
 * no name and no version → a UUID name, version "1", anonymous), uploads it and registers it
 * (operations/_operation_orchestrator.py `_get_model_arm_id` → ModelOperations.create_or_update).
 */
export interface InlineModelSpec {
  kind: "inline";
  /** Absolute local path (file or folder). */
  path: string;
  /** custom_model (the SDK's default), mlflow_model or triton_model. */
  type: string;
  name?: string;
  version?: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
}

export type CodeSpec = { kind: "local"; path: string; scoringScript: string } | { kind: "reference"; value: string; scoringScript: string };

export interface EndpointSpec {
  name: string;
  computeName: string;
  authMode: "Key" | "AMLToken";
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  identity: ManagedServiceIdentity;
}

export interface DeploymentSpec {
  name: string;
  /** Model reference as written (see references.ts), or a local model to register. */
  model: string | InlineModelSpec;
  environment?: EnvironmentSpec;
  code?: CodeSpec;
  instanceType?: string;
  instanceCount?: number;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  environmentVariables: Record<string, string>;
  requestSettings?: { requestTimeout?: string; maxQueueWait?: string; maxConcurrentRequestsPerInstance?: number };
  livenessProbe?: ProbeSettings;
  readinessProbe?: ProbeSettings;
  scaleSettings?: OnlineDeployment["properties"]["scaleSettings"];
  resources?: { containerResourceRequests?: ContainerResourceSettings; containerResourceLimits?: ContainerResourceSettings };
  appInsightsEnabled: boolean;
  modelMountPath?: string;
}

export interface DeploySpec {
  endpoint: EndpointSpec;
  deployment: DeploymentSpec;
  /** Things in the files the task does not use, to show as warnings. */
  notes: string[];
}

const ENDPOINT_KEYS = ["$schema", "name", "compute", "auth_mode", "description", "tags", "properties", "identity", "traffic", "kind"] as const;
const DEPLOYMENT_KEYS = [
  "$schema",
  "name",
  "type",
  "endpoint_name",
  "model",
  "code_configuration",
  "environment",
  "environment_variables",
  "instance_type",
  "instance_count",
  "scale_settings",
  "request_settings",
  "liveness_probe",
  "readiness_probe",
  "resources",
  "app_insights_enabled",
  "model_mount_path",
  "tags",
  "description",
  "properties",
] as const;
const NAME = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** Merges the files and the inputs into a spec; throws SpecError naming the input or file key. */
export function buildDeploySpec(sources: { endpointFile?: YamlDocument; deploymentFile?: YamlDocument; overrides: SpecOverrides }): DeploySpec {
  const notes: string[] = [sources.endpointFile, sources.deploymentFile].flatMap((f) => f?.source?.duplicateKeyWarnings() ?? []);
  const endpoint = endpointSpec(sources.endpointFile, sources.deploymentFile, sources.overrides, notes);
  const deployment = deploymentSpec(sources.deploymentFile, sources.overrides);
  return { endpoint, deployment, notes };
}

function checkName(value: string | undefined, inputName: string, what: string): string {
  if (!value)
    throw new SpecError(
      inputName,
      `The ${what} name is missing: set the ${inputName} input${inputName === "endpointName" ? " or 'name' in the endpoint file" : " or 'name' in the deployment file"}.`,
    );
  if (value.length < 3 || value.length > 32 || !NAME.test(value)) {
    throw new SpecError(
      inputName,
      `The ${what} name '${value}' is invalid: use 3 to 32 letters, digits and '-', starting with a letter and ending with a letter or digit.`,
    );
  }
  return value;
}

function endpointSpec(file: YamlDocument | undefined, deploymentFile: YamlDocument | undefined, o: SpecOverrides, notes: string[]): EndpointSpec {
  const f = file ? new Fields(file, "endpointFile") : undefined;
  f?.onlyKnown(ENDPOINT_KEYS);
  const name = checkName(
    o.endpointName ?? f?.string("name") ?? (deploymentFile ? new Fields(deploymentFile, "deploymentFile").string("endpoint_name") : undefined),
    "endpointName",
    "endpoint",
  );
  let computeName = o.computeName;
  const computeRef = f?.string("compute");
  if (!computeName && computeRef) {
    try {
      computeName = parseComputeReference(computeRef);
    } catch (err) {
      throw f!.error("compute", (err as AssetReferenceError).message.replace(/\.$/, ""));
    }
  }
  if (!computeName)
    throw new SpecError("computeName", "The Kubernetes compute is missing: set the computeName input or 'compute: azureml:<name>' in the endpoint file.");
  if (!/^[a-zA-Z][a-zA-Z0-9-]{1,23}$/.test(computeName)) {
    throw new SpecError("computeName", `The compute name '${computeName}' is invalid: use 2 to 24 letters, digits and '-', starting with a letter.`);
  }
  const authText = o.authMode ?? f?.string("auth_mode")?.toLowerCase() ?? "key";
  if (authText !== "key" && authText !== "aml_token") {
    throw (f ?? new Fields({ path: "", value: {} }, "authMode")).error("auth_mode", `is '${authText}'; Kubernetes endpoints support key or aml_token`);
  }
  if (f?.mapping("traffic")) notes.push(`${file!.path}: 'traffic' is ignored; the trafficPercent input decides the split.`);
  return {
    name,
    computeName,
    authMode: authText === "key" ? "Key" : "AMLToken",
    ...(f?.string("description") !== undefined ? { description: f.string("description") } : {}),
    tags: f?.stringMap("tags") ?? {},
    properties: f?.stringMap("properties") ?? {},
    identity: identityOf(f),
  };
}

function identityOf(f: Fields | undefined): ManagedServiceIdentity {
  const id = f?.mapping("identity");
  if (!id) return { type: "SystemAssigned" };
  const type = f!.string("type", id, "identity.")?.toLowerCase();
  if (type === "system_assigned" || type === undefined) return { type: "SystemAssigned" };
  if (type !== "user_assigned") throw f!.error("identity.type", "must be system_assigned or user_assigned");
  const list = id.user_assigned_identities;
  const ids = Array.isArray(list) ? list.map((e) => (typeof e === "string" ? e : (e as { resource_id?: string })?.resource_id)) : [];
  if (!ids.length || ids.some((x) => typeof x !== "string")) throw f!.error("identity.user_assigned_identities", "must list the identities' resource ids");
  return { type: "UserAssigned", userAssignedIdentities: Object.fromEntries(ids.map((x) => [x as string, {}])) };
}

function deploymentSpec(file: YamlDocument | undefined, o: SpecOverrides): DeploymentSpec {
  const f = file ? new Fields(file, "deploymentFile") : undefined;
  f?.onlyKnown(DEPLOYMENT_KEYS);
  const type = f?.string("type");
  if (type !== undefined && type.toLowerCase() !== "kubernetes")
    throw f!.error("type", `is '${type}'; this task deploys Kubernetes online deployments (type: kubernetes)`);
  const name = checkName(o.deploymentName ?? f?.string("name"), "deploymentName", "deployment");
  const model = o.model ?? modelOf(f);
  if (!model)
    throw new SpecError("model", "The model is missing: set the model input (name:version, name@latest or a model id) or 'model' in the deployment file.");
  const instanceCount = o.instanceCount ?? f?.integer("instance_count", undefined, "", 1);
  const instanceType = o.instanceType ?? f?.string("instance_type");
  const description = f?.string("description");
  const mountPath = f?.string("model_mount_path");
  return {
    name,
    model,
    ...optional("environment", environmentOf(f, o)),
    ...optional("code", codeOf(f, o)),
    ...optional("instanceType", instanceType),
    ...optional("instanceCount", instanceCount),
    ...optional("description", description),
    tags: f?.stringMap("tags") ?? {},
    properties: f?.stringMap("properties") ?? {},
    environmentVariables: f?.stringMap("environment_variables") ?? {},
    ...optional("requestSettings", requestSettingsOf(f, o)),
    ...optional("livenessProbe", probeOf(f, "liveness_probe")),
    ...optional("readinessProbe", probeOf(f, "readiness_probe")),
    ...optional("scaleSettings", scaleOf(f)),
    ...optional("resources", resourcesOf(f)),
    appInsightsEnabled: f?.boolean("app_insights_enabled") ?? false,
    ...optional("modelMountPath", mountPath),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const MODEL_TYPES = ["custom_model", "mlflow_model", "triton_model"];

function modelOf(f: Fields | undefined): string | InlineModelSpec | undefined {
  if (!f) return undefined;
  const v = f.doc.value.model;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  const m = f.mapping("model")!;
  f.onlyKnown(["name", "version", "path", "type", "description", "tags", "properties", "$schema"], m, "model.");
  const local = f.string("path", m, "model.");
  if (!local) throw f.error("model.path", "is required for an inline model (or reference a registered one: azureml:<name>:<version>)");
  if (/^(azureml|https?|wasbs?|abfss?):/i.test(local))
    throw f.error("model.path", "must be a local file or folder; a registered model is referenced as model: azureml:<name>:<version>");
  const type = f.string("type", m, "model.") ?? "custom_model";
  if (!MODEL_TYPES.includes(type)) throw f.error("model.type", `is '${type}'; use ${MODEL_TYPES.join(", ")}`);
  const name = f.string("name", m, "model.");
  const version = f.string("version", m, "model.");
  if (version !== undefined && name === undefined)
    throw f.error("model.version", "needs model.name too (a version without a name is refused by the CLI as well)");
  if (name !== undefined && version === undefined) throw f.error("model.name", "needs model.version too: give the version to register");
  const description = f.string("description", m, "model.");
  return {
    kind: "inline",
    path: path.resolve(path.dirname(f.doc.path), local),
    type,
    ...optional("name", name),
    ...optional("version", version),
    ...optional("description", description),
    tags: f.stringMap("tags", m, "model.") ?? {},
    properties: f.stringMap("properties", m, "model.") ?? {},
  };
}

function environmentOf(f: Fields | undefined, o: SpecOverrides): EnvironmentSpec | undefined {
  if (o.environment) return { kind: "reference", value: o.environment };
  if (!f) return undefined;
  const v = f.doc.value.environment;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return { kind: "reference", value: v };
  const env = f.mapping("environment")!;
  f.onlyKnown(["name", "version", "image", "conda_file", "description", "$schema"], env, "environment.");
  const image = f.string("image", env, "environment.");
  if (!image) throw f.error("environment.image", "is required for an inline environment (or use environment: azureml:<name>:<version>)");
  const conda = env.conda_file;
  let condaSpec: { path: string } | { inline: Record<string, unknown> } | undefined;
  if (typeof conda === "string") condaSpec = { path: insideWorkFolders(f, "environment.conda_file", path.resolve(path.dirname(f.doc.path), conda), o) };
  else if (conda !== undefined && conda !== null) condaSpec = { inline: f.mapping("conda_file", env, "environment.")! };
  const name = f.string("name", env, "environment.");
  const version = f.string("version", env, "environment.");
  const description = f.string("description", env, "environment.");
  return {
    kind: "inline",
    image,
    ...optional("conda", condaSpec),
    ...optional("name", name),
    ...optional("version", version),
    ...optional("description", description),
  };
}

function codeOf(f: Fields | undefined, o: SpecOverrides): CodeSpec | undefined {
  const cc = f?.mapping("code_configuration");
  if (cc) f!.onlyKnown(["code", "scoring_script"], cc, "code_configuration.");
  const script = o.scoringScript ?? (cc ? f!.string("scoring_script", cc, "code_configuration.") : undefined);
  if (o.codePath) {
    if (!script)
      throw new SpecError("scoringScript", "codePath is set but the scoring script is not: set scoringScript (e.g. score.py, relative to codePath).");
    return { kind: "local", path: o.codePath, scoringScript: script };
  }
  const code = cc ? f!.string("code", cc, "code_configuration.") : undefined;
  if (!code) {
    if (o.scoringScript)
      throw new SpecError("codePath", "scoringScript is set but there is no code folder: set codePath or code_configuration.code in the deployment file.");
    return undefined;
  }
  if (!script) throw f!.error("code_configuration.scoring_script", "is required with code_configuration.code");
  if (/^azureml:/i.test(code) || code.startsWith("/subscriptions/")) return { kind: "reference", value: code, scoringScript: script };
  return { kind: "local", path: insideWorkFolders(f!, "code_configuration.code", path.resolve(path.dirname(f!.doc.path), code), o), scoringScript: script };
}

/** `local`, when its real path is inside the working folders (common/confinement.ts); else the YAML key is refused. */
function insideWorkFolders(f: Fields, key: string, local: string, o: SpecOverrides): string {
  const real = outsideWorkFolders(local, o.workFolders ?? []);
  if (real === undefined) return local;
  throw f.error(
    key,
    `names ${local}${real === local ? "" : `, a link to ${real},`} which is outside the pipeline's working folders: keep it under ${o.workFolders![0]}, with links that stay inside it`,
  );
}

/** Milliseconds → ISO 8601 duration as the SDK writes it (5000 → PT5S, 500 → PT0.5S); 0 → undefined. */
export function msToIsoDuration(ms: number | undefined): string | undefined {
  if (ms === undefined || ms <= 0) return undefined;
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

function requestSettingsOf(f: Fields | undefined, o: SpecOverrides): DeploymentSpec["requestSettings"] {
  const rs = f?.mapping("request_settings");
  if (rs) f!.onlyKnown(["request_timeout_ms", "max_queue_wait_ms", "max_concurrent_requests_per_instance"], rs, "request_settings.");
  const timeout = msToIsoDuration(o.requestTimeoutMs ?? (rs ? f!.integer("request_timeout_ms", rs, "request_settings.") : undefined));
  const wait = rs ? msToIsoDuration(f!.integer("max_queue_wait_ms", rs, "request_settings.")) : undefined;
  const concurrent = rs ? f!.integer("max_concurrent_requests_per_instance", rs, "request_settings.", 1) : undefined;
  const out = { ...optional("requestTimeout", timeout), ...optional("maxQueueWait", wait), ...optional("maxConcurrentRequestsPerInstance", concurrent) };
  return Object.keys(out).length ? out : undefined;
}

function secondsToIso(s: number | undefined): string | undefined {
  return s === undefined || s <= 0 ? undefined : `PT${s}S`;
}

function probeOf(f: Fields | undefined, key: string): ProbeSettings | undefined {
  const p = f?.mapping(key);
  if (!p) return undefined;
  const pre = `${key}.`;
  f!.onlyKnown(["initial_delay", "period", "timeout", "success_threshold", "failure_threshold"], p, pre);
  return {
    ...optional("initialDelay", secondsToIso(f!.integer("initial_delay", p, pre))),
    ...optional("period", secondsToIso(f!.integer("period", p, pre))),
    ...optional("timeout", secondsToIso(f!.integer("timeout", p, pre))),
    ...optional("successThreshold", f!.integer("success_threshold", p, pre, 1)),
    ...optional("failureThreshold", f!.integer("failure_threshold", p, pre, 1)),
  };
}

function scaleOf(f: Fields | undefined): DeploymentSpec["scaleSettings"] {
  const s = f?.mapping("scale_settings");
  if (!s) return undefined;
  const pre = "scale_settings.";
  f!.onlyKnown(["type", "min_instances", "max_instances", "target_utilization_percentage", "polling_interval"], s, pre);
  const type = f!.string("type", s, pre)?.toLowerCase();
  if (type === "default") return { scaleType: "Default" };
  if (type !== "target_utilization") throw f!.error(`${pre}type`, "must be default or target_utilization");
  return {
    scaleType: "TargetUtilization",
    ...optional("minInstances", f!.integer("min_instances", s, pre)),
    ...optional("maxInstances", f!.integer("max_instances", s, pre, 1)),
    ...optional("targetUtilizationPercentage", f!.integer("target_utilization_percentage", s, pre, 1)),
    ...optional("pollingInterval", secondsToIso(f!.integer("polling_interval", s, pre))),
  };
}

function resourcesOf(f: Fields | undefined): DeploymentSpec["resources"] {
  const r = f?.mapping("resources");
  if (!r) return undefined;
  f!.onlyKnown(["requests", "limits"], r, "resources.");
  const settings = (key: "requests" | "limits"): ContainerResourceSettings | undefined => {
    const m = f!.stringMap(key, r, "resources.");
    if (!m) return undefined;
    f!.onlyKnown(["cpu", "memory", "nvidia.com/gpu"], m, `resources.${key}.`);
    return { ...optional("cpu", m.cpu), ...optional("memory", m.memory), ...optional("gpu", m["nvidia.com/gpu"]) };
  };
  return { ...optional("containerResourceRequests", settings("requests")), ...optional("containerResourceLimits", settings("limits")) };
}

// ---------------------------------------------------------------------------------------------
// REST bodies

/** PUT body of the endpoint (§3), with the traffic map to keep or set. */
export function endpointBody(spec: EndpointSpec, resolved: { location: string; computeId: string; traffic: Record<string, number> }): OnlineEndpoint {
  return {
    location: resolved.location,
    tags: spec.tags,
    identity: spec.identity,
    properties: {
      authMode: spec.authMode,
      compute: resolved.computeId,
      ...optional("description", spec.description),
      properties: spec.properties,
      traffic: Object.fromEntries(Object.entries(resolved.traffic).filter(([, v]) => v > 0)),
    },
  };
}

/** PUT body of the Kubernetes deployment (§4). */
export function deploymentBody(
  spec: DeploymentSpec,
  resolved: { location: string; modelId: string; environmentId?: string; codeId?: string },
): OnlineDeployment {
  return {
    location: resolved.location,
    tags: spec.tags,
    ...(spec.instanceCount !== undefined ? { sku: { name: "Default", capacity: spec.instanceCount } } : { sku: { name: "Default" } }),
    properties: {
      endpointComputeType: "Kubernetes",
      model: resolved.modelId,
      ...optional("environmentId", resolved.environmentId),
      ...(resolved.codeId && spec.code ? { codeConfiguration: { codeId: resolved.codeId, scoringScript: spec.code.scoringScript } } : {}),
      ...optional("description", spec.description),
      properties: spec.properties,
      environmentVariables: spec.environmentVariables,
      ...optional("instanceType", spec.instanceType),
      ...optional("requestSettings", spec.requestSettings),
      ...optional("livenessProbe", spec.livenessProbe),
      ...optional("readinessProbe", spec.readinessProbe),
      ...optional("scaleSettings", spec.scaleSettings),
      ...optional("containerResourceRequirements", spec.resources),
      appInsightsEnabled: spec.appInsightsEnabled,
      ...optional("modelMountPath", spec.modelMountPath),
    },
  } as OnlineDeployment;
}
