// Retry timing every target shares: one Retry-After parser and one backoff formula (the dispatcher's between
// attempts, a client's short in-place retries).

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
