/**
 * Inline environments as the CLI registers them, shared by SubmitAzureMLPipeline and DeployToAKS:
 * the conda file text the service gets and the anonymous version (`CliV2AnonymousEnvironment/<md5>`).
 *
 * azure-ai-ml entities/_assets/environment.py: the conda file is read with `load_yaml` (PyYAML
 * safe_load; `_deserialize(..., is_conda=True)`), sent as `_translated_conda_file =
 * dump_yaml(conda_file, sort_keys=True)` (_utils/utils.py `dump_yaml`: `yaml.dump` with PyYAML's
 * defaults: sorted keys, block style, unindented sequences, width 80), and that text is hashed by
 * `_generate_anonymous_name_version(source="image")`.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { dump } from "js-yaml";
import { PYYAML_SAFE_SCHEMA, parseCliYaml } from "./cliYaml";

/** The conda specification as the CLI sends it (`dump_yaml(conda, sort_keys=True)`). */
export function condaFileText(conda: unknown): string {
  return dump(conda, { schema: PYYAML_SAFE_SCHEMA, sortKeys: true, seqNoIndent: true, lineWidth: 80 });
}

/** Reads a conda file as the CLI does (PyYAML), returning its text as sent and the file's duplicate-key warnings. */
export async function readCondaFile(filePath: string): Promise<{ text: string; warnings: string[] }> {
  const source = parseCliYaml(await fs.readFile(filePath, "utf8"), filePath);
  return { text: condaFileText(source.value), warnings: source.duplicateKeyWarnings() };
}

/**
 * The CLI's anonymous environment version: `md5(image)`, then Python's `hash_str.join(md5(conda))`
 * (the previous digest separates the characters of the next), then MD5 of the result.
 */
export function anonymousEnvironmentVersion(image: string, condaFile: string | undefined): string {
  let hashStr = "";
  hashStr = pythonStrJoin(hashStr, md5Hex(image));
  if (condaFile) hashStr = pythonStrJoin(hashStr, md5Hex(condaFile));
  return md5Hex(hashStr);
}

/** MD5 hex of a UTF-8 string (the SDK's `get_md5_string`). */
export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

/** Python `sep.join(s)` for a string `s`: the characters of `s` separated by `sep`. */
export function pythonStrJoin(separator: string, text: string): string {
  return [...text].join(separator);
}
