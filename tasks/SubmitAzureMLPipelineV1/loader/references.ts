/**
 * Parsing of CLI v2 reference strings (`azureml:name:version`, `azureml:name@latest`, ARM ids, registry
 * URIs, compute names) and the ARM ids they stand for.
 */
import type { Loc } from "../../common/loc";

/** Workspace child collections a job refers to. */
export type AssetKind = "codes" | "components" | "environments" | "data" | "models";
export type ReferenceKind = AssetKind | "computes" | "datastores";

/** What a reference string means, before any service call. */
export type ParsedReference =
  /** `azureml:name:version` → a versioned id in the workspace (no call needed). */
  | { form: "version"; name: string; version: string }
  /** `azureml:name@label`: `latest` is resolved by listing versions newest first; other labels are sent as labelled ids. */
  | { form: "label"; name: string; label: string }
  /** A full ARM id, or a registry / curated string: sent as is. */
  | { form: "passthrough"; value: string };

export class ReferenceSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferenceSyntaxError";
  }
}

const ARM_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/([A-Za-z]+)\/[^/]+(?:\/(?:versions|labels)\/[^/]+)?$/i;
const REGISTRY_ASSET = /^azureml:\/\/registries\/[^/]+\/([A-Za-z]+)\/[^/]+\/(?:versions\/[^/]+|labels\/[^/]+)$/i;

/** Whether a string is a reference (as opposed to a local path) in a `code:`/`environment:`/`component:` field. */
export function isReferenceString(value: string): boolean {
  return /^azureml:/i.test(value) || ARM_ID.test(value);
}

/**
 * Parses an asset reference. Curated environments (`azureml:AzureML-…`) are passed through with their
 * `azureml:` prefix for the service to expand, as the CLI does.
 */
export function parseAssetReference(raw: string, kind: AssetKind, loc: Loc): ParsedReference {
  const value = raw.trim();
  const registry = REGISTRY_ASSET.exec(value);
  if (registry) {
    if (registry[1].toLowerCase() !== kind) {
      throw new ReferenceSyntaxError(loc("LoaderRefRegistryKind", value, registry[1], kind));
    }
    return { form: "passthrough", value };
  }
  if (/^azureml:\/\//i.test(value)) {
    throw new ReferenceSyntaxError(loc("LoaderRefRegistryPath", value, kind));
  }
  const withoutPrefix = value.replace(/^azureml:/i, "");
  const arm = ARM_ID.exec(withoutPrefix);
  if (arm) {
    if (arm[1].toLowerCase() !== kind) throw new ReferenceSyntaxError(loc("LoaderRefArmIdKind", value, arm[1], kind));
    return { form: "passthrough", value: withoutPrefix };
  }
  if (!/^azureml:/i.test(value)) {
    throw new ReferenceSyntaxError(loc("LoaderRefNoPrefix", value));
  }
  const m = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?::([^:@/\s]+)|@([A-Za-z0-9_-]+))?$/.exec(withoutPrefix);
  if (!m) {
    throw new ReferenceSyntaxError(loc("LoaderRefInvalid", value));
  }
  const [, name, version, label] = m;
  if (kind === "environments" && /^AzureML-/i.test(name) && (version || label)) return { form: "passthrough", value };
  if (version) return { form: "version", name, version };
  if (label) return { form: "label", name, label };
  throw new ReferenceSyntaxError(loc("LoaderRefNoVersion", value, name, name));
}

/** Parsed `compute:` value. */
export type ParsedCompute = { form: "named"; name: string } | { form: "passthrough"; value: string };

/** `azureml:cpu` / `cpu` → named compute; ARM ids, `serverless` and `${{...}}` bindings are sent verbatim. */
export function parseComputeReference(raw: string, loc: Loc): ParsedCompute {
  const value = raw.trim();
  if (/^\$\{\{.*\}\}$/.test(value)) return { form: "passthrough", value };
  const name = value.replace(/^azureml:/i, "");
  if (ARM_ID.test(name)) return { form: "passthrough", value: name };
  if (name.toLowerCase() === "serverless") return { form: "passthrough", value: "serverless" };
  if (name.toLowerCase() === "local") throw new ReferenceSyntaxError(loc("LoaderComputeLocal"));
  if (!/^[A-Za-z][A-Za-z0-9\-_]*$/.test(name)) throw new ReferenceSyntaxError(loc("LoaderComputeInvalidName", value));
  return { form: "named", name };
}

/** `azureml:workspaceblobstore` / `workspaceblobstore` / ARM id → datastore name or id. */
export function parseDatastoreReference(raw: string, loc: Loc): ParsedCompute {
  const value = raw.trim().replace(/^azureml:/i, "");
  if (ARM_ID.test(value)) return { form: "passthrough", value };
  if (!/^[A-Za-z0-9_]+$/.test(value)) throw new ReferenceSyntaxError(loc("LoaderDatastoreInvalidName", raw));
  return { form: "named", name: value };
}

/** Workspace-scoped ARM id of a named or versioned child. */
export function workspaceChildId(workspaceId: string, kind: ReferenceKind, name: string, version?: { version?: string; label?: string }): string {
  const base = `${workspaceId.replace(/\/+$/, "")}/${kind}/${name}`;
  if (version?.version !== undefined) return `${base}/versions/${version.version}`;
  if (version?.label !== undefined) return `${base}/labels/${version.label}`;
  return base;
}

/** Whether a URI is one the CLI passes through unchanged as an input path (datastore, web or storage URL). */
export function isRemoteUri(value: string): boolean {
  return /^(?:azureml:\/\/|https?:\/\/|wasbs?:\/\/|abfss?:\/\/|adl:\/\/)/i.test(value);
}
