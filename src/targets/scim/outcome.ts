// Pure decisions: what a peer's answer means for a job. SCIM errors carry a status and, for 400/409, a
// scimType (RFC 7644 §3.12); the scimType is the peer's own code, else HTTP_<status>. The transport rule and the
// Retry-After parser are the bridge's retry policy (sync/retry.ts), handed in.
import { vendorCode } from "../codes.ts";
import type { RetryPolicy } from "../kind.ts";
import type { Outcome } from "../target.ts";
import { PeerUnreachable, TokenRefused } from "./client.ts";

/** The outcome a non-2xx answer leads to: 408, 429 and 5xx are retried (after Retry-After when given). */
export function classifyPeerAnswer(
  retry: RetryPolicy,
  status: number,
  body: unknown,
  retryAfter?: string | null,
  text = "",
): Refusal {
  const err = (body ?? {}) as { scimType?: unknown; detail?: unknown };
  const detail =
    typeof err.detail === "string" && err.detail.trim()
      ? err.detail.trim().slice(0, 500)
      : text.trim().slice(0, 200) || `the peer answered ${status}`;
  const code = vendorCode(typeof err.scimType === "string" && err.scimType ? err.scimType : `HTTP_${status}`);
  const retryAfterMs = retry.retryAfterMs(retryAfter);
  const transient = retry.transport(status, detail, {
    ...(code !== `HTTP_${status}` ? { targetCode: code } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
  if (transient) return transient;
  // The bearer token (or the one the token endpoint gave) is refused: a configuration problem, parked.
  if (status === 401) return retry.credentialsRejected(code, detail);
  return { status: "failed", code, message: detail };
}

export type Refusal = Exclude<Outcome, { status: "done" }>;

/** A failed call carried to the operation that made it (reads done while planning a write). */
export class PeerRefused extends Error {
  readonly outcome: Refusal;
  constructor(outcome: Refusal) {
    super(outcome.message);
    this.outcome = outcome;
    this.name = "PeerRefused";
  }
}

/** The outcome of an operation that threw. Anything that is not the peer's own answer is retried. */
export function outcomeOfError(retry: RetryPolicy, e: unknown): Outcome {
  if (e instanceof PeerRefused) return e.outcome;
  if (e instanceof PeerUnreachable)
    return { status: "retry", code: "TARGET_NETWORK_ERROR", message: e.message };
  if (e instanceof TokenRefused) {
    // A 4xx from the token endpoint is a wrong client id or secret: parked until an admin fixes it.
    return (
      retry.transport(e.status, e.message) ??
      retry.credentialsRejected(`OAUTH_TOKEN_REFUSED (HTTP ${e.status})`, e.message)
    );
  }
  return { status: "retry", code: "TARGET_ERROR", message: (e as Error)?.message ?? String(e) };
}
