/**
 * The Azure emulator, started by tests (and by `npm run emulator` for the demo): one HTTPS
 * server on loopback for Entra ID, ARM, Azure DevOps OIDC, managed identity and the control API,
 * plus Azurite for blobs. `startEmulator()` is the programmatic API; cli.ts wraps it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { registerSecretSource } from "../harness/secretScan";
import { AksEmulator } from "./arm/aks";
import { ResourcesEmulator } from "./arm/resources";
import { DataFactoryEmulator } from "./arm/datafactory";
import { MachineLearningEmulator } from "./arm/machinelearning";
import { startAzurite, type AzuriteProcess } from "./azurite";
import { registerControlRoutes } from "./control";
import { DevOpsEndpoint, type DevOpsInfo } from "./devops";
import { Directory } from "./directory";
import { Faults } from "./faults";
import type { BlobAccount, EmulatorContext, EmulatorModule } from "./framework";
import { Clock, Operations, Router, World } from "./framework";
import { registerIdentityRoutes } from "./identity";
import { RequestLog } from "./requestLog";
import { ARM_AUDIENCE, DEFAULT_RESOURCE_GROUP, SUBSCRIPTION_NAME, createIdentities, seedScenario, type Identities } from "./scenario";
import { EmulatorServer } from "./server";
import { createTlsMaterial } from "./tls";
import { TokenIssuer } from "./tokens";

export type { FaultKind, FaultSpec } from "./faults";
export type { LoggedRequest } from "./requestLog";
export type { Identities } from "./scenario";
export type { DevOpsInfo } from "./devops";
export { Faults } from "./faults";
export { RequestLog } from "./requestLog";

export interface EmulatorOptions {
  /** Lifetime of issued access tokens in seconds (default 3599, like Entra ID). */
  tokenLifetimeSeconds?: number;
  /** Scripted durations are divided by this (default 1). */
  timeScale?: number;
  /** Start Azurite (default true). */
  azurite?: boolean;
  /** Port of the HTTPS server (default 0: a free one). */
  port?: number;
}

export interface Emulator {
  url: string;
  armUrl: string;
  authorityHost: string;
  armAudience: string;
  tenantId: string;
  subscriptionId: string;
  subscriptionName: string;
  resourceGroupName: string;
  caCertPath: string;
  caCertPem: string;
  blob: BlobAccount | undefined;
  identities: Identities;
  devops: DevOpsInfo;
  world: World;
  clock: Clock;
  operations: Operations;
  datafactory: DataFactoryEmulator;
  aks: AksEmulator;
  ml: MachineLearningEmulator;
  faults: Faults;
  requests: RequestLog;
  /** Process id of the Azurite child, when it runs. */
  azuritePid: number | undefined;
  /** Every secret string the emulator knows or issued (tests scan output for them). */
  secrets(): string[];
  /** Forget everything (resources, scripts, faults, request log) and reseed the default scenario. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
  if (!(tokenLifetimeSeconds > 0)) throw new RangeError("tokenLifetimeSeconds must be positive");
  const tenantId = randomUUID();
  const subscriptionId = randomUUID();
  const router = new Router();
  const world = new World(tenantId);
  const clock = new Clock(options.timeScale ?? 1);
  const operations = new Operations(clock);
  const faults = new Faults();
  const requests = new RequestLog();
  const directory = new Directory(tenantId);
  const identityHeader = randomBytes(24).toString("base64url");

  const keys = Promise.all([TokenIssuer.create(), TokenIssuer.create()]);
  keys.catch(() => undefined); // handled below; avoid an unhandled-rejection report while TLS is made
  const tls = await createTlsMaterial();
  const azuriteStart = options.azurite === false ? Promise.resolve(undefined) : startAzurite({ certPath: tls.certPath, keyPath: tls.keyPath });
  let tokens: TokenIssuer;
  let oidc: TokenIssuer;
  try {
    [tokens, oidc] = await keys;
  } catch (e) {
    await azuriteStart.then(
      (a) => a?.stop(),
      () => undefined,
    );
    tls.dispose();
    throw e;
  }
  let azurite: AzuriteProcess | undefined;
  let baseUrl = "";
  const server = new EmulatorServer({
    router,
    world,
    faults,
    log: requests,
    tokens,
    armAudiences: [ARM_AUDIENCE],
    principal: (clientId) => directory.principal(clientId),
    authorityUrl: () => `${baseUrl}/${tenantId}`,
  });
  const [listened, started] = await Promise.allSettled([server.listen(tls, options.port ?? 0), azuriteStart]);
  if (listened.status === "rejected" || started.status === "rejected") {
    await server.close();
    if (started.status === "fulfilled") await started.value?.stop();
    tls.dispose();
    throw listened.status === "rejected" ? listened.reason : (started as PromiseRejectedResult).reason;
  }
  baseUrl = listened.value;
  azurite = started.value;

  const devops = new DevOpsEndpoint(oidc, () => baseUrl);
  const identities = createIdentities(directory, { baseUrl, clientCert: tls.client, devops, identityHeader });
  registerIdentityRoutes(router, { directory, tokens, oidc, baseUrl: () => baseUrl, tokenLifetimeSeconds: () => tokenLifetimeSeconds, identityHeader });
  devops.register(router);

  const ml = new MachineLearningEmulator({ blobCaCertPem: () => tls.certPem });
  ml.setBlobCaCertPem(tls.certPem);
  const datafactory = new DataFactoryEmulator();
  const aks = new AksEmulator();
  const modules: EmulatorModule[] = [new ResourcesEmulator(), aks, datafactory, ml];
  const ctx: EmulatorContext = { router, world, clock, operations, baseUrl: () => baseUrl, blob: () => azurite?.account };
  for (const m of modules) m.register(ctx);

  const seed = () => seedScenario({ world, subscriptionId, identities, ml, datafactory, aks });
  let stopped: Promise<void> | undefined;

  const emu: Emulator = {
    url: baseUrl,
    armUrl: `${baseUrl}/`,
    authorityHost: baseUrl,
    armAudience: ARM_AUDIENCE,
    tenantId,
    subscriptionId,
    subscriptionName: SUBSCRIPTION_NAME,
    resourceGroupName: DEFAULT_RESOURCE_GROUP,
    caCertPath: tls.caCertPath,
    caCertPem: tls.certPem,
    blob: azurite?.account,
    identities,
    devops: devops.info(),
    world,
    clock,
    operations,
    datafactory,
    aks,
    ml,
    faults,
    requests,
    azuritePid: azurite?.pid,
    secrets: () => {
      const out = new Set<string>([
        identities.secret.clientSecret,
        identities.certificate.certificatePem,
        tls.client.keyPem,
        ...pemBodyLines(tls.client.keyPem),
        tls.keyPem,
        identities.managedIdentity.identityHeader,
        devops.systemAccessToken,
        ...tokens.issuedTokens(),
        ...oidc.issuedTokens(),
        ...(azurite ? [azurite.account.accountKey] : []),
        ...ml.secrets(),
        ...moduleSecrets(datafactory),
        ...moduleSecrets(aks),
      ]);
      return [...out].filter((s) => s.length > 0);
    },
    reset: async () => {
      faults.clear();
      requests.clear();
      operations.dispose();
      for (const m of modules) m.reset();
      world.subscriptions.clear();
      world.roleAssignments.length = 0;
      seed();
    },
    stop: () =>
      (stopped ??= (async () => {
        unregisterSecrets();
        for (const m of modules) m.dispose();
        operations.dispose();
        await server.close();
        await azurite?.stop();
        tls.dispose();
      })()),
  };

  // Every task run by the test harness is scanned for these (devkit/harness/secretScan.ts).
  const unregisterSecrets = registerSecretSource(() => emu.secrets());
  registerControlRoutes(router, {
    info: () => readyInfo(emu),
    reset: () => emu.reset(),
    faults,
    requests,
    world,
    modules: { ml, datafactory, aks },
  });
  seed();
  return emu;
}

/** What `npm run emulator` prints after EMULATOR_READY and GET /_control/info answers. */
export function readyInfo(emu: Emulator): Record<string, unknown> {
  return {
    url: emu.url,
    armUrl: emu.armUrl,
    authorityHost: emu.authorityHost,
    armAudience: emu.armAudience,
    tenantId: emu.tenantId,
    subscriptionId: emu.subscriptionId,
    subscriptionName: emu.subscriptionName,
    resourceGroupName: emu.resourceGroupName,
    caCertPath: emu.caCertPath,
    blob: emu.blob ?? null,
    identities: emu.identities,
    devops: emu.devops,
    controlUrl: `${emu.url}/_control`,
  };
}

function pemBodyLines(pem: string): string[] {
  return pem.split(/\r?\n/).filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

function moduleSecrets(module: object): string[] {
  const fn = (module as { secrets?: () => unknown }).secrets;
  if (typeof fn !== "function") return [];
  const out = fn.call(module);
  return Array.isArray(out) ? out.filter((s): s is string => typeof s === "string") : [];
}
