#!/usr/bin/env node
/**
 * `npx mlops-tasks run <TaskName> --input k=v ... [--emulator]`: runs a built task on a developer's
 * machine exactly as the agent runs it (devkit/harness/agentRunner.ts), and prints its log.
 *
 * - `--emulator`: starts the local Azure emulator (default scenario) and uses its workload identity
 *   federation service connection. Nothing reaches Azure.
 * - `--emulator-url <url>` / `--emulator-ready <json or file>`: uses an emulator already running
 *   (`npm run emulator`, which prints `EMULATOR_READY {json}`), left running afterwards.
 * - `--seed <file>`: scenario data for the emulator, a JSON array of control calls (scripts/runningEmulator.ts).
 * - otherwise: the task signs in as you. Tasks only know service connection schemes, so the run
 *   gets a ManagedServiceIdentity connection whose IDENTITY_ENDPOINT / IDENTITY_HEADER point at a
 *   token server on 127.0.0.1 (scripts/loopbackTokenServer.ts) that takes tokens from your login
 *   (DefaultAzureCredential: environment, Azure CLI `az login`, azd, Azure PowerShell...). The
 *   subscription comes from --subscription or AZURE_SUBSCRIPTION_ID.
 *
 * The service connection input (`azureSubscription`) is set for you; relative paths in inputs are
 * relative to the current folder (System.DefaultWorkingDirectory). Options are read with Node's
 * util.parseArgs (`--input k=v` and `--input=k=v` alike). Exit code: 0 when the task succeeded (and for
 * `--help`), 1 when it failed, 2 for a usage error.
 */
import type { TokenCredential } from "@azure/core-auth";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs as parseNodeArgs } from "node:util";
import { startEmulator } from "../devkit/emulator/index";
import { emulatorConnection, runTask, type AgentRunResult, type ServiceConnection } from "../devkit/harness/agentRunner";
import { startLoopbackTokenServer } from "./loopbackTokenServer";
import { stepInputs } from "./pipelineRunner";
import {
  EmulatorSetupError,
  connectRunningEmulator,
  readEmulatorReady,
  readSeedFile,
  seedEmulator,
  type RunningEmulator,
  type SeedCall,
} from "./runningEmulator";
import { findRepoRoot } from "../devkit/repoRoot";
import { readableLog } from "./stepLog";

export const USAGE = `Usage: mlops-tasks run <TaskName>[@<major>] [--input name=value]... [--variable name=value]...
                         [--emulator [--time-scale <n>] | --emulator-url <url> | --emulator-ready <json|file>]
                         [--seed <file>] [--subscription <id>] [--task-root <dir>]
       mlops-tasks --help

  --input name=value        a task input (repeat; also --input=name=value); the service connection
                            input is set for you; YAML aliases (e.g. timeoutInMinutes) are accepted
  --variable name=value     a pipeline variable, e.g. train.JobName (repeat)
  --emulator                run against a fresh local Azure emulator instead of Azure
  --time-scale <n>          with --emulator: remote runs go n times faster (default 30)
  --emulator-url <url>      run against an emulator already running (npm run emulator), e.g.
                            https://127.0.0.1:<port>
  --emulator-ready <json>   the same, from the EMULATOR_READY line npm run emulator printed (the JSON,
                            the line, or a file holding it)
  --seed <file>             with an emulator: scenario data, a JSON array of control calls
                            [{"module": "datafactory", "method": "addFactory",
                              "args": ["{{subscriptionId}}", "{{resourceGroupName}}", "adf-2"]}]
  --subscription <id>       Azure subscription (default: AZURE_SUBSCRIPTION_ID); you sign in with your
                            own login (az login, azd auth login, environment variables...)
  --task-root <dir>         where the built tasks are (default: <package>/build/tasks)
  -h, --help                this help`;

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
  emulatorUrl?: string;
  emulatorReady?: string;
  seed?: string;
  subscriptionId?: string;
  taskRoot?: string;
}

const OPTIONS = {
  input: { type: "string", multiple: true },
  variable: { type: "string", multiple: true },
  emulator: { type: "boolean" },
  "time-scale": { type: "string" },
  "emulator-url": { type: "string" },
  "emulator-ready": { type: "string" },
  seed: { type: "string" },
  subscription: { type: "string" },
  "task-root": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function keyValue(option: string, text: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`${option} needs name=value, not '${text}'.`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** util.parseArgs errors in this tool's words. */
function usageError(err: unknown): UsageError {
  const { code, message } = err as { code?: string; message: string };
  const option = /'(-[^' ]+)/.exec(message)?.[1]?.replace(/^(--[a-z-]+).*/, "$1") ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return new UsageError(`Unknown option '${option}'.`);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new UsageError(option === "--input" || option === "--variable" ? `${option} needs name=value.` : `${option} needs a value.`);
  }
  return new UsageError(message);
}

/** The command line; `{ help: true }` for `--help`, `-h` or `help`. */
export function parseArgs(argv: readonly string[]): LocalRunArgs | { help: true } {
  let parsed;
  try {
    parsed = parseNodeArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(err);
  }
  const { values, positionals } = parsed;
  const [command, task, ...extra] = positionals;
  if (values.help || command === "help") return { help: true };
  if (command !== "run") throw new UsageError(command ? `Unknown command '${command}': the only command is 'run'.` : "No command given.");
  if (!task) throw new UsageError("Name the task to run, e.g. 'mlops-tasks run TriggerADFPipeline'.");
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' (inputs are --input name=value).`);
  const args: LocalRunArgs = { task, inputs: {}, variables: {}, emulator: values.emulator === true };
  for (const text of values.input ?? []) {
    const [k, v] = keyValue("--input", text);
    args.inputs[k] = v;
  }
  for (const text of values.variable ?? []) {
    const [k, v] = keyValue("--variable", text);
    args.variables[k] = v;
  }
  if (values["time-scale"] !== undefined) {
    const n = Number(values["time-scale"]);
    if (!(n > 0)) throw new UsageError("--time-scale needs a positive number.");
    args.timeScale = n;
  }
  if (values["emulator-url"] !== undefined) args.emulatorUrl = values["emulator-url"];
  if (values["emulator-ready"] !== undefined) args.emulatorReady = values["emulator-ready"];
  if (values.seed !== undefined) args.seed = values.seed;
  if (values.subscription !== undefined) args.subscriptionId = values.subscription;
  if (values["task-root"] !== undefined) args.taskRoot = values["task-root"];
  const emulators = [
    args.emulator && "--emulator",
    args.emulatorUrl !== undefined && "--emulator-url",
    args.emulatorReady !== undefined && "--emulator-ready",
  ].filter(Boolean);
  if (emulators.length > 1) throw new UsageError(`${emulators.join(" and ")} exclude each other: give one.`);
  if (args.timeScale !== undefined && !args.emulator) throw new UsageError("--time-scale only applies with --emulator (a running emulator keeps its own).");
  if (emulators.length > 0 && args.subscriptionId) throw new UsageError(`--subscription does not apply with ${emulators[0]} (the emulator has its own).`);
  if (args.seed !== undefined && emulators.length === 0) throw new UsageError("--seed needs an emulator: --emulator, --emulator-url or --emulator-ready.");
  return args;
}

/** `TriggerADFPipeline`, `TriggerADFPipeline@1` or `TriggerADFPipelineV1` → the built folder. */
export function resolveTaskFolder(taskRoot: string, task: string): string {
  const m = /^([A-Za-z0-9-]+?)(?:@(\d+)|V(\d+))?$/.exec(task);
  const available = fs.existsSync(taskRoot)
    ? fs
        .readdirSync(taskRoot)
        .filter((f) => fs.existsSync(path.join(taskRoot, f, "task.json")))
        .sort()
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
  const manifest = JSON.parse(fs.readFileSync(path.join(taskRoot, folder, "task.json"), "utf8")) as {
    inputs?: { name: string; type: string; aliases?: string[] }[];
  };
  const reference = folder.replace(/V(\d+)$/, "@$1");
  const manifestInputs = manifest.inputs ?? [];
  const connectionInputs = manifestInputs.filter((i) => i.type.startsWith("connectedService:")).map((i) => i.name);
  const written = { ...Object.fromEntries(connectionInputs.map((name) => [name, "local"])), ...options.inputs };
  const inputs = stepInputs(
    {
      kind: "task",
      reference,
      taskName: folder.replace(/V\d+$/, ""),
      majorVersion: Number(/V(\d+)$/.exec(folder)?.[1]),
      displayName: reference,
      inputs: written,
    },
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

/** Runs the task against a fresh emulator (default scenario, then `seed`), then stops it. */
export async function runWithEmulator(options: LocalRunOptions & { timeScale?: number; seed?: SeedCall[] }): Promise<AgentRunResult> {
  const emu = await startEmulator({ timeScale: options.timeScale ?? 30 });
  try {
    if (options.seed) await seedEmulator({ ...emu, caCertPem: emu.caCertPem }, options.seed, options.write ?? ((line) => console.log(line)));
    const { connection, env } = emulatorConnection(emu, "federated");
    return await runWithConnection(options, connection, env, emu.caCertPath);
  } finally {
    await emu.stop();
  }
}

/** Runs the task against an emulator already running (left running), after `seed`. */
export async function runWithRunningEmulator(emu: RunningEmulator, options: LocalRunOptions & { seed?: SeedCall[] }): Promise<AgentRunResult> {
  if (options.seed) await seedEmulator(emu, options.seed, options.write ?? ((line) => console.log(line)));
  const { connection, env } = emulatorConnection(emu, "federated");
  return runWithConnection(options, connection, env, emu.caCertPath);
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
    throw new UsageError(
      `Could not get a token from your login (${err instanceof Error ? err.message : String(err)}). Sign in with 'az login' (or azd, or AZURE_* environment variables), or use --emulator.`,
    );
  });
  const tenantId = (probe && tenantOf(probe.token)) ?? "";
  const server = await startLoopbackTokenServer(options.credential);
  try {
    const connection: ServiceConnection = {
      id: randomUUID(),
      url: armUrl,
      scheme: "ManagedServiceIdentity",
      authParameters: { tenantid: tenantId },
      data: {
        subscriptionId: options.subscriptionId,
        subscriptionName: options.subscriptionId,
        environment: "AzureCloud",
        scopeLevel: "Subscription",
        ...options.connectionData,
      },
    };
    const env = { IDENTITY_ENDPOINT: server.identityEndpoint, IDENTITY_HEADER: server.identityHeader };
    return await runWithConnection(options, connection, env, options.caCertPath);
  } finally {
    await server.close();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: LocalRunArgs | { help: true };
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if ("help" in parsed) {
    console.log(USAGE);
    return 0;
  }
  const args = parsed;
  const common = { task: args.task, inputs: args.inputs, variables: args.variables, ...(args.taskRoot ? { taskRoot: path.resolve(args.taskRoot) } : {}) };
  try {
    let run: AgentRunResult;
    const seed = args.seed !== undefined ? { seed: readSeedFile(path.resolve(args.seed)) } : {};
    if (args.emulator) {
      run = await runWithEmulator({ ...common, ...seed, ...(args.timeScale ? { timeScale: args.timeScale } : {}) });
    } else if (args.emulatorUrl !== undefined || args.emulatorReady !== undefined) {
      const emu = args.emulatorUrl !== undefined ? await connectRunningEmulator(args.emulatorUrl) : readEmulatorReady(args.emulatorReady ?? "");
      run = await runWithRunningEmulator(emu, { ...common, ...seed });
    } else {
      const subscriptionId = args.subscriptionId ?? process.env["AZURE_SUBSCRIPTION_ID"];
      if (!subscriptionId) throw new UsageError("Give the Azure subscription with --subscription <id> (or AZURE_SUBSCRIPTION_ID), or use --emulator.");
      const { DefaultAzureCredential } = await import("@azure/identity");
      run = await runWithDeveloperLogin({ ...common, credential: new DefaultAzureCredential(), subscriptionId });
    }
    return run.result === "Succeeded" || run.result === "SucceededWithIssues" ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError || err instanceof EmulatorSetupError) {
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
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
