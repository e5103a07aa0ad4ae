/**
 * Secrets the tasks obtain (storage account keys, SAS tokens, endpoint keys and tokens, access
 * tokens, proxy passwords): `registerSecret` hands each to the agent's masker (`task.setsecret`)
 * the moment it is known, and remembers it so the task's own log (logging.ts) masks it too.
 * `maskSecrets` also masks credentials that services quote in their errors (a connection string's
 * `AccountKey=...`, a SAS `sig=...`) whether or not the task ever saw them.
 */
import * as tl from "azure-pipelines-task-lib/task";

const MASK = "***";
/** Values shorter than this are not masked by value (masking "a" would wreck every line). */
const MIN_SECRET_LENGTH = 4;
const known = new Set<string>();

/** Registers `value` (each line of a multi-line value) with the agent and the task's own log. */
export function registerSecret(value: string | undefined | null): void {
  if (!value) return;
  for (const part of String(value).split(/\r?\n/)) {
    const secret = part.trim();
    if (secret.length < MIN_SECRET_LENGTH || known.has(secret)) continue;
    known.add(secret);
    tl.setSecret(secret);
    const decoded = safeDecode(secret);
    if (decoded !== secret && decoded.length >= MIN_SECRET_LENGTH && !known.has(decoded)) {
      known.add(decoded);
      tl.setSecret(decoded);
    }
  }
}

/** Credentials quoted by name: `AccountKey=...`, `SharedAccessSignature=...`, `sig=...`, `password=...`. */
const QUOTED_CREDENTIAL = /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|password|client_secret|client_assertion)=([^;&\s"'<>]+)/gi;
/** `scheme://user:password@host` */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']+:)([^\s/@"']+)@/gi;
const BEARER = /\b(Bearer\s+)[\w.~+/-]{20,}=*/g;

/** `text` with every registered secret and every quoted credential replaced by `***`. */
export function maskSecrets(text: string): string {
  let out = text;
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out
    .replace(QUOTED_CREDENTIAL, (_m, name: string) => `${name}=${MASK}`)
    .replace(URL_PASSWORD, (_m, head: string) => `${head}${MASK}@`)
    .replace(BEARER, (_m, head: string) => `${head}${MASK}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
