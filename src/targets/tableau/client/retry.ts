// Pure retry decisions for Tableau responses: what the dispatcher should do with a failed call.
import type { Outcome } from "../../target.ts";
import { ALREADY_MEMBER, GROUP_EXISTS, USER_EXISTS } from "./errors.ts";

/** When Retry-After is missing on a 429 (Tableau Cloud's limits are per minute or longer). */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

/** Retry-After as milliseconds: delta-seconds or an HTTP date (Tableau's migration SDK accepts both). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The outcome a Tableau error leads to: "already there" codes are success, 429 waits for Retry-After,
 * 5xx, 408 and no response (status 0: timeout, connection refused) are retried, every other 4xx is
 * permanent and keeps Tableau's code.
 */
export function classifyTableauError(
  status: number,
  code: string,
  headers: Headers | Record<string, string> = {},
  message = "",
): Outcome {
  if (USER_EXISTS.has(code) || code === GROUP_EXISTS || code === ALREADY_MEMBER) {
    return { status: "done", detail: message || `already there (${code})` };
  }
  const h = headers instanceof Headers ? headers : new Headers(headers);
  if (status === 429) {
    const delayMs = parseRetryAfter(h.get("retry-after")) ?? DEFAULT_RATE_LIMIT_DELAY_MS;
    return { status: "retry", code, message: message || "Tableau rate limit reached", delayMs };
  }
  if (status === 0 || status === 408 || status >= 500) {
    const delayMs = parseRetryAfter(h.get("retry-after"));
    return {
      status: "retry",
      code,
      message: message || `Tableau did not answer (${code})`,
      ...(delayMs === undefined ? {} : { delayMs }),
    };
  }
  return { status: "failed", code, message: message || `Tableau refused the call (${code})` };
}
