/**
 * Issue 19, finding 2 (confinement), end to end: the built tasks, run as the agent runs them,
 * refuse every path that really leads outside the pipeline's working folders — a path input that
 * is a link (modelPath, a parameters file), and paths inside job and deployment YAML (`code:`,
 * `inputs.*.path`, `component:`, `code_configuration.code`) — naming the input or the file and
 * key, before anything is uploaded (Azurite's container stays empty) or changed in Azure (no
 * PUT, POST or DELETE in the emulator's request log).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import type { AgentRunResult } from "../../devkit/harness/agentRunner";
import { runDeploy, seedModels, workFolder } from "../tasks/deployToAks/fixture";
import { WorkspaceBlobs, runRegister } from "../tasks/registerModel/fixture";
import { details, runSubmitTask, sourcesWithSamples } from "../tasks/submitPipeline/run";
import { runTask, emulatorConnection } from "../../devkit/harness/agentRunner";

describe("issue 19 finding 2: paths leading outside the working folders are refused, nothing uploaded (tasks run as the agent runs them)", function () {
  this.timeout(180_000);
  let emu: Emulator;
  let blobs: WorkspaceBlobs;
  let outside: string;
  let secretFile: string;
  const secret = `PRIVATE KEY ${randomUUID()}`;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
    blobs = new WorkspaceBlobs(emu);
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "outside-home-"));
    secretFile = path.join(outside, "id_rsa");
    fs.writeFileSync(secretFile, secret);
    fs.writeFileSync(path.join(outside, "train.py"), `print("${secret}")\n`);
    fs.writeFileSync(path.join(outside, "score.py"), `# ${secret}\n`);
    fs.writeFileSync(
      path.join(outside, "component.yml"),
      "$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\ntype: command\nname: evil\ncode: .\nenvironment: azureml:AzureML-sklearn-1.5:1\ncommand: python train.py\n",
    );
  });
  after(async () => {
    blobs?.close();
    await emu?.stop();
    fs.rmSync(outside, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await emu.reset();
    assert.ok(await emu.ml.blobContainerReady());
    emu.requests.clear();
  });

  /** Nothing uploaded (Azurite), nothing created or changed (emulator log), the secret never printed. */
  async function assertNothingDone(r: AgentRunResult): Promise<void> {
    assert.deepEqual(await blobs.names(), [], "blobs were uploaded");
    assert.deepEqual(
      emu.requests
        .all()
        .filter((q) => ["PUT", "POST", "PATCH", "DELETE"].includes(q.method) && !/oauth2|token|oidc/i.test(q.path))
        .map((q) => `${q.method} ${q.path}`),
      [],
    );
    assert.ok(!(r.stdout + r.stderr).includes(secret), "the outside file's content was printed");
  }

  it("RegisterModel: modelPath itself a link to a folder outside, or to a file outside", async () => {
    for (const [link, target] of [
      ["model", outside],
      ["model.pkl", secretFile],
    ] as const) {
      const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "confine-register-"));
      try {
        fs.symlinkSync(target, path.join(workDir, link));
        const r = await runRegister(emu, { modelName: "stolen", modelPath: link }, { workDir });
        assert.equal(r.result, "Failed", r.stdout);
        assert.match(
          r.resultMessage ?? "",
          new RegExp(
            `^Input 'modelPath' is '${link.replace(".", "\\.")}', which is a link to ${fs.realpathSync(target).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, outside the pipeline's working folders`,
          ),
        );
        await assertNothingDone(r);
      } finally {
        fs.rmSync(workDir, { recursive: true, force: true });
      }
    }
  });

  it("SubmitAzureMLPipeline: code: a linked folder, inputs.*.path outside, component: a linked file — each refused with file, key and line", async () => {
    const sources = await sourcesWithSamples();
    try {
      const dir = path.join(sources, "pipelines");
      fs.symlinkSync(outside, path.join(dir, "linked-code"), "dir");
      fs.symlinkSync(path.join(outside, "component.yml"), path.join(dir, "linked-component.yml"));
      const job = (step: string, inputs = "") => `type: pipeline\ncompute: azureml:gpu-cluster\n${inputs}jobs:\n  train:\n${step}`;
      const cases: [string, string, RegExp][] = [
        [
          "code.yml",
          job("    type: command\n    code: ./linked-code\n    environment: azureml:AzureML-sklearn-1.5:1\n    command: python train.py\n"),
          /'jobs\.train\.code' names .*linked-code, a link to .*, which is outside the pipeline's working folders.*\(.*pipelines\/code\.yml:6:\d+\)$/,
        ],
        [
          "data.yml",
          job(
            "    type: command\n    code: ./src/train\n    environment: azureml:AzureML-sklearn-1.5:1\n    command: python train.py ${{inputs.d}}\n    inputs:\n      d: ${{parent.inputs.d}}\n",
            `inputs:\n  d:\n    type: uri_file\n    path: ${path.relative(dir, secretFile)}\n`,
          ),
          /'inputs\.d\.path' names .*id_rsa which is outside the pipeline's working folders.*\(.*pipelines\/data\.yml:6:\d+\)$/,
        ],
        [
          "component.yml",
          job("    component: ./linked-component.yml\n"),
          /'jobs\.train\.component' names .*linked-component\.yml, a link to .*component\.yml, which is outside/,
        ],
      ];
      for (const [name, text, message] of cases) {
        fs.writeFileSync(path.join(dir, name), text);
        const r = await runSubmitTask(emu, { sources, jobFile: `pipelines/${name}` });
        assert.equal(r.result, "Failed", details(r));
        assert.match(r.resultMessage ?? "", message);
        assert.match(r.resultMessage ?? "", new RegExp(`pipelines/${name.replace(".", "\\.")}`), "the message names the job file");
        await assertNothingDone(r);
      }
    } finally {
      await fs.promises.rm(sources, { recursive: true, force: true });
    }
  });

  it("DeployToAKS: code_configuration.code a link to a folder outside is refused naming the deployment file and key", async () => {
    seedModels(emu);
    emu.requests.clear();
    const workDir = workFolder();
    try {
      fs.symlinkSync(outside, path.join(workDir, "linked-src"), "dir");
      const text = fs.readFileSync(path.join(workDir, "deployment.yml"), "utf8").replace("code: ./src", "code: ./linked-src");
      fs.writeFileSync(path.join(workDir, "bad-deployment.yml"), text);
      const r = await runDeploy(
        emu,
        {
          resourceGroupName: "ml_rg",
          workspaceName: "ml_workspace",
          aksClusterName: "aks-cluster",
          specSource: "yamlFiles",
          endpointFile: "endpoint.yml",
          deploymentFile: "bad-deployment.yml",
        },
        { workDir },
      );
      assert.equal(r.result, "Failed", r.stdout);
      assert.match(
        r.resultMessage ?? "",
        /deploymentFile.*bad-deployment\.yml(:\d+)?: 'code_configuration\.code' names .*linked-src, a link to .*, which is outside the pipeline's working folders/,
      );
      await assertNothingDone(r);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  it("TriggerADFPipeline: a parameters file that is a link to a file outside is refused before any run", async () => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "confine-adf-"));
    try {
      fs.writeFileSync(path.join(outside, "params.json"), `{"sourceContainer": "${secret}"}`);
      fs.symlinkSync(path.join(outside, "params.json"), path.join(workDir, "params.json"));
      const { connection, env } = emulatorConnection(emu, "secret");
      const r = await runTask({
        task: "TriggerADFPipelineV1",
        inputs: {
          azureSubscription: connection.id,
          resourceGroupName: emu.resourceGroupName,
          factoryName: "mlops-adf",
          pipelineName: "prepare-training-data",
          parameters: "params.json",
        },
        connection,
        env,
        caCertPath: emu.caCertPath,
        variables: { "System.DefaultWorkingDirectory": workDir },
        timeoutInMs: 60_000,
      });
      assert.equal(r.result, "Failed", r.stdout);
      assert.match(r.resultMessage ?? "", /^Input 'parameters' is 'params\.json', which is a link to .*params\.json, outside the pipeline's working folders/);
      await assertNothingDone(r);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
});
