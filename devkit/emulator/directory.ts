/**
 * The emulated Entra ID tenant's directory: applications (service principals) with their
 * credentials — client secrets, certificates, federated identity credentials — and managed
 * identities. The token endpoints (identity.ts) authenticate against it; the ARM server maps an
 * access token's `appid` back to a principal through it.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import type { Principal } from "./framework";

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface RegisteredCertificate {
  /** base64url SHA-1 of the DER (the x5t header). */
  x5t: string;
  /** base64url SHA-256 of the DER (the x5t#S256 header). */
  x5tS256: string;
  publicKey: KeyObject;
}

export interface Application {
  clientId: string;
  objectId: string;
  displayName: string;
  secrets: string[];
  certificates: RegisteredCertificate[];
  federatedCredentials: FederatedCredential[];
}

export interface ManagedIdentity {
  clientId: string;
  objectId: string;
  displayName: string;
}

export class Directory {
  readonly applications = new Map<string, Application>();
  readonly managedIdentities = new Map<string, ManagedIdentity>();
  /** Resources (audiences) tokens can be issued for, without a trailing slash. */
  readonly resources = new Set<string>();

  constructor(readonly tenantId: string) {}

  addApplication(app: Application): Application {
    this.applications.set(app.clientId.toLowerCase(), app);
    return app;
  }

  addManagedIdentity(mi: ManagedIdentity): ManagedIdentity {
    this.managedIdentities.set(mi.clientId.toLowerCase(), mi);
    return mi;
  }

  application(clientId: string): Application | undefined {
    return this.applications.get(clientId.toLowerCase());
  }

  /** The ARM principal for an application or managed identity client id. */
  principal(clientId: string): Principal | undefined {
    const app = this.application(clientId);
    if (app) return { kind: "servicePrincipal", clientId: app.clientId, objectId: app.objectId, tenantId: this.tenantId, displayName: app.displayName };
    const mi = this.managedIdentities.get(clientId.toLowerCase());
    if (mi) return { kind: "managedIdentity", clientId: mi.clientId, objectId: mi.objectId, tenantId: this.tenantId, displayName: mi.displayName };
    return undefined;
  }
}

/** Registers a certificate PEM (the public part is all the directory keeps). */
export function registeredCertificate(certPem: string): RegisteredCertificate {
  const cert = new X509Certificate(certPem);
  return {
    x5t: createHash("sha1").update(cert.raw).digest("base64url"),
    x5tS256: createHash("sha256").update(cert.raw).digest("base64url"),
    publicKey: createPublicKey(certPem),
  };
}
