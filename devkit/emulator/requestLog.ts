/** The log of requests the emulator answered (tests and the control API read it). */

export interface LoggedRequest {
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** ISO time the answer was sent. */
  time: string;
  /** The parsed request body (JSON or form fields; secret form fields redacted). */
  body?: unknown;
  /** What was done to the request instead of routing it, if anything (fault kind). */
  fault?: string;
}

/** Form fields never kept in the log: they carry credentials. */
const SECRET_FIELDS = ["client_secret", "client_assertion", "assertion", "password", "refresh_token"];

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  constructor(private readonly limit = 10_000) {}

  add(entry: LoggedRequest): void {
    this.entries.push({ ...entry, ...(entry.body !== undefined ? { body: redact(entry.body) } : {}) });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  all(): LoggedRequest[] {
    return [...this.entries];
  }

  /** Requests whose method equals `method` (any when undefined) and whose path matches `path`. */
  filter(method: string | undefined, path: RegExp): LoggedRequest[] {
    return this.entries.filter((e) => (!method || e.method === method.toUpperCase()) && path.test(e.path));
  }

  clear(): void {
    this.entries.length = 0;
  }
}

function redact(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const f of SECRET_FIELDS) if (f in out) out[f] = "***";
  return out;
}
