/**
 * The credential a client presents to the scoring URI: the endpoint's primary key (auth mode Key,
 * listKeys) or an AML token (auth mode AMLToken, token). Registered as a secret at once.
 */
import { AzureOperationError } from "../common/errors";
import { azureCall } from "./azureCall";
import type { DeployContext } from "./operation";

export interface EndpointCredential {
  kind: "key" | "token";
  value: string;
  /** For tokens: when it expires. */
  expiresOn?: Date;
}

export async function endpointCredential(ctx: DeployContext, endpointName: string, authMode: string | undefined): Promise<EndpointCredential> {
  const ws = ctx.workspace;
  const context = { resource: `online endpoint '${endpointName}'`, resourceGroupName: ws.resourceGroupName };
  if ((authMode ?? "Key").toLowerCase() === "amltoken") {
    const token = await azureCall(ctx, context, () =>
      ctx.ml.onlineEndpoints.getToken(ws.resourceGroupName, ws.workspaceName, endpointName, { abortSignal: ctx.abortSignal }),
    );
    if (!token.accessToken) throw new AzureOperationError(ctx.loc("NoEndpointCredential", endpointName));
    ctx.registerSecret(token.accessToken);
    return { kind: "token", value: token.accessToken, ...(token.expiryTimeUtc ? { expiresOn: new Date(token.expiryTimeUtc * 1000) } : {}) };
  }
  const keys = await azureCall(ctx, context, () =>
    ctx.ml.onlineEndpoints.listKeys(ws.resourceGroupName, ws.workspaceName, endpointName, { abortSignal: ctx.abortSignal }),
  );
  if (keys.secondaryKey) ctx.registerSecret(keys.secondaryKey);
  if (!keys.primaryKey) throw new AzureOperationError(ctx.loc("NoEndpointCredential", endpointName));
  ctx.registerSecret(keys.primaryKey);
  return { kind: "key", value: keys.primaryKey };
}
