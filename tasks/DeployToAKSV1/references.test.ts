import assert from "node:assert/strict";
import { assetVersionId } from "../common/azureml/workspace";
import { AssetReferenceError, parseAssetReference, parseComputeReference } from "./references";

const WS = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";

describe("DeployToAKS references", () => {
  it("reads name:version and name@latest, with or without azureml:", () => {
    assert.deepEqual(parseAssetReference("best_model:3", "models"), { form: "workspace", name: "best_model", version: "3" });
    assert.deepEqual(parseAssetReference("azureml:best_model:3", "models"), { form: "workspace", name: "best_model", version: "3" });
    assert.deepEqual(parseAssetReference("best_model@latest", "models"), { form: "workspace", name: "best_model" });
    assert.deepEqual(parseAssetReference(" azureml:best_model@LATEST ", "models"), { form: "workspace", name: "best_model" });
  });

  it("reads version ids (RegisterModel's ModelId output), also azureml:-prefixed", () => {
    const id = `${WS}/models/best_model/versions/7`;
    const expected = { form: "id", scope: { subscriptionId: "s1", resourceGroupName: "rg1", workspaceName: "ws1" }, name: "best_model", version: "7" };
    assert.deepEqual(parseAssetReference(id, "models"), expected);
    assert.deepEqual(parseAssetReference(`azureml:${id}`, "models"), expected);
    assert.equal(assetVersionId(expected.scope, "models", "best_model", "7"), id);
  });

  it("refuses what it cannot resolve, saying what to write", () => {
    assert.throws(
      () => parseAssetReference("best_model", "models"),
      (e: Error) => e instanceof AssetReferenceError && /<name>:<version>/.test(e.message),
    );
    assert.throws(() => parseAssetReference("best_model@prod", "models"), /only @latest/);
    assert.throws(() => parseAssetReference(`${WS}/environments/e/versions/1`, "models"), /not of a model version/);
    assert.throws(() => parseAssetReference("azureml://registries/r/models/m/versions/1", "models"), /registry/);
  });

  it("reads compute references", () => {
    assert.equal(parseComputeReference("azureml:k8s-compute"), "k8s-compute");
    assert.equal(parseComputeReference(`${WS}/computes/k8s-compute`), "k8s-compute");
    assert.throws(() => parseComputeReference("azureml:bad name"), /compute reference/);
  });
});
