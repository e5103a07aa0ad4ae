/**
 * Names of the assets the tasks register without a name of the user's: anonymous code, models,
 * environments and components. Every task that registers one names it here, so two tasks given the
 * same content register (and reuse) the same asset.
 */
import { md5Hex } from "../cliEnvironment";

/**
 * The name the CLI gives an inline environment (azure-ai-ml azure/ai/ml/constants/_common.py,
 * ANONYMOUS_ENV_NAME); its version is cliEnvironment.anonymousEnvironmentVersion.
 */
export const ANONYMOUS_ENVIRONMENT_NAME = "CliV2AnonymousEnvironment";

/**
 * The name of every anonymous component (azure-ai-ml azure/ai/ml/constants/_common.py,
 * ANONYMOUS_COMPONENT_NAME, set by entities/_component/component.py `_set_is_anonymous`); its
 * version is a hash of its spec.
 */
export const ANONYMOUS_COMPONENT_NAME = "azureml_anonymous";

/**
 * An MD5 hex digest written as a UUID (8-4-4-4-12, lower case): Python's `str(UUID(hexdigest))`,
 * as azure-ai-ml's `hash_dict` (azure/ai/ml/_utils/utils.py) formats the hash it versions
 * anonymous components with.
 */
export function md5Uuid(text: string): string {
  const hex = md5Hex(text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The name of an anonymous code (or model) version for an upload: a UUID like the one the CLI
 * gives it (azure-ai-ml entities/_assets/asset.py: `name = str(uuid.uuid4())`, version "1"), but
 * derived from the datastore and the content-addressed blob folder (`LocalUpload/<md5>/<folder>`)
 * instead of random, so the same content maps to the same version on every run and in every task
 * (the PUT is then idempotent and nothing needs to be read back from the blob).
 */
export function codeAssetName(datastoreName: string, blobPrefix: string): string {
  return md5Uuid(`${datastoreName}/${blobPrefix}`);
}
