/**
 * YAML parsing with source positions, for the job loader: the common CLI reader
 * (tasks/common/cliYaml.ts, PyYAML's safe_load semantics) with its errors as {@link JobDefinitionError}.
 */
import { CliYamlError, parseCliYaml, type YamlSource } from "../../common/cliYaml";
import { JobDefinitionError } from "./errors";

export type { NodePosition, YamlPath } from "../../common/cliYaml";
export { YamlSource } from "../../common/cliYaml";

/** Parses one YAML document; throws {@link JobDefinitionError} `YamlSyntax` with line and column. */
export function parseYamlSource(text: string, filePath: string): YamlSource {
  try {
    return parseCliYaml(text, filePath);
  } catch (error) {
    if (error instanceof CliYamlError) throw new JobDefinitionError("YamlSyntax", error.reason, { location: error.location, cause: error });
    throw error;
  }
}
