/**
 * Issue 19, finding 12: the ARM token goes to the connection's ARM host only. Two loopback HTTPS
 * servers on different ports: "ARM" (the connection's armUrl) answers a long-running DELETE with
 * `Azure-AsyncOperation` / `Location` headers and a list page with a `nextLink`, all naming the
 * second server, which records the headers it receives. The real SDK clients follow those
 * headers; with armClientOptions the second server never sees an Authorization header, without
 * it (the SDK alone) it does.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { allowTokenOrigin, armClientOptions, armTokenHostPolicy } from "./armClients";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import { createTlsMaterial, type TlsMaterial } from "../../devkit/emulator/tls";

const TOKEN = "arm-token-for-the-arm-host-only";
const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000001";

interface Seen {
  method: string;
  path: string;
  authorization?: string;
}

async function listen(
  tls: TlsMaterial,
  handle: (path: string, method: string) => { status: number; headers?: Record<string, string>; body?: unknown },
  seen: Seen[],
): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization });
      const answer = handle(req.url ?? "", req.method ?? "");
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("issue 19 finding 12: the ARM token is sent to the ARM host only", () => {
  let tls: TlsMaterial;
  let arm: { server: Server; url: string };
  let other: { server: Server; url: string };
  const armSeen: Seen[] = [];
  const otherSeen: Seen[] = [];

  before(async () => {
    tls = await createTlsMaterial();
    other = await listen(
      tls,
      (path) => (/operations/.test(path) ? { status: 200, body: { status: "Succeeded" } } : { status: 200, body: { value: [] } }),
      otherSeen,
    );
    arm = await listen(
      tls,
      (_path, method) => {
        // A long-running DELETE answered as Azure ML answers it (202 + Azure-AsyncOperation + Location), naming the other host.
        if (method === "DELETE")
          return {
            status: 202,
            headers: {
              "azure-asyncoperation": `${other.url}/operations/op1?api-version=2024-04-01`,
              location: `${other.url}/operationResults/op1?api-version=2024-04-01`,
              "retry-after": "0",
            },
          };
        // A list page whose nextLink names the other host.
        return { status: 200, body: { value: [], nextLink: `${other.url}/next-page?api-version=2024-04-01` } };
      },
      armSeen,
    );
  });
  after(async () => {
    await Promise.all([arm, other].map((s) => s && new Promise((resolve) => s.server.close(resolve))));
    tls?.dispose();
  });
  beforeEach(() => {
    armSeen.length = 0;
    otherSeen.length = 0;
  });

  function options(withTaskOptions: boolean) {
    const conn = { cloud: { armUrl: arm.url, armScope: "https://management.azure.com/.default" }, network: {} } as Parameters<typeof armClientOptions>[0];
    const base = withTaskOptions
      ? armClientOptions(conn, { maxRetries: 0 })
      : { endpoint: arm.url, credentialScopes: [conn.cloud.armScope], credentials: { scopes: [conn.cloud.armScope] } };
    return { ...base, tlsOptions: { ca: tls.certPem }, retryOptions: { maxRetries: 0 } };
  }

  async function followBoth(withTaskOptions: boolean): Promise<void> {
    const ml = new AzureMachineLearningWorkspaces(credential, SUBSCRIPTION, options(withTaskOptions));
    await ml.onlineEndpoints.beginDeleteAndWait("rg", "ws", "ep", { updateIntervalInMs: 10 });
    for await (const _ of ml.jobs.list("rg", "ws")) void _;
    const aks = new ContainerServiceClient(credential, SUBSCRIPTION, options(withTaskOptions));
    for await (const _ of aks.managedClusters.list()) void _;
  }

  it("the SDK alone sends the token to whatever host an LRO header or nextLink names (the test can fail)", async () => {
    await followBoth(false);
    assert.ok(otherSeen.length >= 3, JSON.stringify(otherSeen));
    assert.ok(
      otherSeen.some((s) => s.authorization === `Bearer ${TOKEN}`),
      JSON.stringify(otherSeen),
    );
  });

  it("with armClientOptions, the other host gets no Authorization header while the ARM host still gets the token", async () => {
    await followBoth(true);
    assert.ok(
      otherSeen.some((s) => /operations/.test(s.path)),
      "the LRO status was polled on the other host",
    );
    assert.ok(otherSeen.filter((s) => /next-page/.test(s.path)).length >= 2, "both nextLinks were followed (Azure ML and AKS clients)");
    assert.deepEqual(
      otherSeen.filter((s) => s.authorization !== undefined),
      [],
      "the other host received an Authorization header",
    );
    assert.ok(armSeen.length >= 3 && armSeen.every((s) => s.authorization === `Bearer ${TOKEN}`), JSON.stringify(armSeen));
  });

  it("a workspace data plane whose address ARM gave (run history, MLflow) gets the token once allowed, and only that origin", async () => {
    const ml = new AzureMachineLearningWorkspaces(credential, SUBSCRIPTION, options(true));
    const get = (url: string) => ml.sendRequest(createPipelineRequest({ url, method: "GET" }));
    await get(`${other.url}/history/v1.0/before`);
    allowTokenOrigin(ml, `${other.url}/mlflow/v1.0/subscriptions/x`);
    await get(`${other.url}/history/v1.0/after`);
    const evil = `${other.url.replace("127.0.0.1", "localhost")}/history/v1.0/elsewhere`;
    await get(evil).catch(() => undefined);
    assert.deepEqual(
      otherSeen.map((s) => [s.path, s.authorization]),
      [
        ["/history/v1.0/before", undefined],
        ["/history/v1.0/after", `Bearer ${TOKEN}`],
        ["/history/v1.0/elsewhere", undefined],
      ],
    );
  });

  it("an origin is the scheme, host and port: another port, scheme or host drops the header; the ARM origin or an allowed one keeps it", async () => {
    const seen: (string | undefined)[] = [];
    const policy = armTokenHostPolicy("https://management.azure.com/", ["https://westeurope.api.azureml.ms"]);
    const send = async (url: string) => {
      const headers = new Map<string, string>([["authorization", "Bearer t"]]);
      const request = { url, headers: { delete: (n: string) => headers.delete(n.toLowerCase()), get: (n: string) => headers.get(n.toLowerCase()) } };
      await policy.sendRequest(request as never, async () => {
        seen.push(headers.get("authorization"));
        return {} as never;
      });
    };
    for (const url of [
      "https://management.azure.com/subscriptions",
      "https://MANAGEMENT.azure.com:443/x",
      "https://westeurope.api.azureml.ms/history",
      "https://management.azure.com:8443/x",
      "http://management.azure.com/x",
      "https://evil.example/x",
      "https://management.azure.com.evil.example/x",
      "not a url",
    ])
      await send(url);
    assert.deepEqual(seen, ["Bearer t", "Bearer t", "Bearer t", undefined, undefined, undefined, undefined, undefined]);
  });
});
