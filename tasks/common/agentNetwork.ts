/**
 * The agent's network settings (proxy with its bypass list, client certificate), read once at the
 * entry and applied to every HTTP client the tasks make (Azure SDK clients, credentials, storage,
 * Azure DevOps), each for the host it talks to.
 * (The agent itself makes Node trust its configured CA, through NODE_EXTRA_CA_CERTS.)
 */
import * as fs from "node:fs";
import type { ProxySettings, TlsSettings } from "@azure/core-rest-pipeline";
import * as tl from "azure-pipelines-task-lib/task";
import { proxyUrlCredentials } from "./proxyUrlCredentials";
import { registerSecret } from "./secrets";

export interface AgentNetwork {
  proxy?: { url: string; username?: string; password?: string; bypass: RegExp[] };
  clientCertificate?: { cert: string; key?: string; passphrase?: string };
}

/** Reads Agent.ProxyUrl / ProxyBypassList / ClientCert... through task-lib. */
export function readAgentNetwork(): AgentNetwork {
  const network: AgentNetwork = {};
  const proxy = tl.getHttpProxyConfiguration();
  if (proxy?.proxyUrl) {
    registerSecret(proxy.proxyPassword);
    network.proxy = {
      url: proxy.proxyUrl,
      username: proxy.proxyUsername || proxyUrlCredentials.username,
      password: proxy.proxyPassword || proxyUrlCredentials.password,
      bypass: (proxy.proxyBypassHosts ?? []).map((pattern) => new RegExp(pattern, "i")),
    };
  }
  const certs = tl.getHttpCertConfiguration();
  if (certs?.certFile) {
    network.clientCertificate = {
      cert: fs.readFileSync(certs.certFile, "utf8"),
      key: certs.keyFile ? fs.readFileSync(certs.keyFile, "utf8") : undefined,
      passphrase: certs.passphrase || undefined,
    };
  }
  return network;
}

/** The proxy for a request to `url`, or undefined when there is none or the bypass list matches. */
export function proxyFor(network: AgentNetwork, url: string): ProxySettings | undefined {
  const proxy = network.proxy;
  if (!proxy || proxy.bypass.some((pattern) => pattern.test(url))) return undefined;
  const parsed = new URL(proxy.url);
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  return {
    host: `${parsed.protocol}//${parsed.hostname}`,
    port,
    username: proxy.username ?? (decodeURIComponent(parsed.username) || undefined),
    password: proxy.password ?? (decodeURIComponent(parsed.password) || undefined),
  };
}

/**
 * Options for Azure SDK clients and @azure/identity credentials that talk to `url`'s host: the
 * agent's proxy unless the bypass list matches that host, and the agent's client certificate.
 */
export function sdkNetworkOptions(network: AgentNetwork, url: string): { proxyOptions?: ProxySettings; tlsOptions?: TlsSettings } {
  const options: { proxyOptions?: ProxySettings; tlsOptions?: TlsSettings } = {};
  const proxy = proxyFor(network, url);
  if (proxy) options.proxyOptions = proxy;
  if (network.clientCertificate) {
    options.tlsOptions = { cert: network.clientCertificate.cert, key: network.clientCertificate.key, passphrase: network.clientCertificate.passphrase };
  }
  return options;
}
