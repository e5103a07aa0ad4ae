/**
 * Collects, without duplicates, what a job needs before it can be submitted: uploads, code versions,
 * anonymous environments and components, and workspace references. Hands out {@link IdValue}s that stand
 * for the ids until the caller has resolved them.
 */
import { statSync } from "node:fs";
import { anonymousCodeBody } from "../../common/azureml/registration";
import { codeUriPathOf, hashLocalArtifact, LocalArtifactError } from "../../common/contentHash";
import { COMPONENT_CODE_ALWAYS_IGNORED } from "../../common/ignoreRules";
import type { Loc } from "../../common/loc";
import type { SourceLocation } from "./errors";
import type { CodeVersionRegistration, EnvironmentVersionRegistration, UploadAction, WorkspaceReference } from "./jobPlan";
import { IdPlaceholder } from "./placeholders";
import { workspaceChildId, type ReferenceKind } from "./references";

/** An id known now (an ARM id, or a string sent verbatim) or later (a placeholder). */
export type IdValue = { form: "placeholder"; placeholder: IdPlaceholder } | { form: "armId"; id: string } | { form: "verbatim"; value: string };

/** The value for a REST `…Id` field (`computeId`, `codeId`, `componentId`, `environmentId`). */
export function restId(value: IdValue): string | IdPlaceholder {
  switch (value.form) {
    case "placeholder":
      return value.placeholder;
    case "armId":
      return value.id;
    case "verbatim":
      return value.value;
  }
}

/** The value inside a component spec: `azureml:` + ARM id; curated and registry strings as they are. */
export function specRef(value: IdValue): string | IdPlaceholder {
  switch (value.form) {
    case "placeholder":
      return new IdPlaceholder(value.placeholder.target, "azureml:");
    case "armId":
      return `azureml:${value.id}`;
    case "verbatim":
      return value.value;
  }
}

/** An anonymous component: its spec is a template until code/environment ids are known. */
export interface AnonymousComponent {
  key: string;
  specTemplate: Record<string, unknown>;
  description?: string;
  tags?: Record<string, string>;
}

/** A local path the CLI would refuse; `reason` tells a missing path from an unusable one. */
export class LocalPathError extends Error {
  constructor(
    readonly localPath: string,
    readonly reason: "PathNotFound" | "EmptyDirectory" | "UnsupportedEntry",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LocalPathError";
  }

  /** The loader error code for this problem. */
  get errorCode(): "FileNotFound" | "InvalidValue" {
    return this.reason === "PathNotFound" ? "FileNotFound" : "InvalidValue";
  }
}

export interface AddUploadOptions {
  kind: "code" | "data";
  datastoreName: string;
  location: SourceLocation;
  abortSignal?: AbortSignal;
}

export class PlanBuilder {
  readonly uploads = new Map<string, UploadAction>();
  readonly codeVersions = new Map<string, CodeVersionRegistration>();
  readonly environments = new Map<string, EnvironmentVersionRegistration>();
  readonly references = new Map<string, WorkspaceReference>();
  readonly components = new Map<string, AnonymousComponent>();
  readonly warnings: string[] = [];

  /** `workFolders`: where local paths must really be (loader/workFolders.ts); empty: anywhere. */
  constructor(readonly workFolders: readonly string[] = []) {}

  /** Hashes and records a local upload (code gets the CLI's `__pycache__` exclusion and a SHA-256). */
  async addUpload(localPath: string, options: AddUploadOptions): Promise<UploadAction> {
    let artifact;
    try {
      artifact = await hashLocalArtifact(localPath, {
        extraIgnorePatterns: options.kind === "code" ? COMPONENT_CODE_ALWAYS_IGNORED : undefined,
        computeContentHash: options.kind === "code",
        abortSignal: options.abortSignal,
      });
    } catch (error) {
      if (error instanceof LocalArtifactError) throw new LocalPathError(error.localPath, error.code, error.message, { cause: error });
      throw error;
    }
    // The datastore the upload goes to is checked with the other references (validateOnly included).
    this.addReference("datastores", options.datastoreName, { resolution: "static", location: options.location });
    const key = `${options.kind}:${options.datastoreName}:${artifact.blobPrefix}`;
    const existing = this.uploads.get(key);
    if (existing) return existing;
    const upload: UploadAction = {
      key,
      kind: options.kind,
      localPath: artifact.localPath,
      isDirectory: artifact.isDirectory,
      hash: artifact.uploadHash,
      contentHash: artifact.contentHash,
      blobPrefix: artifact.blobPrefix,
      indicatorBlobName: artifact.indicatorBlobName,
      files: artifact.files,
      totalSizeInBytes: artifact.totalSizeInBytes,
      datastoreName: options.datastoreName,
      declaredAt: options.location,
    };
    this.uploads.set(key, upload);
    return upload;
  }

  /** A local `code:` path → upload + anonymous code version. */
  async addCode(localPath: string, location: SourceLocation, abortSignal?: AbortSignal): Promise<IdValue> {
    const upload = await this.addUpload(localPath, { kind: "code", datastoreName: "workspaceblobstore", location, abortSignal });
    const key = upload.key;
    if (!this.codeVersions.has(key)) {
      const codeUriPath = codeUriPathOf({ blobPrefix: upload.blobPrefix, isDirectory: upload.isDirectory, uploadHash: upload.hash });
      const contentHash = upload.contentHash!;
      this.codeVersions.set(key, {
        key,
        upload,
        version: "1",
        codeUriPath,
        buildBody: (codeUri: string) => anonymousCodeBody(codeUri, contentHash),
      });
    }
    return { form: "placeholder", placeholder: new IdPlaceholder({ kind: "code", key }) };
  }

  addReference(
    kind: ReferenceKind,
    name: string,
    options: { version?: string; label?: string; resolution: WorkspaceReference["resolution"]; location: SourceLocation },
  ): IdValue {
    const key = `${kind}:${name}${options.version !== undefined ? `:${options.version}` : options.label !== undefined ? `@${options.label}` : ""}`;
    const existing = this.references.get(key);
    if (existing) {
      existing.usedAt.push(options.location);
      // A compute the pipeline validates by GET stays a GET even if a command job would not look it up.
      if (options.resolution === "get" && existing.resolution === "static") existing.resolution = "get";
    } else {
      this.references.set(key, { key, kind, name, version: options.version, label: options.label, resolution: options.resolution, usedAt: [options.location] });
    }
    return { form: "placeholder", placeholder: new IdPlaceholder({ kind: "reference", key }) };
  }

  addEnvironment(registration: EnvironmentVersionRegistration): IdValue {
    if (!this.environments.has(registration.key)) this.environments.set(registration.key, registration);
    return { form: "placeholder", placeholder: new IdPlaceholder({ kind: "environment", key: registration.key }) };
  }

  addComponent(component: AnonymousComponent): IdValue {
    if (!this.components.has(component.key)) this.components.set(component.key, component);
    return { form: "placeholder", placeholder: new IdPlaceholder({ kind: "component", key: component.key }) };
  }
}

/** Id of a reference that needs no lookup (`static`), else `undefined`. */
export function staticReferenceId(reference: WorkspaceReference, workspaceId: string): string | undefined {
  if (reference.resolution === "latest") return undefined;
  return workspaceChildId(workspaceId, reference.kind, reference.name, { version: reference.version, label: reference.label });
}

/** Throws {@link LocalPathError} when `localPath` does not exist. */
export async function statLocalPath(localPath: string, loc: Loc): Promise<{ isDirectory: boolean }> {
  try {
    const stat = statSync(localPath);
    return { isDirectory: stat.isDirectory() };
  } catch (error) {
    throw new LocalPathError(localPath, "PathNotFound", loc("LoaderNoSuchPath", localPath), { cause: error });
  }
}
