/**
 * Signing in early: the ARM token is asked for as soon as the service connection is read, so the
 * sign-in round trips (discovery, OIDC, token) overlap the loading of the Azure SDK the task needs
 * next. The first getToken for the same scope receives that answer, success or failure, so the
 * sign-in is neither done twice nor reported twice.
 *
 * The early request carries the options the ARM clients' bearer policy sends
 * (@azure/core-rest-pipeline `bearerTokenAuthenticationPolicy`: `enableCae: true`): @azure/identity
 * keeps separate token caches with and without CAE, so any difference would cost the run a second
 * sign-in as soon as a second client (or a refresh) asks the credential itself.
 *
 * `requestSent` lets an entry load the rest of the task (the ARM SDKs, the operation) only once
 * the sign-in's first request is on the wire: loading it earlier runs on the one thread the
 * request needs to get out (TLS handshake, writing it), so it would delay the sign-in instead of
 * overlapping its network wait (measured with CPU profiles of the tasks' start, issue 20).
 */
import type { ClientRequest } from "node:http";
import * as diagnosticsChannel from "node:diagnostics_channel";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";

/** What `bearerTokenAuthenticationPolicy` passes to getToken besides the abort signal and tracing. */
export const ARM_TOKEN_REQUEST_OPTIONS: GetTokenOptions = { enableCae: true };

export class EarlySignInCredential implements TokenCredential {
  private early?: { scope: string; token: Promise<AccessToken | null> };
  /**
   * Resolves (never rejects) once the first HTTP request made after the sign-in started has been
   * handed to its socket, failed or closed, or the sign-in has settled (a credential that sends
   * nothing over HTTP), whichever comes first.
   */
  readonly requestSent: Promise<void>;

  constructor(
    private readonly inner: TokenCredential,
    scope: string,
  ) {
    const sent = firstRequestSent();
    const token = inner.getToken(scope, { ...ARM_TOKEN_REQUEST_OPTIONS });
    token.catch(() => undefined); // handed to the first caller; never an unhandled rejection
    this.early = { scope, token };
    this.requestSent = Promise.race([sent.promise, token.then(noop, noop)]).finally(sent.dispose);
  }

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const early = this.early;
    if (early && (Array.isArray(scopes) ? scopes.join(" ") : scopes) === early.scope) {
      this.early = undefined;
      return early.token;
    }
    return this.inner.getToken(scopes, options);
  }
}

function noop(): void {}

/** Node's channel for every http(s) ClientRequest (Node ≥ 19.6 and 18.15: `http.client.request.start`, message `{ request }`). */
const REQUEST_START_CHANNEL = "http.client.request.start";

/** Resolves when the next ClientRequest is sent (`finish`: handed to the socket), fails or closes; `dispose` stops listening. */
export function firstRequestSent(): { promise: Promise<void>; dispose: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  let listening = true;
  const dispose = () => {
    if (!listening) return;
    listening = false;
    diagnosticsChannel.unsubscribe(REQUEST_START_CHANNEL, onStart);
  };
  const onStart = (message: unknown) => {
    const request = (message as { request?: ClientRequest } | undefined)?.request;
    dispose();
    if (!request || typeof request.once !== "function") return resolve();
    for (const event of ["finish", "error", "close"]) request.once(event, () => resolve());
  };
  diagnosticsChannel.subscribe(REQUEST_START_CHANNEL, onStart);
  return { promise, dispose };
}
