/**
 * DeployToAKS run as the agent runs it, against the emulator: first deployment (compute attached,
 * endpoint created, 100% traffic, smoke test), blue/green with 10% then promotion, deployment
 * from the CLI v2 YAML files, and a failing smoke test rolled back.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { COMPUTE, ENDPOINT, baseInputs, modelId, runDeploy, seedModels, workFolder } from "./fixture";

describe("DeployToAKS task: deployments", function () {
  this.timeout(120_000);
  let emu: Emulator;
  let workDir: string;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
    seedModels(emu);
    assert.ok(await emu.ml.blobContainerReady());
    workDir = workFolder();
  });
  afterEach(() => rmSync(workDir, { recursive: true, force: true }));

  it("first deployment: attaches the cluster, creates the endpoint, gives it 100%, smoke-tests it, sets the outputs", async () => {
    const r = await runDeploy(emu, baseInputs("blue", { trafficPercent: "10", smokeTestFile: "sample-request.json" }), { workDir });
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const e = emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.traffic, { blue: 100 });
    assert.equal(e.authMode, "Key");
    assert.match(e.compute ?? "", new RegExp(`/computes/${COMPUTE}$`));
    assert.deepEqual(
      e.deployments.map((d) => [d.name, d.provisioningState, d.model]),
      [["blue", "Succeeded", modelId(emu, 1)]],
    );
    assert.match(r.stdout, /Attaching AKS cluster 'aks-cluster' to the workspace as Kubernetes compute 'k8s-compute'/);
    assert.ok(
      r.issues.some((i) => i.type === "warning" && /'blue' gets 100% instead of 10%/.test(i.message)),
      JSON.stringify(r.issues),
    );
    // the emulator's default scoring rule answers the row sums of the sample request
    assert.match(r.stdout, /Smoke test of deployment 'blue' passed: HTTP 200 .*\[75\.5,\s*90\.9\]/);
    assert.match(r.variables.ScoringUri?.value ?? "", /\/_inference\/model-service\/score$/);
    assert.match(r.variables.SwaggerUri?.value ?? "", /swagger\.json$/);
    assert.equal(r.variables.EndpointName?.value, ENDPOINT);
    assert.equal(r.variables.DeploymentName?.value, "blue");
    assert.equal(r.variables.EndpointKey?.isSecret, true);
    assert.equal(r.variables.EndpointKey?.isOutput, true);
    assert.equal(r.variables.EndpointKey?.value, e.primaryKey);
    assert.ok(r.secrets.includes(e.primaryKey), "the key is registered with task.setsecret");
    assert.equal(r.summaries.length, 1);
  });

  it("blue/green: a second deployment gets 10% (90/10 on the endpoint), then is promoted to 100%", async () => {
    assert.equal((await runDeploy(emu, baseInputs("blue"), { workDir })).result, "Succeeded");
    const green = await runDeploy(emu, baseInputs("green", { model: `azureml:best_model:2`, trafficPercent: "10", smokeTestFile: "sample-request.json" }), {
      workDir,
    });
    assert.equal(green.result, "Succeeded", green.stdout);
    assert.deepEqual(emu.ml.endpoint(ENDPOINT)!.traffic, { blue: 90, green: 10 });
    assert.match(green.stdout, /Kubernetes compute 'k8s-compute' is attached/);
    assert.match(green.stdout, /Traffic of endpoint 'model-service': blue=100 -> blue=90 green=10/);
    assert.equal(emu.ml.endpoint(ENDPOINT)!.deployments.find((d) => d.name === "green")?.model, modelId(emu, 2));

    // promotion: the same deployment (model given as the ModelId of RegisterModel), 100%
    const promoted = await runDeploy(emu, baseInputs("green", { model: modelId(emu, 2), trafficPercent: "100" }), { workDir });
    assert.equal(promoted.result, "Succeeded", promoted.stdout);
    assert.deepEqual(emu.ml.endpoint(ENDPOINT)!.traffic, { green: 100 });
    // nothing about the deployment itself changed: no deployment PUT, only the traffic moves
    assert.match(promoted.stdout, /Deployment 'green' on endpoint 'model-service' is up to date .*: not updated\./);
    assert.equal(emu.requests.filter("PUT", /\/deployments\/green$/).length, 1, "green was PUT once, when it was created");

    // a deployment whose model changes is updated in place
    const changed = await runDeploy(emu, baseInputs("green", { model: modelId(emu, 1), trafficPercent: "100" }), { workDir });
    assert.equal(changed.result, "Succeeded", changed.stdout);
    assert.match(changed.stdout, /Updating deployment 'green'/);
    assert.equal(emu.ml.endpoint(ENDPOINT)!.deployments.find((d) => d.name === "green")?.model, modelId(emu, 1));
    assert.match(promoted.stdout, /already uploaded|unchanged since an earlier upload/);
  });

  it("deploys from the CLI v2 Kubernetes endpoint and deployment YAML files", async () => {
    const r = await runDeploy(
      emu,
      {
        resourceGroupName: "ml_rg",
        workspaceName: "ml_workspace",
        aksClusterName: "aks-cluster",
        specSource: "yamlFiles",
        endpointFile: "endpoint.yml",
        deploymentFile: "deployment.yml",
        smokeTestFile: "sample-request.json",
        pollingIntervalSeconds: "1",
      },
      { workDir },
    );
    assert.equal(r.result, "Succeeded", r.stdout + r.stderr);
    const e = emu.ml.endpoint("model-service")!;
    assert.deepEqual(e.traffic, { blue: 100 });
    const d = e.deployments[0];
    assert.equal(d.name, "blue");
    assert.equal(d.model, modelId(emu, 2), "azureml:best_model@latest is the newest version");
    assert.equal(d.instanceType, "defaultinstancetype");
    assert.equal(d.capacity, 1);
    assert.match(
      r.stdout,
      /Environment CliV2AnonymousEnvironment:[0-9a-f]{32} \(image mcr\.microsoft\.com\/azureml\/openmpi4\.1\.0-ubuntu20\.04:latest\) registered/,
    );
    assert.match(r.stdout, /registered it as code [0-9a-f-]{36}:1|reusing code [0-9a-f-]{36}:1/);
    const put = emu.requests.filter("PUT", /\/onlineEndpoints\/model-service\/deployments\/blue$/).at(-1)!;
    const props = (put.body as { properties: Record<string, any> }).properties;
    assert.equal(props.requestSettings.requestTimeout, "PT3S");
    assert.equal(props.codeConfiguration.scoringScript, "score.py");
    assert.deepEqual(props.environmentVariables, { CHURN_THRESHOLD: "0.5" });
  });

  it("aml_token endpoints: the smoke test authenticates with an Azure ML token, which is the secret output", async () => {
    const r = await runDeploy(emu, baseInputs("blue", { authMode: "aml_token", smokeTestFile: "sample-request.json" }), { workDir });
    assert.equal(r.result, "Succeeded", r.stdout);
    assert.equal(emu.ml.endpoint(ENDPOINT)!.authMode, "AMLToken");
    assert.match(r.stdout, /Smoke test of deployment 'blue' passed: HTTP 200/);
    const token = r.variables.EndpointKey;
    assert.equal(token?.isSecret, true);
    assert.ok(token?.value && emu.secrets().includes(token.value), "EndpointKey is a token the emulator issued");
    assert.match(r.stdout, /EndpointKey holds an Azure ML token .* expires at \d{4}-/);
  });

  it("a failing smoke test with rollbackOnFailure leaves the previous split and deletes the new deployment", async () => {
    assert.equal((await runDeploy(emu, baseInputs("blue"), { workDir })).result, "Succeeded");
    emu.ml.setScoringRule(ENDPOINT, { kind: "error", status: 500, message: "model file is corrupt" }, { deployment: "green" });
    const r = await runDeploy(
      emu,
      baseInputs("green", { model: "best_model@latest", trafficPercent: "10", smokeTestFile: "sample-request.json", rollbackOnFailure: "true" }),
      { workDir },
    );
    assert.equal(r.result, "Failed", r.stdout);
    assert.match(r.resultMessage ?? "", /smoke test of deployment 'green' failed: HTTP 500: model file is corrupt.*rolled back/i);
    // the smoke test runs before any traffic change (rollout.test.ts): there is no traffic to restore
    assert.doesNotMatch(r.stdout, /Setting the traffic/);
    const e = emu.ml.endpoint(ENDPOINT)!;
    assert.deepEqual(e.traffic, { blue: 100 });
    assert.deepEqual(
      e.deployments.map((d) => d.name),
      ["blue"],
    );
    assert.equal(r.variables.EndpointKey, undefined);
  });
});
