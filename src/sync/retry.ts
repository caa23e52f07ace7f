// What happens to a job after a delivery attempt, as pure functions: done, retry at a time, or dead. The backoff
// formula and the Retry-After parser are the targets' shared ones (targets/shared/retry.ts).
import type { DeliveryCode } from "../errors.ts";
import type { SignInHistory } from "../store/index.ts";
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

/** A refused sign-in parks the work only once refusals go on: this many in a row… */
export const PARK_AFTER_REFUSALS = 3;
/** …over at least this long (every process's sign-ins count). */
export const PARK_AFTER_MS = 60_000;

/** What work waiting on a refused sign-in shows; a successful sign-in (in any process) makes it due at once. */
export const SIGNIN_WAITING_CODES: readonly DeliveryCode[] = [
  "TARGET_CREDENTIALS_REJECTED",
  "TARGET_SIGNIN_REFUSED",
];

/**
 * What a refused sign-in means for the work, from the target's sign-in history (`undefined`: not known): credentials
 * that never worked, or refused again and again for a while, park it ("park": an admin must fix them); credentials
 * that worked lately are retried with the ordinary backoff ("retry": a sign-in refused once among successes, as a
 * proxy, an overloaded identity service or a session limit may do, clears by itself).
 */
export function signInVerdict(history: SignInHistory | undefined): "park" | "retry" {
  if (!history || history.sinceOkMs === undefined) return "park";
  if (history.refusals >= PARK_AFTER_REFUSALS && history.refusingForMs >= PARK_AFTER_MS) return "park";
  return "retry";
}

export type JobDecision =
  | { state: "done" }
  /**
   * Back to pending after `delayMs`; `countAttempt: false` gives the attempt back (it was not the job's fault).
   * `code`: what the job shows instead of the outcome's own code.
   */
  | { state: "pending"; delayMs: number; countAttempt: boolean; code?: DeliveryCode }
  | { state: "dead" };

/**
 * The job's next state from the outcome of attempt number `attempts`:
 * - done → done; failed (the target's own permanent answer) → dead;
 * - waiting (a group whose members are still being provisioned) → pending, the attempt given back;
 * - blocked by credentials that worked lately (signInVerdict "retry", `signIns` being the target's history) →
 *   pending with the ordinary backoff as TARGET_SIGNIN_REFUSED, the attempt counted; once its attempts are used up
 *   it parks as below instead of dying;
 * - blocked by credentials (otherwise) or the API budget → pending after the target's delay (or
 *   CREDENTIALS_RETRY_MS), the attempt given back: the whole target is stuck, and the work must resume once an admin
 *   fixes it, not be dead;
 * - blocked by a session ended right after a fresh sign-in (another process on the same Tableau PAT) → pending
 *   with the growing backoff, never dead: it clears when the other process stops signing in;
 * - any other retry → pending with backoff (or the target's Retry-After), dead once maxAttempts are used.
 */
export function nextJobState(
  outcome: Outcome,
  attempts: number,
  policy: BackoffPolicy,
  opts: { waiting?: boolean; random?: () => number; signIns?: SignInHistory } = {},
): JobDecision {
  if (outcome.status === "done") return { state: "done" };
  if (outcome.status === "failed") return { state: "dead" };
  if (opts.waiting)
    return { state: "pending", delayMs: outcome.delayMs ?? policy.baseMs, countAttempt: false };
  if (
    outcome.blocked === "credentials" &&
    attempts < policy.maxAttempts &&
    signInVerdict(opts.signIns) === "retry"
  )
    return {
      state: "pending",
      delayMs: backoffDelay(attempts, policy, undefined, opts.random),
      countAttempt: true,
      code: "TARGET_SIGNIN_REFUSED",
    };
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
