/**
 * The loader's output: what to upload, register and look up before `PUT jobs/<name>`, and how to build
 * the request bodies once that is done. Order of work for the caller:
 *
 *   uploads → codeVersions (needs uploads) → environmentVersions → references →
 *   componentVersions(resolved) (needs code/env/reference ids) → buildJobBody(resolved)
 */
import type { CommandJob, PipelineJob } from "@azure/arm-machinelearning";
import type { AnonymousCodeBody } from "../../common/azureml/registration";
import type { SourceLocation } from "./errors";
import type { ReferenceKind } from "./references";

export type JobKind = "pipeline" | "command";

/** A local file or folder to upload to a datastore under `LocalUpload/<md5>/<name>`. */
export interface UploadAction {
  /** Unique in the plan. */
  key: string;
  kind: "code" | "data";
  /** Absolute local path. */
  localPath: string;
  isDirectory: boolean;
  /** The CLI's upload hash (MD5, lower-case hex). */
  hash: string;
  /** SHA-256 content hash (code only: sent as `hash_sha256`). */
  contentHash?: string;
  /** `LocalUpload/<md5>/<folder or file name>`. */
  blobPrefix: string;
  /** Blob whose metadata `upload_status=completed` marks a finished upload; set it last. */
  indicatorBlobName: string;
  /** Files with their blob names, in the CLI's order. */
  files: { localPath: string; relativePath: string; sizeInBytes: number; blobName: string }[];
  totalSizeInBytes: number;
  /** Datastore the CLI uploads to: the input's `datastore:` or `workspaceblobstore`. */
  datastoreName: string;
  /** Where the YAML asks for it. */
  declaredAt: SourceLocation;
}

/**
 * An anonymous code version: `PUT codes/<name>/versions/<version>`. The CLI names it with a random UUID,
 * version "1", unless the indicator blob's metadata (`name`, `version`) says it was registered before.
 */
export interface CodeVersionRegistration {
  key: string;
  upload: UploadAction;
  version: "1";
  /** Path below the container for `codeUri` (the folder; for a single file its hash folder). */
  codeUriPath: string;
  /** Body for `PUT codes/<name>/versions/<version>`; `codeUri` = container URL + "/" + {@link codeUriPath}. */
  buildBody(codeUri: string): CodeVersionBody;
}

export type CodeVersionBody = AnonymousCodeBody;

/** An inline environment registered as `CliV2AnonymousEnvironment/<md5>`. */
export interface EnvironmentVersionRegistration {
  key: string;
  name: string;
  version: string;
  body: EnvironmentVersionBody;
  declaredAt: SourceLocation;
}

export interface EnvironmentVersionBody {
  properties: {
    image: string;
    condaFile?: string;
    isAnonymous: true;
    osType?: string;
    description?: string;
    tags?: Record<string, string>;
  };
}

/** An anonymous component version: `PUT components/azureml_anonymous/versions/<hash>`. */
export interface ComponentVersionRegistration {
  key: string;
  name: string;
  version: string;
  body: ComponentVersionBody;
}

export interface ComponentVersionBody {
  properties: {
    componentSpec: Record<string, unknown>;
    isAnonymous: true;
    description?: string;
    tags?: Record<string, string>;
    properties?: Record<string, string>;
  };
}

/** Something in the workspace the job names. */
export interface WorkspaceReference {
  /** Unique in the plan, e.g. `environments:my-env@latest`, `computes:gpu-cluster`. */
  key: string;
  kind: ReferenceKind;
  name: string;
  version?: string;
  label?: string;
  /**
   * `static`: the id follows from the name (`azureml:x:3`), no call needed ({@link JobPlan.staticReferenceId});
   * `get`: GET the resource and use its `id` (computes: the CLI validates them this way for pipelines);
   * `latest`: list versions `$orderBy=createdtime desc&$top=1` and use that version's id.
   */
  resolution: "static" | "get" | "latest";
  usedAt: SourceLocation[];
}

/** Ids the caller obtained; keys are those of the plan. */
export interface ResolvedJobDependencies {
  /** `/subscriptions/<s>/resourceGroups/<g>/providers/Microsoft.MachineLearningServices/workspaces/<w>` */
  workspaceId: string;
  /** `CodeVersionRegistration.key` → code version ARM id. */
  codeIds: Readonly<Record<string, string>>;
  /** `WorkspaceReference.key` → ARM id; required for `get`/`latest` references, optional for `static` ones. */
  referenceIds?: Readonly<Record<string, string>>;
}

export interface JobBodyOptions {
  /** The job's name (the YAML's `name:` if any, else one the caller generated: see `generateJobName`). */
  jobName: string;
  /** Experiment when the YAML names none (the CLI uses its working folder's name; see `defaultExperimentName`). */
  defaultExperimentName?: string;
  /** Added to `properties` only when the YAML sets none (the CLI adds git properties this way). */
  defaultProperties?: Record<string, string>;
}

export interface JobBody {
  properties: PipelineJob | CommandJob;
}

export interface JobPlan {
  kind: JobKind;
  /** Absolute path of the job YAML. */
  filePath: string;
  /** `name:` from the YAML or overrides. */
  name?: string;
  displayName?: string;
  experimentName?: string;
  uploads: UploadAction[];
  codeVersions: CodeVersionRegistration[];
  environmentVersions: EnvironmentVersionRegistration[];
  references: WorkspaceReference[];
  /** Non-fatal notes (e.g. unknown `settings` keys forwarded as the CLI does). */
  warnings: string[];
  /** Id of a `static` reference (or of an anonymous environment); the caller may use it instead of a lookup. */
  staticReferenceId(reference: WorkspaceReference, workspaceId: string): string | undefined;
  /** Anonymous component versions to register, once code/environment/reference ids are known. */
  componentVersions(resolved: ResolvedJobDependencies): ComponentVersionRegistration[];
  /** The body of `PUT jobs/<name>` (api-version 2022-10-01). */
  buildJobBody(resolved: ResolvedJobDependencies, options: JobBodyOptions): JobBody;
}
