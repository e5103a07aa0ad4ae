/**
 * Loads a CLI v2 job YAML (`type: pipeline` or `type: command`) into a {@link JobPlan}: what
 * `az ml job create --file <yaml> --set …` would upload, register and send.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { CommandJob, PipelineJob } from "@azure/arm-machinelearning";
import { checkCommandPlaceholders, readCode, readCompute, readDistribution, readIdentity, readLimits, readQueueSettings, readResources } from "./commandParts";
import { DocumentReader, type KeyRules } from "./documentReader";
import { readEnvironment } from "./environments";
import { JobDefinitionError } from "./errors";
import type { ComponentVersionRegistration, JobBody, JobBodyOptions, JobKind, JobPlan, ResolvedJobDependencies } from "./jobPlan";
import { mapEntries, readInputs, readOutputs, restJobInput, restJobOutput } from "./jobIo";
import type { LocalComponent } from "./localComponent";
import { applyOverrides, parseOverrides } from "./overrides";
import { readPipelineSteps } from "./pipelineSteps";
import { materialize, type IdLookup, type IdTarget } from "./placeholders";
import { PlanBuilder, restId, staticReferenceId } from "./planBuilder";
import { hashDictAsUuid } from "./pythonValues";
import { parseDatastoreReference, ReferenceSyntaxError, workspaceChildId } from "./references";
import { parseYamlSource } from "./yamlSource";
import { ownValue } from "../../common/ownKeys";
import { ANONYMOUS_COMPONENT_NAME } from "../../common/azureml/assetNames";

export interface LoadJobOptions {
  /** `--set`-style overrides, one `key.path=value` a line. */
  overrides?: string;
  /** Working folders every local path must really be inside (common/confinement.ts); none: no check. */
  workFolders?: readonly string[];
  abortSignal?: AbortSignal;
}

export { ANONYMOUS_COMPONENT_NAME };

const COMMON_JOB_KEYS = [
  "$schema",
  "type",
  "name",
  "display_name",
  "experiment_name",
  "description",
  "tags",
  "properties",
  "compute",
  "inputs",
  "outputs",
  "identity",
];
const JOB_UNSUPPORTED: Readonly<Record<string, string>> = {
  services: "job services (SSH, Jupyter, TensorBoard) are not supported",
};
const PIPELINE_KEYS: KeyRules = {
  kind: "pipeline job",
  allowed: [...COMMON_JOB_KEYS, "settings", "jobs"],
  unsupported: { ...JOB_UNSUPPORTED, component: "pipeline components are not supported: list the steps under 'jobs'" },
};
const COMMAND_KEYS: KeyRules = {
  kind: "command job",
  allowed: [...COMMON_JOB_KEYS, "command", "code", "environment", "environment_variables", "resources", "distribution", "limits", "queue_settings"],
  unsupported: JOB_UNSUPPORTED,
};
const JOB_TYPES: Readonly<Record<string, JobKind>> = { pipeline: "pipeline", command: "command" };
const KNOWN_SETTINGS = ["default_compute", "default_datastore", "continue_on_step_failure", "force_rerun", "on_init", "on_finalize"];

/** Loads and checks the job YAML at `filePath`; reads and hashes local code and data it names. */
export async function loadJob(filePath: string, options: LoadJobOptions = {}): Promise<JobPlan> {
  const absolute = path.resolve(filePath);
  let text: string;
  try {
    text = await fs.readFile(absolute, "utf8");
  } catch (error) {
    throw new JobDefinitionError("FileNotFound", `Job file not found: ${absolute}.`, { location: { filePath: absolute }, cause: error });
  }
  if (text.trim() === "") throw new JobDefinitionError("NotAMapping", `Job file ${absolute} is empty.`, { location: { filePath: absolute } });
  const source = parseYamlSource(text, absolute);
  const document = source.value;
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new JobDefinitionError(
      "NotAMapping",
      `Job file ${absolute} must contain a mapping (type, jobs, ...), not a ${Array.isArray(document) ? "list" : "scalar"}.`,
      {
        location: { filePath: absolute, line: 1 },
      },
    );
  }
  const doc = structuredClone(document) as Record<string, unknown>;
  const overrides = parseOverrides(options.overrides ?? "");
  const overriddenType = [...overrides].reverse().find((o) => o.path.length === 1 && o.path[0] === "type")?.value;
  const typeText = overriddenType ?? (typeof doc.type === "string" ? doc.type : doc.type === undefined ? "command" : String(doc.type));
  const kind = ownValue(JOB_TYPES, typeText);
  const rules = kind === "pipeline" ? PIPELINE_KEYS : COMMAND_KEYS;
  const origins = applyOverrides(doc, overrides, { allowedRootKeys: new Set(rules.allowed.filter((k) => k !== "$schema")), jobType: kind ?? typeText });
  const reader = new DocumentReader(source, doc, origins);
  if (!kind) {
    throw reader.error("Unsupported", `Unsupported job type: '${typeText}' at line ${reader.lineOf(["type"])} (supported: pipeline, command).`, ["type"]);
  }
  reader.requireMapping([], rules);

  const plan = new PlanBuilder(options.workFolders);
  plan.warnings.push(...source.duplicateKeyWarnings());
  const baseDir = path.dirname(absolute);
  const ctx = { reader, baseDir, plan, abortSignal: options.abortSignal };
  const common = {
    name: reader.string(["name"], { allowNumbers: true }),
    displayName: reader.string(["display_name"], { allowNumbers: true }),
    experimentName: reader.string(["experiment_name"], { allowNumbers: true }),
    description: reader.string(["description"]),
    tags: reader.stringMap(["tags"]),
    properties: reader.stringMap(["properties"]),
  };
  const io = { ...ctx, level: "job" as const };
  const inputs = await readInputs(io, ["inputs"]);
  const outputs = readOutputs(io, ["outputs"]);
  const identity = readIdentity(reader, ["identity"])?.camel;

  let template: Record<string, unknown>;
  if (kind === "pipeline") {
    const compute = readCompute(ctx, ["compute"], "get");
    const settings = readSettings(reader, plan);
    const jobs = await readPipelineSteps(
      { ...ctx, components: { plan, cache: new Map<string, Promise<LocalComponent>>(), abortSignal: options.abortSignal } },
      {
        inputNames: new Set(Object.keys(reader.mapping(["inputs"]) ?? {})),
        inputs,
        outputs,
        hasDefaultCompute: compute !== undefined || settings.hasDefaultCompute,
      },
    );
    for (const key of ["on_init", "on_finalize"]) {
      const node = settings.rest[key];
      if (typeof node === "string" && !(node in jobs)) {
        throw reader.error("UnknownBinding", `settings.${key} at line ${reader.lineOf(["settings", key])} names step '${node}', which is not in 'jobs'.`, [
          "settings",
          key,
        ]);
      }
    }
    template = {
      jobType: "Pipeline",
      description: common.description,
      computeId: compute ? restId(compute) : undefined,
      identity,
      settings: settings.rest,
      inputs: mapEntries(inputs, restJobInput),
      outputs: mapEntries(outputs, restJobOutput),
      jobs,
    };
  } else {
    const command = reader.requireString(["command"]);
    checkCommandPlaceholders(reader, ["command"], command, { inputs: new Set(inputs.keys()), outputs: new Set(outputs.keys()), owner: "the job" });
    const code = await readCode(ctx, ["code"]);
    const environment = await readEnvironment(ctx, ["environment"]);
    const compute = readCompute(ctx, ["compute"], "static");
    template = {
      jobType: "Command",
      description: common.description,
      command,
      codeId: code ? restId(code) : undefined,
      environmentId: restId(environment),
      computeId: compute ? restId(compute) : undefined,
      inputs: mapEntries(inputs, restJobInput),
      outputs: mapEntries(outputs, restJobOutput),
      environmentVariables: reader.stringMap(["environment_variables"]),
      resources: readResources(reader, ["resources"])?.camel,
      distribution: readDistribution(reader, ["distribution"])?.camel,
      limits: readLimits(reader, ["limits"])?.camel,
      identity,
      queueSettings: readQueueSettings(reader, ["queue_settings"])?.camel,
    };
  }
  return assemblePlan({ kind, filePath: absolute, plan, template, common });
}

interface SettingsRead {
  rest: Record<string, unknown>;
  hasDefaultCompute: boolean;
}

function readSettings(reader: DocumentReader, plan: PlanBuilder): SettingsRead {
  const settings = reader.mapping(["settings"]) ?? {};
  const rest: Record<string, unknown> = {};
  const ctx = { reader, baseDir: "", plan };
  const compute = readCompute(ctx, ["settings", "default_compute"], "get");
  if (compute) rest.default_compute = restId(compute);
  const datastore = reader.string(["settings", "default_datastore"]);
  if (datastore !== undefined) {
    let parsed;
    try {
      parsed = parseDatastoreReference(datastore);
    } catch (error) {
      if (error instanceof ReferenceSyntaxError)
        throw reader.error("InvalidValue", `settings.default_datastore at line ${reader.lineOf(["settings", "default_datastore"])}: ${error.message}`, [
          "settings",
          "default_datastore",
        ]);
      throw error;
    }
    rest.default_datastore =
      parsed.form === "passthrough"
        ? parsed.value
        : restId(plan.addReference("datastores", parsed.name, { resolution: "static", location: reader.locate(["settings", "default_datastore"]) }));
  }
  rest.continue_on_step_failure = reader.boolean(["settings", "continue_on_step_failure"]);
  rest.force_rerun = reader.boolean(["settings", "force_rerun"]);
  rest.on_init = reader.string(["settings", "on_init"]);
  rest.on_finalize = reader.string(["settings", "on_finalize"]);
  for (const [key, value] of Object.entries(settings)) {
    if (KNOWN_SETTINGS.includes(key) || value === null || value === undefined) continue;
    rest[key] = value;
    plan.warnings.push(`Unknown setting 'settings.${key}' (line ${reader.lineOf(["settings", key])}) is forwarded to the service as is, as the CLI does.`);
  }
  rest._source = "YAML.JOB";
  return { rest, hasDefaultCompute: compute !== undefined };
}

interface AssembleInput {
  kind: JobKind;
  filePath: string;
  plan: PlanBuilder;
  template: Record<string, unknown>;
  common: {
    name?: string;
    displayName?: string;
    experimentName?: string;
    tags?: Record<string, string>;
    properties?: Record<string, string>;
  };
}

function assemblePlan(input: AssembleInput): JobPlan {
  const { plan, template, common } = input;
  const references = [...plan.references.values()];
  const referencesByKey = plan.references;

  /** Looks up every id except anonymous components (whose versions hash specs built from these ids). */
  const baseLookup =
    (resolved: ResolvedJobDependencies): IdLookup =>
    (target: IdTarget) => {
      const workspaceId = resolved.workspaceId;
      switch (target.kind) {
        case "reference": {
          const reference = referencesByKey.get(target.key)!;
          const id = resolved.referenceIds?.[target.key] ?? staticReferenceId(reference, workspaceId);
          if (!id)
            throw new Error(
              `Reference '${target.key}' was not resolved: look up the newest version of ${reference.kind} '${reference.name}' and pass its id in referenceIds.`,
            );
          return id;
        }
        case "code": {
          const id = resolved.codeIds[target.key];
          if (!id) throw new Error(`Code version '${target.key}' was not registered: pass its id in codeIds.`);
          return id;
        }
        case "environment": {
          const env = plan.environments.get(target.key)!;
          return workspaceChildId(workspaceId, "environments", env.name, { version: env.version });
        }
        case "component":
          throw new Error("Anonymous component ids are resolved by the plan itself.");
      }
    };

  const componentVersions = (resolved: ResolvedJobDependencies): ComponentVersionRegistration[] => {
    const lookup = baseLookup(resolved);
    return [...plan.components.values()].map((component) => {
      const spec = materialize(component.specTemplate, lookup);
      const hashed = { ...spec };
      delete hashed.name;
      delete hashed.version;
      delete hashed.id;
      const version = hashDictAsUuid(hashed);
      // Registered anonymously, a local component file's own name/version are replaced too
      // (azure-ai-ml entities/_component/component.py: _set_is_anonymous → name = ANONYMOUS_COMPONENT_NAME,
      // _update_anonymous_hash → version = _get_anonymous_hash(), before _to_rest_object → _to_dict()).
      spec.name = ANONYMOUS_COMPONENT_NAME;
      spec.version = version;
      return {
        key: component.key,
        name: ANONYMOUS_COMPONENT_NAME,
        version,
        body: {
          properties: {
            componentSpec: spec,
            isAnonymous: true,
            description: component.description,
            tags: component.tags ?? {},
            properties: {},
          },
        },
      };
    });
  };

  const buildJobBody = (resolved: ResolvedJobDependencies, options: JobBodyOptions): JobBody => {
    const base = baseLookup(resolved);
    const versions = new Map(componentVersions(resolved).map((c) => [c.key, c.version]));
    const lookup: IdLookup = (target) =>
      target.kind === "component"
        ? workspaceChildId(resolved.workspaceId, "components", ANONYMOUS_COMPONENT_NAME, { version: versions.get(target.key)! })
        : base(target);
    const properties = common.properties && Object.keys(common.properties).length > 0 ? common.properties : (options.defaultProperties ?? {});
    const body = materialize(
      {
        ...template,
        displayName: common.displayName ?? options.jobName,
        experimentName: common.experimentName ?? options.defaultExperimentName ?? "Default",
        tags: common.tags ?? {},
        properties,
      },
      lookup,
    );
    return { properties: body as unknown as PipelineJob | CommandJob };
  };

  return {
    kind: input.kind,
    filePath: input.filePath,
    name: common.name,
    displayName: common.displayName,
    experimentName: common.experimentName,
    uploads: [...plan.uploads.values()],
    codeVersions: [...plan.codeVersions.values()],
    environmentVersions: [...plan.environments.values()],
    references,
    warnings: plan.warnings,
    staticReferenceId,
    componentVersions,
    buildJobBody,
  };
}
