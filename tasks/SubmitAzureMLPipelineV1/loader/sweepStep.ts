/**
 * `type: sweep` steps of a pipeline job: a hyperparameter sweep over a command component (the trial),
 * sent as a node the way azure-ai-ml does it.
 *
 * Sources (Azure/azure-sdk-for-python, sdk/ml/azure-ai-ml):
 * - YAML keys: `_schema/pipeline/component_job.py` SweepSchema (type, compute, trial: a component file or an
 *   `azureml:` component id; registry ids and data bindings are not accepted there) and
 *   `_schema/_sweep/parameterized_sweep.py` (sampling_algorithm, search_space, objective, early_termination,
 *   limits, queue_settings, resources), `_schema/_sweep/search_space/*.py`, `sweep_objective.py`,
 *   `sweep_termination.py`, `sweep_sampling_algorithm.py`, `_schema/job/job_limits.py` SweepJobLimitsSchema.
 * - Node dict: `entities/_builders/sweep.py` `_to_rest_object` — the fields above are picked from the node's
 *   YAML-form `_to_dict()` (so they stay snake_case, lower-case enums), `early_termination` is the REST
 *   policy's attribute dict (`policy_type`, ...), `trial` is `{componentId}`; `base_node.py` adds name, type,
 *   display_name, tags, computeId, inputs, outputs, properties, `_source` (no description, no identity).
 * - What is really sent: tests/recordings/pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJob
 *   test_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json (PUT jobs/…): node
 *   `{limits, sampling_algorithm: "grid", objective, search_space, queue_settings: {job_tier: "standard"},
 *   name, type: "sweep", _source: "YAML.COMPONENT", trial: {componentId}}`, empty members left out; the trial
 *   file is registered first as `azureml_anonymous` like any component file.
 */
import { readCompute, readResources } from "./commandParts";
import type { Loc } from "../../common/loc";
import type { DocumentReader, KeyRules } from "./documentReader";
import { mapEntries, nodeInput, nodeOutput, readInputs, readOutputs } from "./jobIo";
import { loadLocalComponent, type LocalComponent } from "./localComponent";
import { restId, type IdValue } from "./planBuilder";
import type { PipelineScope, StepContext, StepRead } from "./pipelineSteps";
import { componentFile, registeredComponent } from "./componentReference";
import type { YamlPath } from "./yamlSource";

const sweepStepKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindSweepStep"),
  allowed: [
    "type",
    "name",
    "display_name",
    "description",
    "tags",
    "properties",
    "compute",
    "inputs",
    "outputs",
    "trial",
    "sampling_algorithm",
    "search_space",
    "objective",
    "early_termination",
    "limits",
    "queue_settings",
    "resources",
    "experiment_name",
  ],
  unsupported: {
    // entities/_builders/sweep.py sends neither identity nor environment_variables of a sweep node.
    identity: loc("LoaderSweepNoIdentity"),
    component: loc("LoaderSweepNoComponent"),
    command: loc("LoaderSweepNoCommand"),
    environment: loc("LoaderSweepNoEnvironment"),
    code: loc("LoaderSweepNoCode"),
    distribution: loc("LoaderSweepNoDistribution"),
    environment_variables: loc("LoaderSweepNoEnvironmentVariables"),
    services: loc("LoaderNoJobServices"),
  },
});

/** Distributions of the search space and their keys (`_schema/_sweep/search_space/*.py`). */
const DISTRIBUTIONS: Readonly<Record<string, readonly string[]>> = {
  choice: ["values"],
  randint: ["upper"],
  uniform: ["min_value", "max_value"],
  loguniform: ["min_value", "max_value"],
  quniform: ["min_value", "max_value", "q"],
  qloguniform: ["min_value", "max_value", "q"],
  normal: ["mu", "sigma"],
  lognormal: ["mu", "sigma"],
  qnormal: ["mu", "sigma", "q"],
  qlognormal: ["mu", "sigma", "q"],
};

const SAMPLING_ALGORITHMS = ["random", "grid", "bayesian"];
const RANDOM_RULES = ["random", "sobol"];

/**
 * Early termination policies: YAML type → REST `policy_type` and its numeric fields with the entity
 * defaults (entities/_job/sweep/early_termination_policy.py: every field is passed to the REST model).
 */
const POLICIES: Readonly<Record<string, { rest: string; fields: Readonly<Record<string, number>> }>> = {
  bandit: { rest: "Bandit", fields: { delay_evaluation: 0, evaluation_interval: 0, slack_amount: 0, slack_factor: 0 } },
  median_stopping: { rest: "MedianStopping", fields: { delay_evaluation: 0, evaluation_interval: 1 } },
  truncation_selection: { rest: "TruncationSelection", fields: { delay_evaluation: 0, evaluation_interval: 0, truncation_percentage: 0 } },
};

/** Reads `jobs.<name>` of `type: sweep`; the returned step builds its own node dict. */
export async function readSweepStep(ctx: StepContext, scope: PipelineScope, name: string): Promise<StepRead> {
  const { reader, plan } = ctx;
  const p: YamlPath = ["jobs", name];
  const line = reader.lineOf(p);
  const step = reader.requireMapping(p, sweepStepKeys(reader.loc));
  if ("experiment_name" in step) plan.warnings.push(reader.loc("LoaderStepExperimentName", name, reader.lineOf([...p, "experiment_name"])));
  if ("description" in step) plan.warnings.push(reader.loc("LoaderStepDescriptionNotSent", name, "sweep", reader.lineOf([...p, "description"])));
  reader.string([...p, "description"]);
  reader.string([...p, "name"]); // overwritten by the node key, as the CLI does

  const io = { reader, baseDir: ctx.baseDir, plan, level: "node" as const, abortSignal: ctx.abortSignal };
  const inputs = await readInputs(io, [...p, "inputs"]);
  const outputs = readOutputs(io, [...p, "outputs"]);
  const compute = readCompute(ctx, [...p, "compute"], "get");
  if (!compute && !scope.hasDefaultCompute) {
    throw reader.error("MissingKey", reader.loc("LoaderStepNoCompute", name, line, name), [...p, "compute"]);
  }
  const searchSpace = readSearchSpace(reader, [...p, "search_space"], name);
  const fields = {
    sampling_algorithm: readSamplingAlgorithm(reader, [...p, "sampling_algorithm"]),
    objective: readObjective(reader, [...p, "objective"], name),
    early_termination: readEarlyTermination(reader, [...p, "early_termination"]),
    limits: readSweepLimits(reader, [...p, "limits"], name),
    queue_settings: readSweepQueueSettings(reader, [...p, "queue_settings"]),
    resources: readResources(reader, [...p, "resources"])?.yaml,
    search_space: searchSpace,
  };
  const trial = await readTrial(ctx, name, [...p, "trial"]);
  if (trial.component) checkAgainstTrial(reader, name, p, trial.component, inputs, outputs, searchSpace);

  const displayName = reader.string([...p, "display_name"]);
  const tags = reader.stringMap([...p, "tags"]);
  const properties = reader.stringMap([...p, "properties"]);
  const read: StepRead = {
    name,
    path: p,
    source: trial.source,
    inputs,
    outputs,
    outputTypes: trial.component ? new Map([...trial.component.outputs].map(([k, o]) => [k, o.type])) : undefined,
    compute,
    component: trial.id,
    displayName,
    tags,
    properties,
    buildNode: () => {
      const node: Record<string, unknown> = {
        ...fields,
        name,
        type: "sweep",
        display_name: displayName,
        computeId: compute ? restId(compute) : undefined,
        _source: trial.source,
        trial: { componentId: restId(trial.id) },
      };
      // Empty members are not sent (the recording above: no tags, properties, inputs or outputs).
      if (tags && Object.keys(tags).length) node.tags = tags;
      if (properties && Object.keys(properties).length) node.properties = properties;
      if (inputs.size) node.inputs = mapEntries(inputs, nodeInput);
      if (outputs.size) node.outputs = mapEntries(outputs, nodeOutput);
      return node;
    },
  };
  return read;
}

interface TrialRead {
  id: IdValue;
  source: StepRead["source"];
  /** The component file, when the trial is one (its declared inputs and outputs are checked). */
  component?: LocalComponent;
}

/** `trial:` → a local command component file (registered anonymously) or an `azureml:` component id. */
async function readTrial(ctx: StepContext, stepName: string, p: YamlPath): Promise<TrialRead> {
  const { reader, plan } = ctx;
  const value = reader.get(p);
  const line = reader.lineOf(p);
  if (value === undefined || value === null) {
    throw reader.error("MissingKey", reader.loc("LoaderSweepNoTrial", stepName, reader.lineOf(p.slice(0, -1))), p);
  }
  if (typeof value !== "string") {
    throw reader.error("Unsupported", reader.loc("LoaderSweepInlineTrial", stepName, line), p);
  }
  if (/^azureml:\/\//i.test(value)) {
    throw reader.error("Unsupported", reader.loc("LoaderSweepRegistryTrial", stepName, value, line), p);
  }
  if (/^azureml:/i.test(value)) {
    return registeredComponent(reader, plan, p, value, (reason) => reader.loc("LoaderSweepTrialInvalid", stepName, line, reason));
  }
  const file = componentFile(ctx, p, value, (f) => reader.loc("LoaderSweepTrialNotFound", f, stepName, line));
  const component = await loadLocalComponent(ctx.components, file);
  return { id: component.componentId, source: "YAML.COMPONENT", component };
}

function checkAgainstTrial(
  reader: DocumentReader,
  stepName: string,
  p: YamlPath,
  component: LocalComponent,
  inputs: ReadonlyMap<string, unknown>,
  outputs: ReadonlyMap<string, unknown>,
  searchSpace: Record<string, unknown>,
): void {
  const declared = () => [...component.inputs.keys()].sort().join(", ") || "none";
  for (const key of Object.keys(searchSpace)) {
    if (!component.inputs.has(key)) {
      throw reader.error(
        "UnknownBinding",
        reader.loc("LoaderSweepNotAnInput", stepName, key, reader.lineOf([...p, "search_space", key]), component.filePath, declared()),
        [...p, "search_space", key],
      );
    }
    if (inputs.has(key)) {
      throw reader.error("InvalidValue", reader.loc("LoaderSweepInputAlsoSwept", stepName, key, reader.lineOf([...p, "inputs", key])), [...p, "inputs", key]);
    }
  }
  for (const inputName of inputs.keys()) {
    if (!component.inputs.has(inputName)) {
      throw reader.error(
        "UnknownBinding",
        reader.loc("LoaderStepUndeclaredInput", stepName, inputName, reader.lineOf([...p, "inputs", inputName]), component.filePath, declared()),
        [...p, "inputs", inputName],
      );
    }
  }
  for (const [inputName, declaration] of component.inputs) {
    if (!declaration.optional && !declaration.hasDefault && !inputs.has(inputName) && !(inputName in searchSpace)) {
      throw reader.error("MissingKey", reader.loc("LoaderSweepMissingInput", inputName, component.filePath, stepName, reader.lineOf(p)), [...p, "inputs"]);
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

function readSearchSpace(reader: DocumentReader, p: YamlPath, stepName: string): Record<string, unknown> {
  const space = reader.mapping(p);
  if (!space || Object.keys(space).length === 0) {
    throw reader.error("MissingKey", reader.loc("LoaderSweepNoSearchSpace", stepName, reader.lineOf(p.slice(0, -1))), p);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(space)) {
    const kp = [...p, key];
    const type = reader.requireString([...kp, "type"]);
    const keys = DISTRIBUTIONS[type.toLowerCase()];
    if (!keys) {
      throw reader.error(
        "InvalidValue",
        reader.loc("LoaderSweepBadDistribution", key, type, reader.lineOf([...kp, "type"]), Object.keys(DISTRIBUTIONS).join(", ")),
        [...kp, "type"],
      );
    }
    const dist = reader.requireMapping(kp, { kind: reader.loc("LoaderKindDistribution", type), allowed: ["type", ...keys] });
    const entry: Record<string, unknown> = { type: type.toLowerCase() };
    for (const field of keys) {
      const fp = [...kp, field];
      if (!(field in dist)) throw reader.error("MissingKey", reader.loc("LoaderSweepDistributionField", key, reader.lineOf(kp), field, type), fp);
      if (field === "values") {
        const values = dist.values;
        if (!Array.isArray(values) || values.length === 0) {
          throw reader.error("InvalidValue", reader.loc("LoaderSweepEmptyValues", key, reader.lineOf(fp)), fp);
        }
        values.forEach((v, i) => {
          if (v === null || typeof v === "object") {
            throw reader.error("Unsupported", reader.loc("LoaderSweepNestedValues", key, reader.lineOf([...fp, i])), [...fp, i]);
          }
        });
        entry.values = values;
      } else if (field === "upper") {
        entry.upper = reader.integer(fp);
      } else {
        const n = reader.number(fp);
        if (n === undefined) throw reader.error("InvalidValue", reader.loc("LoaderSweepNotANumber", key, field, reader.lineOf(fp)), fp);
        entry[field] = n;
      }
    }
    out[key] = entry;
  }
  return out;
}

function readSamplingAlgorithm(reader: DocumentReader, p: YamlPath): string | Record<string, unknown> {
  const value = reader.get(p);
  if (value === undefined || value === null) {
    throw reader.error("MissingKey", reader.loc("LoaderSweepNoSampling", SAMPLING_ALGORITHMS.join(", "), reader.lineOf(p.slice(0, -1))), p);
  }
  const check = (type: string, at: YamlPath) => {
    if (!SAMPLING_ALGORITHMS.includes(type.toLowerCase()))
      throw reader.error("InvalidValue", reader.loc("LoaderSweepBadSampling", type, reader.lineOf(at), SAMPLING_ALGORITHMS.join(", ")), at);
    return type.toLowerCase();
  };
  if (typeof value === "string") return check(value, p);
  const m = reader.requireMapping(p, { kind: "sampling_algorithm", allowed: ["type", "seed", "rule", "logbase"] });
  const type = check(reader.requireString([...p, "type"]), [...p, "type"]);
  const out: Record<string, unknown> = { type };
  if (type !== "random") {
    reader.checkKeys(p, m, { kind: "sampling_algorithm", allowed: ["type"] });
    return out;
  }
  const seed = reader.integer([...p, "seed"]);
  if (seed !== undefined) out.seed = seed;
  const rule = reader.string([...p, "rule"]);
  if (rule !== undefined) {
    if (!RANDOM_RULES.includes(rule.toLowerCase()))
      throw reader.error("InvalidValue", reader.loc("LoaderSweepBadRule", rule, reader.lineOf([...p, "rule"]), RANDOM_RULES.join(", ")), [...p, "rule"]);
    out.rule = rule.toLowerCase();
  }
  if ("logbase" in m) out.logbase = m.logbase;
  return out;
}

function readObjective(reader: DocumentReader, p: YamlPath, stepName: string): Record<string, unknown> {
  if (!reader.has(p)) throw reader.error("MissingKey", reader.loc("LoaderSweepNoObjective", stepName, reader.lineOf(p.slice(0, -1))), p);
  reader.requireMapping(p, { kind: "objective", allowed: ["goal", "primary_metric"] });
  const goal = reader.requireString([...p, "goal"]);
  if (!["maximize", "minimize"].includes(goal.toLowerCase())) {
    throw reader.error("InvalidValue", reader.loc("LoaderSweepBadGoal", goal, reader.lineOf([...p, "goal"])), [...p, "goal"]);
  }
  return { goal: goal.toLowerCase(), primary_metric: reader.requireString([...p, "primary_metric"]) };
}

function readEarlyTermination(reader: DocumentReader, p: YamlPath): Record<string, unknown> | undefined {
  const m = reader.mapping(p);
  if (!m) return undefined;
  const type = reader.requireString([...p, "type"]);
  const policy = POLICIES[type.toLowerCase()];
  if (!policy) {
    throw reader.error("InvalidValue", reader.loc("LoaderSweepBadPolicy", type, reader.lineOf([...p, "type"]), Object.keys(POLICIES).join(", ")), [
      ...p,
      "type",
    ]);
  }
  reader.checkKeys(p, m, { kind: "early_termination", allowed: ["type", ...Object.keys(policy.fields)] });
  const out: Record<string, unknown> = { policy_type: policy.rest };
  for (const [field, fallback] of Object.entries(policy.fields)) {
    const isInteger = field !== "slack_amount" && field !== "slack_factor";
    const value = isInteger ? reader.integer([...p, field], { min: 0 }) : reader.number([...p, field]);
    out[field] = value ?? fallback;
  }
  return out;
}

function readSweepLimits(reader: DocumentReader, p: YamlPath, stepName: string): Record<string, unknown> {
  if (!reader.has(p)) throw reader.error("MissingKey", reader.loc("LoaderSweepNoLimits", stepName, reader.lineOf(p.slice(0, -1))), p);
  reader.requireMapping(p, { kind: "limits", allowed: ["max_concurrent_trials", "max_total_trials", "timeout", "trial_timeout"] });
  const out: Record<string, unknown> = {};
  for (const key of ["max_concurrent_trials", "max_total_trials", "timeout", "trial_timeout"]) {
    const n = reader.integer([...p, key], { min: 1 });
    if (n !== undefined) out[key] = n;
  }
  if (out.max_total_trials === undefined) {
    throw reader.error("MissingKey", reader.loc("LoaderSweepNoMaxTrials", stepName, reader.lineOf(p)), [...p, "max_total_trials"]);
  }
  return out;
}

const JOB_TIERS = ["spot", "basic", "standard", "premium"];

/** YAML form (the node takes it from `_to_dict()`): `{job_tier: "standard"}`, lower-case as in the recording. */
function readSweepQueueSettings(reader: DocumentReader, p: YamlPath): Record<string, unknown> | undefined {
  const m = reader.mapping(p, {
    kind: "queue_settings",
    allowed: ["job_tier"],
    unsupported: { priority: reader.loc("LoaderNoQueuePriority") },
  });
  if (!m) return undefined;
  const tier = reader.string([...p, "job_tier"]);
  if (tier === undefined) return {};
  if (!JOB_TIERS.includes(tier.toLowerCase())) {
    throw reader.error("InvalidValue", reader.loc("LoaderJobTier", tier, reader.lineOf([...p, "job_tier"]), JOB_TIERS.join(", ")), [...p, "job_tier"]);
  }
  return { job_tier: tier.toLowerCase() };
}
