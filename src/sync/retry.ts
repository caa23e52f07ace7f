// What happens to a job after a delivery attempt, as pure functions: done, retry at a time, or dead. The backoff
// formula and the Retry-After parser are the targets' shared ones (targets/shared/retry.ts).
import { backoffDelay, parseRetryAfter } from "../targets/shared/retry.ts";
import type { Outcome } from "../targets/target.ts";

export { backoffDelay, parseRetryAfter };

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 10 };

/** How long work waits when a target refuses the bridge's credentials: an admin has to fix something. */
export const CREDENTIALS_RETRY_MS = 5 * 60_000;

export type JobDecision =
  | { state: "done" }
  /** Back to pending after `delayMs`; `countAttempt: false` gives the attempt back (it was not the job's fault). */
  | { state: "pending"; delayMs: number; countAttempt: boolean }
  | { state: "dead" };

/**
 * The job's next state from the outcome of attempt number `attempts`:
 * - done → done; failed (the target's own permanent answer) → dead;
 * - waiting (a group whose members are still being provisioned) → pending, the attempt given back;
 * - blocked by credentials or the API budget → pending after the target's delay (or CREDENTIALS_RETRY_MS), the
 *   attempt given back: the whole target is stuck, and the work must resume once an admin fixes it, not be dead;
 * - blocked by a session ended right after a fresh sign-in (another process on the same Tableau PAT) → pending
 *   with the growing backoff, never dead: it clears when the other process stops signing in;
 * - any other retry → pending with backoff (or the target's Retry-After), dead once maxAttempts are used.
 */
export function nextJobState(
  outcome: Outcome,
  attempts: number,
  policy: BackoffPolicy,
  opts: { waiting?: boolean; random?: () => number } = {},
): JobDecision {
  if (outcome.status === "done") return { state: "done" };
  if (outcome.status === "failed") return { state: "dead" };
  if (opts.waiting)
    return { state: "pending", delayMs: outcome.delayMs ?? policy.baseMs, countAttempt: false };
  if (outcome.blocked === "credentials" || outcome.blocked === "budget") {
    const delayMs = backoffDelay(attempts, policy, outcome.delayMs ?? CREDENTIALS_RETRY_MS, opts.random);
    return { state: "pending", delayMs, countAttempt: false };
  }
  if (outcome.blocked !== "session" && attempts >= policy.maxAttempts) return { state: "dead" };
  return {
    state: "pending",
    delayMs: backoffDelay(attempts, policy, outcome.delayMs, opts.random),
    countAttempt: true,
  };
}
