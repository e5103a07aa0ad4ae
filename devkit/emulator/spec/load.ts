/**
 * The request-body schemas generated from the REST spec (generate.ts → ml-2022-10-01.json), as
 * the framework's `Schema` objects. Definitions are built once, links resolved in place (so
 * recursive definitions stay finite); a link that adds `required`/`nullable` inherits from the
 * definition it names.
 */
import type { Schema } from "../framework";
import generated from "./ml-2022-10-01.json";

type Node = Record<string, any>;

const built = new Map<string, Schema>();

function definition(name: string): Schema {
  let schema = built.get(name);
  if (!schema) {
    const source = (generated.definitions as Record<string, Node>)[name];
    if (!source) throw new Error(`no definition '${name}' in the generated spec schemas`);
    schema = {} as Schema;
    built.set(name, schema);
    Object.assign(schema, build(source));
  }
  return schema;
}

function build(node: Node): Schema {
  if (node["$ref"]) {
    const { $ref, ...extra } = node;
    const target = definition($ref as string);
    return Object.keys(extra).length ? Object.assign(Object.create(target) as Schema, extra) : target;
  }
  const out: Node = { ...node };
  if (typeof node["pattern"] === "string") out["pattern"] = new RegExp(node["pattern"]);
  if (node["items"]) out["items"] = build(node["items"]);
  if (node["additionalProperties"]) out["additionalProperties"] = build(node["additionalProperties"]);
  if (node["properties"]) out["properties"] = mapValues(node["properties"], build);
  if (node["discriminator"]) {
    out["discriminator"] = {
      property: node["discriminator"].property,
      mapping: mapValues(node["discriminator"].mapping, (props: Node) => mapValues(props, build)),
    };
  }
  return out as Schema;
}

function mapValues<T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The body schema of an operation, by the name generate.ts gives it (e.g. "job", "onlineEndpoint"). */
export function bodySchema(operation: keyof typeof generated.operations): Schema {
  const { $ref } = generated.operations[operation].body;
  return definition($ref);
}
