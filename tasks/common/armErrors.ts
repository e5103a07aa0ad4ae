/**
 * Any error from an Azure SDK call or a credential → one actionable sentence (the task's failure
 * message), keeping code, status and request id for the debug log.
 */
import { AzureOperationError, CancelledError, errorText } from "./errors";
import type { Loc } from "./loc";
import { agentLog } from "./logging";
import { statusOf } from "./restErrors";

export interface ArmErrorContext {
  /** What the call was about, as a user names it: "factory 'mlops-adf'". */
  resource?: string;
  resourceGroupName?: string;
  /** The role a 403 should name, when the task needs one role for all its calls (reads included). */
  role?: string;
}

interface ErrorFacts {
  statusCode?: number;
  code?: string;
  message: string;
  requestId?: string;
}

/** The role that grants an ARM action, for the 403 message. */
export function roleForAction(action: string): string {
  const a = action.toLowerCase();
  if (a.endsWith("/read")) return "Reader";
  if (a.startsWith("microsoft.datafactory/")) return "Data Factory Contributor";
  if (a.startsWith("microsoft.machinelearningservices/workspaces/computes/")) return "AzureML Compute Operator";
  if (a.startsWith("microsoft.machinelearningservices/")) return "AzureML Data Scientist";
  if (a === "microsoft.containerservice/managedclusters/listclusterusercredential/action") return "Azure Kubernetes Service Cluster User Role";
  return "Contributor";
}

/** The errors @azure/identity raises when it cannot get a token. */
const SIGN_IN_ERRORS = new Set(["AuthenticationError", "AggregateAuthenticationError", "CredentialUnavailableError", "AuthenticationRequiredError"]);

export function describeArmError(err: unknown, loc: Loc, context: ArmErrorContext = {}): string {
  const facts = errorFacts(err);
  const what = context.resource ?? loc("Common_TheResource");
  const name = (err as { name?: string })?.name;
  if (SIGN_IN_ERRORS.has(name ?? "") || /AADSTS\d+/.test(facts.message)) {
    const description = (err as { errorResponse?: { errorDescription?: string } }).errorResponse?.errorDescription;
    return describeSignInError(description || facts.message, loc);
  }
  if (facts.statusCode === undefined) {
    const code = (err as { code?: string })?.code;
    if (
      code &&
      /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(
        code,
      )
    ) {
      return loc("Common_NetworkError", what, code, facts.message);
    }
    return loc("Common_AzureCallFailed", what, facts.message);
  }
  switch (facts.statusCode) {
    case 401:
      return loc("Common_Unauthorized", facts.code ?? "401", facts.message);
    case 403: {
      const m = /perform action '([^']+)' over scope '([^']+)'/i.exec(facts.message);
      if (m) return loc("Common_Forbidden", m[1], m[2], context.role ?? roleForAction(m[1]));
      return loc("Common_ForbiddenOther", what, facts.message);
    }
    case 404:
      if (facts.code === "ResourceGroupNotFound") return loc("Common_ResourceGroupNotFound", context.resourceGroupName ?? "", facts.message);
      if (facts.code === "SubscriptionNotFound") return loc("Common_SubscriptionNotFound", facts.message);
      return context.resourceGroupName ? loc("Common_NotFoundInGroup", what, context.resourceGroupName) : loc("Common_NotFound", what, facts.message);
    case 409:
      return loc("Common_Conflict", what, facts.message);
    case 429:
      return loc("Common_Throttled", what);
    default:
      if (facts.statusCode >= 500) return loc("Common_ServerError", what, facts.statusCode, facts.code ?? "", facts.message);
      return loc("Common_Rejected", what, facts.message);
  }
}

/** Wraps an SDK error as AzureOperationError with the sentence above; cancellation passes through. */
export function asAzureOperationError(err: unknown, loc: Loc, context: ArmErrorContext = {}): Error {
  if (err instanceof AzureOperationError || err instanceof CancelledError) return err;
  if ((err as { name?: string })?.name === "AbortError") return err as Error;
  const facts = errorFacts(err);
  agentLog.debug(`Azure call failed: status=${facts.statusCode ?? "-"} code=${facts.code ?? "-"} request-id=${facts.requestId ?? "-"}: ${facts.message}`);
  return new AzureOperationError(describeArmError(err, loc, context), { ...facts, cause: err });
}

function describeSignInError(message: string, loc: Loc): string {
  const code = /AADSTS(\d+)/.exec(message)?.[1];
  const fix =
    code === "7000215" || code === "7000222"
      ? loc("Common_FixSecret")
      : code === "700016"
        ? loc("Common_FixApplication")
        : code === "70021" || code === "700024" || code === "700211" || code === "700213"
          ? loc("Common_FixFederation")
          : loc("Common_FixConnection");
  // MSAL's messages wrap the service's description in timestamps and trace ids: keep the description.
  // MSAL sometimes prefixes a serialised object ("[object Object]: ...") and appends timestamps.
  const cleaned = message.replace(/\[object Object\]:?\s*/g, "");
  const description =
    /(AADSTS\d+:.*?)(?:\s+Trace ID:|\s+-\s+(?:Correlation|Trace)|\r?\n|$)/.exec(cleaned)?.[1] ?? firstLine(cleaned).split(/\s+-\s+Timestamp:/)[0];
  return loc("Common_SignInFailed", description.trim(), fix);
}

function errorFacts(err: unknown): ErrorFacts {
  const e = err as {
    code?: string;
    message?: string;
    response?: { headers?: { get(n: string): string | undefined }; bodyAsText?: string };
  };
  const facts: ErrorFacts = { statusCode: statusOf(err), code: e?.code, message: errorText(err) };
  facts.requestId = e?.response?.headers?.get("x-ms-request-id");
  // Some RPs put the useful text in the body's error.message while the SDK message is generic.
  const body = e?.response?.bodyAsText;
  if (body) {
    try {
      const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
      if (parsed.error?.message) facts.message = parsed.error.message;
      if (parsed.error?.code) facts.code = parsed.error.code;
    } catch {
      // not JSON: keep the SDK's message
    }
  }
  return facts;
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? text;
  return line.trim();
}
