/**
 * The operation (submit → watch → verdict) in-process, with the real @azure/arm-machinelearning client
 * over the ML emulator's routes (routerHarness) and an in-memory datastore.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { MachineLearningEmulator } from "../../devkit/emulator/arm/machinelearning";
import { RouterHarness } from "../../devkit/emulator/arm/ml/routerHarness";
import { InputError, WaitTimeoutError } from "../common/errors";
import { MemoryLog } from "../common/logging";
import type { ArtifactStore } from "./artifactStore";
import { jobsClient } from "./jobsRest";
import { withServiceIds } from "./registerAssets";
import { taskLoc } from "../common/taskLibContext.testing";
import type { SubmitPipelineRequest } from "./request";
import { runSubmitPipeline, type RunDependencies } from "./operation";

const SUB = "00000000-0000-0000-0000-0000000000cc";
const RG = "ml_rg";
const WSN = "ml_workspace";
const WS = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WSN}`;
const SAMPLES = path.resolve(__dirname, "..", "..", "..", "samples", "pipelines");
const credential: TokenCredential = { getToken: async () => ({ token: "in-process", expiresOnTimestamp: Date.now() + 3_600_000 }) };
/** An (unsigned) token for the Azure ML resource: the emulator reads its audience, as the SDK does. */
const amlToken = async () => `e30.${Buffer.from(JSON.stringify({ aud: "https://ml.azure.com" })).toString("base64url")}.x`;

/** Blob uploads kept in memory: the first upload of a blob prefix sends it, later ones find the indicator. */
class MemoryStore implements ArtifactStore {
  readonly sent: string[] = [];
  private readonly done = new Set<string>();
  async containerUrl(datastoreName: string): Promise<string> {
    if (datastoreName !== "workspaceblobstore") throw new Error(`no datastore ${datastoreName}`);
    return "https://acct.blob.core.windows.net/azureml-blobstore";
  }
  async upload(datastoreName: string, artifact: { blobPrefix: string; files: unknown[]; totalSizeInBytes: number }) {
    const key = `${datastoreName}/${artifact.blobPrefix}`;
    const uploaded = !this.done.has(key);
    if (uploaded) this.sent.push(key);
    this.done.add(key);
    return { uploaded, files: artifact.files.length, bytes: artifact.totalSizeInBytes };
  }
}

describe("SubmitAzureMLPipeline operation (in-process, emulator routes)", () => {
  let h: RouterHarness;
  let ml: MachineLearningEmulator;
  let requests: { method: string; path: string; body?: any }[];
  let store: MemoryStore;
  let deps: RunDependencies;
  let log: MemoryLog;

  const request = (overrides: Partial<SubmitPipelineRequest> = {}): SubmitPipelineRequest => ({
    workspace: { subscriptionId: SUB, resourceGroupName: RG, workspaceName: WSN },
    jobFile: path.join(SAMPLES, "local-data.yml"),
    defaultJobName: "azdo_b42_000000000001",
    validateOnly: false,
    waitForCompletion: true,
    timeoutInMs: 20_000,
    cancelOnStop: true,
    cancelOnTimeout: false,
    ...overrides,
  });

  beforeEach(() => {
    h = new RouterHarness({ timeScale: 1000 });
    ml = new MachineLearningEmulator();
    h.use(ml);
    ml.seedDefaults(SUB, RG);
    requests = [];
    const inner = h.httpClient();
    const recording: HttpClient = {
      sendRequest: async (req) => {
        requests.push({ method: req.method, path: new URL(req.url).pathname, body: typeof req.body === "string" ? JSON.parse(req.body) : undefined });
        return inner.sendRequest(req);
      },
    };
    const client = new AzureMachineLearningWorkspaces(credential, SUB, { endpoint: h.baseUrl, httpClient: recording, retryOptions: { maxRetries: 0 } });
    store = new MemoryStore();
    log = new MemoryLog();
    deps = {
      ml: client,
      jobs: jobsClient(client, h.baseUrl),
      amlToken,
      anonymousHttpClient: recording,
      store,
      log,
      loc: taskLoc("SubmitAzureMLPipelineV1"),
      abortSignal: new AbortController().signal,
      mlStudioUrl: "https://ml.azure.com",
      pollingIntervalInMs: 10,
    };
  });
  afterEach(() => {
    ml.dispose();
    h.dispose();
  });

  const jobPuts = () => requests.filter((r) => r.method === "PUT" && /\/jobs\//.test(r.path));
  /** The step table the operation logged. */
  const stepTable_ = (l: MemoryLog) => l.lines.find((x) => /Step\s+Status\s+Duration/.test(x)) ?? "";

  it("submits with data input URIs intact (not through the SDK's job serializer) and follows the steps to the end", async () => {
    const result = await runSubmitPipeline(request(), deps);
    assert.equal(result.mode, "submitted");
    assert.equal(result.status, "Completed");
    assert.deepEqual(result.verdict, { result: "Succeeded" });
    assert.equal(result.studioUrl, `https://ml.azure.com/runs/azdo_b42_000000000001?wsid=${WS}`);
    const body = jobPuts()[0].body.properties;
    assert.match(body.inputs.sample_data.uri, /^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{32}\/training\.csv$/);
    assert.equal(body.inputs.sample_data.mode, "Download");
    assert.equal(store.sent.length, 2, "the CSV and the code folder");
    const code = requests.find((r) => r.method === "PUT" && /\/codes\//.test(r.path))!;
    assert.match(code.body.properties.codeUri, /^https:\/\/acct\.blob\.core\.windows\.net\/azureml-blobstore\/LocalUpload\/[0-9a-f]{32}\/train$/);
    assert.equal(ml.job("azdo_b42_000000000001")?.status, "Completed");
    assert.ok(
      log.lines.some((l) => /train: Completed/.test(l)),
      log.lines.join("\n"),
    );
  });

  it("reads every step from run history, page after page (nextLink); the PUT carries x-azureml-token", async () => {
    ml.setPageSize(1);
    const result = await runSubmitPipeline(request({ jobFile: path.join(SAMPLES, "local-components.yml") }), deps);
    assert.equal(result.status, "Completed");
    assert.match(stepTable_(log), /prep\s+Completed[\s\S]*train\s+Completed[\s\S]*evaluate\s+Completed/);
    const pages = requests.filter((r) => r.method === "GET" && /\/history\/v1\.0\/.*\/runs\/azdo_b42_000000000001\/children$/.test(r.path));
    assert.ok(pages.length >= 3, `children read page by page (${pages.length} requests)`);
    assert.deepEqual(
      ml.jobTokenChecks().map((c) => c.accepted),
      [true],
    );
  });

  it("puts the id the service answered for a deduplicated anonymous component wherever the planned id was", () => {
    const planned = `${WS}/components/azureml_anonymous/versions/new-hash`;
    const existing = `${WS}/components/azureml_anonymous/versions/old-hash`;
    const ids = new Map([[planned, existing]]);
    assert.deepEqual(withServiceIds({ jobs: { a: { componentId: planned }, b: { componentId: `azureml:${planned}`, other: "x" } } }, ids), {
      jobs: { a: { componentId: existing }, b: { componentId: `azureml:${existing}`, other: "x" } },
    });
  });

  it("attaches to an existing job of that name: nothing uploaded, registered or submitted", async () => {
    await runSubmitPipeline(request(), deps);
    const before = requests.filter((r) => r.method === "PUT").length;
    const sent = store.sent.length;
    const again = await runSubmitPipeline(request(), deps);
    assert.equal(again.mode, "attached");
    assert.equal(again.status, "Completed");
    assert.equal(requests.filter((r) => r.method === "PUT").length, before);
    assert.equal(store.sent.length, sent);
  });

  it("a job name given as input and used by an earlier build is taken: refused, naming the input, nothing submitted", async () => {
    await runSubmitPipeline(request({ jobName: "nightly-train" }), deps);
    assert.equal(ml.job("nightly-train")?.status, "Completed");
    const puts = requests.filter((r) => r.method === "PUT").length;
    await assert.rejects(runSubmitPipeline(request({ jobName: "nightly-train", defaultJobName: "azdo_b43_000000000001" }), deps), (err: unknown) => {
      assert.ok(err instanceof InputError && err.inputName === "jobName", String(err));
      assert.match(err.message, /^Job name 'nightly-train' \(input jobName\) is taken by a job this pipeline step did not submit \(status Completed\)/);
      return true;
    });
    assert.equal(requests.filter((r) => r.method === "PUT").length, puts, "nothing uploaded, registered or submitted");
    // the step that submitted it still attaches on a retry
    assert.equal((await runSubmitPipeline(request({ jobName: "nightly-train" }), deps)).mode, "attached");
  });

  it("a job name fixed in the YAML and used by an earlier build is taken: refused, naming the job file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fixed-name-"));
    try {
      cpSync(SAMPLES, dir, { recursive: true });
      const file = path.join(dir, "fixed-name.yml");
      writeFileSync(file, `name: fixed-name-job\n${readFileSync(path.join(dir, "local-data.yml"), "utf8")}`);
      await runSubmitPipeline(request({ jobFile: file }), deps);
      await assert.rejects(runSubmitPipeline(request({ jobFile: file, defaultJobName: "azdo_b43_000000000001" }), deps), (err: unknown) => {
        assert.ok(err instanceof InputError && err.inputName === "jobFile", String(err));
        assert.match(err.message, /Job name 'fixed-name-job' \(name: in .*fixed-name\.yml\) is taken/);
        return true;
      });
      // a job that no pipeline step submitted (no step property) is not attached to either
      await assert.rejects(runSubmitPipeline(request({ jobFile: file, defaultJobName: undefined }), deps), /is taken/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a new job with unchanged code sends no blobs and reuses the same code version", async () => {
    await runSubmitPipeline(request(), deps);
    const codePaths = () => requests.filter((r) => r.method === "PUT" && /\/codes\//.test(r.path)).map((r) => r.path);
    const first = codePaths();
    await runSubmitPipeline(request({ defaultJobName: "azdo_b43_000000000001" }), deps);
    assert.equal(store.sent.length, 2, "no new uploads");
    assert.deepEqual(codePaths(), [...first, ...first]);
  });

  it("waitForCompletion off: submits and reports the status it has now", async () => {
    ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    const result = await runSubmitPipeline(request({ waitForCompletion: false }), deps);
    assert.equal(result.mode, "submitted");
    assert.ok(["NotStarted", "Running"].includes(result.status), result.status);
    assert.deepEqual(result.verdict, { result: "Succeeded" });
    assert.ok(log.lines.some((l) => /Not waiting for job 'azdo_b42_000000000001'/.test(l)));
  });

  it("validateOnly: references resolved, nothing sent", async () => {
    const result = await runSubmitPipeline(request({ validateOnly: true, jobFile: path.join(SAMPLES, "local-components.yml") }), deps);
    assert.equal(result.mode, "validated");
    assert.deepEqual(
      requests.filter((r) => r.method !== "GET"),
      [],
    );
    assert.deepEqual(store.sent, []);
    assert.ok(requests.some((r) => r.method === "GET" && r.path.endsWith("/computes/gpu-cluster")));
  });

  it("a missing datastore in an azureml://datastores/... path is refused with file, line and key, by validateOnly and before any upload", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ds-"));
    try {
      await fs.mkdir(path.join(dir, "src"));
      await fs.writeFile(path.join(dir, "src", "train.py"), "print(1)\n");
      const job = path.join(dir, "job.yml");
      await fs.writeFile(
        job,
        [
          "type: command",
          "compute: azureml:gpu-cluster",
          "code: ./src",
          "command: python train.py ${{inputs.raw}}",
          "environment: azureml:AzureML-sklearn-1.0@latest",
          "inputs:",
          "  raw:",
          "    type: uri_folder",
          "    path: azureml://datastores/missing_store/paths/raw/",
          "",
        ].join("\n"),
      );
      const refused = (e: unknown) =>
        e instanceof InputError &&
        e.inputName === "jobFile" &&
        e.message.includes(`datastore 'missing_store'`) &&
        e.message.includes(`${job}:9 inputs.raw.path`);
      await assert.rejects(runSubmitPipeline(request({ validateOnly: true, jobFile: job }), deps), refused);
      await assert.rejects(runSubmitPipeline(request({ jobFile: job }), deps), refused);
      assert.deepEqual(
        requests.filter((r) => r.method !== "GET"),
        [],
        "nothing registered or submitted",
      );
      assert.deepEqual(store.sent, [], "nothing uploaded");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown compute and a bad override as input errors naming jobFile / overrides", async () => {
    await assert.rejects(
      runSubmitPipeline(request({ overrides: "compute=azureml:nope" }), deps),
      (e: unknown) => e instanceof InputError && e.inputName === "jobFile" && /compute 'nope'.*local-data\.yml:7/.test(e.message),
    );
    await assert.rejects(runSubmitPipeline(request({ overrides: "compute" }), deps), (e: unknown) => e instanceof InputError && e.inputName === "overrides");
    assert.deepEqual(jobPuts(), []);
  });

  it("when its own limit passes the job keeps running (cancelOnStop does not apply) and the wait error is thrown", async () => {
    ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    await assert.rejects(
      runSubmitPipeline(request({ timeoutInMs: 200 }), deps),
      (e: unknown) => e instanceof WaitTimeoutError && /did not end within waitTimeoutInMinutes/.test(e.message),
    );
    assert.ok(!requests.some((r) => r.method === "POST" && r.path.endsWith("/cancel")));
    assert.equal(ml.job("azdo_b42_000000000001")!.status, "Running");
    assert.ok(
      log.lines.some((l) => /keeps running \(cancelOnTimeout is off\)/.test(l)),
      log.lines.join("\n"),
    );
  });

  it("with cancelOnTimeout the job is cancelled when the limit passes", async () => {
    ml.scriptJobs({ phaseDurationsMs: { Running: 1e9 } });
    await assert.rejects(runSubmitPipeline(request({ timeoutInMs: 200, cancelOnTimeout: true, cancelOnStop: false }), deps), WaitTimeoutError);
    assert.ok(requests.some((r) => r.method === "POST" && r.path.endsWith("/jobs/azdo_b42_000000000001/cancel")));
    await h.until(
      () => ml.job("azdo_b42_000000000001")!.status,
      (s) => s === "Canceled",
    );
  });
});
