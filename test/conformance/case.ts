/**
 * A conformance case: exchanges derived from traffic recorded against real Azure (the public test
 * recordings of the Azure SDKs and CLI), replayed against the emulator and compared on status, the
 * headers that matter, body shape, enum spellings and error codes. Cases are written by hand from
 * the recording (never copied): the recording's names, ids and hosts become placeholders.
 *
 * Placeholders in paths, header values and bodies (strings):
 *   {sub} {rg} {ws} {factory} {cluster}  the default scenario (subscription, ml_rg, ml_workspace, mlops-adf, aks-cluster)
 *   {base}                               the emulator's base URL (ARM and every data plane it serves)
 *   {token:arm} {token:ml}               a bearer token for ARM or for https://ml.azure.com
 *   {$name}                              a value captured by an earlier exchange of the same case
 *   {uuid}                               a fresh GUID (same within one case)
 */
import type { Shape } from "./shape";

export interface Recording {
  /** owner/name of the public repository holding the recording. */
  repo: string;
  /** Path of the recording (or spec example) inside it. */
  path: string;
}

export interface ConformanceRequest {
  method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE" | "HEAD";
  /** A path under {base} (query included), or an absolute URL with placeholders. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Which token goes in Authorization (default "arm"). */
  token?: "arm" | "ml" | "none";
}

export interface ExpectedResponse {
  status: number;
  /** Header name (lower case) → exact value, RegExp, true (present) or false (absent). */
  headers?: Record<string, string | RegExp | boolean>;
  body?: Shape;
}

export interface Exchange {
  /** What this exchange shows (one line). */
  what: string;
  request: ConformanceRequest;
  /** Re-send (at most for 10 s, on the time-scaled emulator) until the answer matches this, then compare. */
  until?: { status?: number; body?: Shape };
  response: ExpectedResponse;
  /** Values to keep for later exchanges: name → "body.<dotted path>" or "header.<name>". */
  capture?: Record<string, string>;
}

export interface ConformanceCase {
  name: string;
  recording: Recording;
  /** Requests sent first, not compared (they must succeed: 2xx), to reach the recording's starting state. */
  given?: ConformanceRequest[];
  exchanges: Exchange[];
}
