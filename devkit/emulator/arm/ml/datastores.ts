/**
 * Datastores: list (isDefault, names, searchText, count, orderBy), get, createOrUpdate, delete,
 * listSecrets; and the blob container behind an AzureBlob datastore, created in Azurite.
 *
 * Azurite is IP-style, so the default datastore's `endpoint` is Azurite's `host:port` (the
 * storage "suffix" of this cloud) with `protocol: https`: a client applying the rule "loopback
 * suffix → https://<host:port>/<account>" reaches the same account the emulator created.
 */
import { Agent } from "node:https";
import { BlobServiceClient, StorageSharedKeyCredential, newPipeline } from "@azure/storage-blob";
import type { RequestPolicy, RequestPolicyFactory, WebResource } from "@azure/storage-blob";
import type { BlobAccount, EmuRequest } from "../../framework";
import { checkBody } from "../../framework";
import type { WorkspaceRef } from "./common";
import { PROVIDER, bodyObject, clone, notFound, ok, page, stampSystemData, userError, workspaceResourceId } from "./common";
import { datastoreSchema } from "./schemas";
import type { DatastoreRecord, MlService, WorkspaceState } from "./state";
import { storageAccountName } from "./workspaces";

const ACTION = "Microsoft.MachineLearningServices/workspaces/datastores";
export const DEFAULT_DATASTORE = "workspaceblobstore";
/** The well-known Azurite key, used as a placeholder when Azurite is not running. */
const PLACEHOLDER_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function datastoreBody(ws: WorkspaceRef, ds: DatastoreRecord): Record<string, unknown> {
  return {
    id: `${workspaceResourceId(ws)}/datastores/${ds.name}`,
    name: ds.name,
    type: `${PROVIDER}/workspaces/datastores`,
    properties: { ...clone(ds.properties), isDefault: ds.isDefault },
    systemData: ds.systemData,
  };
}

/** Storage suffix and protocol of the blob service datastores point at. */
export function blobEndpoint(blob: BlobAccount | undefined): { endpoint: string; protocol: string } {
  if (!blob) return { endpoint: "127.0.0.1:10000", protocol: "https" };
  const url = new URL(blob.endpoint);
  return { endpoint: url.host, protocol: url.protocol.replace(":", "") };
}

export interface SeedDatastoreOptions {
  name: string;
  /** "AccountKey" (the Azurite key) or "None" (identity-based access). Default AccountKey. */
  credentialsType?: "AccountKey" | "None";
  containerName?: string;
  isDefault?: boolean;
  description?: string;
}

/** Creates (or replaces) an AzureBlob datastore on the emulator's blob account. */
export function seedDatastore(ml: MlService, ws: WorkspaceState, options: SeedDatastoreOptions): DatastoreRecord {
  const blob = ml.ctx.blob();
  const credentialsType = options.credentialsType ?? "AccountKey";
  const ds: DatastoreRecord = {
    name: options.name,
    isDefault: options.isDefault ?? false,
    systemData: stampSystemData(undefined),
    properties: {
      description: options.description ?? null,
      tags: {},
      properties: {},
      datastoreType: "AzureBlob",
      credentials: { credentialsType },
      accountName: storageAccountName(ml),
      containerName: options.containerName ?? `azureml-blobstore-${ws.workspaceId}`,
      ...blobEndpoint(blob),
      serviceDataAccessAuthIdentity: credentialsType === "None" ? "WorkspaceSystemAssignedIdentity" : "None",
    },
    ...(credentialsType === "AccountKey" ? { secrets: { secretsType: "AccountKey", key: blob?.accountKey ?? PLACEHOLDER_KEY } } : {}),
  };
  if (ds.isDefault) for (const other of ws.datastores.values()) other.isDefault = false;
  ws.datastores.set(ds.name.toLowerCase(), ds);
  return ds;
}

/** Creates blob containers in Azurite (once each), trusting the emulator's CA explicitly. */
export class BlobContainers {
  private readonly created = new Map<string, Promise<boolean>>();

  constructor(private readonly caCertPem: () => string | undefined) {}

  /**
   * Ensures the container exists; resolves true when it does, false when Azurite is not running
   * or could not be reached (a later call tries again).
   */
  ensure(blob: BlobAccount | undefined, containerName: string, options: { abortSignal?: AbortSignal } = {}): Promise<boolean> {
    if (!blob) return Promise.resolve(false);
    const key = `${blob.endpoint}|${containerName}`;
    let pending = this.created.get(key);
    if (!pending) {
      pending = this.create(blob, containerName, options.abortSignal).then(
        () => true,
        () => {
          this.created.delete(key);
          return false;
        },
      );
      this.created.set(key, pending);
    }
    return pending;
  }

  reset(): void {
    this.created.clear();
  }

  private async create(blob: BlobAccount, containerName: string, abortSignal?: AbortSignal): Promise<void> {
    const ca = this.caCertPem();
    const agent = ca ? new Agent({ ca, keepAlive: false }) : undefined;
    const pipeline = newPipeline(new StorageSharedKeyCredential(blob.accountName, blob.accountKey), {
      retryOptions: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
    });
    // Trust the emulator's CA for these requests only (a per-request agent, not the process).
    const trust: RequestPolicyFactory = {
      create: (next: RequestPolicy): RequestPolicy => ({
        sendRequest: (request: WebResource) => {
          if (agent) (request as WebResource & { agent?: Agent }).agent = agent;
          return next.sendRequest(request);
        },
      }),
    };
    pipeline.factories.push(trust);
    const service = new BlobServiceClient(blob.endpoint, pipeline);
    try {
      await service.getContainerClient(containerName).createIfNotExists({ abortSignal });
    } finally {
      agent?.destroy();
    }
  }
}

export function registerDatastoreRoutes(ml: MlService, containers: BlobContainers): void {
  ml.wsRoute("GET", "/datastores", `${ACTION}/read`, (req, ws) => listDatastores(ml, req, ws));

  ml.wsRoute("GET", "/datastores/:name", `${ACTION}/read`, (req, ws) => {
    const ds = ws.datastores.get(req.params.name.toLowerCase());
    return ds ? ok(datastoreBody(ws, ds)) : notFound("Datastore", req.params.name, ws);
  });

  ml.wsRoute("PUT", "/datastores/:name", `${ACTION}/write`, (req, ws) => {
    const invalid = checkBody(req.body, datastoreSchema);
    if (invalid) return invalid;
    const props = clone(bodyObject(req)!.properties as Record<string, unknown>);
    const credentials = props.credentials as Record<string, unknown>;
    const { secrets, ...publicCredentials } = credentials;
    delete props.isDefault;
    props.credentials = publicCredentials;
    const key = req.params.name.toLowerCase();
    const existing = ws.datastores.get(key);
    if (existing && (existing.properties.datastoreType as string) !== props.datastoreType) {
      return userError(
        400,
        `Datastore '${existing.name}' is of type ${String(existing.properties.datastoreType)}; its type cannot be changed to ${String(props.datastoreType)}.`,
      );
    }
    const ds: DatastoreRecord = {
      name: existing?.name ?? req.params.name,
      isDefault: existing?.isDefault ?? false,
      properties: props,
      ...(secrets ? { secrets: clone(secrets as Record<string, unknown>) } : {}),
      systemData: stampSystemData(req, existing?.systemData),
    };
    ws.datastores.set(key, ds);
    return ok(datastoreBody(ws, ds), existing ? 200 : 201);
  });

  ml.wsRoute("DELETE", "/datastores/:name", `${ACTION}/delete`, (req, ws) => {
    const key = req.params.name.toLowerCase();
    const ds = ws.datastores.get(key);
    if (!ds) return { status: 204 };
    if (ds.isDefault) return userError(400, `Datastore '${ds.name}' is the workspace's default datastore and cannot be deleted.`);
    ws.datastores.delete(key);
    return { status: 200 };
  });

  ml.wsRoute("POST", "/datastores/:name/listSecrets", `${ACTION}/listsecrets/action`, async (req, ws) => {
    const ds = ws.datastores.get(req.params.name.toLowerCase());
    if (!ds) return notFound("Datastore", req.params.name, ws);
    if (!ds.secrets) {
      const type = (ds.properties.credentials as Record<string, unknown>).credentialsType;
      return userError(
        400,
        `Datastore '${ds.name}' uses credentials of type '${String(type)}' (identity-based access) and has no secrets to list. Use an Azure AD token for storage instead.`,
      );
    }
    if (ds.properties.datastoreType === "AzureBlob" && typeof ds.properties.containerName === "string") {
      await containers.ensure(ml.ctx.blob(), ds.properties.containerName);
    }
    return ok(clone(ds.secrets));
  });
}

function listDatastores(ml: MlService, req: EmuRequest, ws: WorkspaceState) {
  let items = [...ws.datastores.values()];
  const isDefault = req.query.get("isDefault");
  if (isDefault !== null) {
    if (!/^(true|false)$/i.test(isDefault)) return userError(400, `The value '${isDefault}' of isDefault is not a boolean.`, "isDefault");
    items = items.filter((d) => d.isDefault === (isDefault.toLowerCase() === "true"));
  }
  const names = req.query
    .getAll("names")
    .flatMap((n) => n.split(","))
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n);
  if (names.length) items = items.filter((d) => names.includes(d.name.toLowerCase()));
  const search = req.query.get("searchText");
  if (search) items = items.filter((d) => d.name.toLowerCase().includes(search.toLowerCase()));
  const orderBy = (req.query.get("orderBy") ?? "createdtime").toLowerCase();
  const asc = (req.query.get("orderByAsc") ?? "false").toLowerCase() === "true";
  const keyOf = (d: DatastoreRecord) =>
    orderBy === "name" ? d.name.toLowerCase() : orderBy === "modifiedtime" ? d.systemData.lastModifiedAt : d.systemData.createdAt;
  items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0) * (asc ? 1 : -1));
  const count = req.query.get("count");
  const size = count ? Number.parseInt(count, 10) : undefined;
  if (count && (!Number.isInteger(size) || size! < 1)) return userError(400, `The value '${count}' of count is not a positive integer.`, "count");
  return page(
    req,
    items.map((d) => datastoreBody(ws, d)),
    { ...ml.pageOptions(), ...(size ? { size } : {}) },
  );
}
