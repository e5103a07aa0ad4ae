import assert from "node:assert/strict";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { EarlySignInCredential } from "../../tasks/common/earlySignIn";

function counting(answer: (scopes: string | string[]) => Promise<AccessToken | null>): TokenCredential & { calls: (string | string[])[] } {
  const calls: (string | string[])[] = [];
  return { calls, getToken: (scopes) => (calls.push(scopes), answer(scopes)) };
}

describe("EarlySignInCredential", () => {
  it("asks for the token at once and hands that answer to the first caller for the scope", async () => {
    const token = { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
    const inner = counting(async () => token);
    const early = new EarlySignInCredential(inner, "https://arm/.default");
    assert.deepEqual(inner.calls, ["https://arm/.default"], "signing in started in the constructor");
    assert.equal(await early.getToken(["https://arm/.default"]), token);
    assert.equal(inner.calls.length, 1, "the first caller did not sign in again");
    await early.getToken("https://arm/.default");
    await early.getToken("https://storage/.default");
    assert.deepEqual(inner.calls.slice(1), ["https://arm/.default", "https://storage/.default"], "later callers go to the credential");
  });

  it("hands a failed early sign-in to the first caller only, without an unhandled rejection", async () => {
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on("unhandledRejection", onUnhandled);
    try {
      let failures = 0;
      const inner = counting(async () => {
        failures++;
        throw new Error(`sign-in failed ${failures}`);
      });
      const early = new EarlySignInCredential(inner, "s");
      await new Promise((r) => setTimeout(r, 10));
      await assert.rejects(early.getToken("s"), /sign-in failed 1/);
      await assert.rejects(early.getToken("s"), /sign-in failed 2/);
      assert.equal(unhandled, 0);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
