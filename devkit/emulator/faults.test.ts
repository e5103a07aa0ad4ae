/**
 * Injected faults (429 + Retry-After, 500, 503, connection reset, delay) with counts and method
 * filters, as the real arm-machinelearning client's retry policy meets them; and the request log.
 */
import assert from "node:assert/strict";
import { startEmulator, type Emulator } from "./index";
import { credential, mlClient, raw } from "./testing";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";

const WS_PATH = /\/workspaces\/ml_workspace$/;

describe("emulator: fault injection and the request log", function () {
  this.timeout(30000);
  let emu: Emulator;
  let client: AzureMachineLearningWorkspaces;
  before(async () => {
    emu = await startEmulator({ azurite: false });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
    client = mlClient(emu, credential(emu, "secret"), { maxRetries: 3, retryDelayInMs: 20 });
    await client.workspaces.get(emu.resourceGroupName, "ml_workspace"); // token + discovery out of the way
    emu.requests.clear();
  });

  const get = () => client.workspaces.get(emu.resourceGroupName, "ml_workspace");
  const statuses = () => emu.requests.filter("GET", WS_PATH).map((r) => r.status);

  it("throttle: 429 with Retry-After, which the SDK retry policy waits for", async () => {
    emu.faults.add({ path: WS_PATH, kind: "throttle", retryAfterSeconds: 1 });
    const start = Date.now();
    assert.equal((await get()).name, "ml_workspace");
    const elapsed = Date.now() - start;
    assert.deepEqual(statuses(), [429, 200]);
    assert.ok(elapsed >= 950, `the retry waited for Retry-After (took ${elapsed} ms; the policy's own delay is 20 ms)`);
    const throttled = await (async () => {
      emu.faults.add({ path: WS_PATH, kind: "throttle", retryAfterSeconds: 7 });
      return raw(emu, "GET", "/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace");
    })();
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers["retry-after"], "7");
    assert.equal(throttled.json.error.code, "TooManyRequests");
    assert.ok(throttled.headers["x-ms-request-id"]);
  });

  it("500 for N requests: the SDK retries past them; with no retries left it reports the ARM error", async () => {
    emu.faults.add({ path: WS_PATH, kind: "500", count: 2 });
    assert.equal((await get()).name, "ml_workspace");
    assert.deepEqual(statuses(), [500, 500, 200]);
    emu.requests.clear();
    emu.faults.add({ path: WS_PATH, kind: "500", count: 4 });
    await assert.rejects(get(), (e: { statusCode?: number; code?: string }) => e.statusCode === 500 && e.code === "InternalServerError");
    assert.deepEqual(statuses(), [500, 500, 500, 500]);
    assert.equal(emu.faults.list().length, 0, "a fault is gone once its count is used up");
  });

  it("503 is retried; a fault for another method leaves GET alone", async () => {
    emu.faults.add({ path: WS_PATH, kind: "503" });
    emu.faults.add({ method: "PUT", path: WS_PATH, kind: "500", count: 5 });
    assert.equal((await get()).name, "ml_workspace");
    assert.deepEqual(statuses(), [503, 200]);
    assert.equal(emu.faults.list().length, 1);
    emu.faults.clear();
    assert.equal(emu.faults.list().length, 0);
  });

  it("reset: the connection is destroyed without an answer; the SDK retries on a new connection", async () => {
    emu.faults.add({ path: /^\/msi\/token$/, kind: "reset" });
    await assert.rejects(raw(emu, "GET", "/msi/token"), (e: NodeJS.ErrnoException) => e.code === "ECONNRESET" || /socket hang up/.test(e.message));
    emu.faults.add({ path: WS_PATH, kind: "reset" });
    assert.equal((await get()).name, "ml_workspace");
    const log = emu.requests.filter("GET", WS_PATH);
    assert.deepEqual(
      log.map((r) => [r.status, r.fault ?? ""]),
      [
        [0, "reset"],
        [200, ""],
      ],
    );
  });

  it("delay: the answer comes after delayMs, once per count", async () => {
    emu.faults.add({ path: WS_PATH, kind: "delay", delayMs: 400, count: 2 });
    let start = Date.now();
    await get();
    assert.ok(Date.now() - start >= 390);
    start = Date.now();
    await get();
    assert.ok(Date.now() - start >= 390);
    start = Date.now();
    await get();
    assert.ok(Date.now() - start < 390, "the third request is not delayed");
    assert.deepEqual(
      emu.requests.filter("GET", WS_PATH).map((r) => r.fault ?? "none"),
      ["delay", "delay", "none"],
    );
  });

  it("rejects unknown fault kinds and bad counts", () => {
    assert.throws(() => emu.faults.add({ path: WS_PATH, kind: "teapot" as never }), /unknown fault kind/);
    assert.throws(() => emu.faults.add({ path: WS_PATH, kind: "500", count: 0 }), /positive integer/);
  });

  it("the request log records method, path, query, status, time and body; filters and clears", async () => {
    await client.modelVersions.createOrUpdate(emu.resourceGroupName, "ml_workspace", "logged_model", "1", {
      properties: { modelType: "custom_model", modelUri: "azureml://datastores/workspaceblobstore/paths/m/" },
    });
    await assert.rejects(client.modelContainers.get(emu.resourceGroupName, "ml_workspace", "missing"));
    const put = emu.requests.filter("PUT", /\/models\/logged_model\/versions\/1$/);
    assert.equal(put.length, 1);
    assert.equal(put[0].status, 201);
    assert.equal(put[0].query["api-version"], "2022-10-01");
    assert.equal((put[0].body as { properties: { modelUri: string } }).properties.modelUri, "azureml://datastores/workspaceblobstore/paths/m/");
    assert.ok(!Number.isNaN(Date.parse(put[0].time)));
    assert.equal(emu.requests.filter(undefined, /\/models\/missing$/)[0].status, 404);
    assert.ok(emu.requests.all().length >= 2);
    emu.requests.clear();
    assert.equal(emu.requests.all().length, 0);
  });
});
