/**
 * The demo/local pipeline runner is faithful to Azure Pipelines where a real pipeline would differ:
 * inputs as written (no YAML number/boolean coercion), task outputs only as `<step name>.<variable>`
 * (so the demo fails when a step relies on an unqualified output, as a real pipeline would), and the
 * documented two-job pattern for long training (submit, then wait for the same job by name in a later
 * job) works without a second submission.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runDemo } from "../../scripts/demo";
import { runPipeline } from "../../scripts/pipelineRunner";
import { PipelineYamlError, parsePipeline } from "../../scripts/pipelineYaml";
import { findRepoRoot } from "../../devkit/repoRoot";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import { emulatorConnection } from "../../devkit/harness/agentRunner";

const repoRoot = findRepoRoot(__dirname);

describe("pipeline runner (demo and local runs) as Azure Pipelines does it", function () {
  this.timeout(120_000);

  it("passes inputs and variables as written: 1.10 stays 1.10, 0x1F stays 0x1F, yes stays yes", () => {
    const definition = parsePipeline(
      [
        "variables:",
        "  version: 1.10",
        "steps:",
        "  - task: RegisterModel@1",
        "    inputs:",
        "      version: 1.10",
        "      tags: 0x1F",
        "      skipIfUnchanged: yes",
        "      description: 010",
      ].join("\n"),
    );
    assert.equal(definition.variables["version"], "1.10");
    const step = definition.steps[0];
    assert.ok(step.kind === "task");
    assert.deepEqual(step.inputs, { version: "1.10", tags: "0x1F", skipIfUnchanged: "yes", description: "010" });
  });

  it("refuses runtime expressions it does not evaluate, and dependencies on a later job", () => {
    const jobs = (variable: string, dependsOn = "a") =>
      ["jobs:", "  - job: a", "    steps: []", "  - job: b", `    dependsOn: ${dependsOn}`, "    variables:", `      x: ${variable}`, "    steps: []"].join(
        "\n",
      );
    assert.doesNotThrow(() => parsePipeline(jobs("$[ dependencies.a.outputs['s.V'] ]")));
    assert.throws(() => parsePipeline(jobs("$[ dependencies.a.outputs['s.V'] ]", "[]")), /dependencies\.a needs dependsOn: a/);
    assert.throws(
      () => parsePipeline(jobs("$[ variables.other ]")),
      (e: unknown) => e instanceof PipelineYamlError && /evaluates only \$\[ dependencies/.test(e.message),
    );
    assert.throws(() => parsePipeline(jobs("x").replace("dependsOn: a", "dependsOn: c")), /depends on c, which is not a job written before it/);
  });

  describe("against the emulator", () => {
    let emu: Emulator;
    let tempDir: string;
    before(async () => {
      emu = await startEmulator({ timeScale: 30 });
      tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "runner-"));
    });
    after(async () => {
      await emu?.stop();
      if (tempDir) await fs.promises.rm(tempDir, { recursive: true, force: true });
    });

    it("the demo fails when a step relies on an unqualified output ($(JobName) instead of $(train.JobName))", async () => {
      const sample = await fs.promises.readFile(path.join(repoRoot, "samples", "azure-pipelines.yml"), "utf8");
      assert.ok(sample.includes("jobName: $(train.JobName)"));
      const file = path.join(tempDir, "unqualified.yml");
      await fs.promises.writeFile(file, sample.replace("jobName: $(train.JobName)", "jobName: $(JobName)"));
      const lines: string[] = [];
      const result = await runDemo({ pipelineFile: file, emulator: emu, write: (l) => lines.push(l) });
      const log = lines.join("\n");
      assert.equal(result.succeeded, false, log);
      assert.deepEqual(
        result.steps.slice(0, 3).map((s) => s.result),
        ["Succeeded", "Succeeded", "Failed"],
        log,
      );
      assert.match(log, /input jobName: no variable 'JobName', \$\(JobName\) is passed as written/);
      const train = result.steps[1].run!;
      assert.equal(train.variables["JobName"]?.isOutput, true, "the task sets JobName as an output: it exists only as train.JobName");
    });

    it("two jobs: submit without waiting, then wait for the same Azure ML job by name (samples/long-training.yml), one submission", async () => {
      await emu.reset();
      const definition = parsePipeline(await fs.promises.readFile(path.join(repoRoot, "samples", "long-training.yml"), "utf8"));
      assert.deepEqual(
        definition.jobs.map((j) => j.name),
        ["submit", "wait"],
      );
      const { connection, env } = emulatorConnection(emu, "federated");
      const lines: string[] = [];
      const run = await runPipeline(definition, {
        taskRoot: path.join(repoRoot, "build", "tasks"),
        workingDirectory: repoRoot,
        connection,
        env,
        caCertPath: emu.caCertPath,
        queueVariables: { pollingIntervalSeconds: "1" },
        write: (l) => lines.push(l),
      });
      const log = lines.join("\n");
      assert.equal(run.succeeded, true, log);
      const [submit, wait] = run.steps;
      const jobName = run.jobOutputs["submit"]["train.JobName"];
      assert.ok(jobName, log);
      assert.notEqual(submit.run?.variables["JobStatus"]?.value, "Completed", "the first job did not wait");
      assert.equal(wait.run?.variables["JobName"]?.value, jobName, "the second job followed the same job");
      assert.equal(wait.run?.variables["JobStatus"]?.value, "Completed", log);
      assert.match(wait.run?.stdout ?? "", /already exists .*attaching to it/);
      const puts = emu.requests.filter("PUT", new RegExp(`/jobs/${jobName}$`));
      assert.equal(puts.length, 1, "the job was submitted once");
    });
  });
});
