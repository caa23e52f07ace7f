// Pure retry decisions for Tableau responses: what the dispatcher should do with a failed call. The transport rule
// and the Retry-After parser are the bridge's retry policy (sync/retry.ts), handed in.
import { vendorCode } from "../../codes.ts";
import type { RetryPolicy } from "../../kind.ts";
import type { Outcome } from "../../target.ts";
import { ALREADY_MEMBER, GROUP_EXISTS, USER_EXISTS } from "./errors.ts";

/** When Retry-After is missing on a 429 (Tableau Cloud's limits are per minute or longer). */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

/**
 * The outcome a Tableau error leads to: "already there" codes are success, 429 waits for Retry-After,
 * 5xx, 408 and no response (status 0: timeout, connection refused) are retried, every other 4xx is
 * permanent and keeps Tableau's code.
 */
export function classifyTableauError(
  retry: RetryPolicy,
  status: number,
  code: string,
  headers: Headers | Record<string, string> = {},
  message = "",
): Outcome {
  if (USER_EXISTS.has(code) || code === GROUP_EXISTS || code === ALREADY_MEMBER) {
    return { status: "done", detail: message || `already there (${code})` };
  }
  const h = headers instanceof Headers ? headers : new Headers(headers);
  const retryAfterMs =
    retry.retryAfterMs(h.get("retry-after")) ?? (status === 429 ? DEFAULT_RATE_LIMIT_DELAY_MS : undefined);
  // Tableau's own code is kept when the body had one (status × 1000 + sub-code, not the bare status × 1000).
  const own = code !== String(status * 1000) && /^\d{6}$/.test(code) ? vendorCode(code) : undefined;
  const transient = retry.transport(status, message || `Tableau did not answer (${code})`, {
    ...(own ? { targetCode: own } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    timedOut: code === "TIMEOUT",
  });
  if (transient)
    return status === 429 && !message ? { ...transient, message: "Tableau rate limit reached" } : transient;
  return {
    status: "failed",
    code: vendorCode(code),
    message: message || `Tableau refused the call (${code})`,
  };
}
