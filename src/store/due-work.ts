// How much work is due for a target, for the dispatcher's short wait that lets a partial batch fill.
import { prepared, type Queryable } from "./db.ts";

/**
 * Due pending jobs of `target`, counted up to `limit`, and how long ago (database clock) the longest-waiting of them
 * became due. Reads the outbox_due index only.
 */
export async function dueWork(
  q: Queryable,
  target: string,
  limit: number,
): Promise<{ jobs: number; oldestDueMs: number }> {
  const { rows } = await q.query<{ n: number; oldest_ms: number | null }>(
    prepared(`SELECT count(*)::int AS n, (extract(epoch FROM now() - min(not_before)) * 1000)::float8 AS oldest_ms
      FROM (SELECT not_before FROM outbox WHERE target = $1 AND state = 'pending' AND not_before <= now()
            ORDER BY not_before LIMIT $2) due`),
    [target, limit],
  );
  return { jobs: Number(rows[0]?.n ?? 0), oldestDueMs: Number(rows[0]?.oldest_ms ?? 0) };
}
