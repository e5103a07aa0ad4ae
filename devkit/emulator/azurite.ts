/**
 * Azurite (blob service only) as a child process beside the emulator: HTTPS with the emulator's
 * certificate, a free loopback port, in-memory, OAuth (basic) so identity-based datastores work
 * with the emulator's storage tokens. Stopped (and waited for) with the emulator.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { BlobAccount } from "./framework";

export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteProcess {
  pid: number;
  port: number;
  account: BlobAccount;
  stop(): Promise<void>;
}

/** node_modules/azurite's blob entry point, from the repository root. */
function azuriteBlobMain(): string {
  for (const root of [resolve(__dirname, "../../.."), resolve(__dirname, "../.."), process.cwd()]) {
    const candidate = resolve(root, "node_modules/azurite/dist/src/blob/main.js");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("azurite is not installed (node_modules/azurite/dist/src/blob/main.js not found)");
}

export async function startAzurite(options: { certPath: string; keyPath: string; timeoutMs?: number }): Promise<AzuriteProcess> {
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--cert",
      options.certPath,
      "--key",
      options.keyPath,
      "--oauth",
      "basic",
      "--inMemoryPersistence",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: withoutAccountsOverride() },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let port: number;
  try {
    port = await waitForPort(child, options.timeoutMs ?? 20000);
  } catch (e) {
    child.kill("SIGKILL");
    await exited;
    throw e;
  }
  // Keep draining output so the child never blocks on a full pipe; note when it has closed.
  let closed = false;
  const closedWaiters: (() => void)[] = [];
  child.stdout?.on("data", (d: Buffer) => {
    if (!closed && d.toString().includes("successfully closed")) {
      closed = true;
      for (const w of closedWaiters.splice(0)) w();
    }
  });
  child.stderr?.resume();
  const whenClosed = () => new Promise<void>((r) => (closed ? r() : closedWaiters.push(r)));
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    port,
    account: { endpoint: `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY },
    stop: () => (stopping ??= stopChild(child, exited, whenClosed)),
  };
}

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolvePort, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listens on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        cleanup();
        resolvePort(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`azurite exited (${code}) before listening: ${out.trim()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`azurite did not report its port within ${timeoutMs} ms: ${out.trim()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/**
 * SIGTERM lets Azurite close its server; it does not exit by itself afterwards (timers keep it
 * alive), so once it reports "successfully closed" (or after 2 s) it is killed. In-memory data
 * is thrown away either way.
 */
async function stopChild(child: ChildProcess, exited: Promise<void>, whenClosed: () => Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([whenClosed(), exited, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await exited;
}

/** The well-known account only: an inherited AZURITE_ACCOUNTS would change the key. */
function withoutAccountsOverride(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AZURITE_ACCOUNTS;
  return env;
}
