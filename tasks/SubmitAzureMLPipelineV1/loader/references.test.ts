import * as assert from "node:assert/strict";
import { isRemoteUri, parseAssetReference, parseComputeReference, parseDatastoreReference, ReferenceSyntaxError, workspaceChildId } from "./references";
import { loaderLoc } from "./loaderLoc.testing";

const loc = loaderLoc();

const WS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";

describe("references", () => {
  it("parses versioned, labelled and ARM-id asset references", () => {
    assert.deepEqual(parseAssetReference("azureml:my-env:3", "environments", loc), { form: "version", name: "my-env", version: "3" });
    assert.deepEqual(parseAssetReference("azureml:train_model@latest", "components", loc), { form: "label", name: "train_model", label: "latest" });
    assert.deepEqual(parseAssetReference(`azureml:${WS}/data/d/versions/2`, "data", loc), { form: "passthrough", value: `${WS}/data/d/versions/2` });
    assert.deepEqual(parseAssetReference("azureml://registries/azureml/environments/sklearn/versions/1", "environments", loc), {
      form: "passthrough",
      value: "azureml://registries/azureml/environments/sklearn/versions/1",
    });
    assert.deepEqual(parseAssetReference("azureml://registries/r/components/c/labels/latest", "components", loc).form, "passthrough");
  });

  it("passes curated environments through with their prefix", () => {
    assert.deepEqual(parseAssetReference("azureml:AzureML-TensorFlow-2.4-GPU@latest", "environments", loc), {
      form: "passthrough",
      value: "azureml:AzureML-TensorFlow-2.4-GPU@latest",
    });
    assert.deepEqual(parseAssetReference("azureml:AzureML-sklearn-1.0:3", "environments", loc).form, "passthrough");
  });

  it("refuses references without a version, of the wrong kind or malformed", () => {
    assert.throws(
      () => parseAssetReference("azureml:only-name", "components", loc),
      (e: unknown) => e instanceof ReferenceSyntaxError && /names no version/.test((e as Error).message),
    );
    assert.throws(() => parseAssetReference(`${WS}/codes/c/versions/1`, "components", loc), /not components/);
    assert.throws(() => parseAssetReference("azureml://registries/r/models/m/versions/1", "components", loc), /not components/);
    assert.throws(() => parseAssetReference("azureml://datastores/x", "components", loc), /registry path/);
    assert.throws(() => parseAssetReference("my-env:1", "environments", loc), /prefix it with 'azureml:'/);
    assert.throws(() => parseAssetReference("azureml:a b:1", "environments", loc), /not a valid reference/);
  });

  it("parses computes and datastores", () => {
    assert.deepEqual(parseComputeReference("azureml:gpu-cluster", loc), { form: "named", name: "gpu-cluster" });
    assert.deepEqual(parseComputeReference("cpu", loc), { form: "named", name: "cpu" });
    assert.deepEqual(parseComputeReference("serverless", loc), { form: "passthrough", value: "serverless" });
    assert.deepEqual(parseComputeReference("${{parent.inputs.compute}}", loc), { form: "passthrough", value: "${{parent.inputs.compute}}" });
    assert.deepEqual(parseComputeReference(`azureml:${WS}/computes/c`, loc), { form: "passthrough", value: `${WS}/computes/c` });
    assert.throws(() => parseComputeReference("local", loc), /this task does not do/);
    assert.throws(() => parseComputeReference("bad name", loc), /not a valid compute name/);
    assert.deepEqual(parseDatastoreReference("azureml:workspaceblobstore", loc), { form: "named", name: "workspaceblobstore" });
    assert.throws(() => parseDatastoreReference("bad-name", loc), /not a valid datastore name/);
  });

  it("builds workspace child ids and recognises remote URIs", () => {
    assert.equal(workspaceChildId(`${WS}/`, "components", "c", { version: "2" }), `${WS}/components/c/versions/2`);
    assert.equal(workspaceChildId(WS, "components", "c", { label: "default" }), `${WS}/components/c/labels/default`);
    assert.equal(workspaceChildId(WS, "computes", "gpu"), `${WS}/computes/gpu`);
    assert.equal(isRemoteUri("azureml://datastores/ds/paths/a"), true);
    assert.equal(isRemoteUri("https://example.org/a.csv"), true);
    assert.equal(isRemoteUri("wasbs://c@a.blob.core.windows.net/x"), true);
    assert.equal(isRemoteUri("./data"), false);
  });
});
