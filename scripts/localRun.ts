#!/usr/bin/env node
/**
 * `npx mlops-tasks run <TaskName> --input k=v ... [--emulator]`: runs a built task on a developer's
 * machine exactly as the agent runs it (test/harness/agentRunner.ts), and prints its log.
 *
 * - `--emulator`: starts the local Azure emulator (default scenario) and uses its workload identity
 *   federation service connection. Nothing reaches Azure.
 * - otherwise: the task signs in as you. Tasks only know service connection schemes, so the run
 *   gets a ManagedServiceIdentity connection whose IDENTITY_ENDPOINT / IDENTITY_HEADER point at a
 *   token server on 127.0.0.1 (scripts/loopbackTokenServer.ts) that takes tokens from your login
 *   (DefaultAzureCredential: environment, Azure CLI `az login`, azd, Azure PowerShell...). The
 *   subscription comes from --subscription or AZURE_SUBSCRIPTION_ID.
 *
 * The service connection input (`azureSubscription`) is set for you; relative paths in inputs are
 * relative to the current folder (System.DefaultWorkingDirectory). Exit code: 0 when the task
 * succeeded, 1 when it failed, 2 for a usage error.
 */
import type { TokenCredential } from "@azure/core-auth";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../test/emulator/index";
import { emulatorConnection, runTask, type AgentRunResult, type ServiceConnection } from "../test/harness/agentRunner";
import { startLoopbackTokenServer } from "./loopbackTokenServer";
import { stepInputs } from "./pipelineRunner";
import { findRepoRoot } from "./repoRoot";
import { readableLog } from "./stepLog";

export const USAGE = `Usage: mlops-tasks run <TaskName>[@<major>] [--input name=value]... [--variable name=value]...
                         [--emulator [--time-scale <n>]] [--subscription <id>] [--task-root <dir>]

  --input name=value     a task input (repeat); the service connection input is set for you
  --variable name=value  a pipeline variable, e.g. JobName (repeat)
  --emulator             run against the local Azure emulator instead of Azure
  --time-scale <n>       emulator only: remote runs go n times faster (default 30)
  --subscription <id>    Azure subscription (default: AZURE_SUBSCRIPTION_ID); you sign in with your
                         own login (az login, azd auth login, environment variables...)
  --task-root <dir>      where the built tasks are (default: <package>/build/tasks)`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface LocalRunArgs {
  task: string;
  inputs: Record<string, string>;
  variables: Record<string, string>;
  emulator: boolean;
  timeScale?: number;
  subscriptionId?: string;
  taskRoot?: string;
}

function keyValue(option: string, text: string | undefined): [string, string] {
  const eq = text?.indexOf("=") ?? -1;
  if (text === undefined || eq <= 0) throw new UsageError(`${option} needs name=value, not '${text ?? ""}'.`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

export function parseArgs(argv: readonly string[]): LocalRunArgs {
  const [command, task, ...rest] = argv;
  if (command !== "run") throw new UsageError(command ? `Unknown command '${command}': the only command is 'run'.` : "No command given.");
  if (!task || task.startsWith("-")) throw new UsageError("Name the task to run, e.g. 'mlops-tasks run TriggerADFPipeline'.");
  const args: LocalRunArgs = { task, inputs: {}, variables: {}, emulator: false };
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${option} needs a value.`);
      return v;
    };
    switch (option) {
      case "--input": {
        const [k, v] = keyValue(option, rest[++i]);
        args.inputs[k] = v;
        break;
      }
      case "--variable": {
        const [k, v] = keyValue(option, rest[++i]);
        args.variables[k] = v;
        break;
      }
      case "--emulator":
        args.emulator = true;
        break;
      case "--time-scale": {
        const n = Number(value());
        if (!(n > 0)) throw new UsageError("--time-scale needs a positive number.");
        args.timeScale = n;
        break;
      }
      case "--subscription":
        args.subscriptionId = value();
        break;
      case "--task-root":
        args.taskRoot = value();
        break;
      default:
        throw new UsageError(`Unknown option '${option}'.`);
    }
  }
  if (args.timeScale !== undefined && !args.emulator) throw new UsageError("--time-scale only applies with --emulator.");
  if (args.emulator && args.subscriptionId) throw new UsageError("--subscription does not apply with --emulator (the emulator has its own).");
  return args;
}

/** `TriggerADFPipeline`, `TriggerADFPipeline@1` or `TriggerADFPipelineV1` → the built folder. */
export function resolveTaskFolder(taskRoot: string, task: string): string {
  const m = /^([A-Za-z0-9-]+?)(?:@(\d+)|V(\d+))?$/.exec(task);
  const available = fs.existsSync(taskRoot)
    ? fs.readdirSync(taskRoot).filter((f) => fs.existsSync(path.join(taskRoot, f, "task.json"))).sort()
    : [];
  const candidates = m ? available.filter((f) => f.replace(/V\d+$/, "").toLowerCase() === m[1].toLowerCase()) : [];
  const major = m?.[2] ?? m?.[3];
  const match = major ? candidates.find((f) => f.endsWith(`V${major}`)) : candidates.sort().at(-1);
  if (!match) {
    throw new UsageError(
      available.length === 0
        ? `No built task in ${taskRoot}: run npm run build first.`
        : `No task '${task}' in ${taskRoot}. Tasks: ${available.map((f) => f.replace(/V(\d+)$/, "@$1")).join(", ")}.`,
    );
  }
  return match;
}

export interface LocalRunOptions {
  task: string;
  inputs: Record<string, string>;
  variables?: Record<string, string>;
  taskRoot?: string;
  /** System.DefaultWorkingDirectory; default the current folder. */
  workingDirectory?: string;
  write?: (line: string) => void;
}

async function runWithConnection(
  options: LocalRunOptions,
  connection: ServiceConnection,
  env: Record<string, string>,
  caCertPath: string | undefined,
): Promise<AgentRunResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const taskRoot = options.taskRoot ?? path.join(findRepoRoot(__dirname), "build", "tasks");
  const folder = resolveTaskFolder(taskRoot, options.task);
  const manifest = JSON.parse(fs.readFileSync(path.join(taskRoot, folder, "task.json"), "utf8")) as { inputs?: { name: string; type: string; aliases?: string[] }[] };
  const reference = folder.replace(/V(\d+)$/, "@$1");
  const manifestInputs = manifest.inputs ?? [];
  const connectionInputs = manifestInputs.filter((i) => i.type.startsWith("connectedService:")).map((i) => i.name);
  const written = { ...Object.fromEntries(connectionInputs.map((name) => [name, "local"])), ...options.inputs };
  const inputs = stepInputs(
    { kind: "task", reference, taskName: folder.replace(/V\d+$/, ""), majorVersion: Number(/V(\d+)$/.exec(folder)?.[1]), displayName: reference, inputs: written },
    manifestInputs,
    options.variables ?? {},
    connection.id,
  );
  const workingDirectory = path.resolve(options.workingDirectory ?? process.cwd());
  write(`── ${reference} (${connection.scheme} connection to ${connection.url})`);
  const run = await runTask({
    task: folder,
    taskRoot,
    inputs,
    connection,
    env,
    ...(caCertPath ? { caCertPath } : {}),
    variables: { ...options.variables, "System.DefaultWorkingDirectory": workingDirectory, "Build.SourcesDirectory": workingDirectory },
    timeoutInMs: 6 * 60 * 60_000,
  });
  for (const line of readableLog(run.stdout, run.secrets)) write(`  ${line}`);
  for (const line of run.stderr.split(/\r?\n/).filter((l) => l.trim())) write(`  stderr: ${line}`);
  write(`${run.result}${run.resultMessage ? `: ${readableLog(run.resultMessage, run.secrets).join(" ")}` : ""}`);
  return run;
}

/** Runs the task against a fresh emulator (default scenario), then stops it. */
export async function runWithEmulator(options: LocalRunOptions & { timeScale?: number }): Promise<AgentRunResult> {
  const emu = await startEmulator({ timeScale: options.timeScale ?? 30 });
  try {
    const { connection, env } = emulatorConnection(emu, "federated");
    return await runWithConnection(options, connection, env, emu.caCertPath);
  } finally {
    await emu.stop();
  }
}

/** The tenant a token was issued in (its `tid` claim), or undefined. */
function tenantOf(accessToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { tid?: unknown };
    return typeof payload.tid === "string" ? payload.tid : undefined;
  } catch {
    return undefined;
  }
}

export interface DeveloperLoginOptions extends LocalRunOptions {
  credential: TokenCredential;
  subscriptionId: string;
  /** ARM URL with a trailing slash (default Azure public cloud). */
  armUrl?: string;
  /** Endpoint data: `environment` (default AzureCloud) and cloud metadata for other clouds. */
  connectionData?: Record<string, string>;
  /** A CA the task must trust (NODE_EXTRA_CA_CERTS), for a private cloud or a test. */
  caCertPath?: string;
}

/** Runs the task signed in as `credential` through a loopback managed-identity endpoint. */
export async function runWithDeveloperLogin(options: DeveloperLoginOptions): Promise<AgentRunResult> {
  const armUrl = options.armUrl ?? "https://management.azure.com/";
  const audience = options.connectionData?.["activeDirectoryServiceEndpointResourceId"] ?? armUrl;
  const probe = await options.credential.getToken(`${audience.endsWith("/") ? audience : `${audience}/`}.default`).catch((err: unknown) => {
    throw new UsageError(`Could not get a token from your login (${err instanceof Error ? err.message : String(err)}). Sign in with 'az login' (or azd, or AZURE_* environment variables), or use --emulator.`);
  });
  const tenantId = (probe && tenantOf(probe.token)) ?? "";
  const server = await startLoopbackTokenServer(options.credential);
  try {
    const connection: ServiceConnection = {
      id: randomUUID(),
      url: armUrl,
      scheme: "ManagedServiceIdentity",
      authParameters: { tenantid: tenantId },
      data: { subscriptionId: options.subscriptionId, subscriptionName: options.subscriptionId, environment: "AzureCloud", scopeLevel: "Subscription", ...options.connectionData },
    };
    const env = { IDENTITY_ENDPOINT: server.identityEndpoint, IDENTITY_HEADER: server.identityHeader };
    return await runWithConnection(options, connection, env, options.caCertPath);
  } finally {
    await server.close();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: LocalRunArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const common = { task: args.task, inputs: args.inputs, variables: args.variables, ...(args.taskRoot ? { taskRoot: path.resolve(args.taskRoot) } : {}) };
  try {
    let run: AgentRunResult;
    if (args.emulator) {
      run = await runWithEmulator({ ...common, ...(args.timeScale ? { timeScale: args.timeScale } : {}) });
    } else {
      const subscriptionId = args.subscriptionId ?? process.env["AZURE_SUBSCRIPTION_ID"];
      if (!subscriptionId) throw new UsageError("Give the Azure subscription with --subscription <id> (or AZURE_SUBSCRIPTION_ID), or use --emulator.");
      const { DefaultAzureCredential } = await import("@azure/identity");
      run = await runWithDeveloperLogin({ ...common, credential: new DefaultAzureCredential(), subscriptionId });
    }
    return run.result === "Succeeded" || run.result === "SucceededWithIssues" ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack ?? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
