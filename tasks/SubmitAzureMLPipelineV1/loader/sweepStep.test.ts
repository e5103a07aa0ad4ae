/**
 * `type: sweep` steps: the node dict compared field by field with what the CLI sends, and every refusal with
 * its file, line and key.
 *
 * Expected node shape: Azure/azure-sdk-for-python sdk/ml/azure-ai-ml/tests/recordings/pipeline_job/e2etests/
 * test_pipeline_job.pyTestPipelineJobtest_pipeline_job_serverless_compute_sweep_in_pipeline_with_job_tier.json
 * (the PUT jobs/… request body, `jobs.node`), with the fields the recording does not show taken from
 * entities/_builders/sweep.py and base_node.py `_to_rest_object` and entities/_job/sweep/early_termination_policy.py.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { JobDefinitionError, loadJob as loadWith, type JobDefinitionErrorCode, type JobPlan, type ResolvedJobDependencies } from "./index";
import { loaderLoc } from "./loaderLoc.testing";
import { useJobFolder } from "./jobFolder.testing";

/** The loader with the task's own messages (task.json), as the entry passes them. */
const loadJob = (file: string) => loadWith(file, { loc: loaderLoc() });

const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

const TRIAL = [
  "type: command",
  "name: greet_trial",
  "version: '7'",
  "inputs:",
  "  whom:",
  "    type: string",
  "  lr:",
  "    type: number",
  "    default: 0.1",
  "  data:",
  "    type: uri_folder",
  "    optional: true",
  "outputs:",
  "  model:",
  "    type: mlflow_model",
  "command: echo ${{inputs.whom}} ${{inputs.lr}} $[[${{inputs.data}}]] > ${{outputs.model}}/m",
  "environment: azureml:env:1",
  "",
].join("\n");

function resolved(plan: JobPlan): ResolvedJobDependencies {
  const referenceIds: Record<string, string> = {};
  for (const r of plan.references) if (r.resolution === "latest") referenceIds[r.key] = `${WS}/${r.kind}/${r.name}/versions/9`;
  return { workspaceId: WS, codeIds: {}, referenceIds };
}

describe("loader: sweep steps", () => {
  const folder = useJobFolder("sweep-");
  const write = folder.write;

  async function rejects(job: string[], code: JobDefinitionErrorCode, line: number, ...parts: string[]) {
    const file = await write({ "trial.yml": TRIAL, "job.yml": job.join("\n") });
    await assert.rejects(loadJob(file), (e: unknown) => {
      assert.ok(e instanceof JobDefinitionError, `expected a JobDefinitionError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      assert.equal(e.line, line, e.message);
      assert.ok(e.message.includes(`${file}:${line}`), e.message);
      for (const part of parts) assert.ok(e.message.includes(part), `'${e.message}' lacks '${part}'`);
      return true;
    });
  }

  it("a minimal sweep over a component file: the node is the recording's, the trial is registered like any component file", async () => {
    const file = await write({
      "trial.yml": TRIAL,
      "job.yml": [
        "type: pipeline",
        "settings:",
        "  default_compute: azureml:cpu",
        "jobs:",
        "  tune:",
        "    type: sweep",
        "    trial: ./trial.yml",
        "    search_space:",
        "      whom:",
        "        type: choice",
        "        values: [a, b, 3]",
        "    limits:",
        "      max_concurrent_trials: 1",
        "      max_total_trials: 3",
        "    sampling_algorithm: Grid",
        "    objective:",
        "      goal: Minimize",
        "      primary_metric: loss",
        "    queue_settings:",
        "      job_tier: Standard",
        "",
      ].join("\n"),
    });
    const plan = await loadJob(file);
    const deps = resolved(plan);
    const components = plan.componentVersions(deps);
    assert.equal(components.length, 1);
    const spec = components[0].body.properties.componentSpec;
    assert.equal(spec._source, "YAML.COMPONENT");
    assert.equal(spec.name, "azureml_anonymous");
    const body = plan.buildJobBody(deps, { jobName: "j1" }).properties as unknown as { jobs: Record<string, unknown>; settings: unknown };
    assert.deepEqual(body.jobs.tune, {
      limits: { max_concurrent_trials: 1, max_total_trials: 3 },
      sampling_algorithm: "grid",
      objective: { goal: "minimize", primary_metric: "loss" },
      search_space: { whom: { type: "choice", values: ["a", "b", 3] } },
      queue_settings: { job_tier: "standard" },
      name: "tune",
      type: "sweep",
      _source: "YAML.COMPONENT",
      trial: { componentId: `${WS}/components/azureml_anonymous/versions/${components[0].version}` },
    });
    assert.deepEqual(body.settings, { default_compute: `${WS}/computes/cpu`, _source: "YAML.JOB" });
  });

  it("settings.default_compute: serverless is sent as the workspace's computes/serverless id, with no lookup (the recording's settings)", async () => {
    const file = await write({
      "trial.yml": TRIAL,
      "job.yml": [
        "type: pipeline",
        "settings:",
        "  default_compute: azureml:serverless",
        "jobs:",
        "  tune:",
        "    type: sweep",
        "    trial: ./trial.yml",
        "    search_space: {whom: {type: choice, values: [a]}}",
        "    sampling_algorithm: grid",
        "    objective: {goal: minimize, primary_metric: loss}",
        "    limits: {max_total_trials: 1}",
        "",
      ].join("\n"),
    });
    const plan = await loadJob(file);
    const compute = plan.references.filter((r) => r.kind === "computes");
    assert.deepEqual(
      compute.map((r) => [r.name, r.resolution]),
      [["serverless", "static"]],
    );
    const body = plan.buildJobBody(resolved(plan), { jobName: "j1" }).properties as unknown as { settings: unknown };
    assert.deepEqual(body.settings, { default_compute: `${WS}/computes/serverless`, _source: "YAML.JOB" });
  });

  it("every sweep field, bindings in and out, and a workspace component as trial", async () => {
    const file = await write({
      "trial.yml": TRIAL,
      "job.yml": [
        "type: pipeline", // 1
        "compute: azureml:cpu",
        "inputs:",
        "  raw:",
        "    type: uri_folder",
        "    path: azureml://datastores/workspaceblobstore/paths/raw/",
        "outputs:",
        "  best:",
        "    type: mlflow_model",
        "jobs:", // 10
        "  tune:",
        "    type: sweep",
        "    display_name: Tune it",
        "    description: not sent",
        "    tags: {team: ml}",
        "    properties: {p: '1'}",
        "    compute: azureml:gpu",
        "    trial: ./trial.yml",
        "    inputs:",
        "      data: ${{parent.inputs.raw}}", // 20
        "    outputs:",
        "      model: ${{parent.outputs.best}}",
        "    search_space:",
        "      whom: {type: choice, values: [x]}",
        "      lr: {type: loguniform, min_value: -6, max_value: -1}",
        "    sampling_algorithm: {type: random, seed: 42, rule: sobol}",
        "    early_termination: {type: bandit, slack_factor: 0.2, evaluation_interval: 2}",
        "    limits: {max_total_trials: 20, timeout: 7200, trial_timeout: 600}",
        "    resources: {instance_count: 2, shm_size: 2g}",
        "    objective: {goal: maximize, primary_metric: acc}", // 30
        "  score:",
        "    type: sweep",
        "    trial: azureml:scorer:3",
        "    inputs:",
        "      model: ${{parent.jobs.tune.outputs.model}}",
        "    search_space:",
        "      k: {type: randint, upper: 5}",
        "      t: {type: qnormal, mu: 0, sigma: 1, q: 2}",
        "    sampling_algorithm: bayesian",
        "    early_termination: {type: median_stopping}", // 40
        "    limits: {max_total_trials: 2}",
        "    objective: {goal: maximize, primary_metric: auc}",
        "",
      ].join("\n"),
    });
    const plan = await loadJob(file);
    assert.ok(
      plan.warnings.some((w) => w.includes("description of a sweep step (line 14)")),
      plan.warnings.join("\n"),
    );
    assert.deepEqual(
      plan.references.map((r) => [r.key, r.resolution]),
      [
        ["datastores:workspaceblobstore", "static"],
        ["computes:cpu", "get"],
        ["computes:gpu", "get"],
        ["environments:env:1", "static"], // the trial's
        ["components:scorer:3", "static"],
      ],
    );
    const deps = resolved(plan);
    const [trial] = plan.componentVersions(deps);
    const jobs = (plan.buildJobBody(deps, { jobName: "j2" }).properties as unknown as { jobs: Record<string, unknown> }).jobs;
    assert.deepEqual(jobs.tune, {
      limits: { max_total_trials: 20, timeout: 7200, trial_timeout: 600 },
      sampling_algorithm: { type: "random", seed: 42, rule: "sobol" },
      objective: { goal: "maximize", primary_metric: "acc" },
      // REST policy attribute dict with the entity defaults (early_termination_policy.py BanditPolicy).
      early_termination: { policy_type: "Bandit", delay_evaluation: 0, evaluation_interval: 2, slack_amount: 0, slack_factor: 0.2 },
      search_space: { whom: { type: "choice", values: ["x"] }, lr: { type: "loguniform", min_value: -6, max_value: -1 } },
      resources: { instance_count: 2, shm_size: "2g" },
      name: "tune",
      type: "sweep",
      display_name: "Tune it",
      computeId: `${WS}/computes/gpu`,
      _source: "YAML.COMPONENT",
      trial: { componentId: `${WS}/components/azureml_anonymous/versions/${trial.version}` },
      tags: { team: "ml" },
      properties: { p: "1" },
      inputs: { data: { job_input_type: "literal", value: "${{parent.inputs.raw}}" } },
      outputs: { model: { value: "${{parent.outputs.best}}", type: "literal" } },
    });
    assert.deepEqual(jobs.score, {
      limits: { max_total_trials: 2 },
      sampling_algorithm: "bayesian",
      objective: { goal: "maximize", primary_metric: "auc" },
      early_termination: { policy_type: "MedianStopping", delay_evaluation: 0, evaluation_interval: 1 },
      search_space: { k: { type: "randint", upper: 5 }, t: { type: "qnormal", mu: 0, sigma: 1, q: 2 } },
      name: "score",
      type: "sweep",
      _source: "REMOTE.WORKSPACE.COMPONENT",
      trial: { componentId: `${WS}/components/scorer/versions/3` },
      inputs: { model: { job_input_type: "literal", value: "${{parent.jobs.tune.outputs.model}}" } },
    });
  });

  describe("refusals name the file, the line and the key", () => {
    const head = ["type: pipeline", "compute: azureml:cpu", "jobs:", "  tune:", "    type: sweep"]; // step at line 4
    const good = [
      "    trial: ./trial.yml", // 6
      "    search_space:", // 7
      "      whom: {type: choice, values: [a]}", // 8
      "    sampling_algorithm: random", // 9
      "    objective: {goal: minimize, primary_metric: m}", // 10
      "    limits: {max_total_trials: 2}", // 11
    ];
    const edit = (line: number, text: string | null) => {
      const lines = [...head, ...good];
      if (text === null) lines.splice(line - 1, 1);
      else lines[line - 1] = text;
      return [...lines, ""];
    };

    it("loads the base of these cases", async () => {
      await write({ "trial.yml": TRIAL, "job.yml": [...head, ...good, ""].join("\n") });
      const plan = await loadJob(path.join(folder.dir, "job.yml"));
      assert.equal(plan.componentVersions(resolved(plan)).length, 1);
    });

    it("missing trial, objective, limits, search_space, sampling_algorithm", async () => {
      await rejects(edit(6, null), "MissingKey", 4, "Sweep step 'tune' at line 4 needs 'trial'");
      await rejects(edit(10, null), "MissingKey", 4, "needs an objective (goal, primary_metric)");
      await rejects(edit(11, null), "MissingKey", 4, "needs limits");
      await rejects(edit(11, "    limits: {max_concurrent_trials: 2}"), "MissingKey", 11, "limits at line 11 needs max_total_trials");
      await rejects(edit(9, null), "MissingKey", 4, "needs sampling_algorithm (random, grid, bayesian)");
      await rejects([...head, good[0], ...good.slice(3), ""], "MissingKey", 4, "needs a search_space");
    });

    it("bad values", async () => {
      await rejects(edit(9, "    sampling_algorithm: sobol"), "InvalidValue", 9, "sampling_algorithm 'sobol' at line 9 is not valid");
      await rejects(edit(8, "      whom: {type: beta, values: [a]}"), "InvalidValue", 8, "search_space.whom.type 'beta' at line 8 is not a sweep distribution");
      await rejects(edit(8, "      whom: {type: uniform, min_value: 1}"), "MissingKey", 8, "search_space.whom at line 8 needs 'max_value'");
      await rejects(edit(8, "      whom: {type: choice, values: []}"), "InvalidValue", 8, "search_space.whom.values at line 8 must be a non-empty list");
      await rejects(edit(8, "      whom: {type: choice, values: [{type: choice, values: [1]}]}"), "Unsupported", 8, "nested search spaces are not supported");
      await rejects(edit(10, "    objective: {goal: best, primary_metric: m}"), "InvalidValue", 10, "objective.goal 'best' at line 10");
      await rejects(edit(11, "    limits: {max_total_trials: 2, retries: 1}"), "UnknownKey", 11, "Unknown key 'retries'");
      await rejects([...head, ...good, "    early_termination: {type: asha}", ""], "InvalidValue", 12, "early_termination.type 'asha' at line 12");
      await rejects([...head, ...good, "    queue_settings: {job_tier: gold}", ""], "InvalidValue", 12, "queue_settings.job_tier 'gold' at line 12");
    });

    it("keys a sweep step does not take, with what to do instead", async () => {
      await rejects([...head, ...good, "    identity: {type: managed}", ""], "Unsupported", 12, "identity", "set identity on the pipeline job");
      await rejects([...head, ...good, "    command: echo", ""], "Unsupported", 12, "put the command in a component file");
      await rejects([...head, ...good, "    component: ./trial.yml", ""], "Unsupported", 12, "under 'trial'");
    });

    it("trials it cannot use", async () => {
      await rejects(edit(6, "    trial: ./missing.yml"), "FileNotFound", 6, `Trial component file not found: ${path.join(folder.dir, "missing.yml")}`);
      await rejects(edit(6, "    trial: {type: command, command: echo}"), "Unsupported", 6, "an inline trial at line 6 is not supported", "in its own file");
      await rejects(edit(6, "    trial: azureml://registries/r/components/c/versions/1"), "Unsupported", 6, "registry component", "azureml:<name>:<version>");
    });

    it("checks the search space and inputs against the trial component", async () => {
      await rejects(edit(8, "      who: {type: choice, values: [a]}"), "UnknownBinding", 8, "search_space.who at line 8 is not an input of trial component");
      await rejects(
        [...edit(8, "      lr: {type: uniform, min_value: 0, max_value: 1}"), ""],
        "MissingKey",
        4,
        "Required input 'whom' of trial component",
        "nor swept in search_space",
      );
      await rejects([...head, ...good, "    inputs: {whom: x}", ""], "InvalidValue", 12, "input 'whom' at line 12 is also swept in search_space");
      await rejects([...head, ...good, "    inputs: {other: x}", ""], "UnknownBinding", 12, "sets input 'other' at line 12, which component");
      await rejects([...head, ...good, "    outputs: {other: {type: uri_folder}}", ""], "UnknownBinding", 12, "sets output 'other' at line 12");
    });

    it("a binding to an output the trial does not declare is refused where it is used", async () => {
      await rejects(
        [
          ...head,
          ...good,
          "  next:",
          "    type: sweep",
          "    trial: ./trial.yml",
          "    inputs:",
          "      data: ${{parent.jobs.tune.outputs.nope}}",
          ...good.slice(1),
          "",
        ],
        "UnknownBinding",
        16,
        "step 'tune' has no output 'nope' (outputs: model)",
      );
    });
  });
});
