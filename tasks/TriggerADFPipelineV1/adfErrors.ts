/**
 * Every call this task makes, reads included, needs the same role, so a 403 names "Data Factory
 * Contributor" rather than the narrowest role for the one action that was refused.
 */
import { asAzureOperationError, type ArmErrorContext } from "../common/armErrors";
import type { Loc } from "../common/loc";

export const REQUIRED_ROLE = "Data Factory Contributor";

export function adfError(err: unknown, loc: Loc, context: ArmErrorContext): Error {
  return asAzureOperationError(err, loc, { ...context, role: REQUIRED_ROLE });
}
