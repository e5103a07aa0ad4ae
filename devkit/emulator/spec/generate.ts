/**
 * Generates the emulator's request-body schemas from the Azure REST API specification of
 * Microsoft.MachineLearningServices (2022-10-01: mfe.json and machineLearningServices.json under
 * ../shared/reference/azure-rest-specs, as published in Azure/azure-rest-api-specs), so that the
 * bodies the emulator accepts are decided by the spec, not by a hand transcription.
 *
 *   node out/devkit/emulator/spec/generate.js          rewrites devkit/emulator/spec/ml-2022-10-01.json
 *
 * The output is the framework's Schema subset (see framework.ts) with named definitions and
 * {"$ref": name} links (load.ts resolves them): Swagger `required` → required, `x-nullable` →
 * nullable, `enum` → enum, `pattern`, `minimum`/`maximum`, `additionalProperties` → a map,
 * `allOf` → merged properties, a `discriminator` with its subtypes (`x-ms-discriminator-value`,
 * or the definition name) → discriminator mapping. `readOnly` properties are not checked (clients
 * send back what they read). A reference into a file the reference copy lacks is "any" and listed
 * under "unresolved".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const SPEC_DIR = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01";
const SPEC_FILES = ["mfe.json", "machineLearningServices.json"];

/** The request bodies the emulator validates: operationId → the name its routes use. */
export const OPERATIONS: Record<string, string> = {
  Jobs_CreateOrUpdate: "job",
  CodeContainers_CreateOrUpdate: "codeContainer",
  CodeVersions_CreateOrUpdate: "codeVersion",
  ComponentContainers_CreateOrUpdate: "componentContainer",
  ComponentVersions_CreateOrUpdate: "componentVersion",
  DataContainers_CreateOrUpdate: "dataContainer",
  DataVersions_CreateOrUpdate: "dataVersion",
  Datastores_CreateOrUpdate: "datastore",
  EnvironmentContainers_CreateOrUpdate: "environmentContainer",
  EnvironmentVersions_CreateOrUpdate: "environmentVersion",
  ModelContainers_CreateOrUpdate: "modelContainer",
  ModelVersions_CreateOrUpdate: "modelVersion",
  OnlineEndpoints_CreateOrUpdate: "onlineEndpoint",
  OnlineEndpoints_Update: "onlineEndpointPatch",
  OnlineEndpoints_RegenerateKeys: "regenerateKeys",
  OnlineDeployments_CreateOrUpdate: "onlineDeployment",
  OnlineDeployments_Update: "onlineDeploymentPatch",
  OnlineDeployments_GetLogs: "deploymentLogs",
  Compute_CreateOrUpdate: "compute",
};

type Json = any;
type Out = Record<string, unknown>;

interface Doc {
  file: string;
  json: Json;
}

export interface Generated {
  source: { repo: string; files: string[] };
  operations: Record<string, { operationId: string; body: Out }>;
  definitions: Record<string, Out>;
  unresolved: string[];
}

export function generate(specRoot: string): Generated {
  const docs = new Map<string, Doc>();
  const load = (file: string): Doc | undefined => {
    const full = resolve(file);
    if (!docs.has(full)) {
      try {
        docs.set(full, { file: full, json: JSON.parse(readFileSync(full, "utf8")) });
      } catch {
        return undefined;
      }
    }
    return docs.get(full);
  };
  const dir = join(specRoot, SPEC_DIR);
  const definitions: Record<string, Out> = {};
  const unresolved = new Set<string>();
  const subtypes = new Map<string, { value: string; name: string; doc: Doc }[]>();

  /** Resolves a "$ref" to [document, definition name, definition]. */
  const target = (from: Doc, ref: string): { doc: Doc; name: string; def: Json } | undefined => {
    const [file, pointer] = ref.split("#");
    const doc = file ? load(join(dirname(from.file), file)) : from;
    const name = pointer?.split("/").pop() ?? "";
    const def = doc?.json.definitions?.[name];
    if (!doc || !def) {
      unresolved.add(ref.replace(/^(\.\.\/)+/, ""));
      return undefined;
    }
    return { doc, name, def };
  };

  /** Definition names are global in the output; the ML files share no names, common types get a prefix. */
  const key = (doc: Doc, name: string) => (doc.file.includes("common-types") ? `common.${name}` : name);

  const allDocs = SPEC_FILES.map((f) => load(join(dir, f))!);
  for (const doc of allDocs) {
    for (const [name, def] of Object.entries<Json>(doc.json.definitions ?? {})) {
      for (const part of def.allOf ?? []) {
        if (!part.$ref) continue;
        const base = target(doc, part.$ref);
        if (!base?.def.discriminator) continue;
        const k = key(base.doc, base.name);
        const list = subtypes.get(k) ?? [];
        list.push({ value: def["x-ms-discriminator-value"] ?? name, name, doc });
        subtypes.set(k, list);
      }
    }
  }

  const refTo = (doc: Doc, ref: string): Out => {
    const t = target(doc, ref);
    if (!t) return { type: "any" };
    const k = key(t.doc, t.name);
    if (!(k in definitions)) {
      definitions[k] = {}; // placeholder against recursion
      definitions[k] = convertDefinition(t.doc, t.def, k);
    }
    return { $ref: k };
  };

  /** Own properties (and required list) of a definition, allOf parts merged in. */
  const collect = (doc: Doc, def: Json, skipBase?: string): { properties: Record<string, Json>; required: Set<string>; docs: Map<string, Doc> } => {
    const properties: Record<string, Json> = {};
    const required = new Set<string>();
    const docsOf = new Map<string, Doc>();
    for (const part of def.allOf ?? []) {
      const t = part.$ref ? target(doc, part.$ref) : { doc, name: "", def: part };
      if (!t || (skipBase && key(t.doc, t.name) === skipBase)) continue;
      const inner = collect(t.doc, t.def, skipBase);
      Object.assign(properties, inner.properties);
      inner.required.forEach((r) => required.add(r));
      inner.docs.forEach((d, k) => docsOf.set(k, d));
    }
    for (const [k, v] of Object.entries<Json>(def.properties ?? {})) {
      properties[k] = v;
      docsOf.set(k, doc);
    }
    for (const r of def.required ?? []) required.add(r);
    return { properties, required, docs: docsOf };
  };

  const convertProperties = (c: ReturnType<typeof collect>): Record<string, Out> => {
    const out: Record<string, Out> = {};
    for (const [name, schema] of Object.entries<Json>(c.properties)) {
      if (schema.readOnly) continue;
      const s = convert(c.docs.get(name)!, schema);
      out[name] = c.required.has(name) ? { ...s, required: true } : s;
    }
    return out;
  };

  const convertDefinition = (doc: Doc, def: Json, k: string): Out => {
    if (!def.discriminator && !def.allOf && !def.properties) return convert(doc, def);
    const base = convert(doc, { ...def, allOf: undefined, properties: undefined, required: undefined, discriminator: undefined });
    const own = collect(doc, def);
    const out: Out = { ...base, type: "object", properties: convertProperties(own) };
    if (def.discriminator) {
      const mapping: Record<string, Record<string, Out>> = {};
      for (const sub of subtypes.get(k) ?? []) {
        const subDef = sub.doc.json.definitions[sub.name];
        mapping[sub.value] = convertProperties(collect(sub.doc, subDef, k));
      }
      out["discriminator"] = { property: def.discriminator, mapping };
    }
    return out;
  };

  const convert = (doc: Doc, schema: Json): Out => {
    if (schema.$ref) return refTo(doc, schema.$ref);
    const nullable = schema["x-nullable"] === true ? { nullable: true } : {};
    const type: string | undefined = schema.type ?? (schema.properties || schema.allOf || schema.additionalProperties ? "object" : undefined);
    switch (type) {
      case "string": {
        const out: Out = { type: "string", ...nullable };
        if (Array.isArray(schema.enum)) out["enum"] = schema.enum;
        if (typeof schema.pattern === "string") out["pattern"] = schema.pattern;
        return out;
      }
      case "integer":
      case "number": {
        const out: Out = { type, ...nullable };
        if (typeof schema.minimum === "number") out["minimum"] = schema.minimum;
        if (typeof schema.maximum === "number") out["maximum"] = schema.maximum;
        return out;
      }
      case "boolean":
        return { type: "boolean", ...nullable };
      case "array":
        return { type: "array", items: schema.items ? convert(doc, schema.items) : { type: "any" }, ...nullable };
      case "object": {
        if (schema.allOf || schema.properties) {
          const c = collect(doc, schema);
          const out: Out = { type: "object", properties: convertProperties(c), ...nullable };
          if (schema.additionalProperties && typeof schema.additionalProperties === "object")
            out["additionalProperties"] = convert(doc, schema.additionalProperties);
          return out;
        }
        if (schema.additionalProperties && typeof schema.additionalProperties === "object")
          return { type: "object", additionalProperties: convert(doc, schema.additionalProperties), ...nullable };
        return { type: "object", ...nullable };
      }
      default:
        return { type: "any", ...nullable };
    }
  };

  const operations: Generated["operations"] = {};
  for (const doc of allDocs) {
    for (const methods of Object.values<Json>(doc.json.paths)) {
      for (const op of Object.values<Json>(methods)) {
        const name = OPERATIONS[op?.operationId];
        if (!name) continue;
        for (let p of op.parameters ?? []) {
          if (p.$ref) p = doc.json.parameters?.[p.$ref.split("/").pop()];
          if (p?.in !== "body") continue;
          operations[name] = { operationId: op.operationId, body: { ...convert(doc, p.schema), required: true } };
        }
      }
    }
  }
  const missing = Object.entries(OPERATIONS)
    .filter(([, n]) => !operations[n])
    .map(([id]) => id);
  if (missing.length) throw new Error(`the spec has no body for ${missing.join(", ")}`);
  const sorted = Object.fromEntries(
    Object.keys(definitions)
      .sort()
      .map((k) => [k, definitions[k]!]),
  );
  return {
    source: { repo: "Azure/azure-rest-api-specs", files: SPEC_FILES.map((f) => `${SPEC_DIR}/${f}`) },
    operations,
    definitions: sorted,
    unresolved: [...unresolved].sort(),
  };
}

export const GENERATED_FILE = join(__dirname, "..", "..", "..", "..", "devkit", "emulator", "spec", "ml-2022-10-01.json");

export function render(g: Generated): string {
  return `${JSON.stringify(g, null, 1)}\n`;
}

if (require.main === module) {
  const root = process.argv[2] ?? join(__dirname, "..", "..", "..", "..", "..", "shared", "reference", "azure-rest-specs");
  writeFileSync(GENERATED_FILE, render(generate(root)));
  console.log(`wrote ${GENERATED_FILE}`);
}
