/** Links into Azure Data Factory Studio for the cloud the connection points at. */

/** ARM id of a factory, as ADF Studio expects it in `?factory=`. */
export function factoryResourceId(subscriptionId: string, resourceGroupName: string, factoryName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.DataFactory/factories/${factoryName}`;
}

/** `<studio>/en/monitoring/pipelineruns/<runId>?factory=<factory id, URL-encoded>` */
export function pipelineRunUrl(adfStudioUrl: string, runId: string, factoryId: string): string {
  const studio = adfStudioUrl.replace(/\/+$/, "");
  return `${studio}/en/monitoring/pipelineruns/${encodeURIComponent(runId)}?factory=${encodeURIComponent(factoryId)}`;
}
