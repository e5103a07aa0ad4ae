import assert from "node:assert/strict";
import { leakedSecrets, registerSecretSource } from "./secretScan";

describe("secret scan of task output", () => {
  it("finds registered and extra secrets outside the lines that hand them to the agent", () => {
    const remove = registerSecretSource(() => ["client-secret-value", "short"]);
    try {
      const output = [
        "##vso[task.setsecret]client-secret-value",
        "##vso[task.setvariable variable=EndpointKey;isOutput=true;issecret=true;]endpoint-key-123",
        "log line with endpoint-key-123 in it",
        "token=job-access-token",
        "short is too short to count",
      ].join("\n");
      assert.deepEqual(leakedSecrets(output, ["endpoint-key-123", "job-access-token"]).sort(), ["endpoint-key-123", "job-access-token"]);
      assert.deepEqual(leakedSecrets("##vso[task.setsecret]client-secret-value"), []);
      assert.deepEqual(leakedSecrets("oops client-secret-value"), ["client-secret-value"]);
      assert.deepEqual(leakedSecrets("##vso[task.setvariable variable=x;issecret=false]client-secret-value"), ["client-secret-value"]);
    } finally {
      remove();
    }
    assert.deepEqual(leakedSecrets("oops client-secret-value"), []);
  });
});
