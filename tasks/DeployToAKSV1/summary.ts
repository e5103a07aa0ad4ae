/** The build summary section: where the model is served and how the traffic is split. */
import type { Loc } from "../common/loc";
import { markdownTable, uploadMarkdownSummary } from "../common/logging";
import type { DeployResult } from "./operation";

export function writeSummary(result: DeployResult, workspaceName: string, loc: Loc): void {
  const rows = Object.entries(result.traffic).map(([name, share]) => [name === result.deploymentName ? `**${name}** (this run)` : name, `${share}%`]);
  const markdown = [
    loc("SummaryHeading", result.endpointName, workspaceName),
    "",
    `- ${loc("SummaryScoringUri", result.scoringUri)}`,
    ...(result.swaggerUri ? [`- ${loc("SummarySwaggerUri", result.swaggerUri)}`] : []),
    "",
    markdownTable([loc("SummaryDeployment"), loc("SummaryTraffic")], rows.length ? rows : [[result.deploymentName, "0%"]]),
    "",
  ].join("\n");
  uploadMarkdownSummary(`Deploy to AKS - ${result.endpointName}`, markdown);
}
