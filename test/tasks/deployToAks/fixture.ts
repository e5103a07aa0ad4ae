/**
 * Shared setup of the DeployToAKS task tests: the demo's samples copied into the agent's working
 * folder, registered models, and running the built task as the agent does.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot } from "../../../devkit/repoRoot";
import { startEmulator, type Emulator } from "../../../devkit/emulator";
import { emulatorConnection, runTask, type AgentRunOptions, type AgentRunResult } from "../../../devkit/harness/agentRunner";
import { commandProperty, parseLoggingCommand } from "../../../devkit/harness/loggingCommands";

export const ENDPOINT = "model-service";
export const COMPUTE = "k8s-compute";

/** A working folder holding samples/deploy (the pipeline's checked-out sources). */
export function workFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "deploy-aks-"));
  cpSync(join(findRepoRoot(__dirname), "samples", "deploy"), dir, { recursive: true });
  return dir;
}

/** Registers best_model versions 1..n (as the RegisterModel task would have). */
export function seedModels(emu: Emulator, versions = 2): void {
  for (let v = 1; v <= versions; v++) {
    emu.ml.seedAsset("models", "best_model", String(v), {
      modelType: "custom_model",
      modelUri: `azureml://datastores/workspaceblobstore/paths/models/best_model/${v}/`,
      description: `churn model ${v}`,
      tags: {},
    });
  }
}

export function modelId(emu: Emulator, version: number): string {
  return `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace/models/best_model/versions/${version}`;
}

/** Inputs of a deployment defined by task inputs only. */
export function baseInputs(deploymentName: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    resourceGroupName: "ml_rg",
    workspaceName: "ml_workspace",
    aksClusterName: "aks-cluster",
    computeName: COMPUTE,
    endpointName: ENDPOINT,
    deploymentName,
    model: "best_model:1",
    environment: "azureml:AzureML-sklearn-1.5:1",
    codePath: "src",
    scoringScript: "score.py",
    pollingIntervalSeconds: "1",
    ...extra,
  };
}

export async function runDeploy(
  emu: Emulator,
  inputs: Record<string, string>,
  options: { workDir: string; armUrl?: string } & Partial<Pick<AgentRunOptions, "interrupt" | "timeoutInMs">>,
): Promise<AgentRunResult> {
  const made = emulatorConnection(emu, "federated");
  const connection = options.armUrl ? { ...made.connection, url: options.armUrl } : made.connection;
  const { env } = made;
  const r = await runTask({
    task: "DeployToAKSV1",
    inputs: { azureSubscription: connection.id, ...inputs },
    connection,
    env,
    caCertPath: emu.caCertPath,
    variables: { "System.DefaultWorkingDirectory": options.workDir },
    timeoutInMs: options.timeoutInMs ?? 60_000,
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
  });
  assertNoSecrets(emu, r);
  return r;
}

/**
 * No key, token or client secret the emulator knows appears in what the task printed. The only
 * lines that may carry one are the commands that hand secrets to the agent (task.setsecret and a
 * secret task.setvariable): the agent consumes them and never shows them.
 */
export function assertNoSecrets(emu: Emulator, r: AgentRunResult): void {
  const handedToAgent = (line: string) => {
    const c = parseLoggingCommand(line);
    return !!c && c.area === "task" && (c.action === "setsecret" || (c.action === "setvariable" && /^true$/i.test(commandProperty(c, "issecret") ?? "")));
  };
  const output = `${r.stdout}\n${r.stderr}`
    .split(/\r?\n/)
    .filter((line) => !handedToAgent(line))
    .join("\n");
  for (const secret of emu.secrets()) {
    if (secret.length >= 8) assert.ok(!output.includes(secret), `a secret (${secret.slice(0, 3)}…) appears in the task output`);
  }
}

/** Every PUT/DELETE the emulator received under the workspace or the cluster. */
export function changes(emu: Emulator): string[] {
  return emu.requests
    .all()
    .filter((r) => r.method === "PUT" || r.method === "DELETE" || r.method === "PATCH")
    .map((r) => `${r.method} ${r.path}`);
}

/**
 * Live traffic: a client of the endpoint that POSTs to its scoring URI every `everyMs` without the
 * azureml-model-deployment header (so the traffic map routes it), until stopped. What each request
 * reached is in the emulator's scoring log (routedBy "traffic").
 */
export function liveClient(emu: Emulator, endpoint: string, scoringUri: string, everyMs = 25): { stop: () => Promise<number> } {
  const ca = readFileSync(emu.caCertPath);
  let sent = 0;
  let stopped = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const e = emu.ml.endpoint(endpoint);
      if (!e) return resolve();
      const req = request(
        new URL(scoringUri),
        { method: "POST", ca, headers: { "Content-Type": "application/json", Authorization: `Bearer ${e.primaryKey}` } },
        (res) => {
          res.resume();
          res.on("end", () => resolve());
        },
      );
      req.on("error", () => resolve());
      req.end(JSON.stringify({ data: [[1, 2]] }));
      sent++;
    });
  const loop = (async () => {
    while (!stopped) {
      await one();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

/** The deployments that live (un-headered) scoring requests reached, with how many each. */
export function liveTrafficByDeployment(emu: Emulator, endpoint: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of emu.ml.scoringLog()) {
    if (s.routedBy !== "traffic" || s.endpoint !== endpoint || !s.deployment) continue;
    out[s.deployment] = (out[s.deployment] ?? 0) + 1;
  }
  return out;
}

/** The emulator and the working folder a suite of DeployToAKS task runs shares. */
export interface DeploySuite {
  emu: Emulator;
  workDir: string;
}

/**
 * Registers the hooks of a suite of DeployToAKS task runs (call it inside `describe`, before the
 * suite's own hooks): one time-scaled emulator for the suite; before each test a fresh default
 * scenario, the models `seed` registers (default: seedModels), the blob container, a new working folder.
 */
export function useDeploySuite(seed: (emu: Emulator) => void = seedModels): DeploySuite {
  const suite = {} as DeploySuite;
  before(async () => {
    suite.emu = await startEmulator({ timeScale: 200 });
  });
  after(async () => {
    await suite.emu?.stop();
  });
  beforeEach(async () => {
    await suite.emu.reset();
    seed(suite.emu);
    assert.ok(await suite.emu.ml.blobContainerReady());
    suite.workDir = workFolder();
  });
  afterEach(() => rmSync(suite.workDir, { recursive: true, force: true }));
  return suite;
}
