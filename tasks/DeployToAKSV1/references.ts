/**
 * Model and environment references as users write them (task inputs and CLI v2 YAML):
 * `name:version`, `name@latest`, `azureml:name:version`, `azureml:name@latest`, or an ARM id of a
 * version with or without the `azureml:` prefix (what RegisterModel's ModelId output holds).
 * Pure parsing: resolving `@latest` and checking existence is resolveModel.ts's job.
 */
import type { WorkspaceScope } from "../common/azureml/workspace";

export type AssetReference =
  /** A version in the task's workspace (`@latest` when `version` is undefined). */
  | { form: "workspace"; name: string; version?: string }
  /** A version id, possibly in another workspace. */
  | { form: "id"; scope: WorkspaceScope; name: string; version: string };

/** A reference that cannot be read; `message` is user-facing. */
export class AssetReferenceError extends Error {
  override readonly name = "AssetReferenceError";
}

const VERSION_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/(models|environments|codes)\/([^/]+)\/versions\/([^/]+)$/i;
const NAME = "[A-Za-z0-9_][A-Za-z0-9_.\\-]*";
const SHORT = new RegExp(`^(${NAME})(?::([^:@/\\s]+)|@([A-Za-z]+))$`);

export type AssetCollection = "models" | "environments" | "codes";

/** Parses `raw` as a reference to a version of an asset of `collection`. */
export function parseAssetReference(raw: string, collection: AssetCollection): AssetReference {
  const value = raw.trim();
  const label = collection === "models" ? "model" : collection === "environments" ? "environment" : "code";
  if (/^azureml:\/\/registries\//i.test(value)) {
    throw new AssetReferenceError(
      `'${value}' is a registry reference; Kubernetes deployments cannot use registry assets. Use a ${label} registered in the workspace.`,
    );
  }
  const withoutPrefix = value.replace(/^azureml:/i, "");
  const id = VERSION_ID.exec(withoutPrefix);
  if (id) {
    if (id[4].toLowerCase() !== collection) throw new AssetReferenceError(`'${value}' is the id of ${id[4]}, not of a ${label} version.`);
    return {
      form: "id",
      scope: { subscriptionId: id[1], resourceGroupName: id[2], workspaceName: id[3] },
      name: decodeURIComponent(id[5]),
      version: decodeURIComponent(id[6]),
    };
  }
  const m = SHORT.exec(withoutPrefix);
  if (!m) {
    throw new AssetReferenceError(
      `'${value}' is not a ${label} reference: use <name>:<version>, <name>@latest, azureml:<name>:<version> or the version's ARM id (.../${collection}/<name>/versions/<version>).`,
    );
  }
  if (m[3] !== undefined && m[3].toLowerCase() !== "latest") {
    throw new AssetReferenceError(`'${value}' uses the label '${m[3]}'; only @latest is supported.`);
  }
  return m[2] !== undefined ? { form: "workspace", name: m[1], version: m[2] } : { form: "workspace", name: m[1] };
}

/** `azureml:<name>` or `azureml:<ARM id>` (a compute in YAML `compute:`) → the compute name. */
export function parseComputeReference(raw: string): string {
  const value = raw.trim().replace(/^azureml:/i, "");
  const id = /\/workspaces\/[^/]+\/computes\/([^/]+)$/i.exec(value);
  if (id) return id[1];
  if (!/^[A-Za-z][A-Za-z0-9-]{1,23}$/.test(value)) {
    throw new AssetReferenceError(`'${raw}' is not a compute reference: use azureml:<compute name>.`);
  }
  return value;
}
