/**
 * Starts a task process the way the agent does (devkit/harness/agentRunner.ts builds the same
 * environment), but hands back the process itself: its pid (to sample peak RSS), the moment it
 * was spawned and the moment it exited, on this process's monotonic clock (performance.now()).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  endpointEnvironment,
  inputEnvironment,
  predefinedVariables,
  systemConnectionEnvironment,
  variableEnvironment,
  type ServiceConnection,
} from "../devkit/harness/agentEnvironment";
import { LineSplitter, parseLoggingCommand, commandProperty } from "../devkit/harness/loggingCommands";
import { RssSampler } from "./rss";

const DEFAULT_COLLECTION_URI = "https://127.0.0.1/mlops-org/";

export interface TaskProcessOptions {
  /** The script to run (build/tasks/<Task>/index.js, or an unbundled index.js). */
  entry: string;
  /** The node binary (default: the one running the bench). */
  node?: string;
  /** Default: the entry's folder (as the agent does). */
  cwd?: string;
  inputs: Record<string, string>;
  connection?: ServiceConnection;
  /** Extra environment, merged last. */
  env?: Record<string, string>;
  caCertPath?: string;
  variables?: Record<string, string>;
  /** SIGKILL after this long (default 300 s). */
  timeoutInMs?: number;
  /** Sample /proc/<pid>/status VmHWM every this many ms (default: no sampling). */
  rssSampleIntervalInMs?: number;
  /** Called with every complete stdout line. */
  onLine?: (line: string) => void;
}

export interface TaskProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** performance.now() just before spawn() and when the process exited. */
  spawnedAt: number;
  exitedAt: number;
  /** result= of the last ##vso[task.complete]. */
  reportedResult?: string;
  resultMessage?: string;
  /** Highest VmHWM seen (bytes), when sampled on Linux. */
  peakRssBytes?: number;
  /** CPU time (ms) at the last sample, when sampled on Linux. */
  cpuTimeMs?: number;
  stdout: string;
  stderr: string;
}

export interface TaskProcess {
  pid: number | undefined;
  spawnedAt: number;
  child: ChildProcess;
  done: Promise<TaskProcessResult>;
  kill(signal?: NodeJS.Signals): void;
}

function hostEnvironment(): Record<string, string> {
  const wanted = new Set(["PATH", "HOME", "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE"]);
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && wanted.has(e[0].toUpperCase())));
}

/** Spawns the task; `done` resolves when it exits (and its temp folders are removed). */
export function startTask(options: TaskProcessOptions): TaskProcess {
  const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), "bench-run-"));
  const tempDirectory = path.join(runRoot, "_temp");
  const workFolder = path.join(runRoot, "_work");
  fs.mkdirSync(tempDirectory);
  const variables = { ...predefinedVariables({ tempDirectory, workFolder, collectionUri: DEFAULT_COLLECTION_URI }), ...options.variables };
  fs.mkdirSync(variables["System.DefaultWorkingDirectory"], { recursive: true });
  const env: Record<string, string> = {
    ...hostEnvironment(),
    TMPDIR: tempDirectory,
    TEMP: tempDirectory,
    TMP: tempDirectory,
    ...variableEnvironment(variables, {}),
    ...systemConnectionEnvironment(variables["System.CollectionUri"] ?? DEFAULT_COLLECTION_URI, randomBytes(24).toString("base64url")),
    ...(options.connection ? endpointEnvironment(options.connection) : {}),
    ...inputEnvironment(options.inputs),
    ...(options.caCertPath ? { NODE_EXTRA_CA_CERTS: options.caCertPath } : {}),
    ...options.env,
  };

  const spawnedAt = performance.now();
  const child = spawn(options.node ?? process.execPath, [options.entry], {
    cwd: options.cwd ?? path.dirname(options.entry),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const sampler = options.rssSampleIntervalInMs && child.pid !== undefined ? new RssSampler(child.pid, options.rssSampleIntervalInMs) : undefined;
  let stdout = "";
  let stderr = "";
  let reportedResult: string | undefined;
  let resultMessage: string | undefined;
  let timedOut = false;
  const lines = new LineSplitter();
  const onLines = (completed: string[]) => {
    for (const line of completed) {
      options.onLine?.(line);
      const command = parseLoggingCommand(line);
      if (command?.area === "task" && command.action === "complete") {
        reportedResult = commandProperty(command, "result");
        resultMessage = command.message;
      }
    }
  };
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    stdout += chunk;
    onLines(lines.push(chunk));
  });
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutInMs ?? 300_000);

  const done = new Promise<TaskProcessResult>((resolve, reject) => {
    let exitedAt = 0;
    child.on("exit", () => {
      exitedAt = performance.now();
      sampler?.stop();
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      sampler?.stop();
      fs.rmSync(runRoot, { recursive: true, force: true });
      reject(err);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      onLines(lines.flush());
      fs.rmSync(runRoot, { recursive: true, force: true });
      resolve({
        exitCode,
        signal,
        timedOut,
        spawnedAt,
        exitedAt: exitedAt || performance.now(),
        reportedResult,
        resultMessage,
        peakRssBytes: sampler?.peakBytes,
        cpuTimeMs: sampler?.cpuTimeMs,
        stdout,
        stderr,
      });
    });
  });
  return {
    pid: child.pid,
    spawnedAt,
    child,
    done,
    kill: (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs a task to its end. */
export function runTaskProcess(options: TaskProcessOptions): Promise<TaskProcessResult> {
  return startTask(options).done;
}

/** The last lines a person would read (no debug lines), for error messages. */
export function outputTail(stdout: string, stderr: string, lines = 15): string {
  const readable = stdout.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("##vso[task.debug]"));
  return [
    ...readable.slice(-lines),
    ...stderr
      .split(/\r?\n/)
      .filter((l) => l.trim() !== "")
      .slice(-lines),
  ].join("\n");
}
