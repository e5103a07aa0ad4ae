/**
 * A local model file or folder: checked (MLflow layout), hashed the way the CLI hashes it (the
 * upload path `LocalUpload/<md5>/<name>` and the SHA-256 content hash used to detect unchanged
 * models). Nothing is sent anywhere here.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { hashLocalArtifact, LocalArtifactError, type LocalArtifact } from "../common/contentHash";
import { InputError } from "../common/errors";
import type { Loc } from "../common/loc";
import { MLFLOW_MODEL_FILE, type ModelType } from "./modelRules";

export const MODEL_PATH_INPUT = "modelPath";

/** The quick checks of the model at `localPath` (exists; an MLflow model is a folder with MLmodel). */
export async function checkLocalModel(localPath: string, modelType: ModelType, loc: Loc): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(localPath);
  } catch {
    throw new InputError(MODEL_PATH_INPUT, loc("ModelPathNotFound", localPath));
  }
  if (modelType === "mlflow_model") {
    if (!stat.isDirectory()) throw new InputError(MODEL_PATH_INPUT, loc("MlflowModelNeedsFolder", localPath));
    const marker = await fs.stat(path.join(localPath, MLFLOW_MODEL_FILE)).catch(() => undefined);
    if (!marker?.isFile()) throw new InputError(MODEL_PATH_INPUT, loc("MlflowModelFileMissing", localPath, MLFLOW_MODEL_FILE));
  }
}

/** Checks and hashes the model at `localPath` (an absolute path). */
export async function prepareLocalModel(localPath: string, modelType: ModelType, options: { loc: Loc; abortSignal: AbortSignal }): Promise<LocalArtifact> {
  const { loc } = options;
  await checkLocalModel(localPath, modelType, loc);
  let artifact: LocalArtifact;
  try {
    artifact = await hashLocalArtifact(localPath, { abortSignal: options.abortSignal });
  } catch (err) {
    if (err instanceof LocalArtifactError) {
      if (err.code === "EmptyDirectory") throw new InputError(MODEL_PATH_INPUT, loc("ModelPathEmpty", localPath));
      if (err.code === "PathNotFound") throw new InputError(MODEL_PATH_INPUT, loc("ModelPathNotFound", localPath));
      if (err.link) throw new InputError(MODEL_PATH_INPUT, loc("ModelPathLinkRefused", err.message));
      throw new InputError(MODEL_PATH_INPUT, loc("ModelPathUnsupported", localPath));
    }
    throw err;
  }
  if (modelType === "mlflow_model" && !artifact.files.some((f) => f.relativePath === MLFLOW_MODEL_FILE)) {
    throw new InputError(MODEL_PATH_INPUT, loc("MlflowModelFileIgnored", MLFLOW_MODEL_FILE, localPath, artifact.ignoreFilePath ?? ""));
  }
  return artifact;
}

export { uploadedModelUri } from "../common/datastore";
