// Retry timing as pure functions: exponential backoff with full jitter, bounded, overridden by what the target
// said (Retry-After, an exhausted API budget's "not before").

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 10 };

/** Delay before attempt `attempt + 1`, given `attempt` attempts so far (1-based). `random` is injectable for tests. */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  targetDelayMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  // The target knows best when it will take work again: never earlier than it asked, spread a little so that
  // every worker does not come back in the same millisecond.
  if (targetDelayMs !== undefined)
    return Math.round(targetDelayMs + random() * Math.min(1_000, targetDelayMs * 0.1));
  return jittered;
}

export type RetryDecision = { kind: "retry"; delayMs: number } | { kind: "dead" };

export function decideRetry(
  attempts: number,
  policy: BackoffPolicy,
  targetDelayMs?: number,
  random?: () => number,
): RetryDecision {
  if (attempts >= policy.maxAttempts) return { kind: "dead" };
  return { kind: "retry", delayMs: backoffDelay(attempts, policy, targetDelayMs, random) };
}

/** Parses an HTTP Retry-After (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
