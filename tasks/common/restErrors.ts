/**
 * What an error says about the HTTP answer behind it: its status and the service's error code,
 * and the checks every task makes on them (404, 409, 412). One place, so "is this a 404?" is
 * written once.
 *
 * - A `RestError` (`isRestError` of @azure/core-rest-pipeline: any copy of the class, or an error
 *   named "RestError") carries `statusCode` and `code`; for ARM answers the SDK's deserializer puts
 *   the body's `error.code` in `code` (e.g. `ResourceNotFound`, `ResourceGroupNotFound`).
 * - Other errors that describe an answer carry them too: this repository's AzureOperationError
 *   (armErrors.asAzureOperationError copies them from the SDK error), @azure/identity's
 *   AuthenticationError (the token endpoint's status), Node's system errors (`code` only: ECONNRESET).
 * - An error with no status of its own (a wrapper such as DeploymentFailedError) is read through
 *   its `cause` chain: the first error in it that carries a status answers for both status and code.
 */
import { isRestError } from "@azure/core-rest-pipeline";

/** How deep a `cause` chain is followed (a cycle must not loop). */
const MAX_CAUSE_DEPTH = 8;

/** The HTTP status of the answer behind `err`, if there was one. */
export function statusOf(err: unknown): number | undefined {
  const carrier = answerCarrier(err);
  return carrier === undefined ? undefined : ownStatus(carrier);
}

/**
 * The service's error code: that of the error carrying the status (ARM `error.code`, storage
 * `x-ms-error-code`), else `err`'s own (a network error's `ECONNRESET`).
 */
export function errorCodeOf(err: unknown): string | undefined {
  return ownCode(answerCarrier(err) ?? err);
}

/** 404: what was asked for, or something above it, does not exist. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/**
 * 404 for the resource itself: not when ARM says the resource group above it is missing
 * (`ResourceGroupNotFound`), which is a wrong input rather than "not created yet".
 */
export function isResourceNotFound(err: unknown): boolean {
  return isNotFound(err) && errorCodeOf(err) !== "ResourceGroupNotFound";
}

/** 409: the resource exists already, or another operation on it is running. */
export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

/** 412: a conditional write (`If-Match` / `If-None-Match`) found the resource changed or present. */
export function isPreconditionFailed(err: unknown): boolean {
  return statusOf(err) === 412;
}

/** `err`, or the first error of its cause chain, that carries an HTTP status. */
function answerCarrier(err: unknown): unknown {
  let current = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    if (ownStatus(current) !== undefined) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function ownStatus(err: unknown): number | undefined {
  if (isRestError(err)) return err.statusCode;
  if (err instanceof Error && "statusCode" in err && typeof err.statusCode === "number") return err.statusCode;
  return undefined;
}

function ownCode(err: unknown): string | undefined {
  if (isRestError(err)) return err.code;
  if (err instanceof Error && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}
