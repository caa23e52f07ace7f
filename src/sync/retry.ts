// The bridge's retry policy, in one place: which answers are transient (transport first: no answer, 408, 429 and
// every 5xx are retried whatever the body says, after Retry-After when given; only a target's own code on another
// 4xx is permanent, and a refused sign-in is neither), one Retry-After parser, one backoff formula (the
// dispatcher's between attempts, a client's short retries in place), the short-retry wrapper kinds opt into, and
// what happens to a job after an attempt (done, retry at a time, or dead), as pure functions.
// Targets do not import this module (DESIGN.md: targets may import mapping only): each kind receives
// `retryPolicy` below as KindDeps.retry (targets/kind.ts declares its shape).
import type { DeliveryCode } from "../errors.ts";
import type { SignInHistory } from "../store/index.ts";
import type { Retry, RetryPolicy, ShortRetryOptions, TransportFacts } from "../targets/kind.ts";
import type { Outcome } from "../targets/target.ts";

/**
 * An HTTP Retry-After as milliseconds from `now`: delta-seconds (fractions accepted, "1.5" = 1,500 ms, as the
 * Tableau client always read it; RFC 9110 only defines integers but proxies send fractions) or an HTTP date.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1`, given `attempt` attempts so far (1-based): exponential with "equal jitter"
 * (between half and all of min(max, base × 2^(attempt−1))). When the target said when (Retry-After, an exhausted
 * budget's "not before"), never earlier than that, spread by up to 10% (at most 1 s) so that every worker does not
 * come back in the same millisecond. `random` is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  policy: Backoff,
  targetDelayMs?: number,
  random: () => number = Math.random,
): number {
  if (targetDelayMs !== undefined)
    return Math.round(targetDelayMs + random() * Math.min(1_000, targetDelayMs * 0.1));
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Whether an HTTP status (0 = no answer) is transient by itself. */
export function transientStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

const code = (c: DeliveryCode) => c;

/**
 * The retry a transient status calls for, or undefined when the status is not transient. `targetCode` is the
 * target's own code when it sent one (kept, e.g. SERVER_UNAVAILABLE); otherwise a registry code names the case.
 */
export function transportRetry(
  status: number,
  message: string,
  facts: TransportFacts = {},
): Retry | undefined {
  if (!transientStatus(status)) return undefined;
  const fallback =
    status === 0
      ? facts.timedOut
        ? code("TARGET_TIMEOUT")
        : code("TARGET_NETWORK_ERROR")
      : status === 429
        ? code("TARGET_RATE_LIMITED")
        : code("TARGET_UNAVAILABLE");
  return {
    status: "retry",
    code: facts.targetCode ?? fallback,
    message: message || `HTTP ${status}`,
    ...(facts.retryAfterMs === undefined ? {} : { delayMs: facts.retryAfterMs }),
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

/** Short retries in place, before an operation is handed back to the dispatcher's own backoff. */
export const SHORT_RETRY_BACKOFF: Backoff = { baseMs: 250, maxMs: 2_000 };
export const SHORT_RETRY_ATTEMPTS = 3;
/** A Retry-After longer than this is not waited out in place; the dispatcher reschedules instead. */
export const SHORT_RETRY_MAX_WAIT_MS = 10_000;

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `fn`; a failure `classify` calls a retry is tried again after the short backoff (or the target's
 * Retry-After), up to `maxAttempts` calls in all, unless the wait would exceed `maxWaitMs`; then the last failure is
 * thrown, for the dispatcher to back off and retry. Anything else is thrown at once.
 */
export async function shortRetry<T>(fn: () => Promise<T>, options: ShortRetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? SHORT_RETRY_ATTEMPTS;
  const maxWaitMs = options.maxWaitMs ?? SHORT_RETRY_MAX_WAIT_MS;
  const sleep = options.sleep ?? sleepReal;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= maxAttempts) throw e;
      const outcome = options.classify(e);
      if (outcome?.status !== "retry") throw e;
      const wait = backoffDelay(attempt, SHORT_RETRY_BACKOFF, outcome.delayMs);
      if (wait > maxWaitMs) throw e;
      options.onRetry?.(e, wait);
      await sleep(wait);
    }
  }
}

/** The policy as every target kind receives it (KindDeps.retry). */
export const retryPolicy: RetryPolicy = {
  transient: transientStatus,
  retryAfterMs: parseRetryAfter,
  transport: transportRetry,
  credentialsRejected,
  shortRetry,
};

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
