/**
 * The lifecycle demo (scripts/demo.ts, what `npm run demo` runs): samples/azure-pipelines.yml's four
 * task steps run in order against the emulator, outputs flowing between them, and the deployed
 * model-service answers the sample request with the default scoring rule (the sum of each row).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runDemo } from "../../scripts/demo";
import { findRepoRoot } from "../../devkit/repoRoot";

const repoRoot = findRepoRoot(__dirname);

/** The default scoring rule's answer for a `{"data": [[...]]}` body: one sum per row. */
function rowSums(requestFile: string): number[] {
  const body = JSON.parse(fs.readFileSync(requestFile, "utf8")) as { data: number[][] };
  return body.data.map((row) => row.reduce((a, b) => a + b, 0));
}

describe("lifecycle demo (npm run demo)", function () {
  this.timeout(120_000);

  it("runs ADF → Azure ML pipeline → register → deploy in order, then gets a prediction from model-service", async () => {
    const lines: string[] = [];
    const started = Date.now();
    const result = await runDemo({ write: (line) => lines.push(line) });
    const log = lines.join("\n");
    assert.ok(Date.now() - started < 60_000, `the demo took ${Date.now() - started} ms`);
    assert.deepEqual(
      result.steps.map((s) => [s.reference, s.result]),
      [
        ["TriggerADFPipeline@1", "Succeeded"],
        ["SubmitAzureMLPipeline@1", "Succeeded"],
        ["RegisterModel@1", "Succeeded"],
        ["DeployToAKS@1", "Succeeded"],
        ["script", "Skipped"],
      ],
      log,
    );
    const [, train, register, deploy] = result.steps;
    // Outputs flowed: the job the register step used is the one the train step submitted, and the
    // deploy step deployed the version the register step created.
    const jobName = train.run?.variables["JobName"]?.value;
    const modelId = register.run?.variables["ModelId"]?.value;
    assert.ok(jobName && modelId, log);
    assert.match(register.run?.variables["ModelUri"]?.value ?? "", new RegExp(`azureml://jobs/${jobName}/outputs/best_model`));
    assert.match(modelId, /^azureml:best_model:\d+$/);
    // The quality gate: the evaluate step's accuracy flowed to the register step, which says why it passed.
    assert.equal(train.run?.variables["Metric_evaluate_accuracy"]?.value, "0.91", log);
    assert.match(
      log,
      /accuracy >= 0\.8\s+0\.91\s+-\s+0\.8\s+pass\n.*accuracy >= champion\s+0\.91\s+-\s+-\s+pass \(nothing to compare with\)\n.*Quality gate passed \(2 condition\(s\)\): accuracy >= 0\.8; accuracy >= champion\./,
    );
    assert.equal(register.run?.variables["GatePassed"]?.value, "true");
    assert.ok((deploy.run?.stdout ?? "").includes(modelId.replace(/^azureml:/, "")), `the deploy step deployed ${modelId}`);
    assert.ok(deploy.run?.variables["EndpointKey"]?.isSecret, "the endpoint key is a secret output");
    assert.ok(!log.includes(deploy.run?.variables["EndpointKey"]?.value ?? "<none>"), "the endpoint key is masked in the log");

    assert.equal(result.succeeded, true, log);
    assert.match(result.scoringUri ?? "", /^https:\/\/127\.0\.0\.1:\d+\/.*model-service\/score$/);
    assert.equal(result.answer?.status, 200, log);
    assert.deepEqual(JSON.parse(result.answer?.body ?? "null"), rowSums(path.join(repoRoot, "samples", "deploy", "sample-request.json")));
    const tail = lines.slice(-4).join("\n");
    assert.match(tail, new RegExp(`POST ${result.scoringUri?.replace(/[.?]/g, "\\$&")}`));
    assert.match(tail, /→ 200 \[/);
    assert.match(lines[lines.length - 1].trim(), /^Demo succeeded in \d+\.\d s/);
  });
});
