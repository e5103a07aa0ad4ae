/**
 * Real JWTs: access tokens (Entra ID) and OIDC tokens (Azure DevOps) signed RS256 with a key
 * generated at emulator start, plus the verification ARM routes and the token endpoint use.
 */
import { constants, generateKeyPair, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from "node:crypto";

export type JwtClaims = Record<string, unknown> & { exp?: number; nbf?: number; iat?: number; aud?: string; iss?: string; sub?: string };

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWS; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as JwtClaims;
    if (typeof header !== "object" || header === null || typeof claims !== "object" || claims === null) return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], "base64url") };
  } catch {
    return undefined;
  }
}

/** Verifies an RS256 or PS256 signature with the given public key (or certificate). */
export function verifyJwtSignature(jwt: DecodedJwt, key: KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  try {
    switch (jwt.header.alg) {
      case "RS256":
        return verify("sha256", data, key, jwt.signature);
      case "PS256":
        return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jwt.signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

export function signJwt(header: Record<string, unknown>, claims: JwtClaims, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export type VerifyResult =
  | { ok: true; claims: JwtClaims }
  | { ok: false; reason: "malformed" | "signature" | "expired" | "notYetValid" | "audience"; claims?: JwtClaims };

/** Issues and verifies the emulator's own tokens. Remembers what it issued (for secret scanning). */
export class TokenIssuer {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  private readonly issued = new Set<string>();

  constructor(pair: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync("rsa", { modulusLength: 2048 })) {
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** Generates the key off the main thread. */
  static create(): Promise<TokenIssuer> {
    return new Promise((resolve, reject) =>
      generateKeyPair("rsa", { modulusLength: 2048 }, (err, publicKey, privateKey) =>
        err ? reject(err) : resolve(new TokenIssuer({ publicKey, privateKey })),
      ),
    );
  }

  issue(claims: JwtClaims, lifetimeSeconds: number): string {
    const now = nowSeconds();
    const token = signJwt(
      { typ: "JWT", alg: "RS256", kid: this.kid },
      { nbf: now - 5, iat: now - 5, exp: now + lifetimeSeconds, jti: randomUUID(), ...claims },
      this.privateKey,
    );
    this.issued.add(token);
    return token;
  }

  /** Checks signature (this issuer's key), expiry and, when given, the audience (trailing "/" ignored). */
  verify(token: string, audiences?: string[]): VerifyResult {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, reason: "malformed" };
    if (jwt.header.kid !== this.kid || !verifyJwtSignature(jwt, this.publicKey)) return { ok: false, reason: "signature", claims: jwt.claims };
    return checkTimesAndAudience(jwt.claims, audiences);
  }

  /** The JWKS document for this key. */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.publicKey.export({ format: "jwk" }) as Record<string, unknown>;
    return { keys: [{ ...jwk, kty: "RSA", use: "sig", kid: this.kid, alg: "RS256" }] };
  }

  issuedTokens(): string[] {
    return [...this.issued];
  }

  forget(): void {
    this.issued.clear();
  }
}

export function checkTimesAndAudience(claims: JwtClaims, audiences?: string[]): VerifyResult {
  const now = nowSeconds();
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired", claims };
  if (typeof claims.nbf === "number" && claims.nbf > now + 300) return { ok: false, reason: "notYetValid", claims };
  if (audiences) {
    const aud = typeof claims.aud === "string" ? trimSlash(claims.aud) : undefined;
    if (!aud || !audiences.some((a) => trimSlash(a).toLowerCase() === aud.toLowerCase())) return { ok: false, reason: "audience", claims };
  }
  return { ok: true, claims };
}

export function trimSlash(s: string): string {
  return s.replace(/\/+$/, "");
}
