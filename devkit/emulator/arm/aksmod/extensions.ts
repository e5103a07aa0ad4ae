/**
 * Cluster extensions on AKS clusters (Microsoft.KubernetesConfiguration/extensions, 2025-03-01):
 * list, get, create (PUT, LRO with Azure-AsyncOperation, final state via the operation) and
 * delete (202 + Azure-AsyncOperation + Location). The Azure ML extension
 * (Microsoft.AzureML.Kubernetes) is what a Kubernetes compute attach needs. The service answers
 * `extensionType` in lower case.
 */
import { randomUUID } from "node:crypto";
import type { EmuRequest, EmuResponse, Schema } from "../../framework";
import { armError, checkBody, resourceNotFound, systemData } from "../../framework";
import { nextLinkPage } from "../adf/common";
import type { ClusterRecord, ClusterStore, ExtensionRecord } from "./clusters";
import { CLUSTER_PATTERN, clusterNotFound, clusterResourceId } from "./clusters";

export const KC_PROVIDER = "Microsoft.KubernetesConfiguration";
export const EXTENSION_API_VERSIONS = ["2025-03-01", "2024-11-01", "2023-05-01", "2022-11-01"];
export const AZUREML_EXTENSION_TYPE = "Microsoft.AzureML.Kubernetes";
const BASE = `${CLUSTER_PATTERN}/providers/Microsoft.KubernetesConfiguration/extensions`;

/** How extension installs and removals run (virtual ms). */
export interface ExtensionScript {
  /** Duration of create and delete operations (default 10000). */
  durationMs?: number;
  /** Makes the next installs fail with this error. */
  fail?: { code: string; message: string };
}

const stringMap: Schema = { type: "object", nullable: true, additionalProperties: { type: "string" } };
const extensionSchema: Schema = {
  type: "object",
  properties: {
    identity: { type: "object", nullable: true },
    plan: { type: "object", nullable: true },
    properties: {
      type: "object",
      required: true,
      properties: {
        extensionType: { type: "string", required: true },
        autoUpgradeMode: { type: "string", enum: ["none", "patch", "compatible"], nullable: true },
        autoUpgradeMinorVersion: { type: "boolean", nullable: true },
        releaseTrain: { type: "string", nullable: true },
        version: { type: "string", nullable: true },
        scope: {
          type: "object",
          nullable: true,
          properties: {
            cluster: { type: "object", nullable: true, properties: { releaseNamespace: { type: "string", nullable: true } } },
            namespace: { type: "object", nullable: true, properties: { targetNamespace: { type: "string", nullable: true } } },
          },
        },
        configurationSettings: stringMap,
        configurationProtectedSettings: stringMap,
      },
    },
  },
};

export function isAzureMlExtension(e: ExtensionRecord): boolean {
  return e.extensionType.toLowerCase() === AZUREML_EXTENSION_TYPE.toLowerCase();
}

export function extensionBody(c: ClusterRecord, e: ExtensionRecord): Record<string, unknown> {
  return {
    id: `${clusterResourceId(c)}/providers/${KC_PROVIDER}/extensions/${e.name}`,
    name: e.name,
    type: `${KC_PROVIDER}/extensions`,
    systemData: { ...e.systemData },
    identity: { type: "SystemAssigned", principalId: e.principalId },
    properties: {
      ...JSON.parse(JSON.stringify(e.properties)),
      extensionType: e.extensionType.toLowerCase(),
      configurationProtectedSettings: {},
      provisioningState: e.provisioningState,
      statuses: [],
      isSystemExtension: false,
      aksAssignedIdentity: { type: "SystemAssigned", principalId: e.principalId },
    },
  };
}

/** Builds the record of an extension installed in the given state (seeding, or a PUT). */
export function newExtension(name: string, props: Record<string, unknown>, provisioningState: string, by = "emulator"): ExtensionRecord {
  const { configurationProtectedSettings, ...rest } = props;
  const extensionType = String(props.extensionType);
  const version = typeof props.version === "string" ? props.version : isAzureMlExtensionType(extensionType) ? "1.1.62" : "1.0.0";
  return {
    name,
    extensionType,
    properties: {
      autoUpgradeMinorVersion: true,
      releaseTrain: "Stable",
      scope: { cluster: { releaseNamespace: isAzureMlExtensionType(extensionType) ? "azureml" : name } },
      configurationSettings: {},
      ...rest,
      version: props.version ?? null,
      currentVersion: version,
    },
    protectedSettings: (configurationProtectedSettings as Record<string, string> | undefined) ?? {},
    provisioningState,
    principalId: randomUUID(),
    systemData: systemData(by),
  };
}

function isAzureMlExtensionType(t: string): boolean {
  return t.toLowerCase() === AZUREML_EXTENSION_TYPE.toLowerCase();
}

export class ExtensionService {
  script: ExtensionScript = {};

  constructor(private readonly store: ClusterStore) {}

  register(): void {
    const { router } = this.store.ctx;
    const opts = (action: string) => ({ auth: "arm" as const, action: `${KC_PROVIDER}/extensions/${action}`, apiVersions: EXTENSION_API_VERSIONS });
    router.add(
      "GET",
      BASE,
      (req) =>
        this.withCluster(req, (c) =>
          nextLinkPage(
            req,
            [...c.extensions.values()].map((e) => extensionBody(c, e)),
            this.store.pageSize,
            this.store.ctx.baseUrl(),
          ),
        ),
      opts("read"),
    );
    router.add(
      "GET",
      `${BASE}/:extensionName`,
      (req) =>
        this.withCluster(req, (c) => {
          const e = c.extensions.get(req.params.extensionName.toLowerCase());
          return e ? { status: 200, body: extensionBody(c, e) } : this.notFound(req);
        }),
      opts("read"),
    );
    router.add("PUT", `${BASE}/:extensionName`, (req) => this.withCluster(req, (c) => this.put(req, c)), opts("write"));
    router.add("DELETE", `${BASE}/:extensionName`, (req) => this.withCluster(req, (c) => this.delete(req, c)), opts("delete"));
    router.add(
      "GET",
      `${BASE}/:extensionName/operations/:operationId`,
      (req) =>
        this.withCluster(req, () => {
          const op = this.store.ctx.operations.get(req.params.operationId);
          return op
            ? { status: 200, body: this.store.ctx.operations.statusBody(op) }
            : armError(404, "NotFound", `Operation '${req.params.operationId}' was not found.`);
        }),
      opts("read"),
    );
  }

  private withCluster(req: EmuRequest, fn: (c: ClusterRecord) => EmuResponse): EmuResponse {
    const c = this.store.get(req.params.subscriptionId, req.params.resourceGroupName, req.params.resourceName);
    return c ? fn(c) : clusterNotFound(req);
  }

  private notFound(req: EmuRequest): EmuResponse {
    return resourceNotFound(`${KC_PROVIDER}/extensions`, req.params.extensionName, req.params.resourceGroupName);
  }

  private operationHeaders(req: EmuRequest, opId: string): Record<string, string> {
    const base = this.store.ctx.baseUrl();
    const path = req.url.pathname.replace(/\/+$/, "");
    return { "Azure-AsyncOperation": `${base}${path}/operations/${opId}?api-version=${req.query.get("api-version") ?? EXTENSION_API_VERSIONS[0]}` };
  }

  private put(req: EmuRequest, c: ClusterRecord): EmuResponse {
    const invalid = checkBody(req.body, extensionSchema);
    if (invalid) return invalid;
    const props = (req.body as { properties: Record<string, unknown> }).properties;
    const name = req.params.extensionName;
    const existing = c.extensions.get(name.toLowerCase());
    const type = String(props.extensionType);
    if (existing && existing.extensionType.toLowerCase() !== type.toLowerCase()) {
      return armError(
        400,
        "BadRequest",
        `Extension '${name}' already exists with extensionType '${existing.extensionType}'; the extension type cannot be changed.`,
        { target: "properties.extensionType" },
      );
    }
    const scope = props.scope as { namespace?: unknown } | undefined;
    if (isAzureMlExtensionType(type) && scope?.namespace) {
      return armError(
        400,
        "BadRequest",
        "This extension can't be installed only at 'cluster' scope: install Microsoft.AzureML.Kubernetes with a cluster scope.",
        { target: "properties.scope" },
      );
    }
    if (existing && existing.provisioningState !== "Succeeded" && existing.provisioningState !== "Failed") {
      return armError(409, "Conflict", `Extension '${name}' is ${existing.provisioningState}; wait for the operation in progress to finish.`);
    }
    const record = newExtension(name, props, "Creating", req.principal?.clientId);
    c.extensions.set(name.toLowerCase(), record);
    const fail = this.script.fail;
    const op = this.store.ctx.operations.start({
      durationMs: this.script.durationMs ?? 10000,
      resourceId: `${clusterResourceId(c)}/providers/${KC_PROVIDER}/extensions/${name}`,
      complete: () => {
        if (c.extensions.get(name.toLowerCase()) !== record) return undefined;
        record.provisioningState = fail ? "Failed" : "Succeeded";
        if (fail) record.properties.errorInfo = { code: fail.code, message: fail.message };
        return fail ? { code: fail.code, message: fail.message } : undefined;
      },
    });
    return { status: existing ? 200 : 201, headers: this.operationHeaders(req, op.id), body: extensionBody(c, record) };
  }

  private delete(req: EmuRequest, c: ClusterRecord): EmuResponse {
    const key = req.params.extensionName.toLowerCase();
    const e = c.extensions.get(key);
    if (!e) return { status: 204 };
    e.provisioningState = "Deleting";
    const op = this.store.ctx.operations.start({
      durationMs: this.script.durationMs ?? 10000,
      complete: () => {
        if (c.extensions.get(key) === e) c.extensions.delete(key);
        return undefined;
      },
    });
    const headers = this.operationHeaders(req, op.id);
    return { status: 202, headers: { ...headers, Location: headers["Azure-AsyncOperation"] } };
  }
}
