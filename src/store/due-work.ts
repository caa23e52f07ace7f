// How much work is due for a target, for the dispatcher's short wait that lets a partial batch fill.
import { prepared, type Queryable } from "./db.ts";

/**
 * Due pending jobs of `target`, counted up to `limit`; how long ago (database clock) the longest-waiting of them
 * became due; and whether a claim's lease ran out (a crashed worker's work, taken over at once). Reads the
 * outbox_due and outbox_lease indexes only.
 */
export async function dueWork(
  q: Queryable,
  target: string,
  limit: number,
): Promise<{ jobs: number; oldestDueMs: number; leaseExpired: boolean }> {
  const { rows } = await q.query<{ n: number; oldest_ms: number | null; expired: boolean }>(
    prepared(`SELECT count(*)::int AS n, (extract(epoch FROM now() - min(not_before)) * 1000)::float8 AS oldest_ms,
        EXISTS (SELECT 1 FROM outbox WHERE target = $1 AND state = 'running' AND claimed_until < now()) AS expired
      FROM (SELECT not_before FROM outbox WHERE target = $1 AND state = 'pending' AND not_before <= now()
            ORDER BY not_before LIMIT $2) due`),
    [target, limit],
  );
  return {
    jobs: Number(rows[0]?.n ?? 0),
    oldestDueMs: Number(rows[0]?.oldest_ms ?? 0),
    leaseExpired: !!rows[0]?.expired,
  };
}
