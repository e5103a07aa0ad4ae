/**
 * Runs a built task the way the Azure Pipelines agent runs a Node handler: `node index.js` in
 * the task folder, with a clean environment made of INPUT_*, ENDPOINT_*, variables and the
 * predefined System/Build/Agent variables, then reads the `##vso[...]` logging commands from
 * its stdout.
 *
 * Result (`result`) is the step result the agent would show, derived like the agent does:
 * the last `task.complete` sets the command result (`reportedResult`); a non-zero exit code or
 * a timeout fails the step; an interrupt (the pipeline's cancellation) cancels it unless it
 * already failed (agent TaskResultUtil.MergeTaskResults). A task that exits 0 without
 * `task.complete` succeeded.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findRepoRoot } from "../repoRoot";
import {
  endpointEnvironment,
  inputEnvironment,
  predefinedVariables,
  systemConnectionEnvironment,
  variableEnvironment,
  type ServiceConnection,
} from "./agentEnvironment";
import { CommandRecorder, mergeTaskResults, type RecordedIssue, type RecordedSummary, type RecordedVariable, type TaskResultName } from "./commandRecorder";
import { LineSplitter, parseLoggingCommand, type LoggingCommand } from "./loggingCommands";
import { SecretLeakError, leakedSecrets } from "./secretScan";

export type { ServiceConnection } from "./agentEnvironment";
export { emulatorConnection, type ConnectionScheme, type EmulatorConnectionSource } from "./emulatorConnection";
export type { TaskResultName } from "./commandRecorder";

export interface AgentRunOptions {
  /** Folder name under the task root, e.g. "TriggerADFPipelineV1". */
  task: string;
  /** INPUT_<NAME> */
  inputs: Record<string, string>;
  /** ENDPOINT_URL_/AUTH_/AUTH_SCHEME_/AUTH_PARAMETER_/DATA_ variables for this connection. */
  connection?: ServiceConnection;
  /** Public variables (e.g. "System.Debug": "true"); they override the predefined ones. */
  variables?: Record<string, string>;
  secretVariables?: Record<string, string>;
  /** Extra environment, merged last. */
  env?: Record<string, string>;
  /** NODE_EXTRA_CA_CERTS */
  caCertPath?: string;
  /** Kill (SIGKILL) after this long (default 120000) → result.timedOut. */
  timeoutInMs?: number;
  /**
   * Send a signal to the task once its stdout matches `when`, or `afterMs` after the start; with both,
   * `afterMs` after the match (a task under load may not have set its signal handlers `afterMs` after
   * the spawn).
   */
  interrupt?: { signal: "SIGINT" | "SIGTERM"; when?: RegExp; afterMs?: number };
  /** Default: the task folder (as the agent does). */
  cwd?: string;
  /** Default: $MLOPS_TASK_ROOT (another built copy, e.g. an unpacked .vsix), else <repo>/build/tasks. */
  taskRoot?: string;
  /** Do not fail the run when its output holds a known secret (only for tests of the scanner). */
  allowSecretsInOutput?: boolean;
  /** Aborting kills the task (SIGKILL); the promise still resolves with what was collected. */
  abortSignal?: AbortSignal;
}

export interface AgentRunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** True when the `interrupt` signal was sent. */
  interrupted: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** The step result the agent would record (see the module comment). */
  result?: TaskResultName;
  /** The result of the last `task.complete` the task wrote, if any. */
  reportedResult?: TaskResultName;
  resultMessage?: string;
  variables: Record<string, RecordedVariable>;
  /** Values registered with task.setsecret. */
  secrets: string[];
  issues: RecordedIssue[];
  /** task.uploadsummary / task.addattachment type=Distributedtask.Core.Summary, read on arrival. */
  summaries: RecordedSummary[];
  commands: LoggingCommand[];
}

const DEFAULT_TIMEOUT_IN_MS = 120_000;
/** How much of the stdout tail an `interrupt.when` pattern is matched against, per chunk. */
const INTERRUPT_MATCH_WINDOW = 64 * 1024;
/** Collection URI when the caller gives none: loopback, nothing listens there. */
const DEFAULT_COLLECTION_URI = "https://127.0.0.1/mlops-org/";

/** The host variables a process needs to start at all (the agent passes its own environment). */
function hostEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  const wanted = new Set(["PATH", "HOME", "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE"]);
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && wanted.has(key.toUpperCase())) {
      env[key] = value;
    }
  }
  return env;
}

function agentResult(recorder: CommandRecorder, outcome: { exitCode: number | null; timedOut: boolean; interrupted: boolean }): TaskResultName {
  let result = recorder.reportedResult;
  if (outcome.interrupted) {
    result = mergeTaskResults(result, "Cancelled");
  }
  if (outcome.timedOut || outcome.exitCode !== 0) {
    result = mergeTaskResults(result, "Failed");
  }
  return result ?? "Succeeded";
}

/** Runs `<taskRoot>/<task>/index.js` as the agent does and collects what it reported. */
export async function runTask(options: AgentRunOptions): Promise<AgentRunResult> {
  const taskRoot = options.taskRoot ?? (process.env["MLOPS_TASK_ROOT"] || path.join(findRepoRoot(__dirname), "build", "tasks"));
  const taskDir = path.join(taskRoot, options.task);
  const entry = path.join(taskDir, "index.js");
  if (!fs.existsSync(entry)) {
    throw new Error(`${entry} does not exist: build the tasks first (npm run build).`);
  }
  const runRoot = await fs.promises.mkdtemp(path.join(os.tmpdir(), "agent-run-"));
  const tempDirectory = path.join(runRoot, "_temp");
  const workFolder = path.join(runRoot, "_work");
  try {
    await fs.promises.mkdir(tempDirectory);
    const variables = { ...predefinedVariables({ tempDirectory, workFolder, collectionUri: DEFAULT_COLLECTION_URI }), ...options.variables };
    await fs.promises.mkdir(variables["System.DefaultWorkingDirectory"], { recursive: true });
    const env: Record<string, string> = {
      ...hostEnvironment(),
      TMPDIR: tempDirectory,
      TEMP: tempDirectory,
      TMP: tempDirectory,
      ...variableEnvironment(variables, options.secretVariables ?? {}),
      ...systemConnectionEnvironment(variables["System.CollectionUri"] ?? DEFAULT_COLLECTION_URI, randomBytes(24).toString("base64url")),
      ...(options.connection ? endpointEnvironment(options.connection) : {}),
      ...inputEnvironment(resolveAliases(options.inputs, taskDir)),
      ...(options.caCertPath ? { NODE_EXTRA_CA_CERTS: options.caCertPath } : {}),
      ...options.env,
    };
    const result = await spawnTask({ entry, cwd: options.cwd ?? taskDir, env, options });
    const leaks = leakedSecrets(`${result.stdout}\n${result.stderr}`, [env["ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN"] ?? ""]);
    if (leaks.length > 0 && !options.allowSecretsInOutput) {
      throw new SecretLeakError(
        `${options.task} printed ${leaks.length} secret(s) outside task.setsecret / secret variables (starting ${leaks.map((s) => JSON.stringify(`${s.slice(0, 4)}...`)).join(", ")}).`,
      );
    }
    return result;
  } finally {
    await fs.promises.rm(runRoot, { recursive: true, force: true });
  }
}

/**
 * Input names as written in YAML → the task's input names: the server maps a task.json `aliases`
 * entry to its input before the job reaches the agent, which sets INPUT_<name> from the input's name
 * (microsoft/azure-pipelines-agent src/Agent.Worker/TaskRunner.cs, "Merge the instance inputs").
 */
function resolveAliases(inputs: Record<string, string>, taskDir: string): Record<string, string> {
  const manifestPath = path.join(taskDir, "task.json");
  if (!fs.existsSync(manifestPath)) return inputs;
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as { inputs?: { name: string; aliases?: string[] }[] };
  const byAlias = new Map<string, string>();
  for (const input of manifest.inputs ?? []) for (const alias of input.aliases ?? []) byAlias.set(alias.toLowerCase(), input.name);
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [byAlias.get(name.toLowerCase()) ?? name, value]));
}

function spawnTask(run: { entry: string; cwd: string; env: Record<string, string>; options: AgentRunOptions }): Promise<AgentRunResult> {
  const { options } = run;
  const started = performance.now();
  const recorder = new CommandRecorder(run.cwd);
  const lines = new LineSplitter();
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  let interrupted = false;
  let matched = false;

  return new Promise<AgentRunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [run.entry], { cwd: run.cwd, env: run.env, stdio: ["ignore", "pipe", "pipe"] });
    const timers: NodeJS.Timeout[] = [];

    const recordLines = (completed: string[]) => {
      for (const line of completed) {
        const command = parseLoggingCommand(line);
        if (command) {
          recorder.record(command);
        }
      }
    };
    const sendInterrupt = () => {
      if (!interrupted && options.interrupt && child.exitCode === null && child.signalCode === null) {
        interrupted = true;
        child.kill(options.interrupt.signal);
      }
    };
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    };
    const onAbort = () => kill();

    timers.push(
      setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutInMs ?? DEFAULT_TIMEOUT_IN_MS),
    );
    const interruptAfterMs = options.interrupt?.afterMs;
    if (interruptAfterMs !== undefined && !options.interrupt?.when) {
      timers.push(setTimeout(sendInterrupt, interruptAfterMs));
    }
    if (options.abortSignal?.aborted) {
      kill();
    } else {
      options.abortSignal?.addEventListener("abort", onAbort, { once: true });
    }

    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      recordLines(lines.push(chunk));
      const when = options.interrupt?.when;
      if (when && !interrupted) {
        when.lastIndex = 0;
        if (when.test(stdout.slice(-(chunk.length + INTERRUPT_MATCH_WINDOW)))) {
          if (interruptAfterMs === undefined) sendInterrupt();
          else if (!matched) timers.push(setTimeout(sendInterrupt, interruptAfterMs));
          matched = true;
        }
      }
    });
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (err) => {
      timers.forEach(clearTimeout);
      options.abortSignal?.removeEventListener("abort", onAbort);
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      timers.forEach(clearTimeout);
      options.abortSignal?.removeEventListener("abort", onAbort);
      recordLines(lines.flush());
      resolve({
        exitCode,
        signal,
        timedOut,
        interrupted,
        durationMs: performance.now() - started,
        stdout,
        stderr,
        result: agentResult(recorder, { exitCode, timedOut, interrupted }),
        reportedResult: recorder.reportedResult,
        resultMessage: recorder.resultMessage,
        variables: recorder.variables,
        secrets: recorder.secrets,
        issues: recorder.issues,
        summaries: recorder.summaries,
        commands: recorder.commands,
      });
    });
  });
}
