/**
 * Options for every @azure/arm-* client: the connection's ARM endpoint and audience, retries that
 * honour Retry-After (the SDK's throttling policy reads it on 429 and 503), the agent's proxy,
 * and a user agent naming the extension. Tasks construct their clients with
 * `new XClient(conn.credential, conn.subscriptionId, armClientOptions(conn))`.
 */
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { sdkNetworkOptions } from "./agentNetwork";
import type { AzureConnection } from "./connection";

export const USER_AGENT_PREFIX = "mlops-pipeline-tasks";

export interface ArmClientOptionsOverrides {
  /** Default 8: a throttling storm is waited out rather than failing the step. */
  maxRetries?: number;
  /** Extra policies (e.g. a test's request recorder). */
  policies?: PipelinePolicy[];
}

export function armClientOptions(conn: Pick<AzureConnection, "cloud" | "network">, overrides: ArmClientOptionsOverrides = {}) {
  return {
    endpoint: conn.cloud.armUrl,
    credentialScopes: [conn.cloud.armScope],
    retryOptions: { maxRetries: overrides.maxRetries ?? 8, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
    userAgentOptions: { userAgentPrefix: USER_AGENT_PREFIX },
    ...sdkNetworkOptions(conn.network, conn.cloud.armUrl),
    additionalPolicies: (overrides.policies ?? []).map((policy) => ({ policy, position: "perCall" as const })),
  };
}
