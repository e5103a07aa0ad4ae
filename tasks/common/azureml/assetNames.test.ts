import assert from "node:assert/strict";
import { ANONYMOUS_COMPONENT_NAME, ANONYMOUS_ENVIRONMENT_NAME, codeAssetName, md5Uuid } from "./assetNames";

describe("Azure ML asset names", () => {
  // Expected values computed with CPython: str(uuid.UUID(hashlib.md5(text.encode()).hexdigest())), the
  // formatting of azure-ai-ml's hash_dict (azure/ai/ml/_utils/utils.py).
  it("md5Uuid writes the MD5 of the UTF-8 text as Python's str(UUID(hexdigest))", () => {
    assert.equal(md5Uuid('{"a": "\\u00e9", "b": 1}'), "63bd157c-4ae4-3cce-2e80-5f6caf010e19");
    assert.match(md5Uuid(""), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(md5Uuid(""), "d41d8cd9-8f00-b204-e980-0998ecf8427e");
  });

  it("codeAssetName: a UUID-shaped name like the CLI's, from the datastore and the upload's blob folder", () => {
    assert.equal(codeAssetName("workspaceblobstore", "LocalUpload/00000000000000000000000000000000/src"), "9ed438f0-e859-d1ae-9f06-23b04c339869");
    assert.equal(codeAssetName("workspaceblobstore", "LocalUpload/9f2c/score"), "8ed1c0ad-5171-cddc-b556-51e2b7eab179");
  });

  it("codeAssetName: other content or another datastore is another name; the same is the same", () => {
    const name = codeAssetName("workspaceblobstore", "LocalUpload/abc/src");
    assert.equal(codeAssetName("workspaceblobstore", "LocalUpload/abc/src"), name);
    assert.notEqual(codeAssetName("workspaceblobstore", "LocalUpload/abd/src"), name);
    assert.notEqual(codeAssetName("otherstore", "LocalUpload/abc/src"), name);
  });

  it("anonymous environments and components carry the CLI's names", () => {
    assert.equal(ANONYMOUS_ENVIRONMENT_NAME, "CliV2AnonymousEnvironment");
    assert.equal(ANONYMOUS_COMPONENT_NAME, "azureml_anonymous");
  });
});
