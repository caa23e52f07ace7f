// One classification rule for every target, transport first: whatever the body says, no answer, 408, 429 and
// every 5xx are retried (after Retry-After when given). Only a target's own code on another 4xx is permanent, and
// a refused sign-in is neither: it parks the work and marks the target unhealthy until an admin fixes it.
import type { DeliveryCode } from "../../errors.ts";
import type { VendorCode } from "../codes.ts";
import type { Outcome } from "../target.ts";

export type Retry = Extract<Outcome, { status: "retry" }>;

const code = (c: DeliveryCode) => c;

/** Whether an HTTP status (0 = no answer) is transient by itself. */
export function transientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/**
 * The retry a transient status calls for, or undefined when the status is not transient. `targetCode` is the
 * target's own code when it sent one (kept, e.g. SERVER_UNAVAILABLE); otherwise a registry code names the case.
 */
export function transportRetry(
  status: number,
  message: string,
  opts: { targetCode?: VendorCode; retryAfterMs?: number; timedOut?: boolean } = {},
): Retry | undefined {
  if (!transientStatus(status)) return undefined;
  const fallback =
    status === 0
      ? opts.timedOut
        ? code("TARGET_TIMEOUT")
        : code("TARGET_NETWORK_ERROR")
      : status === 429
        ? code("TARGET_RATE_LIMITED")
        : code("TARGET_UNAVAILABLE");
  return {
    status: "retry",
    code: opts.targetCode ?? fallback,
    message: message || `HTTP ${status}`,
    ...(opts.retryAfterMs === undefined ? {} : { delayMs: opts.retryAfterMs }),
  };
}

/** Sign-in refused (wrong secret, revoked token, unknown client): parked, and the target shows unhealthy. */
export function credentialsRejected(vendorCode: string, message: string, delayMs?: number): Retry {
  return {
    status: "retry",
    code: code("TARGET_CREDENTIALS_REJECTED"),
    message: `${vendorCode}: ${message}`,
    blocked: "credentials",
    ...(delayMs === undefined ? {} : { delayMs }),
  };
}
