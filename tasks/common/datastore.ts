/**
 * A workspace datastore as the Azure ML CLI v2 uses it for local uploads: which blob container it
 * is, how to authenticate to it, and the upload of a hashed local file or folder
 * (contentHash.hashLocalArtifact) to `LocalUpload/<md5>/...` in it.
 *
 * - Credentials: `listSecrets` (account key or SAS) for datastores that hold secrets; for
 *   identity-based datastores (credentials type `None`, or service principal ones whose secret
 *   the caller does not need) the service connection's own token, for the storage scope.
 * - URL: `<protocol>://<account>.blob.<suffix>/<container>`, or IP-style
 *   `<protocol>://<host:port>/<account>/<container>` when the suffix is an IP address or
 *   `localhost` (the storage SDK's own rule; this is how Azurite is reached).
 * - Upload: small files (up to 4 MiB) sent from one buffer read at once (no stat and stream per
 *   file); larger files streamed from disk (block uploads read ranges of the file, never the
 *   whole file); several files and several blocks of a large file at once, progress lines for
 *   large uploads. The CLI's indicator blob (the first file) gets
 *   `upload_status=completed` metadata last: an upload it marks is skipped, an interrupted one
 *   (no marker) is redone.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { AzureMachineLearningWorkspaces, AzureBlobDatastore, Datastore } from "@azure/arm-machinelearning";
import { AnonymousCredential, ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { StoragePipelineOptions } from "@azure/storage-blob";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { USER_AGENT_PREFIX } from "./armClients";
import { asAzureOperationError } from "./armErrors";
import type { AzureConnection } from "./connection";
import type { LocalArtifact, UploadFile } from "./contentHash";
import type { Loc } from "./loc";
import { AzureOperationError, CancelledError } from "./errors";
import type { TaskLog } from "./logging";
import { type AgentNetwork, proxyFor } from "./agentNetwork";
import { registerSecret } from "./secrets";
import { isNotFound, statusOf } from "./restErrors";
import { BLOB_TRY_TIMEOUT_IN_MS } from "./requestLimits";

/** The blob container behind a datastore, with what it takes to write to it. */
export interface DatastoreTarget {
  datastoreName: string;
  accountName: string;
  containerName: string;
  /** `https://<acct>.blob.<suffix>/<container>`, IP-style for loopback `host:port` suffixes. */
  containerUrl: string;
  /** Account key, or the connection's token credential (storage scope). For a SAS: AnonymousCredential plus `sasToken`. */
  credential: StorageSharedKeyCredential | TokenCredential | AnonymousCredential;
  /** Only for SAS datastores: the token (without `?`), appended to every request URL. */
  sasToken?: string;
  /** Proxy, retry and user-agent settings for the storage client (from the connection). */
  pipelineOptions?: StoragePipelineOptions;
}

export interface DatastoreRef {
  resourceGroupName: string;
  workspaceName: string;
  /** Default: the workspace's default datastore. */
  datastoreName?: string;
}

/** What resolveDatastore needs of the connection. */
export type DatastoreConnection = Pick<AzureConnection, "credential" | "network">;

/** What the datastore functions take of the operation context (operation.ts). */
export interface DatastoreContext {
  abortSignal: AbortSignal;
  loc: Loc;
}

/** Finds the datastore, checks it is blob storage, and gets a credential for it. */
export async function resolveDatastore(
  ml: AzureMachineLearningWorkspaces,
  ref: DatastoreRef,
  conn: DatastoreConnection,
  ctx: DatastoreContext,
): Promise<DatastoreTarget> {
  const { abortSignal, loc } = ctx;
  const context = { resourceGroupName: ref.resourceGroupName };
  let ds: Datastore;
  try {
    if (ref.datastoreName) {
      ds = await ml.datastores.get(ref.resourceGroupName, ref.workspaceName, ref.datastoreName, { abortSignal });
    } else {
      const found = await firstDefault(ml, ref, abortSignal);
      if (!found) {
        throw new AzureOperationError(loc("Common_NoDefaultDatastore", ref.workspaceName));
      }
      ds = found;
    }
  } catch (err) {
    if (err instanceof AzureOperationError) throw err;
    throw asAzureOperationError(err, loc, {
      resource: ref.datastoreName ? `datastore '${ref.datastoreName}' of workspace '${ref.workspaceName}'` : `workspace '${ref.workspaceName}'`,
      ...context,
    });
  }
  const name = ds.name ?? ref.datastoreName ?? "";
  const props = ds.properties as Partial<AzureBlobDatastore>;
  if (props.datastoreType !== "AzureBlob" || !props.accountName || !props.containerName) {
    throw new AzureOperationError(loc("Common_DatastoreNotBlob", name, ref.workspaceName, String(props.datastoreType)));
  }
  const containerUrl = blobContainerUrl({
    accountName: props.accountName,
    endpoint: props.endpoint,
    protocol: props.protocol,
    containerName: props.containerName,
  });
  const base = {
    datastoreName: name,
    accountName: props.accountName,
    containerName: props.containerName,
    containerUrl,
    pipelineOptions: storagePipelineOptions(conn.network, containerUrl),
  };
  const credentialsType = props.credentials?.credentialsType;
  if (credentialsType !== "AccountKey" && credentialsType !== "Sas") {
    // Identity-based access: the caller's own token for storage (needs Storage Blob Data Contributor).
    return { ...base, credential: conn.credential };
  }
  let secrets;
  try {
    secrets = await ml.datastores.listSecrets(ref.resourceGroupName, ref.workspaceName, name, { abortSignal });
  } catch (err) {
    throw asAzureOperationError(err, loc, { resource: `datastore '${name}' of workspace '${ref.workspaceName}'`, ...context });
  }
  // Every secret the answer holds (key, SAS, client secret, certificate), before anything can print it.
  for (const [field, value] of Object.entries(secrets)) if (field !== "secretsType" && typeof value === "string") registerSecret(value.replace(/^\?/, ""));
  if (secrets.secretsType === "AccountKey" && "key" in secrets && secrets.key) {
    return { ...base, credential: new StorageSharedKeyCredential(props.accountName, secrets.key) };
  }
  if (secrets.secretsType === "Sas" && "sasToken" in secrets && secrets.sasToken) {
    return { ...base, credential: new AnonymousCredential(), sasToken: String(secrets.sasToken).replace(/^\?/, "") };
  }
  return { ...base, credential: conn.credential };
}

async function firstDefault(ml: AzureMachineLearningWorkspaces, ref: DatastoreRef, abortSignal: AbortSignal): Promise<Datastore | undefined> {
  for await (const d of ml.datastores.list(ref.resourceGroupName, ref.workspaceName, { isDefault: true, abortSignal })) return d;
  return undefined;
}

/**
 * The container URL of a blob datastore. `endpoint` is the storage suffix (`core.windows.net`);
 * when it is an IP address or `localhost` (with or without a port) the URL is IP-style.
 */
export function blobContainerUrl(ds: { accountName: string; containerName: string; endpoint?: string | null; protocol?: string | null }): string {
  const suffix = ds.endpoint || "core.windows.net";
  const protocol = (ds.protocol || "https").replace(/:$/, "");
  const hostname = new URL(`${protocol}://${suffix}`).hostname.replace(/^\[|\]$/g, "");
  const ipStyle = isIP(hostname) !== 0 || hostname.toLowerCase() === "localhost";
  const account = encodeURIComponent(ds.accountName);
  const container = encodeURIComponent(ds.containerName);
  return ipStyle ? `${protocol}://${suffix}/${account}/${container}` : `${protocol}://${account}.blob.${suffix}/${container}`;
}

/** Storage client options: the agent's proxy (unless bypassed for this URL) and retries. */
export function storagePipelineOptions(network: AgentNetwork | undefined, url: string): StoragePipelineOptions {
  const proxy = network ? proxyFor(network, url) : undefined;
  return {
    ...(proxy ? { proxyOptions: proxy } : {}),
    // tryTimeoutInMs: a blob request (one block at most) that stalls fails and is retried (requestLimits.ts).
    retryOptions: { maxTries: 5, retryDelayInMs: 1000, maxRetryDelayInMs: 30000, tryTimeoutInMs: BLOB_TRY_TIMEOUT_IN_MS },
    userAgentOptions: { userAgentPrefix: USER_AGENT_PREFIX },
  };
}

/** A container client for the target (the SAS, if any, in the URL). */
export function containerClientOf(target: DatastoreTarget): ContainerClient {
  const url = target.sasToken ? `${target.containerUrl}?${target.sasToken}` : target.containerUrl;
  return new ContainerClient(url, target.credential, target.pipelineOptions);
}

// ---------------------------------------------------------------------------------------------
// Upload

/** Metadata the CLI writes on the indicator blob when an upload is complete. */
export const UPLOAD_STATUS_KEY = "upload_status";
export const UPLOAD_STATUS_COMPLETED = "completed";

export interface UploadArtifactOptions {
  abortSignal: AbortSignal;
  log: TaskLog;
  loc: Loc;
  /** Files uploaded at the same time (default 8). */
  concurrency?: number;
  /** `name`/`version` recorded on the indicator blob, as the CLI does (default: the upload hash, "1"). */
  assetName?: string;
  assetVersion?: string;
  /** Block size for large files (default 8 MiB); files up to 4 blocks go in one request. */
  blockSizeInBytes?: number;
  /** Blocks of one file sent at the same time (default 4). */
  blockConcurrency?: number;
  /** Progress lines when the upload is at least this large (default 64 MiB) or has at least 200 files. */
  progressThresholdInBytes?: number;
  /** Minimum time between progress lines (default 5 s). */
  progressIntervalInMs?: number;
}

export interface UploadArtifactResult {
  /** false: the indicator blob already said `upload_status=completed`, nothing was sent. */
  uploaded: boolean;
  files: number;
  bytes: number;
  /** Metadata of the indicator blob (existing when skipped, written when uploaded). */
  indicatorMetadata?: Record<string, string>;
}

const MiB = 1024 * 1024;
/** Files up to this size are read into one buffer and sent in one request. */
const SMALL_FILE_BYTES = 4 * MiB;

/** Uploads the artifact's files (unless already complete), then marks the indicator blob. */
export async function uploadArtifact(target: DatastoreTarget, artifact: LocalArtifact, options: UploadArtifactOptions): Promise<UploadArtifactResult> {
  const { abortSignal, log, loc } = options;
  const container = containerClientOf(target);
  const where = loc("Common_UploadTarget", target.containerName, target.accountName, target.datastoreName);
  const indicator = container.getBlockBlobClient(artifact.indicatorBlobName);
  const existing = await guard(() => indicatorMetadata(indicator, abortSignal), where, options);
  if (existing?.[UPLOAD_STATUS_KEY] === UPLOAD_STATUS_COMPLETED) {
    log.info(loc("Common_AlreadyUploaded", artifact.baseName, target.datastoreName, artifact.blobPrefix));
    return { uploaded: false, files: artifact.files.length, bytes: artifact.totalSizeInBytes, indicatorMetadata: existing };
  }

  const started = Date.now();
  const progress = new UploadProgress(artifact, options, log);
  log.info(loc("Common_Uploading", artifact.files.length, formatBytes(artifact.totalSizeInBytes), target.datastoreName, artifact.blobPrefix));
  const blockSize = options.blockSizeInBytes ?? 8 * MiB;
  // One shared cursor (not Array.shift on a copy: O(n) per file for 10,000 files).
  const files = artifact.files;
  let next = 0;
  const worker = async () => {
    for (let file = files[next++]; file; file = files[next++]) {
      abortSignal.throwIfAborted();
      await uploadOne(container, file, { abortSignal, blockSize, blockConcurrency: options.blockConcurrency ?? 4, progress });
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, artifact.files.length)) }, worker);
  await guard(() => settleAll(workers), where, options);

  const metadata = { [UPLOAD_STATUS_KEY]: UPLOAD_STATUS_COMPLETED, name: options.assetName ?? artifact.uploadHash, version: options.assetVersion ?? "1" };
  await guard(() => indicator.setMetadata(metadata, { abortSignal }), where, options);
  progress.done();
  log.info(loc("Common_Uploaded", artifact.files.length, formatBytes(artifact.totalSizeInBytes), ((Date.now() - started) / 1000).toFixed(1)));
  return { uploaded: true, files: artifact.files.length, bytes: artifact.totalSizeInBytes, indicatorMetadata: metadata };
}

/**
 * The model URI the CLI registers for an upload:
 * `azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/LocalUpload/<md5>/<name>`
 * (lower-case `resourcegroups`, as the CLI writes it).
 */
export function uploadedModelUri(
  ref: { subscriptionId: string; resourceGroupName: string; workspaceName: string; datastoreName: string },
  artifact: Pick<LocalArtifact, "blobPrefix">,
): string {
  return `azureml://subscriptions/${ref.subscriptionId}/resourcegroups/${ref.resourceGroupName}/workspaces/${ref.workspaceName}/datastores/${ref.datastoreName}/paths/${artifact.blobPrefix}`;
}

/** Rewrites the indicator blob's `name`/`version` metadata (the CLI does it once the version is known). */
export async function markIndicator(
  target: DatastoreTarget,
  artifact: LocalArtifact,
  asset: { name: string; version: string },
  ctx: DatastoreContext,
): Promise<void> {
  const { abortSignal } = ctx;
  const where = ctx.loc("Common_UploadTarget", target.containerName, target.accountName, target.datastoreName);
  const indicator = containerClientOf(target).getBlockBlobClient(artifact.indicatorBlobName);
  await guard(
    () => indicator.setMetadata({ [UPLOAD_STATUS_KEY]: UPLOAD_STATUS_COMPLETED, name: asset.name, version: asset.version }, { abortSignal }),
    where,
    ctx,
  );
}

async function indicatorMetadata(
  blob: ReturnType<ContainerClient["getBlockBlobClient"]>,
  abortSignal: AbortSignal,
): Promise<Record<string, string> | undefined> {
  try {
    const props = await blob.getProperties({ abortSignal });
    return props.metadata ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function uploadOne(
  container: ContainerClient,
  file: UploadFile,
  options: { abortSignal: AbortSignal; blockSize: number; blockConcurrency: number; progress: UploadProgress },
): Promise<void> {
  const blob = container.getBlockBlobClient(file.blobName);
  if (file.sizeInBytes <= SMALL_FILE_BYTES) {
    const body = readFileSync(file.localPath);
    await blob.upload(body, body.length, { abortSignal: options.abortSignal });
    options.progress.add(body.length);
    options.progress.fileDone();
    return;
  }
  let reported = 0;
  // uploadFile reads each block with its own fs.createReadStream(start, end): memory stays at
  // blockSize × blockConcurrency per file, whatever the file size.
  await blob.uploadFile(file.localPath, {
    abortSignal: options.abortSignal,
    blockSize: options.blockSize,
    maxSingleShotSize: options.blockSize * 4,
    concurrency: options.blockConcurrency,
    onProgress: (p) => {
      // Block uploads report per block; a retried block may report again, so only count growth.
      const loaded = Math.min(p.loadedBytes, file.sizeInBytes);
      if (loaded > reported) {
        options.progress.add(loaded - reported);
        reported = loaded;
      }
    },
  });
  if (reported < file.sizeInBytes) options.progress.add(file.sizeInBytes - reported);
  options.progress.fileDone();
}

/** Runs all, waits for all (so no upload is left running), rethrows the first failure. */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Storage errors → AzureOperationError naming the container and the fix; aborts → CancelledError. */
async function guard<T>(fn: () => Promise<T>, where: string, { abortSignal, loc }: DatastoreContext): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (abortSignal.aborted) throw abortSignal.reason instanceof Error ? abortSignal.reason : new CancelledError(loc("Common_UploadCancelled"));
    if (err instanceof AzureOperationError || err instanceof CancelledError) throw err;
    throw storageError(err, where, loc);
  }
}

export function storageError(err: unknown, where: string, loc: Loc): AzureOperationError {
  const e = err as {
    code?: string;
    message?: string;
    request?: { requestId?: string };
    response?: { headers?: { get(n: string): string | undefined } };
  };
  const status = statusOf(err);
  const requestId = e.response?.headers?.get("x-ms-request-id");
  let message: string;
  if (status === 403 || e.code === "AuthorizationPermissionMismatch" || e.code === "AuthenticationFailed") {
    message = loc("Common_StorageDenied", where, e.code ?? status);
  } else if (status === 404 && e.code === "ContainerNotFound") {
    message = loc("Common_ContainerNotFound", where);
  } else {
    message = loc("Common_UploadFailed", where, `${e.code ? `${e.code}: ` : ""}${firstLine(e.message ?? String(err))}`);
  }
  return new AzureOperationError(message, { code: e.code, statusCode: status, requestId, cause: err });
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0];
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Counts bytes and files and prints a line now and then for large uploads. */
class UploadProgress {
  private bytes = 0;
  private files = 0;
  private lastLineAt = Date.now();
  private readonly enabled: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly artifact: LocalArtifact,
    private readonly options: UploadArtifactOptions,
    private readonly log: TaskLog,
  ) {
    this.enabled = artifact.totalSizeInBytes >= (options.progressThresholdInBytes ?? 64 * MiB) || artifact.files.length >= 200;
  }

  add(bytes: number): void {
    this.bytes += bytes;
    this.maybePrint();
  }

  fileDone(): void {
    this.files++;
    this.maybePrint();
  }

  done(): void {
    if (this.enabled) this.print();
  }

  private maybePrint(): void {
    if (!this.enabled) return;
    if (Date.now() - this.lastLineAt < (this.options.progressIntervalInMs ?? 5000)) return;
    this.print();
  }

  private print(): void {
    this.lastLineAt = Date.now();
    const total = this.artifact.totalSizeInBytes;
    const pct = total > 0 ? Math.floor((this.bytes / total) * 100) : Math.floor((this.files / this.artifact.files.length) * 100);
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? formatBytes(this.bytes / seconds) : "-";
    this.log.info(this.options.loc("Common_UploadProgress", pct, formatBytes(this.bytes), formatBytes(total), this.files, this.artifact.files.length, rate));
  }
}
