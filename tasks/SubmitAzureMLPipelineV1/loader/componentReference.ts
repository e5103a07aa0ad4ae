/**
 * What a pipeline step names as its component (`component:` of command, parallel and pipeline steps,
 * `trial:` of sweep steps): an `azureml:` reference or a local component file. One reading for every step
 * type, so they refuse and resolve alike.
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import type { DocumentReader } from "./documentReader";
import type { IdValue, PlanBuilder } from "./planBuilder";
import { parseAssetReference, ReferenceSyntaxError } from "./references";
import { refuseOutsideWorkFolders } from "./workFolders";
import type { YamlPath } from "./yamlSource";

export interface RegisteredComponent {
  id: IdValue;
  source: "REMOTE.REGISTRY" | "REMOTE.WORKSPACE.COMPONENT";
}

/**
 * An `azureml:` component: `name:version` and `@label` become workspace ids (`@latest` looked up), an ARM
 * id is sent as it is, a registry id (`azureml://registries/...`) verbatim. `invalid(reason)` is the
 * refusal's text when the reference does not parse.
 */
export function registeredComponent(
  reader: DocumentReader,
  plan: PlanBuilder,
  p: YamlPath,
  value: string,
  invalid: (reason: string) => string,
): RegisteredComponent {
  let parsed;
  try {
    parsed = parseAssetReference(value, "components", reader.loc);
  } catch (error) {
    if (error instanceof ReferenceSyntaxError) throw reader.error("InvalidValue", invalid(error.message), p);
    throw error;
  }
  if (parsed.form === "passthrough") {
    return parsed.value.startsWith("azureml://")
      ? { id: { form: "verbatim", value: parsed.value }, source: "REMOTE.REGISTRY" }
      : { id: { form: "armId", id: parsed.value }, source: "REMOTE.WORKSPACE.COMPONENT" };
  }
  const location = reader.locate(p);
  const id =
    parsed.form === "version"
      ? plan.addReference("components", parsed.name, { version: parsed.version, resolution: "static", location })
      : plan.addReference("components", parsed.name, { label: parsed.label, resolution: parsed.label === "latest" ? "latest" : "static", location });
  return { id, source: "REMOTE.WORKSPACE.COMPONENT" };
}

/**
 * The absolute path of a local component file, relative to the YAML's folder: refused outside the work
 * folders, and with `notFound(file)` when it is missing or not a file (read synchronously: the job file is
 * read before the sign-in, and an event loop turn there costs start-up time).
 */
export function componentFile(
  ctx: { reader: DocumentReader; plan: PlanBuilder; baseDir: string },
  p: YamlPath,
  value: string,
  notFound: (file: string) => string,
): string {
  const file = path.resolve(ctx.baseDir, value);
  refuseOutsideWorkFolders({ reader: ctx.reader, plan: ctx.plan }, p, file);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) throw ctx.reader.error("FileNotFound", notFound(file), p);
  return file;
}
