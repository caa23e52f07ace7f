// What to do about a Salesforce error: retry (and when) or give up with Salesforce's own code.
// Pure functions, so the decision table has its own unit test.
import { type OutcomeCode, type VendorCode, vendorCode } from "../codes.ts";
import type { Retry, RetryPolicy } from "../kind.ts";

/**
 * An error as jsforce throws it (`errorCode`, plus `status` and `retryAfter` from our transport-aware HTTP layer),
 * as a collection result holds it (`statusCode`), or a SalesforceAuthError from the token request.
 */
export interface SalesforceErrorLike {
  errorCode?: string;
  statusCode?: string;
  name?: string;
  code?: string;
  message?: string;
  /** HTTP status of the answer (SalesforceAuthError: 0 = no answer). */
  status?: number;
  retryAfter?: string;
  retryAfterMs?: number;
}

export type ErrorDecision =
  | {
      retry: true;
      code: OutcomeCode;
      message: string;
      delayMs?: number;
      blocked?: "credentials" | "budget";
    }
  | { retry: false; code: OutcomeCode; message: string };

export interface ClassifyOptions {
  /** How long work waits once the daily API allocation is used up. */
  parkMs: number;
  /** The bridge's retry policy: the transport rule and the Retry-After parser. */
  retry: RetryPolicy;
}

/** Salesforce codes that a later attempt can get past without anyone changing anything. */
const TRANSIENT = new Set([
  "UNKNOWN_EXCEPTION",
  "SERVER_UNAVAILABLE",
  "UNABLE_TO_LOCK_ROW",
  "REQUEST_RUNNING_TOO_LONG",
  "QUERY_TIMEOUT",
  // jsforce already logged in again and still got 401: a login race or a session revoked at once.
  "INVALID_SESSION_ID",
]);

/** Network failures (node-fetch / undici codes). */
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

/**
 * Salesforce writes line breaks in its messages as HTML ("Duplicate Username.<br>The username already exists…"),
 * for its own UI; the console, logs and the CLI show text.
 */
function plainMessage(m: string): string {
  return m.replace(/\s*<br\s*\/?>\s*/gi, " ").trim();
}

/** Row locks clear in seconds (another job is updating the same user or group). */
const LOCK_RETRY_MS = 5_000;

/** Salesforce's own code, if the error carries one (not jsforce's ERROR_HTTP_503 or a bare "Error"). */
export function salesforceErrorCode(e: SalesforceErrorLike): VendorCode | undefined {
  const c = e.errorCode ?? e.statusCode;
  return c && /^[A-Z][A-Z0-9_]+$/.test(c) && !/^ERROR_HTTP_\d+$/.test(c) ? vendorCode(c) : undefined;
}

const asDecision = (r: Retry): ErrorDecision => ({
  retry: true,
  code: r.code,
  message: r.message,
  ...(r.delayMs === undefined ? {} : { delayMs: r.delayMs }),
  ...(r.blocked === "credentials" || r.blocked === "budget" ? { blocked: r.blocked } : {}),
});

/**
 * Transport first: a failed login is a configuration problem unless the transport failed; then no answer, 408,
 * 429 and 5xx are retried whatever the body says (after Retry-After); then Salesforce's own code decides.
 */
export function classifySalesforceError(e: SalesforceErrorLike, options: ClassifyOptions): ErrorDecision {
  const { retry } = options;
  const message = plainMessage(e.message ?? "").slice(0, 500);
  const code = salesforceErrorCode(e);
  if (e.name === "SalesforceAuthError") {
    const status = e.status ?? 0;
    const transient = retry.transport(status, `login: ${message}`, {
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
      timedOut: e.code === "TIMEOUT",
    });
    return asDecision(transient ?? retry.credentialsRejected(e.code ?? `HTTP_${status}`, message));
  }
  if (code === "REQUEST_LIMIT_EXCEEDED")
    return { retry: true, code, message, delayMs: options.parkMs, blocked: "budget" };
  if (e.status !== undefined) {
    const retryAfterMs = retry.retryAfterMs(e.retryAfter);
    const transient = retry.transport(e.status, message, {
      ...(code ? { targetCode: code } : {}),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    if (transient) return asDecision(transient);
  }
  if (code === "UNABLE_TO_LOCK_ROW") return { retry: true, code, message, delayMs: LOCK_RETRY_MS };
  if (code && TRANSIENT.has(code)) return { retry: true, code, message };
  // Salesforce's own code on a 4xx (or a refused record in a collection): permanent.
  if (code) return { retry: false, code, message };
  const jsforceStatus = /^ERROR_HTTP_(\d+)$/.exec(e.errorCode ?? "")?.[1];
  if (jsforceStatus) {
    const transient = retry.transport(Number(jsforceStatus), message);
    if (transient) return asDecision(transient);
  }
  // No answer at all.
  if ((e.code && NETWORK.has(e.code)) || e.name === "FetchError")
    return { retry: true, code: "TARGET_NETWORK_ERROR", message: `${e.code ?? "network"}: ${message}` };
  if (e.name === "AbortError" || /Request Timeout|aborted due to timeout/i.test(message))
    return { retry: true, code: "TARGET_TIMEOUT", message: message || "Salesforce did not answer in time" };
  // Not Salesforce's answer, so not known to be permanent: retried, and dead once the attempts run out.
  return { retry: true, code: "TARGET_ERROR", message: message || String(e) };
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
