/**
 * Shared pieces of the RegisterModel e2e tests: run the built task against the emulator, read
 * the workspace's blob container in Azurite (trusting the emulator's CA for these requests
 * only), make ARM calls as the test's own identity, and read what the emulator was asked.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Agent, request as httpsRequest } from "node:https";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { Emulator } from "../../../devkit/emulator";
import { trustingStoragePipeline } from "../../../devkit/emulator/testing";
import { emulatorConnection, runTask, type AgentRunResult, type ConnectionScheme } from "../../../devkit/harness/agentRunner";

export const TASK = "RegisterModelV1";
export const WORKSPACE = "ml_workspace";

export function workspacePath(emu: Emulator): string {
  return `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
}

/** Runs the built task with the given inputs (workspace inputs filled in); paths resolve against `workDir`. */
export function runRegister(
  emu: Emulator,
  inputs: Record<string, string>,
  options: { workDir: string; scheme?: ConnectionScheme; variables?: Record<string, string>; timeoutInMs?: number },
): Promise<AgentRunResult> {
  const { connection, env } = emulatorConnection(emu, options.scheme ?? "secret");
  return runTask({
    task: TASK,
    inputs: { azureSubscription: connection.id, resourceGroupName: emu.resourceGroupName, workspaceName: WORKSPACE, ...inputs },
    connection,
    env,
    caCertPath: emu.caCertPath,
    variables: { "System.DefaultWorkingDirectory": options.workDir, ...options.variables },
    timeoutInMs: options.timeoutInMs ?? 120_000,
    // A private build folder (other builds empty build/tasks while tests run); default build/tasks.
  });
}

/** Output variable values of a run. */
export function outputs(r: AgentRunResult): Record<string, string | undefined> {
  return Object.fromEntries(["ModelName", "ModelVersion", "ModelId", "ModelUri"].map((n) => [n, r.variables[n]?.value]));
}

/** The workspace's default blob container (azureml-blobstore-<workspace id>) in Azurite. */
export class WorkspaceBlobs {
  private readonly agent: Agent;
  private readonly service: BlobServiceClient;

  constructor(private readonly emu: Emulator) {
    this.agent = new Agent({ ca: emu.caCertPem, keepAlive: true });
    this.service = new BlobServiceClient(emu.blob!.endpoint, trustingStoragePipeline(emu, this.agent));
  }

  /** The container of the default datastore (a reset makes a new workspace, so a new container). */
  async container(): Promise<ContainerClient> {
    await this.emu.ml.blobContainerReady();
    const ds = await armCall(this.emu, "GET", `${workspacePath(this.emu)}/datastores/workspaceblobstore`);
    if (ds.status !== 200) throw new Error(`cannot read the default datastore: ${JSON.stringify(ds.body)}`);
    return this.service.getContainerClient(ds.body.properties.containerName);
  }

  async names(prefix?: string): Promise<string[]> {
    const container = await this.container();
    const names: string[] = [];
    for await (const b of container.listBlobsFlat(prefix ? { prefix } : {})) names.push(b.name);
    return names.sort();
  }

  /** SHA-256 of a blob, streamed. */
  async sha256(blobName: string): Promise<string> {
    const container = await this.container();
    const download = await container.getBlobClient(blobName).download();
    const h = createHash("sha256");
    for await (const chunk of download.readableStreamBody!) h.update(chunk as Buffer);
    return h.digest("hex");
  }

  async metadata(blobName: string): Promise<Record<string, string> | undefined> {
    const container = await this.container();
    return (await container.getBlobClient(blobName).getProperties()).metadata;
  }

  close(): void {
    this.agent.destroy();
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The blob path of a `.../paths/<blob path>` model URI. */
export function blobPathOf(modelUri: string): string {
  const m = /\/paths\/(.+)$/.exec(modelUri);
  if (!m) throw new Error(`not a datastore URI: ${modelUri}`);
  return m[1];
}

/** Calls ARM on the emulator as the secret identity (token from the emulator's token endpoint). */
export async function armCall(emu: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: emu.identities.secret.clientId,
    client_secret: emu.identities.secret.clientSecret,
    scope: `${emu.armAudience}.default`,
  }).toString();
  const token = await send(emu, "POST", `${emu.authorityHost}/${emu.tenantId}/oauth2/v2.0/token`, form, {
    "content-type": "application/x-www-form-urlencoded",
  });
  const accessToken = (token.body as { access_token: string }).access_token;
  const sep = path.includes("?") ? "&" : "?";
  return send(emu, method, `${emu.url}${path}${sep}api-version=2022-10-01`, body === undefined ? undefined : JSON.stringify(body), {
    authorization: `Bearer ${accessToken}`,
    "content-type": "application/json",
  });
}

function send(emu: Emulator, method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method, headers: { ...headers, ...(body ? { "content-length": Buffer.byteLength(body) } : {}) }, ca: emu.caCertPem },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

/** PUTs of model versions the emulator received. */
export function modelVersionPuts(emu: Emulator, modelName: string) {
  return emu.requests.filter("PUT", new RegExp(`/models/${modelName}/versions/[^/]+$`, "i"));
}

/** Requests that fetch storage credentials (listSecrets): none means no upload was attempted with a key. */
export function listSecretsCalls(emu: Emulator) {
  return emu.requests.filter("POST", /\/datastores\/[^/]+\/listSecrets$/i);
}
