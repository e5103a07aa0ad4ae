/**
 * Where local code and data go: a datastore's blob container. The operation only needs this interface;
 * the entry backs it with tasks/common/datastore.ts (datastoreArtifactStore.ts).
 */
import * as path from "node:path";
import type { LocalArtifact } from "../common/contentHash";
import type { UploadAction } from "./loader";

export interface ArtifactUploadResult {
  /** False when the indicator blob says an earlier upload completed: nothing was sent. */
  uploaded: boolean;
  files: number;
  bytes: number;
}

export interface ArtifactStore {
  /** `https://<account>.blob.<suffix>/<container>` of a datastore (for CodeVersion `codeUri`); fails when it does not exist. */
  containerUrl(datastoreName: string): Promise<string>;
  /**
   * Uploads unless the indicator blob already marks the upload complete; `asset` is recorded in the
   * indicator's metadata as the CLI does (the code asset the upload belongs to).
   */
  upload(datastoreName: string, artifact: LocalArtifact, asset?: { name: string; version: string }): Promise<ArtifactUploadResult>;
}

/** The loader's upload action as the datastore uploader's artifact (same hashes, same blob names). */
export function toLocalArtifact(upload: UploadAction): LocalArtifact {
  return {
    localPath: upload.localPath,
    isDirectory: upload.isDirectory,
    baseName: path.basename(upload.localPath),
    uploadHash: upload.hash,
    contentHash: upload.contentHash,
    blobPrefix: upload.blobPrefix,
    files: upload.files.map((f) => ({ ...f })),
    indicatorBlobName: upload.indicatorBlobName,
    totalSizeInBytes: upload.totalSizeInBytes,
  };
}
