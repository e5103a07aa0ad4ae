/**
 * DeployToAKS with CLI v2 files the way `az ml online-deployment create` reads them (issue 16): an inline
 * model (`model: {path: ...}`) uploaded and registered as the CLI's anonymous model, and the Kubernetes
 * compute taken from the endpoint file's `compute:` when it is attached, without aksClusterName.
 * The files are minimal ones of our own.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { changes, runDeploy, workFolder } from "./fixture";

const ENDPOINT_YAML = ["name: cli-files", "compute: azureml:k8s-compute", "auth_mode: key", ""].join("\n");
const DEPLOYMENT_YAML = [
  "name: blue",
  "type: kubernetes",
  "model:",
  "  path: ./model",
  "code_configuration:",
  "  code: ./src",
  "  scoring_script: score.py",
  "environment: azureml:AzureML-sklearn-1.5:1",
  "app_insights_enabled: yes",
  "",
].join("\n");

describe("DeployToAKS task: CLI v2 files as the CLI reads them", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let workDir: string;
  const inputs = (extra: Record<string, string> = {}) => ({
    resourceGroupName: "ml_rg",
    workspaceName: "ml_workspace",
    specSource: "yamlFiles",
    endpointFile: "cli/endpoint.yml",
    deploymentFile: "cli/deployment.yml",
    pollingIntervalSeconds: "1",
    ...extra,
  });

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
    assert.ok(await emu.ml.blobContainerReady());
    workDir = workFolder();
    mkdirSync(join(workDir, "cli", "model"), { recursive: true });
    mkdirSync(join(workDir, "cli", "src"), { recursive: true });
    writeFileSync(join(workDir, "cli", "model", "model.pkl"), "weights\n");
    writeFileSync(join(workDir, "cli", "src", "score.py"), "def init():\n    pass\n\ndef run(raw):\n    return raw\n");
    writeFileSync(join(workDir, "cli", "endpoint.yml"), ENDPOINT_YAML);
    writeFileSync(join(workDir, "cli", "deployment.yml"), DEPLOYMENT_YAML);
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  it("uploads and registers an inline model as the CLI's anonymous model, and reuses it on a rerun", async () => {
    const r = await runDeploy(emu, inputs({ aksClusterName: "aks-cluster" }), { workDir });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const modelPuts = emu.requests.filter("PUT", /\/models\/[0-9a-f-]{36}\/versions\/1$/);
    assert.equal(modelPuts.length, 1);
    // ModelVersion as azure-ai-ml's Model._to_rest_object sends it: type, the upload's azureml:// URI, anonymous.
    const sub = emu.subscriptionId;
    assert.match(
      (modelPuts[0].body as any).properties.modelUri,
      new RegExp(
        `^azureml://subscriptions/${sub}/resourcegroups/ml_rg/workspaces/ml_workspace/datastores/workspaceblobstore/paths/LocalUpload/[0-9a-f]{32}/model$`,
      ),
    );
    assert.deepEqual(
      { ...(modelPuts[0].body as any).properties, modelUri: "<upload>" },
      { modelType: "custom_model", modelUri: "<upload>", isAnonymous: true, tags: {}, properties: {} },
    );
    const modelId = modelPuts[0].path;
    const deployment = emu.ml.endpoint("cli-files")!.deployments[0];
    assert.equal(deployment.model?.toLowerCase(), modelId.toLowerCase());
    // app_insights_enabled: yes is a YAML 1.1 boolean for the CLI (PyYAML).
    const put = emu.requests.filter("PUT", /\/onlineEndpoints\/cli-files\/deployments\/blue$/).at(-1)!;
    assert.equal((put.body as any).properties.appInsightsEnabled, true);

    const again = await runDeploy(emu, inputs({ aksClusterName: "aks-cluster" }), { workDir });
    assert.equal(again.result, "Succeeded", again.stdout);
    assert.equal(emu.requests.filter("PUT", /\/models\//).length, 1, "the same content is not registered twice");
    assert.match(again.stdout, /already registered as [0-9a-f-]{36}:1/);
  });

  it("refuses a quality gate on an inline model before any Azure call: it has no recorded metrics", async () => {
    const r = await runDeploy(emu, inputs({ aksClusterName: "aks-cluster", qualityGate: "accuracy >= 0.8" }), { workDir });
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /qualityGate compares the metrics recorded on a registered model version.*inline model/);
    const changes = emu.requests.filter(undefined, /\/subscriptions\//).filter((q) => q.method !== "GET");
    assert.deepEqual(
      changes.map((q) => `${q.method} ${q.path}`),
      [],
      "nothing was changed in Azure",
    );
  });

  it("takes the attached compute from the endpoint file when aksClusterName is empty; refuses before any change when it is not attached", async () => {
    const refused = await runDeploy(emu, inputs(), { workDir });
    assert.equal(refused.result, "Failed");
    assert.match(refused.resultMessage ?? "", /Kubernetes compute 'k8s-compute' is not attached to workspace 'ml_workspace', and aksClusterName is empty/);
    assert.deepEqual(changes(emu), [], "nothing changed in Azure");

    assert.equal((await runDeploy(emu, inputs({ aksClusterName: "aks-cluster" }), { workDir })).result, "Succeeded");
    const before = changes(emu).filter((c) => /\/computes\//.test(c)).length;
    const r = await runDeploy(emu, inputs(), { workDir });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    assert.equal(changes(emu).filter((c) => /\/computes\//.test(c)).length, before, "the compute is used as attached, not attached again");
    assert.match(r.stdout, /AKS cluster 'aks-cluster' is ready|aks-cluster/);
  });
});
