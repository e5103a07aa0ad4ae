/**
 * A small HTTP control API under /_control for users outside the test process (the demo):
 * reset, faults, the request log, role assignments, and the modules' control methods
 * (scripting ADF runs, ML jobs, ...) called by name with JSON arguments.
 */
import type { EmuRequest, EmuResponse, Router, World, BuiltInRole } from "./framework";
import type { FaultKind, Faults } from "./faults";
import type { RequestLog } from "./requestLog";

export interface ControlTarget {
  info(): Record<string, unknown>;
  reset(): Promise<void>;
  faults: Faults;
  requests: RequestLog;
  world: World;
  modules: Record<string, object>;
}

/** Module methods the control API may call: scripting, seeding and read-only views. */
const CALLABLE =
  /^(?:(?:script|set|seed|add|remove|install|force|fail|finish|complete)[A-Z]\w*|job|jobs|run|runs|endpoint|cluster|lookupCluster|blobContainerReady)$/;

export function registerControlRoutes(router: Router, target: ControlTarget): void {
  const none = { auth: "none" as const };
  router.add("GET", "/_control/info", () => ok(target.info()), none);
  router.add(
    "POST",
    "/_control/reset",
    async () => {
      await target.reset();
      return { status: 204 };
    },
    none,
  );
  router.add(
    "GET",
    "/_control/requests",
    (req) => {
      const path = req.query.get("path");
      const method = req.query.get("method") ?? undefined;
      let re: RegExp;
      try {
        re = new RegExp(path ?? "");
      } catch (e) {
        return bad(`path is not a regular expression: ${(e as Error).message}`);
      }
      return ok({ value: target.requests.filter(method, re) });
    },
    none,
  );
  router.add(
    "DELETE",
    "/_control/requests",
    () => {
      target.requests.clear();
      return { status: 204 };
    },
    none,
  );
  router.add("GET", "/_control/faults", () => ok({ value: target.faults.list().map((f) => ({ ...f, path: f.path.source })) }), none);
  router.add("POST", "/_control/faults", (req) => addFault(req, target.faults), none);
  router.add(
    "DELETE",
    "/_control/faults",
    () => {
      target.faults.clear();
      return { status: 204 };
    },
    none,
  );
  router.add(
    "POST",
    "/_control/roles/revoke",
    (req) => {
      const b = obj(req);
      if (typeof b?.principalId !== "string") return bad("principalId (string) is required");
      target.world.revokeRoles(b.principalId, typeof b.scope === "string" ? b.scope : undefined);
      return { status: 204 };
    },
    none,
  );
  router.add(
    "POST",
    "/_control/roles/assign",
    (req) => {
      const b = obj(req);
      if (typeof b?.principalId !== "string" || typeof b.role !== "string" || typeof b.scope !== "string")
        return bad("principalId, role and scope (strings) are required");
      target.world.assignRole({ principalId: b.principalId, role: b.role as BuiltInRole, scope: b.scope });
      return { status: 204 };
    },
    none,
  );
  router.add("POST", "/_control/modules/:module/:method", (req) => callModule(req, target), none);
}

function addFault(req: EmuRequest, faults: Faults): EmuResponse {
  const b = obj(req);
  if (!b || typeof b.path !== "string" || typeof b.kind !== "string") return bad("path (a regular expression source) and kind are required");
  try {
    const fault = faults.add({
      path: new RegExp(b.path, typeof b.flags === "string" ? b.flags : ""),
      kind: b.kind as FaultKind,
      ...(typeof b.method === "string" ? { method: b.method } : {}),
      ...(typeof b.count === "number" ? { count: b.count } : {}),
      ...(typeof b.retryAfterSeconds === "number" ? { retryAfterSeconds: b.retryAfterSeconds } : {}),
      ...(typeof b.delayMs === "number" ? { delayMs: b.delayMs } : {}),
    });
    return { status: 201, body: { ...fault, path: fault.path.source } };
  } catch (e) {
    return bad((e as Error).message);
  }
}

async function callModule(req: EmuRequest, target: ControlTarget): Promise<EmuResponse> {
  const module = target.modules[req.params.module];
  if (!module)
    return {
      status: 404,
      body: { error: { code: "NotFound", message: `no module '${req.params.module}' (one of ${Object.keys(target.modules).join(", ")})` } },
    };
  const name = req.params.method;
  const fn = (module as Record<string, unknown>)[name];
  if (!CALLABLE.test(name) || typeof fn !== "function")
    return { status: 404, body: { error: { code: "NotFound", message: `module '${req.params.module}' has no control method '${name}'` } } };
  const b = obj(req);
  const args = b?.args ?? [];
  if (!Array.isArray(args)) return bad("args must be an array");
  try {
    const result = await (fn as (...a: unknown[]) => unknown).apply(module, args);
    return ok({ result: result ?? null });
  } catch (e) {
    return bad((e as Error).message);
  }
}

function obj(req: EmuRequest): Record<string, unknown> | undefined {
  return typeof req.body === "object" && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : undefined;
}

function ok(body: unknown): EmuResponse {
  return { status: 200, body };
}

function bad(message: string): EmuResponse {
  return { status: 400, body: { error: { code: "BadRequest", message } } };
}
