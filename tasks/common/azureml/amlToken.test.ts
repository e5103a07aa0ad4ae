import assert from "node:assert/strict";
import { amlScope, amlTokenProvider } from "./amlToken";

describe("x-azureml-token: the Azure ML resource of the connection's cloud", () => {
  it("names the AML resource per cloud (public cloud for others) and registers each token as a secret", async () => {
    assert.equal(amlScope("AzureCloud"), "https://ml.azure.com/.default");
    assert.equal(amlScope("AzureUSGovernment"), "https://ml.azure.us/.default");
    assert.equal(amlScope("AzureChinaCloud"), "https://ml.azure.cn/.default");
    assert.equal(amlScope("AzureStack"), "https://ml.azure.com/.default");
    const scopes: string[] = [];
    const secrets: string[] = [];
    const token = amlTokenProvider(
      { getToken: async (s) => (scopes.push(String(s)), { token: "aml-token-1", expiresOnTimestamp: Date.now() + 60_000 }) },
      "AzureCloud",
      (s) => secrets.push(s),
    );
    assert.equal(await token(new AbortController().signal), "aml-token-1");
    assert.deepEqual([scopes, secrets], [["https://ml.azure.com/.default"], ["aml-token-1"]]);
    const none = amlTokenProvider({ getToken: async () => null }, "AzureCloud", () => undefined);
    await assert.rejects(none(new AbortController().signal), /no token for https:\/\/ml\.azure\.com\/\.default/);
  });
});
