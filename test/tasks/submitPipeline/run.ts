/**
 * Shared setup for the SubmitAzureMLPipeline e2e files: the samples copied into a build's sources folder,
 * the built task run as the agent runs it against the emulator, and readers for what the emulator got.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Agent } from "node:https";
import { ContainerClient } from "@azure/storage-blob";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { trustingStoragePipeline } from "../../../devkit/emulator/testing";
import { emulatorConnection, runTask, type AgentRunResult } from "../../../devkit/harness/agentRunner";
import { findRepoRoot } from "../../../devkit/repoRoot";

export const TASK = "SubmitAzureMLPipelineV1";
export const WORKSPACE = "ml_workspace";

/** A sources folder (System.DefaultWorkingDirectory) holding a copy of samples/pipelines under `pipelines/`. */
export async function sourcesWithSamples(): Promise<string> {
  const root = await fs.promises.mkdtemp(path.join(os.tmpdir(), "submit-pipeline-src-"));
  await fs.promises.cp(path.join(findRepoRoot(__dirname), "samples", "pipelines"), path.join(root, "pipelines"), { recursive: true });
  return root;
}

/** The variables of one step of one build (an attempt of it: `attempt`). */
export function buildVariables(sources: string, build: { buildId: string; attempt?: number }): Record<string, string> {
  return {
    "System.DefaultWorkingDirectory": sources,
    "Build.SourcesDirectory": sources,
    "Build.BuildId": build.buildId,
    "System.JobAttempt": String(build.attempt ?? 1),
    // A new attempt of a job gets a new job instance id; the step's identity stays.
    "System.JobId": `5e9a3c2b-1d4f-4a6e-8b7c-${String(build.attempt ?? 1).padStart(12, "0")}`,
    "System.StageName": "train",
    "System.PhaseName": "submit",
    "System.JobName": "submit",
    "System.TaskInstanceId": "0f5c2a1e-6b7d-4c8e-9f0a-1b2c3d4e5f60",
    "System.TaskInstanceName": "SubmitAzureMLPipeline1",
    "Build.DefinitionName": "mlops-ci",
    "Build.Repository.Uri": "https://dev.azure.com/org/mlops/_git/mlops-project",
    "Build.SourceBranchName": "main",
  };
}

export interface SubmitRunOptions {
  sources: string;
  jobFile: string;
  buildId?: string;
  attempt?: number;
  inputs?: Record<string, string>;
  interrupt?: { signal: "SIGINT" | "SIGTERM"; when?: RegExp; afterMs?: number };
  timeoutInMs?: number;
}

export function runSubmitTask(emu: Emulator, options: SubmitRunOptions): Promise<AgentRunResult> {
  const { connection, env } = emulatorConnection(emu, "secret");
  return runTask({
    task: TASK,
    inputs: {
      azureSubscription: connection.id,
      resourceGroupName: emu.resourceGroupName,
      workspaceName: WORKSPACE,
      jobFile: options.jobFile,
      pollingIntervalSeconds: "1",
      ...options.inputs,
    },
    connection,
    env,
    variables: buildVariables(options.sources, { buildId: options.buildId ?? "42", attempt: options.attempt }),
    caCertPath: emu.caCertPath,
    // Default: build/tasks. A private build (e.g. while other builds rewrite build/) can be named here.
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    timeoutInMs: options.timeoutInMs ?? 30_000,
  });
}

export function details(r: AgentRunResult): string {
  return `result ${r.result}: ${r.resultMessage}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

export function workspaceId(emu: Emulator): string {
  return `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
}

/** Bodies of the PUTs the emulator answered under `W/<collection>/...` (newest last). */
export function puts(emu: Emulator, pattern: RegExp): { path: string; body: any; status: number }[] {
  return emu.requests.filter("PUT", pattern).map((e) => ({ path: e.path, body: e.body as any, status: e.status }));
}

/** The one PUT of job `name` (its body as received). */
export function jobPut(emu: Emulator, name: string): any {
  const found = puts(emu, new RegExp(`/workspaces/${WORKSPACE}/jobs/${name}$`));
  assert.equal(found.length, 1, `expected one PUT of job ${name}, got ${found.length}`);
  return found[0].body.properties;
}

/** The blob container a registered code version points into (its codeUri), with the account key. */
export function containerOfCodeUri(emu: Emulator, codeUri: string): ContainerClient {
  const blob = emu.blob;
  assert.ok(blob, "the emulator runs without Azurite");
  const m = /^(https:\/\/[^/]+\/[^/]+\/[^/]+)\/LocalUpload\//.exec(codeUri);
  assert.ok(m, `codeUri ${codeUri} is not <container url>/LocalUpload/...`);
  assert.ok(m[1].startsWith(`${blob.endpoint}/`), `codeUri ${codeUri} is not on the emulator's blob account ${blob.endpoint}`);
  // Trust the emulator's CA for these requests only (a per-request agent, as the emulator itself does).
  const pipeline = trustingStoragePipeline(emu, new Agent({ ca: emu.caCertPem, keepAlive: false }));
  return new ContainerClient(m[1], pipeline);
}

/** Every blob under LocalUpload/ with its etag and metadata. */
export async function uploadedBlobs(container: ContainerClient): Promise<Map<string, { etag: string; metadata: Record<string, string> }>> {
  const out = new Map<string, { etag: string; metadata: Record<string, string> }>();
  for await (const b of container.listBlobsFlat({ prefix: "LocalUpload/", includeMetadata: true })) {
    out.set(b.name, { etag: b.properties.etag ?? "", metadata: b.metadata ?? {} });
  }
  return out;
}

/** The emulator and the sample sources a suite of Submit task runs shares. */
export interface SubmitSuite {
  emu: Emulator;
  sources: string;
}

/**
 * Registers the hooks of a suite of Submit task runs (call it inside `describe`): one time-scaled
 * emulator and a copy of the samples for the suite, a fresh default scenario before each test.
 */
export function useSubmitSuite(): SubmitSuite {
  const suite = {} as SubmitSuite;
  before(async () => {
    suite.emu = await startEmulator({ timeScale: 200 });
    suite.sources = await sourcesWithSamples();
  });
  after(async () => {
    await suite.emu?.stop();
    if (suite.sources) await fs.promises.rm(suite.sources, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await suite.emu.reset();
    await suite.emu.ml.blobContainerReady();
  });
  return suite;
}
