/**
 * Versioned assets — codes, components, environments, models, data: containers (list, get,
 * createOrUpdate, delete) and versions (list with `$orderBy`/`$top`/`$skip` and the model and data
 * filters, get, createOrUpdate, delete), and the resolution of asset references used by jobs and
 * deployments.
 *
 * A version is immutable once created, except `description`, `tags` and `isArchived`: a PUT of the
 * same content is an idempotent 200; a different asset path is 409 `UserError` "Asset paths cannot
 * be updated." (the service's message), other changed content is 409 `UserError` too.
 * Containers appear implicitly with their first version (the CLI never PUTs model containers).
 * A created version answers 201 with `Location` (recorded: Azure/azure-sdk-for-python
 * sdk/ml/azure-ai-ml/tests/recordings/model/e2etests/test_model.pyTestModeltest_crud_file.json).
 *
 * Anonymous components are deduplicated on content: a PUT of `azureml_anonymous/versions/<new
 * hash>` whose spec equals an existing anonymous version's answers 201 with that version's name
 * and id (recorded: .../pipeline_job/e2etests/test_pipeline_job.pyTestPipelineJobLongRunningtest_pipeline_job_get_child_run.json,
 * where the SDK then uses the returned id in the job body).
 */
import type { EmuRequest, EmuResponse, Schema } from "../../framework";
import { armError, checkBody } from "../../framework";
import type { WorkspaceRef } from "./common";
import {
  PROVIDER,
  bodyObject,
  clone,
  compareVersions,
  isRecord,
  jsonEqual,
  notFound,
  ok,
  page,
  parseChildId,
  stampSystemData,
  userError,
  workspaceResourceId,
} from "./common";
import {
  codeVersionSchema,
  componentVersionSchema,
  containerSchema,
  dataContainerSchema,
  dataVersionSchema,
  environmentVersionSchema,
  modelVersionSchema,
} from "./schemas";
import type { AssetContainer, AssetKind, AssetVersion, MlService, WorkspaceState } from "./state";
import { ASSET_KINDS } from "./state";

interface KindInfo {
  /** Human name in messages. */
  label: string;
  versionSchema: Schema;
  containerSchema: Schema;
  /** The version property holding the asset's storage path, if any. */
  pathProperty?: string;
}

const KINDS: Record<AssetKind, KindInfo> = {
  codes: { label: "Code", versionSchema: codeVersionSchema, containerSchema, pathProperty: "codeUri" },
  components: { label: "Component", versionSchema: componentVersionSchema, containerSchema },
  environments: { label: "Environment", versionSchema: environmentVersionSchema, containerSchema },
  models: { label: "Model", versionSchema: modelVersionSchema, containerSchema, pathProperty: "modelUri" },
  data: { label: "Data", versionSchema: dataVersionSchema, containerSchema: dataContainerSchema, pathProperty: "dataUri" },
};

/** Version properties a PUT may change on an existing version. */
const MUTABLE = new Set(["description", "tags", "isArchived", "stage"]);
/** Defaults the service fills in, so that sending them or not is the same content. */
const DEFAULTS: Record<string, unknown> = { isAnonymous: false, isArchived: false, osType: "Linux", autoRebuild: "Disabled" };

export function kindLabel(kind: AssetKind): string {
  return KINDS[kind].label;
}

/** Names of curated environments (service-provided; `environmentType: Curated`). */
export function isCuratedEnvironmentName(name: string): boolean {
  return /^AzureML-/i.test(name);
}

// ---------------------------------------------------------------------------------------------
// Bodies

function containerBody(ws: WorkspaceRef, kind: AssetKind, c: AssetContainer): Record<string, unknown> {
  const versions = [...c.versions.values()];
  const latest = versions.sort((a, b) => b.seq - a.seq)[0];
  const maxInt = versions.filter((v) => /^\d+$/.test(v.version)).reduce((m, v) => Math.max(m, Number(v.version)), 0);
  return {
    id: `${workspaceResourceId(ws)}/${kind}/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/workspaces/${kind}`,
    properties: { ...clone(c.properties), latestVersion: latest?.version ?? null, nextVersion: String(maxInt + 1) },
    systemData: c.systemData,
  };
}

function versionBody(ws: WorkspaceRef, kind: AssetKind, v: AssetVersion): Record<string, unknown> {
  const properties: Record<string, unknown> = { ...defaultsFor(kind), ...clone(v.properties) };
  if (kind === "environments") properties.environmentType = isCuratedEnvironmentName(v.name) ? "Curated" : "UserCreated";
  return {
    id: `${workspaceResourceId(ws)}/${kind}/${v.name}/versions/${v.version}`,
    name: v.version,
    type: `${PROVIDER}/workspaces/${kind}/versions`,
    properties,
    systemData: v.systemData,
  };
}

function defaultsFor(kind: AssetKind): Record<string, unknown> {
  const base: Record<string, unknown> = { description: null, tags: {}, properties: {}, isAnonymous: false, isArchived: false };
  if (kind === "environments") return { ...base, osType: "Linux", autoRebuild: "Disabled" };
  // test_model.pyTestModeltest_crud_file.json: model versions carry `jobName` (null unless from a job).
  if (kind === "models") return { ...base, jobName: null };
  return base;
}

// ---------------------------------------------------------------------------------------------
// Store operations (also used by seeding)

export interface PutVersionResult {
  created: boolean;
  version: AssetVersion;
}

/** Creates or updates a version; returns an error response when the content conflicts. */
export function putVersion(
  ml: MlService,
  ws: WorkspaceState,
  kind: AssetKind,
  name: string,
  version: string,
  properties: Record<string, unknown>,
  req?: EmuRequest,
): PutVersionResult | EmuResponse {
  const info = KINDS[kind];
  const problem = semanticProblem(kind, name, properties);
  if (problem) return userError(400, problem);
  let container = ws.assets[kind].get(name.toLowerCase());
  if (kind === "data" && container && container.properties.dataType !== properties.dataType) {
    return userError(
      400,
      `Data '${name}' is of type '${String(container.properties.dataType)}'; version '${version}' cannot be of type '${String(properties.dataType)}'.`,
    );
  }
  const existing = container?.versions.get(version);
  if (existing) {
    if (info.pathProperty && !jsonEqual(existing.properties[info.pathProperty], properties[info.pathProperty])) {
      return userError(409, "Asset paths cannot be updated.", info.pathProperty);
    }
    const changed = immutableDifference(existing.properties, properties);
    if (changed) {
      return userError(
        409,
        `${info.label} version '${name}:${version}' already exists and its '${changed}' cannot be changed; only description, tags and isArchived can be updated. Register a new version instead.`,
        changed,
      );
    }
    for (const key of MUTABLE) if (key in properties) existing.properties[key] = clone(properties[key]);
    existing.systemData = stampSystemData(req, existing.systemData);
    return { created: false, version: existing };
  }
  if (!container) {
    container = {
      name,
      properties: { description: null, tags: {}, properties: {}, isArchived: false, ...(kind === "data" ? { dataType: properties.dataType } : {}) },
      systemData: stampSystemData(req),
      versions: new Map(),
    };
    ws.assets[kind].set(name.toLowerCase(), container);
  }
  const created: AssetVersion = { name: container.name, version, properties: clone(properties), systemData: stampSystemData(req), seq: ml.nextSeq() };
  container.versions.set(version, created);
  return { created: true, version: created };
}

function semanticProblem(kind: AssetKind, name: string, p: Record<string, unknown>): string | undefined {
  if (kind === "environments") {
    const hasImage = typeof p.image === "string" && p.image.length > 0;
    const hasBuild = isRecord(p.build);
    if (!hasImage && !hasBuild) return "Docker image or Dockerfile is required for environments.";
    if (hasImage && hasBuild) return "Docker image or Dockerfile should be provided not both.";
  }
  if (kind === "components") {
    const spec = p.componentSpec as Record<string, unknown>;
    if (typeof spec.type !== "string") return `Component '${name}': componentSpec.type is required (e.g. "command").`;
  }
  return undefined;
}

function immutableDifference(before: Record<string, unknown>, after: Record<string, unknown>): string | undefined {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (MUTABLE.has(key)) continue;
    const a = normalize(key, before[key]);
    const b = normalize(key, after[key]);
    if (!jsonEqual(a, b)) return key;
  }
  return undefined;
}

function normalize(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return DEFAULTS[key];
  if (isRecord(value) && Object.keys(value).length === 0) return undefined;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Reference resolution (jobs, deployments)

export type Resolution = { ok: true; version?: AssetVersion; external?: boolean } | { ok: false; message: string };

/**
 * Resolves an asset reference: an ARM id (`.../<kind>/<name>/versions/<v>` or `/labels/<label>`,
 * optionally `azureml:`-prefixed), `azureml:<name>:<version>`, `azureml:<name>@latest`, or a
 * registry id (`azureml://registries/...`, accepted as external).
 */
export function resolveAsset(ml: MlService, ws: WorkspaceState, kind: AssetKind, ref: string): Resolution {
  const label = kindLabel(kind);
  if (/^azureml:\/\/registries\//i.test(ref)) return { ok: true, external: true };
  const parsed = parseChildId(ref);
  let target = ws;
  let name: string;
  let version: string | undefined;
  let wantLatest = false;
  if (parsed) {
    if (parsed.type !== kind) return { ok: false, message: `'${ref}' is not a ${label.toLowerCase()} id.` };
    const other = ml.workspace(parsed);
    if (!other) return { ok: false, message: `${label} '${ref}' refers to workspace '${parsed.workspaceName}', which does not exist.` };
    target = other;
    name = parsed.name;
    version = parsed.version;
    wantLatest = !!parsed.label;
    if (!version && !parsed.label) return { ok: false, message: `${label} '${ref}' has no version.` };
  } else {
    const m = /^azureml:([^:@/]+)(?::([^:@/]+)|@([A-Za-z]+))$/.exec(ref.trim());
    if (!m)
      return { ok: false, message: `'${ref}' is not a valid ${label.toLowerCase()} reference (expected an ARM id .../${kind}/<name>/versions/<version>).` };
    name = m[1];
    version = m[2];
    wantLatest = !!m[3];
    if (m[3] && m[3].toLowerCase() !== "latest") return { ok: false, message: `Unsupported label '${m[3]}' in '${ref}'.` };
  }
  const container = target.assets[kind].get(name.toLowerCase());
  if (!container || container.versions.size === 0) {
    return { ok: false, message: `${label} '${name}' was not found in workspace '${target.workspaceName}'.` };
  }
  if (wantLatest) return { ok: true, version: [...container.versions.values()].sort((a, b) => b.seq - a.seq)[0] };
  const v = container.versions.get(version!);
  if (!v) return { ok: false, message: `${label} '${name}' version '${version}' was not found in workspace '${target.workspaceName}'.` };
  return { ok: true, version: v };
}

// ---------------------------------------------------------------------------------------------
// Routes

export function registerAssetRoutes(ml: MlService): void {
  for (const kind of ASSET_KINDS) registerKind(ml, kind);
}

function registerKind(ml: MlService, kind: AssetKind): void {
  const info = KINDS[kind];
  const action = `Microsoft.MachineLearningServices/workspaces/${kind}`;
  const vAction = `${action}/versions`;

  ml.wsRoute("GET", `/${kind}`, `${action}/read`, (req, ws) => {
    const view = listView(req);
    if (typeof view !== "function") return view;
    const items = [...ws.assets[kind].values()]
      .filter((c) => view(c.properties.isArchived === true))
      .sort((a, b) => (a.systemData.createdAt < b.systemData.createdAt ? 1 : -1))
      .map((c) => containerBody(ws, kind, c));
    const count = req.query.get("count");
    return page(req, items, { ...ml.pageOptions(), ...(count && Number(count) > 0 ? { size: Number(count) } : {}) });
  });

  ml.wsRoute("GET", `/${kind}/:name`, `${action}/read`, (req, ws) => {
    const c = ws.assets[kind].get(req.params.name.toLowerCase());
    return c ? ok(containerBody(ws, kind, c)) : notFound(info.label, req.params.name, ws);
  });

  ml.wsRoute("PUT", `/${kind}/:name`, `${action}/write`, (req, ws) => {
    const invalid = checkBody(req.body, info.containerSchema);
    if (invalid) return invalid;
    const props = clone(bodyObject(req)!.properties as Record<string, unknown>);
    delete props.latestVersion;
    delete props.nextVersion;
    const key = req.params.name.toLowerCase();
    const existing = ws.assets[kind].get(key);
    if (existing) {
      if (kind === "data" && existing.versions.size > 0 && existing.properties.dataType !== props.dataType) {
        return userError(
          400,
          `Data '${existing.name}' has versions of type '${String(existing.properties.dataType)}'; its dataType cannot be changed.`,
          "dataType",
        );
      }
      existing.properties = { ...existing.properties, ...props };
      existing.systemData = stampSystemData(req, existing.systemData);
      return ok(containerBody(ws, kind, existing));
    }
    const c: AssetContainer = {
      name: req.params.name,
      properties: { description: null, tags: {}, properties: {}, isArchived: false, ...props },
      systemData: stampSystemData(req),
      versions: new Map(),
    };
    ws.assets[kind].set(key, c);
    return ok(containerBody(ws, kind, c), 201);
  });

  ml.wsRoute("DELETE", `/${kind}/:name`, `${action}/delete`, (req, ws) => {
    const key = req.params.name.toLowerCase();
    if (!ws.assets[kind].has(key)) return { status: 204 };
    ws.assets[kind].delete(key);
    return { status: 200 };
  });

  ml.wsRoute("GET", `/${kind}/:name/versions`, `${vAction}/read`, (req, ws) => listVersions(ml, req, ws, kind));

  ml.wsRoute("GET", `/${kind}/:name/versions/:version`, `${vAction}/read`, (req, ws) => {
    const v = ws.assets[kind].get(req.params.name.toLowerCase())?.versions.get(req.params.version);
    if (v) return ok(versionBody(ws, kind, v));
    const missing = notFound(`${info.label} version`, `${req.params.name}:${req.params.version}`, ws);
    // A missing model names ModelNotFound in its detail (GUESSES.md: Azure ML jobs and assets).
    return kind === "models"
      ? armError(404, "UserError", (missing.body as { error: { message: string } }).error.message, {
          details: [{ code: "ModelNotFound", message: `Model '${req.params.name}' version '${req.params.version}' was not found.` }],
        })
      : missing;
  });

  ml.wsRoute("PUT", `/${kind}/:name/versions/:version`, `${vAction}/write`, (req, ws) => {
    const invalid = checkBody(req.body, info.versionSchema);
    if (invalid) return invalid;
    if (kind === "environments" && isCuratedEnvironmentName(req.params.name)) {
      return userError(400, `Environment name '${req.params.name}' is reserved: names starting with 'AzureML-' belong to curated environments.`, "name");
    }
    // If-None-Match: * (create only): an existing version is 412, never overwritten (HTTP/ARM semantics).
    if (req.headers["if-none-match"] === "*" && ws.assets[kind].get(req.params.name.toLowerCase())?.versions.has(req.params.version)) {
      return armError(412, "PreconditionFailed", `${info.label} version '${req.params.name}:${req.params.version}' already exists.`);
    }
    const props = clone(bodyObject(req)!.properties as Record<string, unknown>);
    delete props.environmentType;
    const location = { Location: `${ml.ctx.baseUrl()}${req.url.pathname}${req.url.search}` };
    const same = kind === "components" && props.isAnonymous === true ? sameAnonymousComponent(ws, req.params.name, req.params.version, props) : undefined;
    if (same) return ok(versionBody(ws, kind, same), 201, location);
    const result = putVersion(ml, ws, kind, req.params.name, req.params.version, props, req);
    if (!("created" in result)) return result;
    return ok(versionBody(ws, kind, result.version), result.created ? 201 : 200, result.created ? location : undefined);
  });

  ml.wsRoute("DELETE", `/${kind}/:name/versions/:version`, `${vAction}/delete`, (req, ws) => {
    const c = ws.assets[kind].get(req.params.name.toLowerCase());
    if (!c?.versions.has(req.params.version)) return { status: 204 };
    c.versions.delete(req.params.version);
    return { status: 200 };
  });
}

/** Another anonymous version of this component with the same spec (SDK-only keys such as `_source` aside). */
function sameAnonymousComponent(ws: WorkspaceState, name: string, version: string, props: Record<string, unknown>): AssetVersion | undefined {
  const container = ws.assets.components.get(name.toLowerCase());
  if (!container || container.versions.has(version)) return undefined;
  const content = (spec: unknown) => (isRecord(spec) ? Object.fromEntries(Object.entries(spec).filter(([k]) => !k.startsWith("_") && k !== "$schema")) : spec);
  return [...container.versions.values()].find(
    (v) => v.properties.isAnonymous === true && jsonEqual(content(v.properties.componentSpec), content(props.componentSpec)),
  );
}

/** `listViewType` → a predicate on "is archived", or the 400 for an unknown value. */
function listView(req: EmuRequest): ((archived: boolean) => boolean) | EmuResponse {
  const v = req.query.get("listViewType") ?? "ActiveOnly";
  switch (v.toLowerCase()) {
    case "activeonly":
      return (archived) => !archived;
    case "archivedonly":
      return (archived) => archived;
    case "all":
      return () => true;
    default:
      return userError(400, `listViewType '${v}' is not one of ActiveOnly, ArchivedOnly, All.`, "listViewType");
  }
}

function listVersions(ml: MlService, req: EmuRequest, ws: WorkspaceState, kind: AssetKind): EmuResponse {
  const c = ws.assets[kind].get(req.params.name.toLowerCase());
  if (!c) return notFound(kindLabel(kind), req.params.name, ws);
  const view = listView(req);
  if (typeof view !== "function") return view;
  let items = [...c.versions.values()].filter((v) => view(v.properties.isArchived === true));

  // model filters (version, description, tags, properties) and data's $tags
  const version = req.query.get("version");
  if (version) items = items.filter((v) => v.version === version);
  const description = req.query.get("description");
  if (description) items = items.filter((v) => typeof v.properties.description === "string" && v.properties.description.includes(description));
  const tags = req.query.get("tags") ?? req.query.get("$tags");
  if (tags) items = items.filter((v) => matchesPairs(v.properties.tags, tags));
  const props = req.query.get("properties");
  if (props) items = items.filter((v) => matchesPairs(v.properties.properties, props));

  const orderBy = (req.query.get("$orderBy") ?? "createdtime desc").trim();
  const m = /^(createdtime|modifiedtime|version|name)(?:\s+(asc|desc))?$/i.exec(orderBy);
  if (!m)
    return userError(
      400,
      `$orderBy '${orderBy}' is not supported; use 'createdtime desc', 'createdtime asc', 'modifiedtime desc' or 'version desc'.`,
      "$orderBy",
    );
  const dir = (m[2] ?? "asc").toLowerCase() === "desc" ? -1 : 1;
  const field = m[1].toLowerCase();
  items.sort((a, b) => {
    if (field === "createdtime") return (a.seq - b.seq) * dir;
    if (field === "modifiedtime")
      return (
        (a.systemData.lastModifiedAt < b.systemData.lastModifiedAt ? -1 : a.systemData.lastModifiedAt > b.systemData.lastModifiedAt ? 1 : a.seq - b.seq) * dir
      );
    return compareVersions(a.version, b.version) * dir;
  });

  const offset = req.query.get("offset");
  if (offset) {
    const n = Number(offset);
    if (!Number.isInteger(n) || n < 0) return userError(400, `offset '${offset}' is not a non-negative integer.`, "offset");
    items = items.slice(n);
  }
  const top = req.query.get("$top");
  let cap: number | undefined;
  if (top !== null) {
    cap = Number(top);
    if (!Number.isInteger(cap) || cap < 1) return userError(400, `$top '${top}' is not a positive integer.`, "$top");
  }
  return page(
    req,
    items.map((v) => versionBody(ws, kind, v)),
    { ...ml.pageOptions(), cap },
  );
}

/** "k1,k2=v2" against a string map: every key present, with the value when given. */
function matchesPairs(map: unknown, filter: string): boolean {
  const m = isRecord(map) ? map : {};
  return filter
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p)
    .every((pair) => {
      const i = pair.indexOf("=");
      if (i < 0) return pair in m;
      return m[pair.slice(0, i)] === pair.slice(i + 1);
    });
}
