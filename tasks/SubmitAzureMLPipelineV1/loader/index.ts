/** The CLI v2 job-YAML loader: load → plan → (caller resolves, uploads, registers) → buildJobBody. */
export { loadJob, ANONYMOUS_COMPONENT_NAME, type LoadJobOptions } from "./loadJob";
export type {
  CodeVersionBody,
  CodeVersionRegistration,
  ComponentVersionBody,
  ComponentVersionRegistration,
  EnvironmentVersionBody,
  EnvironmentVersionRegistration,
  JobBody,
  JobBodyOptions,
  JobKind,
  JobPlan,
  ResolvedJobDependencies,
  UploadAction,
  WorkspaceReference,
} from "./jobPlan";
export { JobDefinitionError, type JobDefinitionErrorCode, type SourceLocation } from "./errors";
export { ANONYMOUS_ENVIRONMENT_NAME } from "./environments";
export { defaultExperimentName, generateJobName } from "./cliDefaultNames";
export { workspaceChildId } from "./references";
