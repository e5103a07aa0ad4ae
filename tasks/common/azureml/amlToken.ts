/**
 * The `x-azureml-token` the Azure ML SDK sends with a pipeline job (or a job with a user identity):
 * a token of the same credential for the Azure ML resource of the cloud, whose audience it checks
 * (azure/ai/ml/operations/_job_operations.py `_set_headers_with_user_aml_token`, with
 * ENDPOINT_URLS.AML_RESOURCE_ID of azure/ai/ml/_azure_environments.py: https://ml.azure.com/ in the
 * public cloud, https://ml.azure.us/ and https://ml.azure.cn/ in the US Government and China clouds).
 */
import type { TokenCredential } from "@azure/core-auth";

const AML_RESOURCE: Record<string, string> = {
  azurecloud: "https://ml.azure.com",
  azureusgovernment: "https://ml.azure.us",
  azurechinacloud: "https://ml.azure.cn",
};

/** `https://ml.azure.com/.default` for the cloud of the connection (the public cloud's for others). */
export function amlScope(cloudName: string): string {
  return `${AML_RESOURCE[cloudName.toLowerCase()] ?? AML_RESOURCE["azurecloud"]}/.default`;
}

/** Gets the token for each job PUT; `onSecret` (tl.setSecret) registers it before it is used. */
export function amlTokenProvider(
  credential: TokenCredential,
  cloudName: string,
  onSecret: (secret: string) => void,
): (abortSignal: AbortSignal) => Promise<string> {
  const scope = amlScope(cloudName);
  return async (abortSignal) => {
    const token = await credential.getToken(scope, { abortSignal });
    if (!token?.token) throw new Error(`no token for ${scope}`);
    onSecret(token.token);
    return token.token;
  };
}
