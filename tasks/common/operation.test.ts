import assert from "node:assert/strict";
import { CancelledError, WaitTimeoutError } from "./errors";
import { MemoryLog } from "./logging";
import { type EntryContext, operationContext } from "./operation";

function entry(signal = new AbortController().signal): EntryContext & { client: string } {
  return { log: new MemoryLog(), loc: (key, ...params) => `${key}(${params.join(",")})`, abortSignal: signal, client: "the task's client" };
}

describe("operationContext", () => {
  it("keeps what the context carries and states the limit", () => {
    const base = entry();
    const ctx = operationContext(base, 250, "late");
    assert.equal(ctx.client, "the task's client");
    assert.equal(ctx.log, base.log);
    assert.equal(ctx.loc("K", 1), "K(1)");
    assert.equal(ctx.waitLimitInMs, 250);
    assert.equal(ctx.abortSignal.aborted, false);
  });

  it("aborts its signal with a WaitTimeoutError when the limit passes, leaving the entry's signal alone", async () => {
    const base = entry();
    const ctx = operationContext(base, 50, "did not finish within the limit");
    const started = Date.now();
    await new Promise((resolve) => ctx.abortSignal.addEventListener("abort", resolve, { once: true }));
    assert.ok(Date.now() - started >= 45, `aborted after ${Date.now() - started} ms`);
    assert.ok(ctx.abortSignal.reason instanceof WaitTimeoutError);
    assert.equal((ctx.abortSignal.reason as WaitTimeoutError).timeoutInMs, 50);
    assert.equal((ctx.abortSignal.reason as WaitTimeoutError).message, "did not finish within the limit");
    assert.equal(base.abortSignal.aborted, false);
  });

  it("passes the cancellation through with its CancelledError", () => {
    const controller = new AbortController();
    const ctx = operationContext(entry(controller.signal), 60_000, "late");
    controller.abort(new CancelledError("pipeline cancelled"));
    assert.ok(ctx.abortSignal.aborted);
    assert.ok(ctx.abortSignal.reason instanceof CancelledError);
  });

  it("with no limit (0) the signal is the entry's own", () => {
    const base = entry();
    assert.equal(operationContext(base, 0).abortSignal, base.abortSignal);
    assert.equal(operationContext(base, Number.POSITIVE_INFINITY).abortSignal, base.abortSignal);
  });
});
