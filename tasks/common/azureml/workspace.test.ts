import assert from "node:assert/strict";
import { assetVersionId, workspaceId, workspaceUrlPath } from "./workspace";

const SCOPE = { subscriptionId: "s1", resourceGroupName: "rg1", workspaceName: "ws1" };
const WS = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1";

describe("Azure ML workspace ids", () => {
  it("workspaceId: the resource provider's path of the workspace", () => {
    assert.equal(workspaceId(SCOPE), WS);
  });

  it("workspaceUrlPath: the same path with each name URL-encoded, for request URLs", () => {
    assert.equal(workspaceUrlPath(SCOPE), WS);
    assert.equal(
      workspaceUrlPath({ subscriptionId: "s 1", resourceGroupName: "rg(1)", workspaceName: "ws/#?" }),
      "/subscriptions/s%201/resourceGroups/rg(1)/providers/Microsoft.MachineLearningServices/workspaces/ws%2F%23%3F",
    );
  });

  it("assetVersionId: from the scope, or from the workspace id the service answered with (trailing slashes dropped)", () => {
    assert.equal(assetVersionId(SCOPE, "models", "best_model", "7"), `${WS}/models/best_model/versions/7`);
    assert.equal(assetVersionId(SCOPE, "components", "azureml_anonymous", "0f3c"), `${WS}/components/azureml_anonymous/versions/0f3c`);
    const answered = "/subscriptions/s1/resourcegroups/RG1/providers/Microsoft.MachineLearningServices/workspaces/ws1/";
    assert.equal(
      assetVersionId(answered, "codes", "9ed438f0-e859-d1ae-9f06-23b04c339869", "1"),
      "/subscriptions/s1/resourcegroups/RG1/providers/Microsoft.MachineLearningServices/workspaces/ws1/codes/9ed438f0-e859-d1ae-9f06-23b04c339869/versions/1",
    );
  });
});
