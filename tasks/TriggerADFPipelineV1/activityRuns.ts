/** The activity runs of a pipeline run (queryActivityruns, all pages), as rows for reports. */
import type { ActivityRun, DataFactoryManagementClient } from "@azure/arm-datafactory";
import type { RunRef } from "./runRef";
import { remoteText } from "../common/remoteText";

export interface ActivityRow {
  name: string;
  type: string;
  status: string;
  start?: Date;
  durationInMs?: number;
  /** "<errorCode>: <message>" for a failed activity, "" otherwise. */
  error: string;
}

/** ADF only returns activity runs updated inside the query window; this margin covers clock skew. */
const WINDOW_MARGIN_IN_MS = 10 * 60 * 1000;

export async function listActivityRuns(
  client: DataFactoryManagementClient,
  run: RunRef & { runStart?: Date; runEnd?: Date },
  abortSignal: AbortSignal,
): Promise<ActivityRow[]> {
  const after = new Date((run.runStart ?? new Date()).getTime() - WINDOW_MARGIN_IN_MS);
  const before = new Date(Math.max(run.runEnd?.getTime() ?? 0, Date.now()) + WINDOW_MARGIN_IN_MS);
  const rows: ActivityRow[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.activityRuns.queryByPipelineRun(
      run.resourceGroupName,
      run.factoryName,
      run.runId,
      { lastUpdatedAfter: after, lastUpdatedBefore: before, continuationToken, orderBy: [{ orderBy: "ActivityRunStart", order: "ASC" }] },
      { abortSignal },
    );
    rows.push(...page.value.map(toRow));
    continuationToken = page.continuationToken || undefined;
  } while (continuationToken);
  return rows.sort((a, b) => (a.start?.getTime() ?? Infinity) - (b.start?.getTime() ?? Infinity));
}

export function toRow(run: ActivityRun): ActivityRow {
  return {
    name: remoteText(run.activityName),
    type: remoteText(run.activityType),
    status: remoteText(run.status),
    start: run.activityRunStart,
    durationInMs: typeof run.durationInMs === "number" ? run.durationInMs : undefined,
    error: activityError(run.error),
  };
}

/** `error` is `{errorCode, message, failureType, target}`, with empty strings when the activity did not fail. */
function activityError(error: unknown): string {
  if (!error || typeof error !== "object") return "";
  const { errorCode, message } = error as { errorCode?: unknown; message?: unknown };
  const text = remoteText(message);
  const code = remoteText(errorCode);
  if (!text) return code;
  return code ? `${code}: ${text}` : text;
}
