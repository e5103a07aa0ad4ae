/** Errors of the CLI v2 job-YAML loader: each names the file, the key and the line when known. */

export type JobDefinitionErrorCode =
  | "YamlSyntax"
  | "NotAMapping"
  | "UnknownKey"
  | "Unsupported"
  | "MissingKey"
  | "InvalidValue"
  | "FileNotFound"
  | "UnknownBinding"
  | "BadOverride";

export interface SourceLocation {
  /** Absolute path of the YAML file. */
  filePath: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
  /** Dotted key path of what is referenced there, e.g. `jobs.train.inputs.data.path`. */
  keyPath?: string;
}

export interface JobDefinitionErrorOptions {
  location?: SourceLocation;
  /** Dotted key path in the document, e.g. `jobs.train.inputs.lr`. */
  keyPath?: string;
  cause?: unknown;
}

/** A job definition the loader refuses, with where it is. The message is complete and user-facing. */
export class JobDefinitionError extends Error {
  readonly code: JobDefinitionErrorCode;
  readonly filePath?: string;
  readonly line?: number;
  readonly column?: number;
  readonly keyPath?: string;

  constructor(code: JobDefinitionErrorCode, message: string, options: JobDefinitionErrorOptions = {}) {
    super(withLocation(message, options.location), { cause: options.cause });
    this.name = "JobDefinitionError";
    this.code = code;
    this.filePath = options.location?.filePath;
    this.line = options.location?.line;
    this.column = options.location?.column;
    this.keyPath = options.keyPath;
  }
}

function withLocation(message: string, location: SourceLocation | undefined): string {
  if (!location) return message;
  const where =
    location.line === undefined ? location.filePath : `${location.filePath}:${location.line}${location.column === undefined ? "" : `:${location.column}`}`;
  return `${message} (${where})`;
}
