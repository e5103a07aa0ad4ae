/**
 * Kubeconfigs as AKS hands them out (listClusterUserCredential / listClusterAdminCredential):
 * YAML with the cluster's API server https://<fqdn>:443 and its CA, a token user, one context,
 * current-context set. The CA is a real self-signed certificate made once per process.
 */
import { dump } from "js-yaml";
import { generate } from "selfsigned";

let caPem: Promise<string> | undefined;

/** PEM of the certificate authority the emulated API servers present. */
export function clusterCaPem(): Promise<string> {
  caPem ??= generate([{ name: "commonName", value: "ca" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    ],
  }).then((p) => p.cert);
  return caPem;
}

export interface KubeconfigInput {
  clusterName: string;
  resourceGroupName: string;
  fqdn: string;
  kind: "user" | "admin";
  token: string;
  caPem: string;
}

/** The kubeconfig YAML text. */
export function kubeconfigYaml(k: KubeconfigInput): string {
  const user = `${k.kind === "admin" ? "clusterAdmin" : "clusterUser"}_${k.resourceGroupName}_${k.clusterName}`;
  const context = k.kind === "admin" ? `${k.clusterName}-admin` : k.clusterName;
  return dump({
    apiVersion: "v1",
    clusters: [
      { cluster: { "certificate-authority-data": Buffer.from(k.caPem, "utf8").toString("base64"), server: `https://${k.fqdn}:443` }, name: k.clusterName },
    ],
    contexts: [{ context: { cluster: k.clusterName, user }, name: context }],
    "current-context": context,
    kind: "Config",
    preferences: {},
    users: [{ name: user, user: { token: k.token } }],
  });
}
