import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findRepoRoot } from "../../devkit/repoRoot";
import { buildDeploySpec, deploymentBody, endpointBody, msToIsoDuration } from "./endpointSpec";
import { readYamlDocument, SpecError, type YamlDocument } from "./yamlFields";

const samples = path.join(findRepoRoot(__dirname), "samples", "deploy");
const WS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

function doc(value: Record<string, unknown>, file = "/tmp/x/deployment.yml"): YamlDocument {
  return { path: file, value };
}

describe("DeployToAKS endpoint and deployment spec", () => {
  it("turns the sample CLI v2 files into the bodies the CLI sends", () => {
    const spec = buildDeploySpec({
      endpointFile: readYamlDocument(path.join(samples, "endpoint.yml"), "endpointFile"),
      deploymentFile: readYamlDocument(path.join(samples, "deployment.yml"), "deploymentFile"),
      overrides: {},
    });
    assert.equal(spec.endpoint.name, "model-service");
    assert.equal(spec.endpoint.computeName, "k8s-compute");
    assert.equal(spec.deployment.name, "blue");
    assert.equal(spec.deployment.model, "azureml:best_model@latest");
    assert.deepEqual(spec.deployment.code, { kind: "local", path: path.join(samples, "src"), scoringScript: "score.py" });
    assert.deepEqual(spec.deployment.environment, {
      kind: "inline",
      image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
      conda: { path: path.join(samples, "environment", "conda.yml") },
    });

    const e = endpointBody(spec.endpoint, { location: "westeurope", computeId: `${WS}/computes/k8s-compute`, traffic: { blue: 100, old: 0 } });
    assert.deepEqual(e, {
      location: "westeurope",
      tags: { project: "churn", owner: "mlops" },
      identity: { type: "SystemAssigned" },
      properties: {
        authMode: "Key",
        compute: `${WS}/computes/k8s-compute`,
        description: "Churn scoring service (best_model) on the AKS cluster aks-cluster",
        properties: {},
        traffic: { blue: 100 },
      },
    });

    const d = deploymentBody(spec.deployment, {
      location: "westeurope",
      modelId: `${WS}/models/best_model/versions/2`,
      environmentId: `${WS}/environments/e/versions/1`,
      codeId: `${WS}/codes/c/versions/1`,
    });
    assert.deepEqual(d.sku, { name: "Default", capacity: 1 });
    assert.deepEqual(d.properties, {
      endpointComputeType: "Kubernetes",
      model: `${WS}/models/best_model/versions/2`,
      environmentId: `${WS}/environments/e/versions/1`,
      codeConfiguration: { codeId: `${WS}/codes/c/versions/1`, scoringScript: "score.py" },
      properties: {},
      environmentVariables: { CHURN_THRESHOLD: "0.5" },
      instanceType: "defaultinstancetype",
      requestSettings: { requestTimeout: "PT3S", maxConcurrentRequestsPerInstance: 1 },
      livenessProbe: { initialDelay: "PT10S", period: "PT10S", timeout: "PT2S", failureThreshold: 30 },
      readinessProbe: { initialDelay: "PT10S", period: "PT10S" },
      containerResourceRequirements: { containerResourceRequests: { cpu: "100m", memory: "0.5Gi" }, containerResourceLimits: { cpu: "1", memory: "1Gi" } },
      appInsightsEnabled: false,
    });
    assert.deepEqual(d.tags, { model: "best_model" });
  });

  it("lets task inputs win over file fields", () => {
    const spec = buildDeploySpec({
      endpointFile: readYamlDocument(path.join(samples, "endpoint.yml"), "endpointFile"),
      deploymentFile: readYamlDocument(path.join(samples, "deployment.yml"), "deploymentFile"),
      overrides: {
        endpointName: "other-service",
        deploymentName: "green",
        computeName: "k8s-two",
        authMode: "aml_token",
        model: "best_model:4",
        environment: "azureml:AzureML-sklearn-1.5:1",
        codePath: "/work/code",
        scoringScript: "main.py",
        instanceType: "gpu",
        instanceCount: 3,
        requestTimeoutMs: 500,
      },
    });
    assert.equal(spec.endpoint.name, "other-service");
    assert.equal(spec.endpoint.computeName, "k8s-two");
    assert.equal(spec.endpoint.authMode, "AMLToken");
    assert.equal(spec.deployment.name, "green");
    assert.equal(spec.deployment.model, "best_model:4");
    assert.deepEqual(spec.deployment.environment, { kind: "reference", value: "azureml:AzureML-sklearn-1.5:1" });
    assert.deepEqual(spec.deployment.code, { kind: "local", path: "/work/code", scoringScript: "main.py" });
    assert.equal(spec.deployment.instanceType, "gpu");
    assert.equal(spec.deployment.instanceCount, 3);
    assert.equal(spec.deployment.requestSettings?.requestTimeout, "PT0.5S");
  });

  it("works from inputs alone (no files) and leaves out what is not given", () => {
    const spec = buildDeploySpec({ overrides: { endpointName: "model-service", deploymentName: "blue", computeName: "k8s-compute", model: "best_model:1" } });
    assert.equal(spec.endpoint.authMode, "Key");
    const d = deploymentBody(spec.deployment, { location: "westeurope", modelId: "m" });
    assert.deepEqual(d.properties, { endpointComputeType: "Kubernetes", model: "m", properties: {}, environmentVariables: {}, appInsightsEnabled: false });
    assert.deepEqual(d.sku, { name: "Default" });
  });

  it("names the input or the file key that is wrong", () => {
    const base = { endpointName: "model-service", deploymentName: "blue", computeName: "k8s-compute", model: "m:1" };
    const fails = (sources: Parameters<typeof buildDeploySpec>[0], input: string, pattern: RegExp) =>
      assert.throws(
        () => buildDeploySpec(sources),
        (e: Error) => e instanceof SpecError && e.inputName === input && pattern.test(e.message),
      );
    fails({ overrides: { ...base, endpointName: undefined } }, "endpointName", /endpoint name is missing/);
    fails({ overrides: { ...base, deploymentName: "b" } }, "deploymentName", /'b' is invalid/);
    fails({ overrides: { ...base, computeName: undefined } }, "computeName", /compute is missing/);
    fails({ overrides: { ...base, model: undefined } }, "model", /model is missing/);
    fails({ overrides: { ...base, scoringScript: "score.py" } }, "codePath", /no code folder/);
    fails({ overrides: { ...base, codePath: "/src" } }, "scoringScript", /scoring script is not/);
    fails({ overrides: base, deploymentFile: doc({ type: "managed" }) }, "deploymentFile", /'type' is 'managed'/);
    fails({ overrides: base, deploymentFile: doc({ instance_cnt: 2 }) }, "deploymentFile", /'instance_cnt' is not a field/);
    fails(
      { overrides: { ...base, model: undefined }, deploymentFile: doc({ model: { type: "custom_model" } }) },
      "deploymentFile",
      /'model.path' is required for an inline model/,
    );
    fails(
      { overrides: { ...base, model: undefined }, deploymentFile: doc({ model: { path: "./m", version: "2" } }) },
      "deploymentFile",
      /'model.version' needs model.name too/,
    );
    fails(
      { overrides: { ...base, model: undefined }, deploymentFile: doc({ model: { path: "./m", type: "onnx" } }) },
      "deploymentFile",
      /'model.type' is 'onnx'/,
    );
    fails({ overrides: base, deploymentFile: doc({ code_configuration: { code: "./src" } }) }, "deploymentFile", /scoring_script' is required/);
    fails({ overrides: base, endpointFile: doc({ auth_mode: "aad_token" }, "/tmp/endpoint.yml") }, "endpointFile", /key or aml_token/);
    fails(
      { overrides: base, deploymentFile: doc({ request_settings: { request_timeout_ms: -1 } }) },
      "deploymentFile",
      /request_timeout_ms' must be an integer/,
    );
  });

  it("reads YAML files and reports unreadable ones", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-"));
    try {
      fs.writeFileSync(path.join(dir, "list.yml"), "- a\n- b\n");
      fs.writeFileSync(path.join(dir, "bad.yml"), "name: [unclosed\n");
      assert.throws(() => readYamlDocument(path.join(dir, "list.yml"), "endpointFile"), /must hold a YAML mapping/);
      assert.throws(() => readYamlDocument(path.join(dir, "bad.yml"), "endpointFile"), /is not valid YAML/);
      assert.throws(() => readYamlDocument(path.join(dir, "none.yml"), "endpointFile"), /Cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the files as the CLI (PyYAML, marshmallow) does: yes/y booleans, last duplicate key, lines in messages", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-"));
    try {
      const write = (name: string, lines: string[]) => {
        fs.writeFileSync(path.join(dir, name), `${lines.join("\n")}\n`);
        return readYamlDocument(path.join(dir, name), "deploymentFile");
      };
      const base = { endpointName: "model-service", computeName: "k8s-compute" };
      const yes = write("yes.yml", ["name: blue", "model: azureml:m:1", "app_insights_enabled: yes", "tags:", "  flag: n", "  flag: y"]);
      const spec = buildDeploySpec({ deploymentFile: yes, overrides: base });
      assert.equal(spec.deployment.appInsightsEnabled, true);
      // tags stay strings: PyYAML keeps 'y' a str; the last 'flag' (line 6) wins and is reported.
      assert.deepEqual(spec.deployment.tags, { flag: "y" });
      assert.deepEqual(spec.notes, [
        `${path.join(dir, "yes.yml")}: key 'tags.flag' is given at line 5 and again at line 6; the value at line 6 is used, as the CLI (PyYAML) does.`,
      ]);
      // 'y' is a string to PyYAML, which marshmallow's Boolean field (fields.Boolean.truthy) accepts as true.
      const y = write("y.yml", ["name: blue", "model: azureml:m:1", "app_insights_enabled: y"]);
      assert.equal(buildDeploySpec({ deploymentFile: y, overrides: base }).deployment.appInsightsEnabled, true);
      const bad = write("bad-bool.yml", ["name: blue", "model: azureml:m:1", "", "app_insights_enabled: maybe"]);
      assert.throws(
        () => buildDeploySpec({ deploymentFile: bad, overrides: base }),
        (e: Error) => e instanceof SpecError && e.message === `${path.join(dir, "bad-bool.yml")}:4: 'app_insights_enabled' must be true or false.`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads an inline model (model: {path: ...}) as the CLI's anonymous model, path relative to the file", () => {
    const spec = buildDeploySpec({
      overrides: { endpointName: "model-service", deploymentName: "blue", computeName: "k8s-compute" },
      deploymentFile: doc({ model: { path: "../model-1/model" } }, "/w/deploy/deployment.yml"),
    });
    assert.deepEqual(spec.deployment.model, { kind: "inline", path: path.resolve("/w/model-1/model"), type: "custom_model", tags: {}, properties: {} });
  });

  it("converts milliseconds like the SDK", () => {
    assert.equal(msToIsoDuration(5000), "PT5S");
    assert.equal(msToIsoDuration(500), "PT0.5S");
    assert.equal(msToIsoDuration(0), undefined);
  });
});
