/**
 * A running emulator (`npm run emulator`) for `mlops-tasks run`: found by its URL (GET
 * /_control/info) or by the `EMULATOR_READY {json}` line it printed, and seeded with scenario data
 * through its control API (POST /_control/modules/<module>/<method> {"args": [...]}).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { EmulatorConnectionSource } from "../devkit/harness/agentRunner";
import { httpsRequest } from "./httpsRequest";

export interface RunningEmulator extends EmulatorConnectionSource {
  url: string;
  resourceGroupName: string;
  caCertPath: string;
  caCertPem: string;
}

export class EmulatorSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmulatorSetupError";
  }
}

function fromInfo(info: Record<string, unknown>, where: string): RunningEmulator {
  for (const key of ["url", "armUrl", "authorityHost", "armAudience", "tenantId", "subscriptionId", "caCertPath", "identities", "devops"]) {
    if (info[key] === undefined) throw new EmulatorSetupError(`${where} is not the emulator's EMULATOR_READY information: '${key}' is missing.`);
  }
  const caCertPath = String(info["caCertPath"]);
  if (!fs.existsSync(caCertPath))
    throw new EmulatorSetupError(`The emulator's CA certificate ${caCertPath} (from ${where}) does not exist: is the emulator still running?`);
  return { ...(info as unknown as RunningEmulator), caCertPem: fs.readFileSync(caCertPath, "utf8") };
}

/**
 * `--emulator-ready`: the JSON, the whole `EMULATOR_READY {json}` line, or a file holding either
 * (e.g. the output of `npm run emulator > emulator.txt`).
 */
export function readEmulatorReady(text: string): RunningEmulator {
  let source = "--emulator-ready";
  let content = text.trim();
  if (!content.startsWith("{") && !content.startsWith("EMULATOR_READY") && fs.existsSync(content)) {
    source = content;
    content = fs.readFileSync(content, "utf8");
  }
  const line = content.split(/\r?\n/).find((l) => l.trim().startsWith("EMULATOR_READY ")) ?? content;
  const json = line.trim().replace(/^EMULATOR_READY\s+/, "");
  let info: unknown;
  try {
    info = JSON.parse(json);
  } catch (err) {
    throw new EmulatorSetupError(`${source} holds no EMULATOR_READY JSON (${(err as Error).message}).`);
  }
  if (typeof info !== "object" || info === null) throw new EmulatorSetupError(`${source} holds no EMULATOR_READY JSON object.`);
  return fromInfo(info as Record<string, unknown>, source);
}

/**
 * `--emulator-url`: reads /_control/info. The emulator's CA is only known from that answer, so the
 * first request (loopback only) does not check the certificate; the answer is then fetched again
 * trusting only the CA it named, which proves the server holds that CA's certificate.
 */
export async function connectRunningEmulator(url: string): Promise<RunningEmulator> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EmulatorSetupError(`--emulator-url '${url}' is not a URL.`);
  }
  if (parsed.protocol !== "https:" || !["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) {
    throw new EmulatorSetupError(`--emulator-url must be the emulator's https URL on this machine (https://127.0.0.1:<port>), not '${url}'.`);
  }
  const infoUrl = new URL("/_control/info", parsed).toString();
  const first = await new Promise<string>((resolve, reject) => {
    https
      .get(infoUrl, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          res.statusCode === 200 ? resolve(body) : reject(new EmulatorSetupError(`GET ${infoUrl} answered ${res.statusCode}: is this the emulator?`)),
        );
      })
      .on("error", (err) => reject(new EmulatorSetupError(`No emulator answers at ${url} (${err.message}). Start one with 'npm run emulator'.`)));
  });
  const unverified = fromInfo(JSON.parse(first) as Record<string, unknown>, infoUrl);
  const verified = await httpsRequest({ method: "GET", url: infoUrl, caPem: unverified.caCertPem });
  if (verified.status !== 200) throw new EmulatorSetupError(`GET ${infoUrl} answered ${verified.status}.`);
  return fromInfo(JSON.parse(verified.body) as Record<string, unknown>, infoUrl);
}

export interface SeedCall {
  module: string;
  method: string;
  args: unknown[];
}

/**
 * `--seed <file>`: a JSON array of control calls, `{"module": "datafactory", "method": "addFactory",
 * "args": ["{{subscriptionId}}", "{{resourceGroupName}}", "adf-2"]}`; `{{subscriptionId}}` and
 * `{{resourceGroupName}}` in string arguments are the emulator's. Calls run in order; the first
 * refused one stops with its answer.
 */
export function readSeedFile(file: string): SeedCall[] {
  if (!fs.existsSync(file)) throw new EmulatorSetupError(`--seed ${file} does not exist.`);
  let calls: unknown;
  try {
    calls = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new EmulatorSetupError(`--seed ${file} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(calls)) throw new EmulatorSetupError(`--seed ${file} must hold a JSON array of {"module", "method", "args"} calls.`);
  return calls.map((c, i) => {
    const call = c as Partial<SeedCall>;
    if (typeof call.module !== "string" || typeof call.method !== "string" || (call.args !== undefined && !Array.isArray(call.args))) {
      throw new EmulatorSetupError(`--seed ${file}: entry ${i + 1} must be {"module": string, "method": string, "args": [...]}.`);
    }
    return { module: call.module, method: call.method, args: call.args ?? [] };
  });
}

export async function seedEmulator(
  emu: Pick<RunningEmulator, "url" | "caCertPem" | "subscriptionId" | "resourceGroupName">,
  calls: SeedCall[],
  write: (line: string) => void,
): Promise<void> {
  const fill = (value: unknown): unknown =>
    typeof value === "string"
      ? value.replace(/\{\{subscriptionId\}\}/g, emu.subscriptionId).replace(/\{\{resourceGroupName\}\}/g, emu.resourceGroupName)
      : Array.isArray(value)
        ? value.map(fill)
        : value && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]))
          : value;
  for (const [i, call] of calls.entries()) {
    const url = `${emu.url.replace(/\/+$/, "")}/_control/modules/${encodeURIComponent(call.module)}/${encodeURIComponent(call.method)}`;
    const r = await httpsRequest({
      method: "POST",
      url,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ args: fill(call.args) }),
      caPem: emu.caCertPem,
    });
    if (r.status >= 300) throw new EmulatorSetupError(`--seed entry ${i + 1} (${call.module}.${call.method}) was refused: ${r.status} ${r.body.slice(0, 500)}`);
  }
  write(`Seeded the emulator with ${calls.length} call(s).`);
}
