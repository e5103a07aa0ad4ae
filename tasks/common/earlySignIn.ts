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
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";

/** What `bearerTokenAuthenticationPolicy` passes to getToken besides the abort signal and tracing. */
export const ARM_TOKEN_REQUEST_OPTIONS: GetTokenOptions = { enableCae: true };

export class EarlySignInCredential implements TokenCredential {
  private early?: { scope: string; token: Promise<AccessToken | null> };

  constructor(
    private readonly inner: TokenCredential,
    scope: string,
  ) {
    const token = inner.getToken(scope, { ...ARM_TOKEN_REQUEST_OPTIONS });
    token.catch(() => undefined); // handed to the first caller; never an unhandled rejection
    this.early = { scope, token };
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
