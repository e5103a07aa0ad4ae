/**
 * The request limits every ARM client gets (armClientOptions → requestLimitsPolicy), with the real
 * Azure ML SDK against the emulator: a huge Retry-After, a stalled answer (GET retried, POST not),
 * an unresolvable host, and 200 answers whose body is HTML, empty or truncated — each ends at once
 * with an error naming the call.
 */
import assert from "node:assert/strict";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { createDefaultHttpClient, createHttpHeaders, createPipelineFromOptions, createPipelineRequest, type HttpClient } from "@azure/core-rest-pipeline";
import { startEmulator, type Emulator } from "../../devkit/emulator";
import { credential } from "../../devkit/emulator/testing";
import { armClientOptions } from "./armClients";
import type { CloudEndpoints } from "./cloud";
import { LIMIT_ERROR_CODE, requestLimitsPolicy, type RequestLimits } from "./requestLimits";

describe("request limits of ARM calls", function () {
  this.timeout(60_000);
  let emu: Emulator;
  const WS = /\/workspaces\/ml_workspace$/;

  before(async () => {
    emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    await emu.reset();
  });

  function client(
    limits: Partial<RequestLimits> = {},
    options: { armUrl?: string; httpClient?: HttpClient; maxRetries?: number } = {},
  ): AzureMachineLearningWorkspaces {
    const cloud = { armUrl: options.armUrl ?? emu.url, armScope: `${emu.armAudience}.default` } as CloudEndpoints;
    const requestLimits = { attemptTimeoutInMs: 100_000, maxRetryWaitInMs: 300_000, maxPollDelayInMs: 60_000, ...limits };
    return new AzureMachineLearningWorkspaces(credential(emu, "secret"), emu.subscriptionId, {
      ...armClientOptions({ cloud, network: {} }, { requestLimits, ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}) }),
      tlsOptions: { ca: emu.caCertPem },
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
    });
  }
  const getWorkspace = (c: AzureMachineLearningWorkspaces) => c.workspaces.get("ml_rg", "ml_workspace");
  const limitError = (pattern: RegExp) => (err: unknown) => {
    const e = err as { code?: string; message?: string };
    assert.equal(e.code, LIMIT_ERROR_CODE, e.message);
    assert.match(e.message ?? "", pattern);
    return true;
  };

  it("a 429 with Retry-After: 100000 fails at once, naming the call and the wait asked", async () => {
    emu.faults.add({ method: "GET", path: WS, kind: "throttle", retryAfterSeconds: 100_000 });
    const started = Date.now();
    await assert.rejects(
      getWorkspace(client()),
      limitError(/^GET [^ ]+\/workspaces\/ml_workspace was answered 429 with Retry-After 100000 s, more than this call may wait in all \(300 s\)/),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("a short Retry-After is still waited out", async () => {
    emu.faults.add({ method: "GET", path: WS, kind: "throttle", retryAfterSeconds: 1 });
    assert.equal((await getWorkspace(client())).name, "ml_workspace");
  });

  it("a stalled GET: the attempt times out and is retried", async () => {
    emu.faults.add({ method: "GET", path: WS, kind: "delay", delayMs: 5000 });
    const started = Date.now();
    assert.equal((await getWorkspace(client({ attemptTimeoutInMs: 500 }))).name, "ml_workspace");
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  });

  it("a GET that never answers fails naming the call once the retries are spent", async () => {
    emu.faults.add({ method: "GET", path: WS, kind: "delay", delayMs: 5000, count: 3 });
    await assert.rejects(getWorkspace(client({ attemptTimeoutInMs: 300 }, { maxRetries: 1 })), (err: unknown) =>
      /^GET [^ ]+\/workspaces\/ml_workspace did not answer within 0\.3 s\.$/.test((err as Error).message),
    );
  });

  it("a stalled POST is not sent twice", async () => {
    emu.faults.add({ method: "POST", path: /\/listSecrets$/, kind: "delay", delayMs: 3000, count: 2 });
    const started = Date.now();
    await assert.rejects(
      client({ attemptTimeoutInMs: 500 }).datastores.listSecrets("ml_rg", "ml_workspace", "workspaceblobstore"),
      limitError(/^POST [^ ]+\/listSecrets did not answer within 0\.5 s\.$/),
    );
    assert.ok(Date.now() - started < 2500, "no second attempt");
  });

  it("an ARM host that does not resolve fails at once, naming the host", async () => {
    const started = Date.now();
    await assert.rejects(
      getWorkspace(client({}, { armUrl: "https://management.mlops-test.invalid" })),
      limitError(/the host management\.mlops-test\.invalid could not be resolved \((ENOTFOUND|EAI_AGAIN)\)/),
    );
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  /** Azure's real answer, with its body replaced (a gateway in the way). */
  function replacingBody(body: string, contentType: string): HttpClient {
    const inner = createDefaultHttpClient();
    return {
      async sendRequest(request) {
        const response = await inner.sendRequest(request);
        const headers = createHttpHeaders(response.headers.toJSON());
        headers.set("content-type", contentType);
        return { ...response, headers, bodyAsText: body };
      },
    };
  }

  for (const [what, body, contentType, pattern] of [
    [
      "an HTML page",
      "<html><body>Service Unavailable</body></html>",
      "text/html",
      /answered 200 with an HTML page \(text\/html, 45 characters\) instead of JSON/,
    ],
    ["an empty body", "", "application/json", /answered 200 with an empty body instead of the resource/],
    [
      "a truncated body",
      '{"id": "/subscriptions/x/resourceGroups/ml_rg/provi',
      "application/json; charset=utf-8",
      /answered 200 with a body that is not complete JSON/,
    ],
  ] as const) {
    it(`a 200 with ${what} fails naming the call`, async () => {
      await assert.rejects(
        getWorkspace(client({}, { httpClient: replacingBody(body, contentType) })),
        limitError(new RegExp(`^GET [^ ]+/workspaces/ml_workspace ${pattern.source}`)),
      );
    });
  }

  it("a long-running operation's Retry-After is capped, so polls go on", async () => {
    const fake: HttpClient = {
      sendRequest: async (request) => ({ request, status: 202, headers: createHttpHeaders({ "retry-after": "100000" }), bodyAsText: "" }),
    };
    const pipeline = createPipelineFromOptions({});
    pipeline.addPolicy(requestLimitsPolicy({ attemptTimeoutInMs: 1000, maxRetryWaitInMs: 5000, maxPollDelayInMs: 30_000 }), { afterPhase: "Retry" });
    const response = await pipeline.sendRequest(fake, createPipelineRequest({ url: "https://management.example/x/operationStatuses/1", method: "GET" }));
    assert.equal(response.headers.get("retry-after"), "30");
  });
});
