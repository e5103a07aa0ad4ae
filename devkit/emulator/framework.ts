/**
 * The contract shared by every part of the Azure emulator: the request/response shapes that
 * route handlers see, the route table, ARM error bodies, the world (subscriptions, resource
 * groups, principals, role assignments), the clock (time scaling) and long-running operations.
 *
 * Resource-provider modules (arm/*.ts) only depend on this file; the HTTP server (server.ts)
 * turns real HTTPS requests into EmuRequest and EmuResponse back into bytes.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

// ---------------------------------------------------------------------------------------------
// Requests and responses

export interface Principal {
  kind: "servicePrincipal" | "managedIdentity";
  /** Application (client) id; what ARM error messages call "client". */
  clientId: string;
  objectId: string;
  tenantId: string;
  displayName: string;
}

export interface EmuRequest {
  method: string;
  /** Full request URL (https://127.0.0.1:<port>/...). */
  url: URL;
  /** Decoded path without a trailing slash. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Parsed JSON body (application/json), form fields (x-www-form-urlencoded), else undefined. */
  body: unknown;
  /** Values of the `:name` segments of the matched route pattern. */
  params: Record<string, string>;
  /** The caller, for routes with auth "arm" (set by the server after the bearer token is checked). */
  principal?: Principal;
  /** The x-ms-request-id this answer will carry. */
  requestId: string;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
}

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

export interface RouteOptions {
  /**
   * "arm": needs a valid ARM bearer token, then the RBAC check for `action`, then (when the
   * pattern has :subscriptionId / :resourceGroupName) the subscription and resource group must
   * exist, else the ARM 404 bodies. "none": the handler does its own checks (identity, OIDC).
   */
  auth: "arm" | "none";
  /**
   * The ARM action checked against role assignments, e.g.
   * "Microsoft.DataFactory/factories/pipelines/createrun/action". Its suffix (/read, /write,
   * /delete, /action) decides which built-in roles allow it. Required when auth is "arm".
   */
  action?: string;
  /** api-versions this route accepts; any other → 400 InvalidApiVersionParameter. */
  apiVersions?: string[];
  /** A data-plane route that takes ARM tokens but no api-version (e.g. Azure ML run history). */
  noApiVersion?: boolean;
  /** The ARM scope role assignments are checked against, when the path is not one (data planes). */
  rbacScope?: (req: EmuRequest) => string;
}

export interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
  options: RouteOptions;
}

/**
 * Route table. Patterns are paths with `:name` segments, e.g.
 * "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.DataFactory/factories/:factoryName".
 * Literal segments match case-insensitively (ARM paths are case-insensitive); `:name` segments
 * capture one decoded segment. The first matching route wins.
 */
export class Router {
  readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, options: RouteOptions): void {
    if (options.auth === "arm" && !options.action) {
      throw new Error(`route ${method} ${pattern}: an ARM route needs an action`);
    }
    this.routes.push({
      method: method.toUpperCase(),
      pattern,
      segments: splitPath(pattern),
      handler,
      options,
    });
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const parts = splitPath(path);
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase() || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i];
        if (seg.startsWith(":")) params[seg.slice(1)] = parts[i];
        else ok = seg.toLowerCase() === parts[i].toLowerCase();
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  /** True when some route has this path under another method (→ 405 rather than 404). */
  hasPath(path: string): boolean {
    return ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"].some((m) => this.match(m, path));
  }
}

export function splitPath(path: string): string[] {
  return path
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

// ---------------------------------------------------------------------------------------------
// ARM errors (common-types ErrorResponse)

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

export function armError(status: number, code: string, message: string, extra: Partial<ArmErrorDetail> = {}): EmuResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

/** ARM's 404 for a missing resource: names the resource type, name and resource group. */
export function resourceNotFound(resourceType: string, name: string, resourceGroupName: string): EmuResponse {
  return armError(
    404,
    "ResourceNotFound",
    `The Resource '${resourceType}/${name}' under resource group '${resourceGroupName}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** 400 with the ARM shape for a body that does not conform to the REST contract. */
export function invalidRequestContent(message: string, target?: string): EmuResponse {
  return armError(400, "InvalidRequestContent", message, target ? { target } : {});
}

// ---------------------------------------------------------------------------------------------
// Request-body validation against the REST contract (a small JSON-schema subset)

export type Schema =
  | { type: "string"; enum?: readonly string[]; pattern?: RegExp; required?: boolean; nullable?: boolean }
  | { type: "integer" | "number"; minimum?: number; maximum?: number; required?: boolean; nullable?: boolean }
  | { type: "boolean"; required?: boolean; nullable?: boolean }
  | { type: "any"; required?: boolean; nullable?: boolean }
  | { type: "array"; items: Schema; required?: boolean; nullable?: boolean }
  | {
      type: "object";
      properties?: Record<string, Schema>;
      /** Schema for keys not in `properties` (a map); `false` rejects unknown keys. Default: allowed, unchecked. */
      additionalProperties?: Schema | false;
      /** Discriminator: property name → value → extra properties for that kind. */
      discriminator?: { property: string; mapping: Record<string, Record<string, Schema>> };
      required?: boolean;
      nullable?: boolean;
    };

/**
 * Checks `value` against `schema`; returns the first problem as "<json path>: <what is wrong>",
 * or undefined when it conforms. Discriminator values are matched case-sensitively, like the service.
 */
export function validate(value: unknown, schema: Schema, path = "$"): string | undefined {
  if (value === undefined) return schema.required ? `${path}: is required` : undefined;
  if (value === null) return schema.nullable || !schema.required ? undefined : `${path}: must not be null`;
  switch (schema.type) {
    case "any":
      return undefined;
    case "string":
      if (typeof value !== "string") return `${path}: must be a string`;
      if (schema.enum && !schema.enum.includes(value)) return `${path}: '${value}' is not one of ${schema.enum.join(", ")}`;
      if (schema.pattern && !schema.pattern.test(value)) return `${path}: '${value}' does not match ${schema.pattern}`;
      return undefined;
    case "integer":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return `${path}: must be a number`;
      if (schema.type === "integer" && !Number.isInteger(value)) return `${path}: must be an integer`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${path}: must be >= ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${path}: must be <= ${schema.maximum}`;
      return undefined;
    case "boolean":
      return typeof value === "boolean" ? undefined : `${path}: must be a boolean`;
    case "array": {
      if (!Array.isArray(value)) return `${path}: must be an array`;
      for (let i = 0; i < value.length; i++) {
        const problem = validate(value[i], schema.items, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return `${path}: must be an object`;
      const obj = value as Record<string, unknown>;
      let properties: Record<string, Schema> = { ...(schema.properties ?? {}) };
      if (schema.discriminator) {
        const kind = obj[schema.discriminator.property];
        const extra = typeof kind === "string" ? schema.discriminator.mapping[kind] : undefined;
        if (!extra) {
          return `${path}.${schema.discriminator.property}: '${String(kind)}' is not one of ${Object.keys(schema.discriminator.mapping).join(", ")}`;
        }
        properties = { ...properties, ...extra };
      }
      for (const [key, sub] of Object.entries(properties)) {
        const problem = validate(obj[key], sub, `${path}.${key}`);
        if (problem) return problem;
      }
      for (const key of Object.keys(obj)) {
        if (key in properties) continue;
        if (schema.additionalProperties === false) return `${path}.${key}: is not a known property`;
        if (schema.additionalProperties) {
          const problem = validate(obj[key], schema.additionalProperties, `${path}.${key}`);
          if (problem) return problem;
        }
      }
      return undefined;
    }
  }
}

/** Validates a request body; returns the ARM 400 to send, or undefined when the body conforms. */
export function checkBody(body: unknown, schema: Schema): EmuResponse | undefined {
  const problem = validate(body, { ...schema, required: true } as Schema);
  return problem ? invalidRequestContent(`The request content was invalid and could not be deserialized: ${problem}`, problem.split(":")[0]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The world: subscriptions, resource groups, role assignments

export interface ResourceGroup {
  name: string;
  location: string;
}

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  /** Keyed by lower-cased name. */
  resourceGroups: Map<string, ResourceGroup>;
}

export type BuiltInRole =
  | "Owner"
  | "Contributor"
  | "Reader"
  | "AzureML Data Scientist"
  | "Data Factory Contributor"
  | "Azure Kubernetes Service Cluster User Role";

export interface RoleAssignment {
  /** Client id or object id of the principal. */
  principalId: string;
  role: BuiltInRole;
  /** e.g. /subscriptions/<id> or /subscriptions/<id>/resourceGroups/<rg>; prefix match, case-insensitive. */
  scope: string;
}

export class World {
  readonly subscriptions = new Map<string, Subscription>();
  readonly roleAssignments: RoleAssignment[] = [];

  constructor(readonly tenantId: string) {}

  addSubscription(subscriptionId: string, displayName = "Emulated subscription"): Subscription {
    const key = subscriptionId.toLowerCase();
    let sub = this.subscriptions.get(key);
    if (!sub) {
      sub = { subscriptionId, displayName, resourceGroups: new Map() };
      this.subscriptions.set(key, sub);
    }
    return sub;
  }

  addResourceGroup(subscriptionId: string, name: string, location = "westeurope"): ResourceGroup {
    const sub = this.addSubscription(subscriptionId);
    let rg = sub.resourceGroups.get(name.toLowerCase());
    if (!rg) {
      rg = { name, location };
      sub.resourceGroups.set(name.toLowerCase(), rg);
    }
    return rg;
  }

  subscription(subscriptionId: string): Subscription | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  resourceGroup(subscriptionId: string, name: string): ResourceGroup | undefined {
    return this.subscription(subscriptionId)?.resourceGroups.get(name.toLowerCase());
  }

  assignRole(assignment: RoleAssignment): void {
    this.roleAssignments.push(assignment);
  }

  /** Removes every assignment of the principal (optionally only at one scope). */
  revokeRoles(principalId: string, scope?: string): void {
    for (let i = this.roleAssignments.length - 1; i >= 0; i--) {
      const a = this.roleAssignments[i];
      if (a.principalId.toLowerCase() === principalId.toLowerCase() && (!scope || a.scope.toLowerCase() === scope.toLowerCase())) {
        this.roleAssignments.splice(i, 1);
      }
    }
  }

  /** True when one of the principal's role assignments at or above `scope` allows `action`. */
  isAllowed(principal: Principal, action: string, scope: string): boolean {
    const ids = [principal.clientId.toLowerCase(), principal.objectId.toLowerCase()];
    const target = scope.toLowerCase();
    return this.roleAssignments.some((a) => {
      if (!ids.includes(a.principalId.toLowerCase())) return false;
      const s = a.scope.toLowerCase().replace(/\/+$/, "");
      if (!(target === s || target.startsWith(`${s}/`))) return false;
      return roleAllows(a.role, action);
    });
  }
}

/** What each built-in role allows, by action (a simplified reading of the built-in role definitions). */
export function roleAllows(role: BuiltInRole, action: string): boolean {
  const a = action.toLowerCase();
  const isRead = a.endsWith("/read");
  switch (role) {
    case "Owner":
    case "Contributor":
      return true;
    case "Reader":
      return isRead;
    case "Data Factory Contributor":
      return isRead || a.startsWith("microsoft.datafactory/");
    case "AzureML Data Scientist":
      return (
        isRead ||
        (a.startsWith("microsoft.machinelearningservices/workspaces/") &&
          !a.startsWith("microsoft.machinelearningservices/workspaces/computes/write") &&
          !a.startsWith("microsoft.machinelearningservices/workspaces/write"))
      );
    case "Azure Kubernetes Service Cluster User Role":
      return isRead || a === "microsoft.containerservice/managedclusters/listclusterusercredential/action";
  }
}

// ---------------------------------------------------------------------------------------------
// Time: scripted durations are divided by the time scale, so a "10 minute" run can take 6 s.

export class Clock {
  constructor(public timeScale = 1) {}

  /** Real milliseconds for a scripted (virtual) duration. */
  realMs(virtualMs: number): number {
    return virtualMs / this.timeScale;
  }

  /** Virtual milliseconds elapsed for a real duration (for durations reported to clients). */
  virtualMs(realMs: number): number {
    return realMs * this.timeScale;
  }

  now(): number {
    return Date.now();
  }
}

// ---------------------------------------------------------------------------------------------
// Long-running operations: status documents for Azure-AsyncOperation / Location polling.

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export interface Operation {
  id: string;
  status: OperationStatus;
  error?: ArmErrorDetail;
  startTime: string;
  endTime?: string;
  /** Resource id the operation works on (for the Location result). */
  resourceId?: string;
}

export class Operations {
  private readonly ops = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly clock: Clock) {}

  /**
   * Starts an operation that ends after `durationMs` (virtual) by calling `complete`, whose
   * result (undefined = success) is the operation's outcome.
   */
  start(options: { durationMs: number; resourceId?: string; complete: () => ArmErrorDetail | undefined | void }): Operation {
    const op: Operation = { id: randomUUID(), status: "InProgress", startTime: new Date().toISOString(), resourceId: options.resourceId };
    this.ops.set(op.id, op);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (op.status !== "InProgress") return;
      const error = options.complete();
      op.status = error ? "Failed" : "Succeeded";
      if (error) op.error = error;
      op.endTime = new Date().toISOString();
    }, this.clock.realMs(options.durationMs));
    this.timers.add(timer);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  /** The status document an Azure-AsyncOperation URL answers. */
  statusBody(op: Operation): Record<string, unknown> {
    return {
      id: op.id,
      name: op.id,
      status: op.status,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(op.error ? { error: op.error } : {}),
    };
  }

  /** Stops pending timers (emulator stop/reset). */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// What a resource-provider module gets, and what it gives back.

export interface BlobAccount {
  /** e.g. https://127.0.0.1:<port>/devstoreaccount1 */
  endpoint: string;
  accountName: string;
  accountKey: string;
}

export interface EmulatorContext {
  router: Router;
  world: World;
  clock: Clock;
  operations: Operations;
  /** https://127.0.0.1:<port> (no trailing slash): ARM, identity and the control API share it. */
  baseUrl: () => string;
  /** The Azurite account, when the emulator started Azurite. */
  blob: () => BlobAccount | undefined;
}

/** A resource-provider module: registers its routes, and resets its state between scenarios. */
export interface EmulatorModule {
  register(ctx: EmulatorContext): void;
  /** Forget every resource and script (the emulator re-seeds defaults after reset). */
  reset(): void;
  /** Stop timers (emulator stop). */
  dispose(): void;
}

/** ARM resource id helpers. */
export function resourceGroupId(subscriptionId: string, resourceGroupName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}`;
}

export function systemData(createdBy = "emulator"): Record<string, string> {
  const now = new Date().toISOString();
  return { createdAt: now, createdBy, createdByType: "Application", lastModifiedAt: now, lastModifiedBy: createdBy, lastModifiedByType: "Application" };
}
