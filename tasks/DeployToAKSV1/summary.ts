/** The build summary section: where the model is served and how the traffic is split. */
import * as tl from "azure-pipelines-task-lib/task";
import { markdownTable, uploadMarkdownSummary } from "../common/logging";
import type { DeployResult } from "./operation";

export function writeSummary(result: DeployResult, workspaceName: string): void {
  const rows = Object.entries(result.traffic).map(([name, share]) => [name === result.deploymentName ? `**${name}** (this run)` : name, `${share}%`]);
  const markdown = [
    tl.loc("SummaryHeading", result.endpointName, workspaceName),
    "",
    `- ${tl.loc("SummaryScoringUri", result.scoringUri)}`,
    ...(result.swaggerUri ? [`- ${tl.loc("SummarySwaggerUri", result.swaggerUri)}`] : []),
    "",
    markdownTable([tl.loc("SummaryDeployment"), tl.loc("SummaryTraffic")], rows.length ? rows : [[result.deploymentName, "0%"]]),
    "",
  ].join("\n");
  uploadMarkdownSummary(`Deploy to AKS - ${result.endpointName}`, markdown);
}
