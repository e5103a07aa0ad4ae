/**
 * What Azure ML accepts for a model: names (the REST path pattern of models/{name}), versions,
 * model types, and the layout an MLflow model must have.
 */
import type { AzureNameRule } from "../common/azureNames";

export const MODEL_TYPES = ["custom_model", "mlflow_model", "triton_model"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** `models/{name}` in mfe.json (2022-10-01): letter or digit first, then letters, digits, `-`, `_`; at most 255. */
export const MODEL_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;

/** The model-name rule in the form the common input reader takes. */
export const MODEL_NAME_RULE: AzureNameRule = {
  kind: "Azure ML model",
  pattern: MODEL_NAME_PATTERN,
  minLength: 1,
  maxLength: 255,
  description: "letters, digits, hyphens and underscores, starting with a letter or digit (no periods or spaces)",
};

/** Job output names: letters, digits and underscores, not starting with a digit. */
export const OUTPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Versions: letters, digits, `.`, `-`, `_`, starting with a letter or digit (integers in practice). */
export const MODEL_VERSION_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,49}$/;

/** The file an MLflow model folder has at its root. */
export const MLFLOW_MODEL_FILE = "MLmodel";

/** `azureml:<name>:<version>`: how YAML and other tasks refer to a model version. */
export function modelReference(name: string, version: string): string {
  return `azureml:${name}:${version}`;
}

/** Whether `version` is a plain non-negative integer (what "next version" counts). */
export function isIntegerVersion(version: string): boolean {
  return /^\d+$/.test(version);
}
