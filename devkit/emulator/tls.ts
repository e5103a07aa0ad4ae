/**
 * TLS material made at emulator start: a self-signed certificate for `localhost` and
 * `127.0.0.1` (the server and Azurite use it; clients trust it through NODE_EXTRA_CA_CERTS or an
 * explicit `ca`), and a client certificate signed by the same key — the one registered for the
 * certificate service principal. Files live in a fresh temp directory removed on dispose.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface TlsMaterial {
  dir: string;
  /** Server certificate; self-signed, so it is also the CA to trust. */
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  caCertPath: string;
  /** Client certificate (for the certificate service principal): key + certificate PEM. */
  client: { certPem: string; keyPem: string };
  dispose(): void;
}

export async function createTlsMaterial(): Promise<TlsMaterial> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
    clientCertificate: { cn: "emulator-service-principal", keySize: 2048, algorithm: "sha256" },
  });
  if (!pems.clientcert || !pems.clientprivate) throw new Error("selfsigned did not produce a client certificate");
  const dir = mkdtempSync(join(tmpdir(), "azure-emulator-"));
  const certPath = join(dir, "emulator-ca.pem");
  const keyPath = join(dir, "emulator-key.pem");
  writeFileSync(certPath, pems.cert);
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  return {
    dir,
    certPem: pems.cert,
    keyPem: pems.private,
    certPath,
    keyPath,
    caCertPath: certPath,
    client: { certPem: pems.clientcert, keyPem: pems.clientprivate },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
