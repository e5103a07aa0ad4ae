/**
 * Factories (get, list by resource group and by subscription) and pipelines (get, list by
 * factory), with the bodies `@azure/arm-datafactory` deserializes, and the checks a pipeline
 * definition added through the control API must pass.
 */
import { randomUUID } from "node:crypto";
import type { EmuRequest } from "../../framework";
import { resourceNotFound } from "../../framework";
import { API_VERSIONS, PROVIDER, clone, factoryResourceId, nextLinkPage, ok } from "./common";
import type { AdfService, FactoryState, PipelineRecord, PipelineSpec } from "./state";
import { PARAMETER_TYPES } from "./state";
import { checkParameterValue } from "./parameters";

export function factoryBody(f: FactoryState): Record<string, unknown> {
  return {
    id: factoryResourceId(f),
    name: f.factoryName,
    type: `${PROVIDER}/factories`,
    location: f.location,
    tags: { ...f.tags },
    eTag: f.etag,
    identity: { type: "SystemAssigned", principalId: f.principalId, tenantId: "" },
    properties: { provisioningState: "Succeeded", createTime: f.createTime, version: "2018-06-01", publicNetworkAccess: "Enabled" },
  };
}

export function pipelineBody(f: FactoryState, p: PipelineRecord): Record<string, unknown> {
  return {
    id: `${factoryResourceId(f)}/pipelines/${p.name}`,
    name: p.name,
    type: `${PROVIDER}/factories/pipelines`,
    etag: p.etag,
    properties: {
      ...(p.description !== undefined ? { description: p.description } : {}),
      activities: p.activities.map((a) => ({
        name: a.name,
        type: a.type,
        ...(a.description !== undefined ? { description: a.description } : {}),
        dependsOn: a.dependsOn.map((d) => ({ activity: d.activity, dependencyConditions: [...d.dependencyConditions] })),
        userProperties: [],
        ...(EXECUTION_TYPES.has(a.type)
          ? { policy: { timeout: "0.12:00:00", retry: 0, retryIntervalInSeconds: 30, secureOutput: false, secureInput: false } }
          : {}),
        typeProperties: clone(a.typeProperties),
      })),
      parameters: Object.fromEntries(
        Object.entries(p.parameters).map(([k, v]) => [k, { type: v.type, ...(v.defaultValue !== undefined ? { defaultValue: clone(v.defaultValue) } : {}) }]),
      ),
      annotations: [...p.annotations],
    },
  };
}

const EXECUTION_TYPES = new Set([
  "Copy",
  "DatabricksNotebook",
  "DatabricksSparkPython",
  "DatabricksSparkJar",
  "AzureMLExecutePipeline",
  "SqlServerStoredProcedure",
  "WebActivity",
  "Lookup",
  "GetMetadata",
  "Script",
]);

/** typeProperties the SDK's activity mappers expect, when a test does not give its own. */
function defaultTypeProperties(type: string, name: string): Record<string, unknown> {
  switch (type) {
    case "Copy":
      return { source: { type: "BlobSource", recursive: true }, sink: { type: "BlobSink" }, enableStaging: false };
    case "DatabricksNotebook":
      return { notebookPath: `/Shared/${name}` };
    case "Wait":
      return { waitTimeInSeconds: 1 };
    case "ExecutePipeline":
      return { pipeline: { referenceName: name, type: "PipelineReference" }, waitOnCompletion: true };
    default:
      return {};
  }
}

/** Turns a control-API pipeline spec into a record; throws on definitions ADF would refuse. */
export function normalizePipeline(name: string, spec: PipelineSpec): PipelineRecord {
  if (!/^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$/.test(name) || name.length > 260) throw new Error(`invalid pipeline name '${name}'`);
  const parameters = spec.parameters ?? {};
  for (const [pname, p] of Object.entries(parameters)) {
    if (!PARAMETER_TYPES.includes(p.type)) throw new Error(`parameter '${pname}': unknown type '${String(p.type)}'`);
    if (p.defaultValue !== undefined && checkParameterValue(p.type, p.defaultValue) === undefined) {
      throw new Error(`parameter '${pname}': default ${JSON.stringify(p.defaultValue)} is not a ${p.type}`);
    }
  }
  const names = new Set<string>();
  for (const a of spec.activities) {
    if (names.has(a.name)) throw new Error(`duplicate activity '${a.name}'`);
    names.add(a.name);
  }
  const activities = spec.activities.map((a) => ({
    name: a.name,
    type: a.type,
    ...(a.description !== undefined ? { description: a.description } : {}),
    dependsOn: (a.dependsOn ?? []).map((d) =>
      typeof d === "string"
        ? { activity: d, dependencyConditions: ["Succeeded" as const] }
        : { activity: d.activity, dependencyConditions: [...d.dependencyConditions] },
    ),
    typeProperties: a.typeProperties ? clone(a.typeProperties) : defaultTypeProperties(a.type, a.name),
  }));
  for (const a of activities) {
    for (const d of a.dependsOn) if (!names.has(d.activity)) throw new Error(`activity '${a.name}' depends on unknown activity '${d.activity}'`);
  }
  // Reject cycles (ADF validates the graph on publish).
  const state = new Map<string, number>();
  const visit = (n: string): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) throw new Error(`activity dependencies form a cycle through '${n}'`);
    state.set(n, 1);
    for (const d of activities.find((a) => a.name === n)!.dependsOn) visit(d.activity);
    state.set(n, 2);
  };
  for (const a of activities) visit(a.name);
  return {
    name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    parameters: clone(parameters),
    activities,
    annotations: [...(spec.annotations ?? [])],
    etag: randomUUID(),
  };
}

export function registerFactoryRoutes(adf: AdfService): void {
  const { router } = adf.ctx;
  const list = (req: EmuRequest, items: FactoryState[]) => nextLinkPage(req, items.map(factoryBody), adf.pageSize, adf.ctx.baseUrl());
  router.add(
    "GET",
    "/subscriptions/:subscriptionId/providers/Microsoft.DataFactory/factories",
    (req) =>
      list(
        req,
        [...adf.factories.values()].filter((f) => f.subscriptionId.toLowerCase() === req.params.subscriptionId.toLowerCase()),
      ),
    { auth: "arm", action: `${PROVIDER}/factories/read`, apiVersions: API_VERSIONS },
  );
  router.add(
    "GET",
    "/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.DataFactory/factories",
    (req) =>
      list(
        req,
        [...adf.factories.values()].filter(
          (f) =>
            f.subscriptionId.toLowerCase() === req.params.subscriptionId.toLowerCase() &&
            f.resourceGroupName.toLowerCase() === req.params.resourceGroupName.toLowerCase(),
        ),
      ),
    { auth: "arm", action: `${PROVIDER}/factories/read`, apiVersions: API_VERSIONS },
  );
  adf.factoryRoute("GET", "", `${PROVIDER}/factories/read`, (req, f) => {
    if (req.headers["if-none-match"] === f.etag) return { status: 304 };
    return ok(factoryBody(f));
  });
  adf.factoryRoute("GET", "/pipelines", `${PROVIDER}/factories/pipelines/read`, (req, f) =>
    nextLinkPage(
      req,
      [...f.pipelines.values()].map((p) => pipelineBody(f, p)),
      adf.pageSize,
      adf.ctx.baseUrl(),
    ),
  );
  adf.factoryRoute("GET", "/pipelines/:pipelineName", `${PROVIDER}/factories/pipelines/read`, (req, f) => {
    const p = f.pipelines.get(req.params.pipelineName.toLowerCase());
    if (!p) return pipelineNotFound(f, req.params.pipelineName);
    if (req.headers["if-none-match"] === p.etag) return { status: 304 };
    return ok(pipelineBody(f, p));
  });
}

/** ARM-style 404 naming the pipeline and its factory. */
export function pipelineNotFound(f: FactoryState, name: string) {
  return resourceNotFound(`${PROVIDER}/factories/${f.factoryName}/pipelines`, name, f.resourceGroupName);
}
