/**
 * Parallel pipeline nodes in the emulator: a pipeline with a parallel node runs (its step run carries the
 * task's environment and code), and each check of parallelNodes.ts refuses the pipeline PUT with 400.
 */
import assert from "node:assert/strict";
import { MachineLearningEmulator } from "../machinelearning";
import { RouterHarness } from "./routerHarness";

const SUB = "00000000-0000-0000-0000-0000000000ab";
const RG = "ml_rg";
const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace`;
const COMPUTE = `${WS}/computes/gpu-cluster`;
const ENV = `${WS}/environments/AzureML-sklearn-1.5/versions/1`;
const ML_TOKEN = { "x-azureml-token": `e30.${Buffer.from(JSON.stringify({ aud: "https://ml.azure.com" })).toString("base64url")}.x` };

describe("emulator: parallel pipeline nodes", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;
  beforeEach(() => {
    h = new RouterHarness({
      timeScale: 1000,
      blob: { endpoint: "https://127.0.0.1:10999/devstoreaccount1", accountName: "devstoreaccount1", accountKey: "a2V5" },
    });
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, RG);
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  async function register(name: string, spec: Record<string, unknown>): Promise<string> {
    const r = await h.call("PUT", `${WS}/components/${name}/versions/1`, { body: { properties: { componentSpec: spec, isAnonymous: true } } });
    assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
    return `${WS}/components/${name}/versions/1`;
  }
  let registered = 0;
  const task = { type: "run_function", entry_script: "score.py", environment: `azureml:${ENV}` };
  async function pipeline(
    node: Record<string, unknown>,
    spec: Record<string, unknown> = { type: "parallel", task, outputs: { scored: { type: "uri_folder" } } },
  ) {
    const componentId = await register(`batch${++registered}`, spec);
    return {
      properties: {
        jobType: "Pipeline",
        settings: { default_compute: COMPUTE },
        jobs: { score: { type: "parallel", name: "score", componentId, task, mini_batch_size: 10240, logging_level: "INFO", ...node } },
      },
    };
  }

  it("runs a pipeline with a parallel node; its step run carries the task's environment", async () => {
    const put = await h.call("PUT", `${WS}/jobs/par1`, {
      body: await pipeline({ retry_settings: { max_retries: 2 }, error_threshold: -1 }),
      headers: ML_TOKEN,
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const step = ml.job(ml.job("par1")!.children.score)!;
    assert.equal(step.properties.environmentId, ENV);
    const done = await h.until(
      () => h.call("GET", `${WS}/jobs/par1`),
      (r) => ["Completed", "Failed", "Canceled"].includes(r.body.properties.status),
    );
    assert.equal(done.body.properties.status, "Completed");
  });

  it("refuses a parallel node whose component, task or settings are not a parallel run's", async () => {
    const cases: [Record<string, unknown>, Record<string, unknown> | undefined, RegExp][] = [
      [{}, { type: "command", command: "python x.py", environment: `azureml:${ENV}` }, /is of type parallel but its component is of type 'command'/],
      [{ task: undefined }, { type: "parallel" }, /has no task/],
      [{ task: { ...task, type: "command" } }, undefined, /task\.type must be one of run_function, model, function/],
      [{ task: { type: "run_function" } }, undefined, /task\.environment is required/],
      [{ mini_batch_size: "10kb" }, undefined, /mini_batch_size must be a positive integer or a binding/],
      [{ max_concurrency_per_instance: "2" }, undefined, /max_concurrency_per_instance must be an integer/],
      [{ logging_level: "info" }, undefined, /logging_level must be one of DEBUG, INFO, WARNING/],
      [{ retry_settings: { retries: 3 } }, undefined, /retry_settings takes integer timeout and max_retries only/],
    ];
    for (const [node, spec, message] of cases) {
      const r = await h.call("PUT", `${WS}/jobs/bad`, { body: await pipeline(node, spec), headers: ML_TOKEN });
      assert.equal(r.status, 400, `${JSON.stringify(node)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, message);
    }
    const binding = await h.call("PUT", `${WS}/jobs/ok`, { body: await pipeline({ mini_batch_size: "${{parent.inputs.size}}" }), headers: ML_TOKEN });
    assert.notEqual(binding.status, 400, "a binding is accepted for mini_batch_size");
  });
});
