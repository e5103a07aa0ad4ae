/**
 * Replays conformance cases against a running emulator over HTTPS, as a client of real Azure would
 * send them, and returns every difference from the recorded answers.
 */
import { randomUUID } from "node:crypto";
import { request as httpsRequest } from "node:https";
import type { Emulator } from "../../devkit/emulator";
import { credential } from "../../devkit/emulator/testing";
import type { ConformanceCase, ConformanceRequest, Exchange } from "./case";
import { check } from "./shape";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface CaseState {
  vars: Record<string, string>;
  tokens: Record<"arm" | "ml", string>;
}

export async function tokensFor(emu: Emulator): Promise<Record<"arm" | "ml", string>> {
  const cred = credential(emu, "secret");
  const arm = (await cred.getToken(`${emu.armAudience}.default`))!.token;
  const ml = (await cred.getToken("https://ml.azure.com/.default"))!.token;
  return { arm, ml };
}

function fill(text: string, emu: Emulator, state: CaseState): string {
  return text.replace(/\{(\$?[a-z][a-zA-Z0-9:]*)\}/g, (whole, key: string) => {
    if (key.startsWith("$")) {
      const v = state.vars[key.slice(1)];
      if (v === undefined) throw new Error(`placeholder ${whole}: nothing captured under that name yet`);
      return v;
    }
    switch (key) {
      case "sub":
        return emu.subscriptionId;
      case "rg":
        return emu.resourceGroupName;
      case "ws":
        return "ml_workspace";
      case "factory":
        return "mlops-adf";
      case "cluster":
        return "aks-cluster";
      case "base":
        return emu.url;
      case "uuid":
        state.vars["uuid"] ??= randomUUID();
        return state.vars["uuid"];
      case "token:arm":
        return state.tokens.arm;
      case "token:ml":
        return state.tokens.ml;
      default:
        return whole;
    }
  });
}

function fillDeep(value: unknown, emu: Emulator, state: CaseState): unknown {
  if (typeof value === "string") return fill(value, emu, state);
  if (Array.isArray(value)) return value.map((v) => fillDeep(v, emu, state));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k, emu, state), fillDeep(v, emu, state)]));
  return value;
}

function send(emu: Emulator, req: ConformanceRequest, state: CaseState): Promise<Answer> {
  const target = fill(req.path, emu, state);
  const url = new URL(target.startsWith("/") ? `${emu.url}${target}` : target);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = fill(v, emu, state);
  const token = req.token ?? "arm";
  if (token !== "none") headers["authorization"] = `Bearer ${state.tokens[token]}`;
  let payload: Buffer | undefined;
  if (req.body !== undefined) {
    payload = Buffer.from(JSON.stringify(fillDeep(req.body, emu, state)));
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(payload.length);
  } else if (req.method === "POST" || req.method === "PUT" || req.method === "PATCH") {
    headers["content-length"] = "0";
  }
  return new Promise((resolve, reject) => {
    const r = httpsRequest(url, { method: req.method, headers, ca: emu.caCertPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text.length ? text : undefined;
        if (text.length && /json/.test(res.headers["content-type"] ?? "")) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(", ") : v;
        resolve({ status: res.statusCode ?? 0, headers: flat, body });
      });
    });
    r.on("error", reject);
    if (payload) r.write(payload);
    r.end();
  });
}

function compare(exchange: Exchange, answer: Answer): string[] {
  const problems: string[] = [];
  const expected = exchange.response;
  if (answer.status !== expected.status)
    problems.push(`status: expected ${expected.status}, got ${answer.status} (${JSON.stringify(answer.body)?.slice(0, 300)})`);
  for (const [name, want] of Object.entries(expected.headers ?? {})) {
    const got = answer.headers[name.toLowerCase()];
    if (want === true && got === undefined) problems.push(`header ${name}: missing`);
    else if (want === false && got !== undefined) problems.push(`header ${name}: expected none, got ${got}`);
    else if (typeof want === "string" && got !== want) problems.push(`header ${name}: expected ${want}, got ${got}`);
    else if (want instanceof RegExp && (got === undefined || !want.test(got))) problems.push(`header ${name}: expected ${want}, got ${got}`);
  }
  if (expected.body !== undefined) problems.push(...check(expected.body, answer.body));
  return problems;
}

function captured(path: string, answer: Answer): string {
  const [root, ...rest] = path.split(".");
  const v: unknown =
    root === "header"
      ? answer.headers[rest.join(".").toLowerCase()]
      : rest.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], answer.body);
  if (root !== "header" && root !== "body") throw new Error(`capture '${path}' must start with body. or header.`);
  if (typeof v !== "string" && typeof v !== "number") throw new Error(`capture '${path}': no string there (${JSON.stringify(v)})`);
  return String(v);
}

/**
 * A given request that started a long-running operation is followed to its end, as the SDK's poller
 * would, so the exchanges start from the settled state the recording starts from.
 */
async function settle(emu: Emulator, answer: Answer, state: CaseState): Promise<void> {
  const status = answer.headers["azure-asyncoperation"];
  const location = answer.status === 202 ? answer.headers["location"] : undefined;
  const url = status ?? location;
  if (!url) return;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const poll = await send(emu, { method: "GET", path: url }, state);
    const running = status
      ? /^(InProgress|Updating|Creating|Deleting|Running|Accepted)$/i.test(String((poll.body as { status?: string } | undefined)?.status))
      : poll.status === 202;
    if (!running) return;
    if (Date.now() > deadline) throw new Error(`given: the operation at ${url} did not end within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Replays one case; returns its problems, one line each, prefixed with the exchange. */
export async function replay(emu: Emulator, c: ConformanceCase, tokens: Record<"arm" | "ml", string>): Promise<string[]> {
  const state: CaseState = { vars: {}, tokens };
  for (const req of c.given ?? []) {
    const a = await send(emu, req, state);
    if (a.status < 200 || a.status > 299) return [`given ${req.method} ${req.path}: ${a.status} ${JSON.stringify(a.body)?.slice(0, 300)}`];
    await settle(emu, a, state);
  }
  const problems: string[] = [];
  for (const [i, ex] of c.exchanges.entries()) {
    let answer = await send(emu, ex.request, state);
    if (ex.until) {
      const deadline = Date.now() + 10_000;
      const matches = (a: Answer) =>
        (ex.until!.status === undefined || a.status === ex.until!.status) && (ex.until!.body === undefined || check(ex.until!.body, a.body).length === 0);
      while (!matches(answer) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        answer = await send(emu, ex.request, state);
      }
    }
    const found = compare(ex, answer);
    problems.push(...found.map((p) => `#${i + 1} ${ex.what} (${ex.request.method} ${ex.request.path}): ${p}`));
    if (found.length) break;
    for (const [name, path] of Object.entries(ex.capture ?? {})) state.vars[name] = captured(path, answer);
  }
  return problems;
}
