import assert from "node:assert/strict";
import { CancelledError, WaitTimeoutError } from "./errors";
import { MemoryLog } from "./logging";
import { operationContext } from "./operation";
import { retryAfterInMs, sleep, waitFor } from "./wait";

const never = new AbortController().signal;
/** A signal that aborts after `ms` as a task's wait limit does (operation.ts). */
const limit = (ms: number, message?: string) => operationContext({ log: new MemoryLog(), loc: (key) => key, abortSignal: never }, ms, message).abortSignal;

describe("waitFor", () => {
  it("polls until done at an interval that grows with the time waited, up to the cap", async () => {
    const times: number[] = [];
    const started = Date.now();
    const value = await waitFor(
      async () => {
        times.push(Date.now());
        return { done: times.length === 10, value: times.length };
      },
      { initialIntervalInMs: 10, maxIntervalInMs: 60, elapsedFraction: 0.5, abortSignal: never },
    );
    assert.equal(value, 10);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      const expected = Math.min(60, Math.max(10, (times[i - 1] - started) * 0.5));
      assert.ok(gap >= expected - 2 && gap < expected + 40, `gap ${i}: ${gap} ms, expected about ${expected} ms`);
    }
    assert.ok(times[9] - times[8] >= 58, "the cap is reached");
  });

  it("waits at least what Retry-After asks", async () => {
    const times: number[] = [];
    await waitFor(
      async () => {
        times.push(Date.now());
        return { done: times.length === 2, value: 0, retryAfterInMs: 120 };
      },
      { initialIntervalInMs: 5, maxIntervalInMs: 10, abortSignal: never },
    );
    assert.ok(times[1] - times[0] >= 115, `gap ${times[1] - times[0]}`);
  });

  it("stops at the wait limit with its WaitTimeoutError, also when a poll stalls", async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor(async () => ({ done: false, value: 0 }), {
        initialIntervalInMs: 20,
        maxIntervalInMs: 20,
        abortSignal: limit(100, "too slow"),
      }),
      (err: unknown) => err instanceof WaitTimeoutError && err.message === "too slow" && err.timeoutInMs === 100,
    );
    assert.ok(Date.now() - started < 400);
    const stalled = Date.now();
    await assert.rejects(
      waitFor((signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted request")))), {
        initialIntervalInMs: 10,
        maxIntervalInMs: 10,
        abortSignal: limit(80),
      }),
      (err: unknown) => err instanceof WaitTimeoutError && err.timeoutInMs === 80,
    );
    assert.ok(Date.now() - stalled < 400);
  });

  it("rejects with the cancellation reason as soon as the signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new CancelledError("pipeline cancelled")), 50);
    const started = Date.now();
    await assert.rejects(
      waitFor(async () => ({ done: false, value: 0 }), {
        initialIntervalInMs: 10_000,
        maxIntervalInMs: 10_000,
        abortSignal: controller.signal,
      }),
      (err: unknown) => err instanceof CancelledError && err.message === "pipeline cancelled",
    );
    assert.ok(Date.now() - started < 1000);
  });

  it("passes poll errors through", async () => {
    await assert.rejects(
      waitFor(async () => Promise.reject(new Error("boom")), { initialIntervalInMs: 1, maxIntervalInMs: 1, abortSignal: never }),
      /boom/,
    );
  });
});

describe("sleep and retryAfterInMs", () => {
  it("sleep rejects at once on an aborted signal", async () => {
    const c = new AbortController();
    c.abort(new CancelledError("x"));
    await assert.rejects(sleep(10_000, c.signal), CancelledError);
  });

  it("reads seconds, milliseconds and HTTP dates", () => {
    const h = (values: Record<string, string>) => ({ get: (n: string) => values[n] });
    assert.equal(retryAfterInMs(h({ "retry-after": "3" })), 3000);
    assert.equal(retryAfterInMs(h({ "retry-after-ms": "250" })), 250);
    assert.equal(retryAfterInMs(h({})), undefined);
    const inFive = new Date(Date.now() + 5000).toUTCString();
    const ms = retryAfterInMs(h({ "retry-after": inFive }))!;
    assert.ok(ms > 3000 && ms <= 5000, String(ms));
  });
});
