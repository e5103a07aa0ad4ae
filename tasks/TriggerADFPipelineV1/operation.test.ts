/**
 * The operation with the real DataFactoryManagementClient against the Data Factory emulator's
 * routes, in-process (the built task against the HTTPS emulator is test/tasks/triggerAdf).
 */
import assert from "node:assert/strict";
import type { TokenCredential } from "@azure/core-auth";
import { DataFactoryManagementClient } from "@azure/arm-datafactory";
import { type HttpClient, type PipelineRequest, type PipelineResponse, RestError, createHttpHeaders } from "@azure/core-rest-pipeline";
import { AzureOperationError, CancelledError, InputError, RemoteRunError, WaitTimeoutError } from "../common/errors";
import { MemoryLog } from "../common/logging";
import { DataFactoryEmulator } from "../../devkit/emulator/arm/datafactory";
import { RouterHarness } from "../../devkit/emulator/arm/ml/routerHarness";
import { taskLoc } from "../common/taskLibContext.testing";
import type { TriggerRequest } from "./request";
import { triggerPipeline, type RunEvents, type TriggerDeps } from "./operation";
import type { RunReport } from "./runReport";

const SUB = "00000000-0000-0000-0000-0000000000ad";
const RG = "ml_rg";
const FACTORY = "mlops-adf";
const PIPELINE = "prepare-training-data";
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };

type Hook = (request: PipelineRequest, send: () => Promise<PipelineResponse>) => Promise<PipelineResponse>;

function response(request: PipelineRequest, status: number, headers: Record<string, string> = {}, body?: unknown): PipelineResponse {
  return {
    request,
    status,
    headers: createHttpHeaders({ "content-type": "application/json", ...headers }),
    bodyAsText: JSON.stringify(body ?? { error: { code: "Err", message: `status ${status}` } }),
  };
}

describe("TriggerADFPipeline operation (in-process emulator)", () => {
  const loc = taskLoc("TriggerADFPipelineV1");
  let h: RouterHarness;
  let adf: DataFactoryEmulator;
  let calls: string[];
  let hooks: { match: RegExp; hook: Hook }[];
  let log: MemoryLog;
  let events: { started: string[]; statuses: string[]; reports: RunReport[]; markdown: string[] };

  function recordingClient(inner: HttpClient): HttpClient {
    return {
      sendRequest: async (request) => {
        const url = new URL(request.url);
        const line = `${request.method} ${url.pathname}${url.search}`;
        calls.push(line);
        const hook = hooks.find((x) => x.match.test(line));
        return hook ? hook.hook(request, () => inner.sendRequest(request)) : inner.sendRequest(request);
      },
    };
  }

  function deps(overrides: Partial<TriggerDeps> = {}): TriggerDeps {
    const httpClient = recordingClient(h.httpClient());
    const options = { endpoint: h.baseUrl, httpClient };
    const sink: RunEvents = {
      started: (r) => events.started.push(r.runId),
      statusChanged: (s) => events.statuses.push(s),
      finished: (r, md) => {
        events.reports.push(r);
        events.markdown.push(md);
      },
    };
    return {
      client: new DataFactoryManagementClient(credential, SUB, { ...options, retryOptions: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 } }),
      startClient: new DataFactoryManagementClient(credential, SUB, { ...options, retryOptions: { maxRetries: 0 } }),
      subscriptionId: SUB,
      adfStudioUrl: "https://adf.azure.com",
      log,
      loc,
      abortSignal: new AbortController().signal,
      events: sink,
      lookupIntervalInMs: 5,
      ...overrides,
    };
  }

  const request = (overrides: Partial<TriggerRequest> = {}): TriggerRequest => ({
    resourceGroupName: RG,
    factoryName: FACTORY,
    pipelineName: PIPELINE,
    parameters: { sourceContainer: "raw" },
    waitForCompletion: true,
    pollingIntervalInMs: 20,
    timeoutInMs: 30_000,
    cancelOnStop: true,
    cancelOnTimeout: false,
    failOnStatus: "failedOrCancelled",
    ...overrides,
  });

  const createRuns = () => calls.filter((c) => /^POST .*\/createRun/.test(c));

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    adf = new DataFactoryEmulator();
    h.use(adf);
    adf.seedDefaults(SUB, RG);
    calls = [];
    hooks = [];
    log = new MemoryLog();
    events = { started: [], statuses: [], reports: [], markdown: [] };
  });
  afterEach(() => {
    adf.dispose();
    h.dispose();
  });

  it("runs the pipeline, logs each status once, tables the activities and reports the run", async () => {
    const result = await triggerPipeline(request({ parameters: { sourceContainer: "raw", sampleFraction: "0.5" } }), deps());
    assert.equal(result.status, "Succeeded");
    const run = adf.run(result.runId);
    assert.equal(run?.status, "Succeeded");
    assert.deepEqual(run?.parameters, { sourceContainer: "raw", outputFolder: "prepared", sampleFraction: 0.5 });
    assert.equal(
      result.runUrl,
      `https://adf.azure.com/en/monitoring/pipelineruns/${result.runId}?factory=${encodeURIComponent(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DataFactory/factories/${FACTORY}`)}`,
    );
    assert.deepEqual(events.started, [result.runId]);
    const statusLines = log.lines.filter((l) => l.startsWith(`Run ${result.runId} is `));
    const gets = calls.filter((c) => c.startsWith("GET") && c.includes(`/pipelineruns/${result.runId}`));
    assert.ok(gets.length >= statusLines.length);
    assert.deepEqual(
      statusLines.map((l) => /is (\w+)/.exec(l)?.[1]),
      [...new Set(statusLines.map((l) => /is (\w+)/.exec(l)?.[1]))],
      "one line per status",
    );
    assert.equal(statusLines.at(-1)?.includes("Succeeded"), true);
    assert.deepEqual(
      events.reports[0].activities.map((a) => `${a.name}:${a.status}`),
      ["CopyRawData:Succeeded", "CleanAndFeaturize:Succeeded", "PublishDataset:Succeeded"],
    );
    assert.match(log.lines.join("\n"), /CleanAndFeaturize\s+DatabricksNotebook\s+Succeeded\s+\d+s/);
    assert.match(events.markdown[0], /\| sampleFraction \| `0.5` \|/);
    assert.equal(createRuns().length, 1);
  });

  it("fails with the failing activity's message, or only warns when failOnStatus is never", async () => {
    adf.scriptRun(PIPELINE, { failActivity: "CleanAndFeaturize" });
    await assert.rejects(triggerPipeline(request(), deps()), (e: Error) => {
      assert.ok(e instanceof RemoteRunError);
      assert.match(e.message, /Pipeline 'prepare-training-data' run \S+ failed: CleanAndFeaturize \(DatabricksNotebook\): 3204: Job execution failed/);
      return true;
    });
    assert.equal(events.statuses.at(-1), "Failed");
    const result = await triggerPipeline(request({ failOnStatus: "never" }), deps());
    assert.equal(result.status, "Failed");
    assert.ok(log.lines.some((l) => l.startsWith("warning: ") && /failOnStatus is 'never'/.test(l)));
  });

  it("fails a run cancelled in Data Factory unless failOnStatus is failed", async () => {
    adf.scriptRun(PIPELINE, { cancelAfterMs: 2000, defaultActivityMs: 60_000 });
    await assert.rejects(triggerPipeline(request(), deps()), (e: Error) => e instanceof RemoteRunError && /was cancelled in Data Factory/.test(e.message));
    const result = await triggerPipeline(request({ failOnStatus: "failed" }), deps());
    assert.equal(result.status, "Cancelled");
  });

  it("checks parameters against the definition before starting anything", async () => {
    await assert.rejects(
      triggerPipeline(request({ parameters: { sourceContainer: "raw", sampleFraction: "lots", extra: 1 } }), deps()),
      (e: Error) => e instanceof InputError && /'extra' is not a parameter/.test(e.message) && /'sampleFraction' must be of type Float/.test(e.message),
    );
    await assert.rejects(
      triggerPipeline(request({ parameters: {} }), deps()),
      (e: Error) => e instanceof InputError && /'sourceContainer' \(String\) has no default value/.test(e.message),
    );
    assert.equal(createRuns().length, 0);
    assert.equal(adf.runs().length, 0);
  });

  it("names the missing factory or pipeline and the resource group", async () => {
    await assert.rejects(
      triggerPipeline(request({ factoryName: "nope-adf" }), deps()),
      (e: Error) => e instanceof AzureOperationError && /data factory 'nope-adf'/.test(e.message) && /ml_rg/.test(e.message),
    );
    await assert.rejects(
      triggerPipeline(request({ pipelineName: "nope" }), deps()),
      (e: Error) => e instanceof AzureOperationError && /pipeline 'nope' of data factory 'mlops-adf'/.test(e.message) && /ml_rg/.test(e.message),
    );
  });

  it("re-attaches to the run when the createRun answer is lost after the run was created", async () => {
    hooks.push({
      match: /^POST .*\/createRun/,
      hook: async (_req, send) => {
        await send();
        throw new RestError("socket hang up", { code: "ECONNRESET" });
      },
    });
    const result = await triggerPipeline(request(), deps());
    assert.equal(result.status, "Succeeded");
    assert.equal(adf.runs().length, 1);
    assert.equal(adf.runs()[0].runId, result.runId);
    assert.equal(createRuns().length, 1, "createRun is not sent twice");
    assert.ok(log.lines.some((l) => /warning: Found run .* started by this task/.test(l)));
  });

  it("sends createRun again when lookups show the lost request never reached Data Factory", async () => {
    let failed = 0;
    hooks.push({ match: /^POST .*\/createRun/, hook: async (req, send) => (failed++ < 1 ? response(req, 500) : send()) });
    const result = await triggerPipeline(request(), deps());
    assert.equal(result.status, "Succeeded");
    assert.equal(createRuns().length, 2);
    assert.equal(adf.runs().length, 1, "exactly one run");
    assert.ok(log.lines.some((l) => /warning: No run of pipeline .* Sending it again/.test(l)));
  });

  it("fails clearly after three lost answers with no run in the factory", async () => {
    hooks.push({ match: /^POST .*\/createRun/, hook: async (req) => response(req, 500) });
    await assert.rejects(
      triggerPipeline(request(), deps()),
      (e: Error) => e instanceof AzureOperationError && /no run started by this task was found/.test(e.message),
    );
    assert.equal(createRuns().length, 3);
    assert.equal(adf.runs().length, 0);
    assert.ok(calls.filter((c) => c.includes("/queryPipelineRuns")).length >= 6);
  });

  it("sends a throttled createRun again after Retry-After (ARM did not take it)", async () => {
    let throttled = 0;
    hooks.push({ match: /^POST .*\/createRun/, hook: async (req, send) => (throttled++ < 2 ? response(req, 429, { "retry-after-ms": "10" }) : send()) });
    const result = await triggerPipeline(request(), deps());
    assert.equal(result.status, "Succeeded");
    assert.equal(createRuns().length, 3);
    assert.equal(adf.runs().length, 1);
  });

  it("waits out a storm of throttled status requests, honouring Retry-After", async () => {
    let throttled = 0;
    hooks.push({ match: /^GET .*\/pipelineruns\//, hook: async (req, send) => (throttled++ < 12 ? response(req, 429, { "retry-after-ms": "5" }) : send()) });
    const result = await triggerPipeline(request(), deps());
    assert.equal(result.status, "Succeeded");
    assert.ok(throttled > 12);
  });

  it("cancels the remote run when the pipeline is cancelled", async () => {
    adf.scriptRun(PIPELINE, { defaultActivityMs: 600_000 });
    const controller = new AbortController();
    const d = deps({ abortSignal: controller.signal });
    d.events.started = (r) => {
      events.started.push(r.runId);
      setTimeout(() => controller.abort(new CancelledError("pipeline cancelled")), 50);
    };
    await assert.rejects(triggerPipeline(request(), d), (e: Error) => e instanceof CancelledError);
    const run = adf.run(events.started[0]);
    assert.ok(run && ["Canceling", "Cancelled"].includes(run.status), run?.status);
    assert.equal(run?.cancelRecursive, true);
    assert.ok(["Canceling", "Cancelled"].includes(events.statuses.at(-1) ?? ""));
  });

  it("cancels the run at its own wait limit only when cancelOnTimeout is on (cancelOnStop is for a pipeline cancel)", async () => {
    adf.scriptRun(PIPELINE, { defaultActivityMs: 600_000 });
    await assert.rejects(
      triggerPipeline(request({ timeoutInMs: 150 }), deps()),
      (e: Error) => e instanceof WaitTimeoutError && /did not finish within waitTimeoutInMinutes/.test(e.message),
    );
    assert.equal(adf.runs()[0].status, "InProgress");
    assert.ok(log.lines.some((l) => /warning: cancelOnTimeout is off/.test(l)));
    await assert.rejects(
      triggerPipeline(request({ timeoutInMs: 150, cancelOnStop: false, cancelOnTimeout: true }), deps()),
      (e: Error) => e instanceof WaitTimeoutError,
    );
    assert.ok(["Canceling", "Cancelled"].includes(adf.runs()[1].status));
  });

  it("reruns a failed run from its failure, with the reference run's parameters", async () => {
    adf.scriptRun(PIPELINE, { failActivity: "CleanAndFeaturize" });
    await assert.rejects(triggerPipeline(request(), deps()), RemoteRunError);
    const failedRunId = events.started[0];
    adf.scriptRun(PIPELINE, undefined);
    const result = await triggerPipeline(request({ parameters: {}, rerun: { referencePipelineRunId: failedRunId, startFromFailure: true } }), deps());
    assert.equal(result.status, "Succeeded");
    assert.match(createRuns().at(-1) ?? "", /referencePipelineRunId=.*isRecovery=true.*startFromFailure=true|startFromFailure=true.*isRecovery=true/);
    assert.deepEqual(adf.run(result.runId)?.carriedOver, ["CopyRawData"]);
    await assert.rejects(
      triggerPipeline(request({ parameters: {}, rerun: { referencePipelineRunId: "00000000-0000-0000-0000-000000000000", startFromFailure: true } }), deps()),
      (e: Error) =>
        e instanceof InputError &&
        e.inputName === "referencePipelineRunId" &&
        /was not found in data factory 'mlops-adf' \(resource group 'ml_rg'\)/.test(e.message),
    );
  });

  it("does not wait when waitForCompletion is off", async () => {
    adf.scriptRun(PIPELINE, { defaultActivityMs: 600_000 });
    const result = await triggerPipeline(request({ waitForCompletion: false }), deps());
    assert.ok(["Queued", "InProgress"].includes(result.status));
    assert.equal(events.reports.length, 0);
  });
});
