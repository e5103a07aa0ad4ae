/**
 * Lineage recorded on a registered model version: the Azure Pipelines build that registered it
 * (immutable `properties`, and the build id and commit as `tags` so the studio can filter on
 * them), and the job whose output it came from.
 */

/** What the entry reads from the agent's predefined variables. */
export interface BuildInfo {
  /** Build.BuildId */
  buildId?: string;
  /** Build.BuildNumber */
  buildNumber?: string;
  /** Build.DefinitionName */
  definitionName?: string;
  /** Build.Repository.Name */
  repositoryName?: string;
  /** Build.SourceVersion (the commit) */
  sourceVersion?: string;
  /** Build.SourceBranch */
  sourceBranch?: string;
  /** System.CollectionUri (ends with `/`) */
  collectionUri?: string;
  /** System.TeamProject */
  teamProject?: string;
}

/** Property and tag keys this task writes. */
export const LINEAGE_KEYS = {
  buildId: "devops.buildId",
  buildNumber: "devops.buildNumber",
  buildUrl: "devops.buildUrl",
  definitionName: "devops.pipeline",
  repositoryName: "devops.repository",
  sourceVersion: "devops.sourceVersion",
  sourceBranch: "devops.sourceBranch",
  jobName: "mlops.jobName",
  jobOutput: "mlops.jobOutput",
  registrationId: "mlops.registrationId",
} as const;

/** `<collection>/<project>/_build/results?buildId=<id>`, or undefined without those variables. */
export function buildUrl(info: BuildInfo): string | undefined {
  if (!info.collectionUri || !info.teamProject || !info.buildId) return undefined;
  const base = info.collectionUri.endsWith("/") ? info.collectionUri : `${info.collectionUri}/`;
  return `${base}${encodeURIComponent(info.teamProject)}/_build/results?buildId=${encodeURIComponent(info.buildId)}`;
}

/** Properties describing the build and, for a job output, the job. Empty values are left out. */
export function lineageProperties(info: BuildInfo, job?: { name: string; output: string }): Record<string, string> {
  const entries: [string, string | undefined][] = [
    [LINEAGE_KEYS.buildId, info.buildId],
    [LINEAGE_KEYS.buildNumber, info.buildNumber],
    [LINEAGE_KEYS.buildUrl, buildUrl(info)],
    [LINEAGE_KEYS.definitionName, info.definitionName],
    [LINEAGE_KEYS.repositoryName, info.repositoryName],
    [LINEAGE_KEYS.sourceVersion, info.sourceVersion],
    [LINEAGE_KEYS.sourceBranch, info.sourceBranch],
    [LINEAGE_KEYS.jobName, job?.name],
    [LINEAGE_KEYS.jobOutput, job?.output],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => typeof e[1] === "string" && e[1].length > 0));
}

/** Tags for filtering in the studio: the build id and the commit. */
export function lineageTags(info: BuildInfo): Record<string, string> {
  const tags: Record<string, string> = {};
  if (info.buildId) tags[LINEAGE_KEYS.buildId] = info.buildId;
  if (info.sourceVersion) tags[LINEAGE_KEYS.sourceVersion] = info.sourceVersion;
  return tags;
}
