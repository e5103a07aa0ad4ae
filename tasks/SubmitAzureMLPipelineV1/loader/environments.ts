/**
 * `environment:` values: named/versioned/`@latest` references, registry and curated strings, and inline
 * `{image, conda_file}` environments registered as `CliV2AnonymousEnvironment/<md5>` like the CLI does.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DocumentReader, type KeyRules } from "./documentReader";
import type { IdValue, PlanBuilder } from "./planBuilder";
import { ANONYMOUS_ENVIRONMENT_NAME } from "../../common/azureml/assetNames";
import { anonymousEnvironmentVersion, condaFileText } from "../../common/cliEnvironment";
import type { Loc } from "../../common/loc";
import { parseAssetReference, ReferenceSyntaxError } from "./references";
import { parseYamlSource, type YamlPath } from "./yamlSource";
import { refuseOutsideWorkFolders } from "./workFolders";

export { ANONYMOUS_ENVIRONMENT_NAME };

const inlineEnvironmentKeys = (loc: Loc): KeyRules => ({
  kind: loc("LoaderKindInlineEnvironment"),
  allowed: ["image", "conda_file", "description", "tags", "os_type"],
  unsupported: {
    build: loc("LoaderNoDockerBuild"),
    inference_config: loc("LoaderNoInferenceConfig"),
    name: loc("LoaderNoNamedInlineEnvironment"),
    version: loc("LoaderNoNamedInlineEnvironment"),
  },
});

export interface EnvironmentContext {
  reader: DocumentReader;
  baseDir: string;
  plan: PlanBuilder;
}

/** Reads the `environment:` at `p` (required). */
export async function readEnvironment(ctx: EnvironmentContext, p: YamlPath): Promise<IdValue> {
  const { reader, plan } = ctx;
  const value = reader.get(p);
  const location = reader.locate(p);
  if (value === undefined || value === null) throw reader.error("MissingKey", reader.loc("LoaderMissingKey", DocumentReader.describe(p)), p);
  if (typeof value === "string") {
    let parsed;
    try {
      parsed = parseAssetReference(value, "environments", reader.loc);
    } catch (error) {
      if (error instanceof ReferenceSyntaxError) throw reader.error("InvalidValue", reader.loc("LoaderEnvironmentInvalid", reader.lineOf(p), error.message), p);
      throw error;
    }
    if (parsed.form === "passthrough") {
      return parsed.value.startsWith("/") ? { form: "armId", id: parsed.value } : { form: "verbatim", value: parsed.value };
    }
    if (parsed.form === "version") return plan.addReference("environments", parsed.name, { version: parsed.version, resolution: "static", location });
    return plan.addReference("environments", parsed.name, { label: parsed.label, resolution: parsed.label === "latest" ? "latest" : "static", location });
  }
  reader.mapping(p, inlineEnvironmentKeys(reader.loc));
  const image = reader.string([...p, "image"]);
  if (!image) throw reader.error("MissingKey", reader.loc("LoaderEnvironmentNoImage", DocumentReader.describe(p)), p);
  const condaFile = await readCondaFile(ctx, [...p, "conda_file"]);
  const osType = reader.string([...p, "os_type"]);
  const version = anonymousEnvironmentVersion(image, condaFile);
  const key = `${ANONYMOUS_ENVIRONMENT_NAME}/${version}`;
  return plan.addEnvironment({
    key,
    name: ANONYMOUS_ENVIRONMENT_NAME,
    version,
    declaredAt: location,
    body: {
      properties: {
        image,
        condaFile,
        isAnonymous: true,
        osType: osType === undefined ? undefined : osType.toLowerCase() === "windows" ? "Windows" : "Linux",
        description: reader.string([...p, "description"]),
        tags: reader.stringMap([...p, "tags"]),
      },
    },
  });
}

/** `conda_file:` a path (relative to the YAML) or an inline mapping → the conda YAML re-dumped with sorted keys. */
async function readCondaFile(ctx: EnvironmentContext, p: YamlPath): Promise<string | undefined> {
  const { reader } = ctx;
  const value = reader.get(p);
  if (value === undefined || value === null) return undefined;
  let conda: unknown;
  if (typeof value === "string") {
    const file = path.resolve(ctx.baseDir, value);
    refuseOutsideWorkFolders(ctx, p, file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw reader.error("FileNotFound", reader.loc("LoaderCondaFileNotFound", file, reader.lineOf(p)), p);
    }
    const source = parseYamlSource(text, file);
    ctx.plan.warnings.push(...source.duplicateKeyWarnings());
    conda = source.value;
  } else if (typeof value === "object" && !Array.isArray(value)) {
    conda = value;
  } else {
    throw reader.error("InvalidValue", reader.loc("LoaderCondaFileForm", DocumentReader.describe(p)), p);
  }
  return condaFileText(conda);
}
