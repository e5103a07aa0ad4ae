/**
 * Test-only helpers for driving the emulator in-process with the real SDKs. The CA is handed to
 * each client explicitly (`tlsOptions.ca` for Azure SDK clients and credentials — the
 * credentials' MSAL traffic goes through the same pipeline —, an https.Agent for storage and raw
 * requests, `cert.caFile` for azure-devops-node-api), because NODE_EXTRA_CA_CERTS is only read
 * when a process starts; end-to-end tests that spawn processes set NODE_EXTRA_CA_CERTS instead.
 */
import { request as httpsRequest, Agent } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import type { TokenCredential } from "@azure/core-auth";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import {
  AzurePipelinesCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { BlobServiceClient, StorageSharedKeyCredential, newPipeline, type RequestPolicyFactory } from "@azure/storage-blob";
import type { Emulator } from "./index";

export type CredentialKind = "secret" | "certificate" | "federated" | "managedIdentity";

export function credentialOptions(emu: Emulator) {
  return { authorityHost: emu.authorityHost, disableInstanceDiscovery: true, tlsOptions: { ca: emu.caCertPem } };
}

/** Runs `fn` (sync or async) with environment variables set, restoring the previous values when it ends. */
export function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const restore = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/**
 * A credential of each kind, as a task would build it. Managed identity reads IDENTITY_ENDPOINT /
 * IDENTITY_HEADER when it asks for a token, so the caller keeps them set (see `managedIdentityEnv`).
 */
export function credential(emu: Emulator, kind: CredentialKind, overrides: { serviceConnectionId?: string } = {}): TokenCredential {
  const options = credentialOptions(emu);
  const ids = emu.identities;
  switch (kind) {
    case "secret":
      return new ClientSecretCredential(emu.tenantId, ids.secret.clientId, ids.secret.clientSecret, options);
    case "certificate":
      return new ClientCertificateCredential(emu.tenantId, ids.certificate.clientId, { certificate: ids.certificate.certificatePem }, options);
    case "federated":
      return withEnv(
        { SYSTEM_OIDCREQUESTURI: emu.devops.oidcRequestUri },
        () =>
          new AzurePipelinesCredential(
            emu.tenantId,
            ids.federated.clientId,
            overrides.serviceConnectionId ?? ids.federated.serviceConnectionId,
            emu.devops.systemAccessToken,
            options,
          ),
      );
    case "managedIdentity":
      return new ManagedIdentityCredential({ tlsOptions: options.tlsOptions });
  }
}

export function managedIdentityEnv(emu: Emulator): Record<string, string> {
  return { IDENTITY_ENDPOINT: emu.identities.managedIdentity.identityEndpoint, IDENTITY_HEADER: emu.identities.managedIdentity.identityHeader };
}

export function assertionCredential(emu: Emulator, clientId: string, getAssertion: () => Promise<string>): ClientAssertionCredential {
  return new ClientAssertionCredential(emu.tenantId, clientId, getAssertion, credentialOptions(emu));
}

export function mlClient(
  emu: Emulator,
  cred: TokenCredential,
  options: { subscriptionId?: string; maxRetries?: number; retryDelayInMs?: number } = {},
): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(cred, options.subscriptionId ?? emu.subscriptionId, {
    endpoint: emu.url,
    credentialScopes: [`${emu.armAudience}.default`],
    tlsOptions: { ca: emu.caCertPem },
    retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: options.retryDelayInMs ?? 50, maxRetryDelayInMs: 2000 },
  });
}

/**
 * A storage pipeline on the emulator's Azurite account (shared key) whose requests trust the
 * emulator's CA through `agent` (a per-request agent: nothing global is touched).
 */
export function trustingStoragePipeline(emu: Pick<Emulator, "blob">, agent: Agent, maxTries = 2): ReturnType<typeof newPipeline> {
  if (!emu.blob) throw new Error("the emulator runs without Azurite");
  const pipeline = newPipeline(new StorageSharedKeyCredential(emu.blob.accountName, emu.blob.accountKey), { retryOptions: { maxTries } });
  const trust: RequestPolicyFactory = {
    create: (next) => ({
      sendRequest: (request) => {
        (request as unknown as { agent: Agent }).agent = agent;
        return next.sendRequest(request);
      },
    }),
  };
  pipeline.factories.push(trust);
  return pipeline;
}

/** A BlobServiceClient on the emulator's Azurite account (shared key), trusting the emulator CA. */
export function blobService(emu: Emulator): { service: BlobServiceClient; close: () => void } {
  const agent = new Agent({ ca: emu.caCertPem });
  return { service: new BlobServiceClient(emu.blob!.endpoint, trustingStoragePipeline(emu, agent, 1)), close: () => agent.destroy() };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** One HTTPS request to the emulator (no keep-alive), trusting its CA. */
export function raw(
  emu: Pick<Emulator, "url" | "caCertPem">,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const url = new URL(path, emu.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, ca: emu.caCertPem, agent: false, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A bearer token for ARM from a credential. */
export async function armToken(emu: Emulator, cred: TokenCredential): Promise<string> {
  const t = await cred.getToken(`${emu.armAudience}.default`);
  if (!t) throw new Error("no token");
  return t.token;
}

export function workspacePath(emu: Emulator, suffix = ""): string {
  return `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/ml_workspace${suffix}`;
}
