/**
 * Stops the task at its first network access: every TCP/TLS connection (http, https, fetch all
 * open one through net.Socket#connect) and every host name lookup prints `NETWORK_MARKER host:port`
 * and ends the process, so an L0 run can show that nothing reached Azure — and nothing ever leaves
 * the machine.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { NETWORK_MARKER } from "../l0Case";
// The module object itself (not an import namespace copy), so the patched lookup is what callers see.
import dns = require("node:dns");

/** Exit code of a run the guard stopped. */
export const NETWORK_EXIT_CODE = 86;

function stop(target: string): never {
  fs.writeSync(1, `\n${NETWORK_MARKER} ${target}\n`);
  process.exit(NETWORK_EXIT_CODE);
}

function describeConnect(args: unknown[]): string {
  // net normalises its arguments to [options, callback] before calling Socket#connect.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === "object") {
    const o = first as { host?: unknown; hostname?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === "string" && o.path) return o.path;
    return `${String(o.host ?? o.hostname ?? "localhost")}:${String(o.port ?? "")}`;
  }
  return `${String(args[1] ?? "localhost")}:${String(first)}`;
}

export function installNetworkGuard(): void {
  net.Socket.prototype.connect = function connect(...args: unknown[]): never {
    stop(describeConnect(args));
  } as typeof net.Socket.prototype.connect;
  dns.lookup = ((hostname: string) => stop(`${hostname} (lookup)`)) as unknown as typeof dns.lookup;
  dns.promises.lookup = ((hostname: string) => stop(`${hostname} (lookup)`)) as typeof dns.promises.lookup;
}
