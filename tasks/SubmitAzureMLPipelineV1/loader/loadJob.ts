/**
 * Loads a CLI v2 job YAML (`type: pipeline` or `type: command`) into a {@link JobPlan}: what
 * `az ml job create --file <yaml> --set …` would upload, register and send.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { CommandJob, PipelineJob } from "@azure/arm-machinelearning";
import { checkCommandPlaceholders, readCode, readCompute, readDistribution, readIdentity, readLimits, readQueueSettings, readResources } from "./commandParts";
import { DocumentReader, type KeyRules } from "./documentReader";
import { readEnvironment } from "./environments";
import { JobDefinitionError } from "./errors";
import type { ComponentVersionRegistration, JobBody, JobBodyOptions, JobKind, JobPlan, ResolvedJobDependencies } from "./jobPlan";
import { mapEntries, readInputs, readOutputs, restJobInput, restJobOutput, type InputModel, type OutputModel } from "./jobIo";
import type { LocalComponent } from "./localComponent";
import { applyOverrides, parseOverrides } from "./overrides";
import { readPipelineSteps } from "./pipelineSteps";
import { materialize, type IdLookup, type IdTarget } from "./placeholders";
import { type IdValue, PlanBuilder, restId, staticReferenceId } from "./planBuilder";
import { hashDictAsUuid } from "./pythonValues";
import { parseDatastoreReference, ReferenceSyntaxError, workspaceChildId } from "./references";
import { parseYamlSource, type YamlSource } from "./yamlSource";
import type { Loc } from "../../common/loc";
import { ownValue } from "../../common/ownKeys";
import { ANONYMOUS_COMPONENT_NAME } from "../../common/azureml/assetNames";

export interface LoadJobOptions {
  /** The task's messages (task.json): the entry passes `tl.loc`, unit tests a lookup over task.json. */
  loc: Loc;
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
const pipelineKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindPipelineJob"),
  allowed: [...COMMON_JOB_KEYS, "settings", "jobs"],
  unsupported: { services: loc("LoaderNoJobServices"), component: loc("LoaderNoPipelineComponents") },
});
const commandKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindCommandJob"),
  allowed: [...COMMON_JOB_KEYS, "command", "code", "environment", "environment_variables", "resources", "distribution", "limits", "queue_settings"],
  unsupported: { services: loc("LoaderNoJobServices") },
});
const JOB_TYPES: Readonly<Record<string, JobKind>> = { pipeline: "pipeline", command: "command" };
const KNOWN_SETTINGS = ["default_compute", "default_datastore", "continue_on_step_failure", "force_rerun", "on_init", "on_finalize"];

/** What every part of a job reads with: the document, the folder its paths are relative to, the plan. */
interface JobContext {
  reader: DocumentReader;
  baseDir: string;
  plan: PlanBuilder;
  abortSignal?: AbortSignal;
}

/** Loads and checks the job YAML at `filePath`; reads and hashes local code and data it names. */
export async function loadJob(filePath: string, options: LoadJobOptions): Promise<JobPlan> {
  const { loc } = options;
  const absolute = path.resolve(filePath);
  const source = await readJobFile(absolute, loc);
  const doc = structuredClone(source.value) as Record<string, unknown>;
  const overrides = parseOverrides(options.overrides ?? "", loc);
  const overriddenType = [...overrides].reverse().find((o) => o.path.length === 1 && o.path[0] === "type")?.value;
  const typeText = overriddenType ?? (typeof doc.type === "string" ? doc.type : doc.type === undefined ? "command" : String(doc.type));
  const kind = ownValue(JOB_TYPES, typeText);
  const rules = kind === "pipeline" ? pipelineKeys(loc) : commandKeys(loc);
  const allowedRootKeys = new Set(rules.allowed.filter((k) => k !== "$schema"));
  const origins = applyOverrides(doc, overrides, { allowedRootKeys, jobType: kind ?? typeText, loc });
  const reader = new DocumentReader(source, doc, loc, origins);
  if (!kind) {
    const supported = Object.keys(JOB_TYPES).join(", ");
    throw reader.error("Unsupported", loc("LoaderUnsupportedJobType", typeText, reader.lineOf(["type"]), supported), ["type"]);
  }
  reader.requireMapping([], rules);

  const plan = new PlanBuilder(options.workFolders);
  plan.warnings.push(...source.duplicateKeyWarnings());
  const ctx: JobContext = { reader, baseDir: path.dirname(absolute), plan, abortSignal: options.abortSignal };
  const common = {
    name: reader.string(["name"], { allowNumbers: true }),
    displayName: reader.string(["display_name"], { allowNumbers: true }),
    experimentName: reader.string(["experiment_name"], { allowNumbers: true }),
    description: reader.string(["description"]),
    tags: reader.stringMap(["tags"]),
    properties: reader.stringMap(["properties"]),
  };
  const io = { ...ctx, level: "job" as const };
  const top: TopLevel = {
    inputs: await readInputs(io, ["inputs"]),
    outputs: readOutputs(io, ["outputs"]),
    identity: readIdentity(reader, ["identity"])?.camel,
    description: common.description,
  };
  const template = kind === "pipeline" ? await pipelineTemplate(ctx, top) : await commandTemplate(ctx, top);
  return assemblePlan({ kind, filePath: absolute, plan, template, common });
}

/** The job file's text parsed; it must hold a mapping. */
async function readJobFile(absolute: string, loc: Loc): Promise<YamlSource> {
  let text: string;
  try {
    // Local files of the job are read synchronously (here and in the loader's other modules): they
    // are small, and each event loop turn before the sign-in lets V8's pending scavenges run on the
    // way to it (measured: 5 GCs, 17-35 ms, before Submit's first request; none once read in sync).
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    throw new JobDefinitionError("FileNotFound", loc("LoaderJobFileNotFound", absolute), { location: { filePath: absolute }, cause: error });
  }
  if (text.trim() === "") throw new JobDefinitionError("NotAMapping", loc("LoaderJobFileEmpty", absolute), { location: { filePath: absolute } });
  const source = parseYamlSource(text, absolute);
  const document = source.value;
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    const message = Array.isArray(document) ? loc("LoaderJobFileIsList", absolute) : loc("LoaderJobFileIsScalar", absolute);
    throw new JobDefinitionError("NotAMapping", message, { location: { filePath: absolute, line: 1 } });
  }
  return source;
}

/** What a pipeline job and a command job both have at their top level. */
interface TopLevel {
  inputs: Map<string, InputModel>;
  outputs: Map<string, OutputModel>;
  identity?: Record<string, unknown>;
  description?: string;
}

async function pipelineTemplate(ctx: JobContext, job: TopLevel): Promise<Record<string, unknown>> {
  const { reader, plan } = ctx;
  const compute = readCompute(ctx, ["compute"], "get");
  const settings = readSettings(reader, plan);
  const jobs = await readPipelineSteps(
    { ...ctx, components: { plan, loc: reader.loc, cache: new Map<string, Promise<LocalComponent>>(), abortSignal: ctx.abortSignal } },
    {
      inputNames: new Set(Object.keys(reader.mapping(["inputs"]) ?? {})),
      inputs: job.inputs,
      outputs: job.outputs,
      hasDefaultCompute: compute !== undefined || settings.hasDefaultCompute,
    },
  );
  for (const key of ["on_init", "on_finalize"]) {
    const node = settings.rest[key];
    if (typeof node === "string" && !(node in jobs)) {
      throw reader.error("UnknownBinding", reader.loc("LoaderSettingsUnknownStep", key, reader.lineOf(["settings", key]), node), ["settings", key]);
    }
  }
  return {
    jobType: "Pipeline",
    description: job.description,
    computeId: compute ? restId(compute) : undefined,
    identity: job.identity,
    settings: settings.rest,
    inputs: mapEntries(job.inputs, restJobInput),
    outputs: mapEntries(job.outputs, restJobOutput),
    jobs,
  };
}

async function commandTemplate(ctx: JobContext, job: TopLevel): Promise<Record<string, unknown>> {
  const { reader } = ctx;
  const command = reader.requireString(["command"]);
  const declared = { inputs: new Set(job.inputs.keys()), outputs: new Set(job.outputs.keys()), owner: reader.loc("LoaderOwnerJob") };
  checkCommandPlaceholders(reader, ["command"], command, declared);
  const code = await readCode(ctx, ["code"]);
  const environment = await readEnvironment(ctx, ["environment"]);
  const compute = readCompute(ctx, ["compute"], "static");
  return {
    jobType: "Command",
    description: job.description,
    command,
    codeId: code ? restId(code) : undefined,
    environmentId: restId(environment),
    computeId: compute ? restId(compute) : undefined,
    inputs: mapEntries(job.inputs, restJobInput),
    outputs: mapEntries(job.outputs, restJobOutput),
    environmentVariables: reader.stringMap(["environment_variables"]),
    resources: readResources(reader, ["resources"])?.camel,
    distribution: readDistribution(reader, ["distribution"])?.camel,
    limits: readLimits(reader, ["limits"])?.camel,
    identity: job.identity,
    queueSettings: readQueueSettings(reader, ["queue_settings"])?.camel,
  };
}

interface SettingsRead {
  rest: Record<string, unknown>;
  hasDefaultCompute: boolean;
}

/**
 * `settings.default_compute`. `serverless` is sent as the workspace's `computes/serverless` id without a
 * lookup (no such compute exists), as azure-ai-ml sends it: Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/
 * test_pipeline_job.pyTestPipelineJobtest_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json
 * (the job PUT's `settings.default_compute`). Other values are resolved as a step's compute.
 */
function readDefaultCompute(ctx: { reader: DocumentReader; baseDir: string; plan: PlanBuilder }): IdValue | undefined {
  const p = ["settings", "default_compute"];
  const value = ctx.reader.string(p);
  if (
    value !== undefined &&
    value
      .trim()
      .replace(/^azureml:/i, "")
      .toLowerCase() === "serverless"
  ) {
    return ctx.plan.addReference("computes", "serverless", { resolution: "static", location: ctx.reader.locate(p) });
  }
  return readCompute(ctx, p, "get");
}

function readSettings(reader: DocumentReader, plan: PlanBuilder): SettingsRead {
  const settings = reader.mapping(["settings"]) ?? {};
  const rest: Record<string, unknown> = {};
  const ctx = { reader, baseDir: "", plan };
  const compute = readDefaultCompute(ctx);
  if (compute) rest.default_compute = restId(compute);
  const datastore = reader.string(["settings", "default_datastore"]);
  if (datastore !== undefined) {
    let parsed;
    try {
      parsed = parseDatastoreReference(datastore, reader.loc);
    } catch (error) {
      if (!(error instanceof ReferenceSyntaxError)) throw error;
      const p = ["settings", "default_datastore"];
      throw reader.error("InvalidValue", reader.loc("LoaderDefaultDatastoreInvalid", reader.lineOf(p), error.message), p);
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
    plan.warnings.push(reader.loc("LoaderUnknownSetting", key, reader.lineOf(["settings", key])));
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
  const { plan, common } = input;
  return {
    kind: input.kind,
    filePath: input.filePath,
    name: common.name,
    displayName: common.displayName,
    experimentName: common.experimentName,
    uploads: [...plan.uploads.values()],
    codeVersions: [...plan.codeVersions.values()],
    environmentVersions: [...plan.environments.values()],
    references: [...plan.references.values()],
    warnings: plan.warnings,
    staticReferenceId,
    componentVersions: (resolved) => componentVersions(plan, resolved),
    buildJobBody: (resolved, options) => buildJobBody(input, resolved, options),
  };
}

/**
 * Looks up every id except anonymous components' (whose versions hash specs built from these ids). Its
 * errors are the caller's mistakes (an id it did not pass), not the job file's.
 */
function baseLookup(plan: PlanBuilder, resolved: ResolvedJobDependencies): IdLookup {
  return (target: IdTarget) => {
    const workspaceId = resolved.workspaceId;
    switch (target.kind) {
      case "reference": {
        const reference = plan.references.get(target.key)!;
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
}

function componentVersions(plan: PlanBuilder, resolved: ResolvedJobDependencies): ComponentVersionRegistration[] {
  const base = baseLookup(plan, resolved);
  // A pipeline component's spec names its inner anonymous components, which the plan holds before it
  // (pipelineComponentStep.ts), so their versions are known by the time it is hashed.
  const known = new Map<string, string>();
  const lookup: IdLookup = (target) => {
    if (target.kind !== "component") return base(target);
    const version = known.get(target.key);
    if (version === undefined) throw new Error(`Anonymous component '${target.key}' is used before it is planned.`);
    return workspaceChildId(resolved.workspaceId, "components", ANONYMOUS_COMPONENT_NAME, { version });
  };
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
    known.set(component.key, version);
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
}

function buildJobBody(input: AssembleInput, resolved: ResolvedJobDependencies, options: JobBodyOptions): JobBody {
  const { plan, template, common } = input;
  const base = baseLookup(plan, resolved);
  const versions = new Map(componentVersions(plan, resolved).map((c) => [c.key, c.version]));
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
}
