/**
 * One HTTPS request that trusts a given CA explicitly (NODE_EXTRA_CA_CERTS is read only when a
 * process starts, so a process that starts the emulator itself must pass its certificate).
 */
import * as https from "node:https";

export interface HttpsRequest {
  method: "GET" | "POST" | "PUT";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA to trust (in addition to none: only this CA is trusted). */
  caPem: string;
  timeoutInMs?: number;
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpsRequest(req: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
    const request = https.request(req.url, { method: req.method, headers, ca: req.caPem, timeout: req.timeoutInMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`${req.method} ${req.url} timed out`)));
    request.on("error", reject);
    request.end(req.body);
  });
}
