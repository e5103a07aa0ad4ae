/**
 * The classic editor's pick lists, for real: every `dataSourceBindings` entry of every task.json is
 * resolved as Azure DevOps resolves it (test/product/dataSourceBinding.ts) against the running
 * emulator with a bearer token for the service connection's identity, and the lists must hold the
 * default scenario's resources (factories → mlops-adf, pipelines → prepare-training-data,
 * workspaces → ml_workspace, clusters → aks-cluster...). A binding for a resource type this test
 * has no expectation for fails, so a new binding cannot go unchecked. The emulator answers 2 items a
 * page (nextLink) and holds 5 factories, pipelines, clusters and models: every list must follow the
 * pages (3 calls) and hold all of them; the cluster list holds only the chosen resource group's. Also: every visibleRule,
 * binding target and `$(input)` names an existing input, and every input has helpMarkDown.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { findRepoRoot } from "../../devkit/repoRoot";
import { httpsRequest } from "../../scripts/httpsRequest";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import { emulatorConnection } from "../../devkit/harness/agentRunner";
import { visibleRuleInputs } from "../taskManifestChecks";
import { allPickListItems, type DataSourceBinding } from "./dataSourceBinding";

/** Items per page the emulator answers with, and the extra resources that make 3 pages of 5. */
const PAGE_SIZE = 2;
const MORE = ["p2", "p3", "p4", "p5"];

const repoRoot = findRepoRoot(__dirname);

interface TaskManifest {
  name: string;
  instanceNameFormat?: string;
  inputs: { name: string; type: string; helpMarkDown?: string; visibleRule?: string; aliases?: string[]; required?: boolean; groupName?: string }[];
  groups?: { name: string; visibleRule?: string }[];
  dataSourceBindings?: DataSourceBinding[];
}

function taskManifests(): { folder: string; manifest: TaskManifest }[] {
  const tasksDir = path.join(repoRoot, "tasks");
  return fs
    .readdirSync(tasksDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /V\d+$/.test(e.name) && fs.existsSync(path.join(tasksDir, e.name, "task.json")))
    .map((e) => ({ folder: e.name, manifest: JSON.parse(fs.readFileSync(path.join(tasksDir, e.name, "task.json"), "utf8")) as TaskManifest }));
}

/** What each list must hold in the default scenario, by the ARM collection the binding lists. */
function expectedValues(emu: Emulator): Record<string, { exactly?: string[]; includes?: string[] } | undefined> {
  return {
    resourcegroups: { includes: [emu.resourceGroupName] },
    factories: { exactly: ["mlops-adf", ...MORE.map((m) => `adf-${m}`)] },
    pipelines: { exactly: ["prepare-training-data", ...MORE.map((m) => `pipeline-${m}`)] },
    workspaces: { exactly: ["ml_workspace"] },
    // Scoped to aksResourceGroupName: not the cluster of the other resource group.
    managedclusters: { exactly: ["aks-cluster", ...MORE.map((m) => `aks-${m}`)] },
    computes: { includes: ["cpu-cluster", "gpu-cluster"] },
    // DeployToAKS lists attached Kubernetes computes only (a jsonpath filter): k8s-compute, seeded below.
    "DeployToAKSV1:computeName": { exactly: ["k8s-compute"] },
    // DeployToAKS's model input takes a pinned reference: <name>:<latest version>.
    "DeployToAKSV1:model": { exactly: ["best_model:2", ...MORE.map((m) => `model-${m}:1`)] },
    models: { exactly: ["best_model", ...MORE.map((m) => `model-${m}`)] },
    onlineendpoints: { exactly: ["model-service"] },
  };
}

/** The input values a user would have picked before opening each list. */
function scenarioInputs(emu: Emulator): Record<string, string> {
  return {
    resourceGroupName: emu.resourceGroupName,
    aksResourceGroupName: emu.resourceGroupName,
    factoryName: "mlops-adf",
    pipelineName: "prepare-training-data",
    workspaceName: "ml_workspace",
    aksClusterName: "aks-cluster",
    modelName: "best_model",
    endpointName: "model-service",
  };
}

/** `…/providers/X/factories?api-version=…` → "factories". */
function listedCollection(url: string): string {
  const segments = new URL(url).pathname.split("/").filter(Boolean);
  return segments[segments.length - 1].toLowerCase();
}

describe("classic editor", function () {
  this.timeout(120_000);
  const tasks = taskManifests();

  describe("task.json references", () => {
    for (const { folder, manifest } of tasks) {
      it(`${folder}: every input has helpMarkDown; visibleRules, binding targets and $(input)s name real inputs`, () => {
        const names = new Set(manifest.inputs.map((i) => i.name));
        for (const input of manifest.inputs) {
          assert.ok(typeof input.helpMarkDown === "string" && input.helpMarkDown.trim().length > 0, `${folder}: input ${input.name} has no helpMarkDown`);
        }
        const rules = [...manifest.inputs, ...(manifest.groups ?? [])].filter((x) => x.visibleRule).map((x) => [x.name, x.visibleRule as string]);
        for (const [owner, rule] of rules) {
          const { names: referenced, unreadable } = visibleRuleInputs(rule);
          assert.deepEqual(unreadable, [], `${folder}: ${owner}'s visibleRule '${rule}'`);
          for (const name of referenced) assert.ok(names.has(name), `${folder}: ${owner}'s visibleRule refers to '${name}', not an input`);
        }
        for (const binding of manifest.dataSourceBindings ?? []) {
          assert.ok(binding.target && names.has(binding.target), `${folder}: binding target '${binding.target}' is not an input`);
          const refs = [...`${binding.endpointId ?? ""} ${binding.endpointUrl ?? ""}`.matchAll(/\$\(([A-Za-z][A-Za-z0-9]*)\)/g)].map((m) => m[1]);
          for (const ref of refs) assert.ok(names.has(ref), `${folder}: binding for '${binding.target}' uses $(${ref}), not an input`);
          const endpointInput = /^\$\(([A-Za-z0-9]+)\)$/.exec(binding.endpointId ?? "")?.[1];
          const connectionInput = manifest.inputs.find((i) => i.name === endpointInput);
          assert.ok(
            connectionInput?.type.startsWith("connectedService:AzureRM"),
            `${folder}: binding for '${binding.target}' must use the AzureRM connection input as endpointId`,
          );
        }
      });
    }
  });

  it("the connection input is the same in every task: azureSubscription, alias connectedServiceNameARM, first in the first group", () => {
    for (const { folder, manifest } of tasks) {
      const connection = manifest.inputs.filter((i) => i.type.startsWith("connectedService:"));
      assert.equal(connection.length, 1, folder);
      assert.deepEqual(
        { name: connection[0].name, aliases: connection[0].aliases, group: connection[0].groupName, first: manifest.inputs[0] === connection[0] },
        { name: "azureSubscription", aliases: ["connectedServiceNameARM"], group: manifest.groups?.[0]?.name, first: true },
        folder,
      );
    }
  });

  it("instanceNameFormat names only required inputs shown in every mode (no 'Deploy  to  on AKS')", () => {
    for (const { folder, manifest } of tasks) {
      const used = [...(manifest.instanceNameFormat ?? "").matchAll(/\$\(([A-Za-z0-9]+)\)/g)].map((m) => m[1]);
      assert.ok(used.length > 0, `${folder}: instanceNameFormat names no input`);
      for (const name of used) {
        const input = manifest.inputs.find((i) => i.name === name);
        assert.ok(input?.required === true && !input.visibleRule, `${folder}: instanceNameFormat uses ${name}, which can be empty`);
      }
    }
  });

  describe("pick lists from the emulator", () => {
    let emu: Emulator;
    let token: string;
    let endpoint: { url: string; data: Record<string, string> };

    before(async () => {
      emu = await startEmulator({ azurite: false });
      emu.ml.seedAsset("models", "best_model", "1", { modelType: "custom_model", modelUri: "azureml://jobs/seed/outputs/best_model" });
      emu.ml.seedAsset("models", "best_model", "2", { modelType: "custom_model", modelUri: "azureml://jobs/seed/outputs/best_model" });
      const rg = emu.resourceGroupName;
      for (const m of MORE) {
        emu.datafactory.addFactory(emu.subscriptionId, rg, `adf-${m}`);
        emu.datafactory.addPipeline(emu.subscriptionId, rg, "mlops-adf", `pipeline-${m}`, { activities: [{ name: "Wait1", type: "Wait" }] } as never);
        emu.aks.addCluster(emu.subscriptionId, rg, `aks-${m}`);
        emu.ml.seedAsset("models", `model-${m}`, "1", { modelType: "custom_model", modelUri: `azureml://jobs/seed/outputs/${m}` });
      }
      emu.aks.addCluster(emu.subscriptionId, "other_rg", "aks-elsewhere");
      emu.datafactory.setPageSize(PAGE_SIZE);
      emu.ml.setPageSize(PAGE_SIZE);
      emu.aks.setPageSize(PAGE_SIZE);
      const cluster = `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/aks-cluster`;
      emu.ml.addKubernetesCompute({ name: "k8s-compute", resourceId: cluster });
      const { connection } = emulatorConnection(emu, "secret");
      endpoint = { url: connection.url, data: connection.data };
      const credential = new ClientSecretCredential(emu.tenantId, emu.identities.secret.clientId, emu.identities.secret.clientSecret, {
        authorityHost: emu.authorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caCertPem },
      });
      const accessToken = await credential.getToken(`${emu.armAudience}.default`);
      assert.ok(accessToken, "no token from the emulator");
      token = accessToken.token;
      const workspace = `${emu.armUrl}subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace`;
      const created = await httpsRequest({
        method: "PUT",
        url: `${workspace}/onlineEndpoints/model-service?api-version=2022-10-01`,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          location: "westeurope",
          identity: { type: "SystemAssigned" },
          properties: { authMode: "Key", compute: `${workspace.slice(emu.armUrl.length - 1)}/computes/k8s-compute` },
        }),
        caPem: emu.caCertPem,
      });
      assert.ok(created.status === 200 || created.status === 201, `creating the endpoint: ${created.status} ${created.body}`);
    });

    after(async () => {
      await emu?.stop();
    });

    it("has bindings to check", () => {
      assert.ok(tasks.flatMap((t) => t.manifest.dataSourceBindings ?? []).length >= 4, "expected the tasks to declare pick lists");
    });

    for (const { folder, manifest } of tasks) {
      for (const binding of manifest.dataSourceBindings ?? []) {
        it(`${folder}: ${binding.target} lists the scenario's resources`, async () => {
          const { items, urls } = await allPickListItems(binding, endpoint, scenarioInputs(emu), async (url) => {
            assert.doesNotMatch(url, /\{\{|\$\(/, `unresolved template in ${url}`);
            assert.ok(url.startsWith(emu.armUrl), `${url} is not on the connection's ARM URL`);
            const response = await httpsRequest({ method: "GET", url, headers: { Authorization: `Bearer ${token}` }, caPem: emu.caCertPem });
            assert.equal(response.status, 200, `GET ${url} → ${response.status} ${response.body}`);
            return JSON.parse(response.body) as unknown;
          });
          const url = urls[0];
          for (const item of items) {
            assert.ok(item.Value.length > 0 && item.DisplayValue.length > 0, `empty item ${JSON.stringify(item)}`);
            assert.doesNotMatch(`${item.Value} ${item.DisplayValue}`, /\{\{|\}\}|undefined|null|&#/, `badly rendered item ${JSON.stringify(item)}`);
            const name = (item.source as { name?: string }).name ?? "";
            assert.ok(item.DisplayValue.includes(name), `DisplayValue '${item.DisplayValue}' should show the name '${name}'`);
          }
          const collection = listedCollection(url);
          const expected = expectedValues(emu)[`${folder}:${binding.target}`] ?? expectedValues(emu)[collection];
          assert.ok(expected, `no expectation for a pick list of '${collection}' (${url}): add one to this test`);
          const values = items.map((i) => i.Value).sort();
          if (expected.exactly) assert.deepEqual(values, [...expected.exactly].sort(), `${binding.target} from ${urls.join(" then ")}`);
          if (expected.exactly && expected.exactly.length > PAGE_SIZE)
            assert.ok(urls.length >= 3, `${binding.target}: ${urls.length} call(s) for ${expected.exactly.length} items`);
          for (const value of expected.includes ?? []) assert.ok(values.includes(value), `${binding.target}: ${JSON.stringify(values)} lacks ${value}`);
        });
      }
    }
  });
});
