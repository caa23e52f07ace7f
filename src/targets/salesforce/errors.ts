// What to do about a Salesforce error: retry (and when) or give up with Salesforce's own code.
// Pure functions, so the decision table has its own unit test.

/** An error as jsforce throws it (`errorCode`, or `name` for OAuth errors) or as a collection result holds it (`statusCode`). */
export interface SalesforceErrorLike {
  errorCode?: string;
  statusCode?: string;
  name?: string;
  code?: string;
  message?: string;
}

export type ErrorDecision =
  | { retry: true; code: string; message: string; delayMs?: number; budget?: boolean }
  | { retry: false; code: string; message: string };

export interface ClassifyOptions {
  /** How long work waits once the daily API allocation is used up. */
  parkMs: number;
}

/** Codes that a later attempt can get past without anyone changing anything. */
const TRANSIENT = new Set([
  "UNKNOWN_EXCEPTION",
  "SERVER_UNAVAILABLE",
  "UNABLE_TO_LOCK_ROW",
  "REQUEST_RUNNING_TOO_LONG",
  "QUERY_TIMEOUT",
  // jsforce already refreshed the session once and still got 401: a login race or a revoked app.
  "INVALID_SESSION_ID",
  "ERROR_HTTP_500",
  "ERROR_HTTP_502",
  "ERROR_HTTP_503",
  "ERROR_HTTP_504",
  "ERROR_HTTP_429",
]);

/** Network failures (node-fetch / undici codes) and jsforce's own timeout. */
const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
]);

/** OAuth errors jsforce raises with `name` = Salesforce's `error`; a fixed configuration makes them pass. */
const OAUTH = new Set([
  "invalid_grant",
  "invalid_client_id",
  "invalid_client",
  "invalid_request",
  "unsupported_grant_type",
  "inactive_user",
  "inactive_org",
]);

/** Delay for login failures: they need an admin, so hammering the token endpoint helps nobody. */
export const LOGIN_RETRY_MS = 5 * 60_000;
/** Row locks clear in seconds (another job is updating the same user or group). */
const LOCK_RETRY_MS = 5_000;

export function salesforceErrorCode(e: SalesforceErrorLike): string | undefined {
  return e.errorCode ?? e.statusCode ?? (e.name && OAUTH.has(e.name) ? e.name : undefined);
}

export function classifySalesforceError(e: SalesforceErrorLike, options: ClassifyOptions): ErrorDecision {
  const message = e.message ?? "";
  const code = salesforceErrorCode(e);
  if (code === "REQUEST_LIMIT_EXCEEDED")
    return { retry: true, code, message, delayMs: options.parkMs, budget: true };
  if (code === "UNABLE_TO_LOCK_ROW") return { retry: true, code, message, delayMs: LOCK_RETRY_MS };
  if (code && TRANSIENT.has(code)) return { retry: true, code, message };
  if (code && OAUTH.has(code)) return { retry: true, code, message, delayMs: LOGIN_RETRY_MS };
  if (code) return { retry: false, code, message };
  // No Salesforce code: the request never got an answer.
  if ((e.code && NETWORK.has(e.code)) || e.name === "FetchError")
    return { retry: true, code: e.code ?? "NETWORK_ERROR", message };
  if (e.name === "AbortError" || /Request Timeout|aborted due to timeout/i.test(message))
    return { retry: true, code: "TIMEOUT", message: message || "Salesforce did not answer in time" };
  if (message.startsWith("Unable to refresh session"))
    return { retry: true, code: "SESSION_REFRESH_FAILED", message, delayMs: LOGIN_RETRY_MS };
  return { retry: false, code: "UNEXPECTED_ERROR", message: message || String(e) };
}

/** A whole call refused because the org's API allocation is (nearly) used up. */
export class BudgetExhaustedError extends Error {
  readonly errorCode = "REQUEST_LIMIT_EXCEEDED";
  readonly notBefore: number;
  constructor(notBefore: number, detail: string) {
    super(detail);
    this.name = "BudgetExhaustedError";
    this.notBefore = notBefore;
  }
}
