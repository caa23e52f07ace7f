// The overview's numbers per target: managed accounts (user links with the target's account id) and people by
// link state (synced, pending, failed, held). One aggregate over the user links: PostgreSQL plans it as a
// sequential scan of links even with 100,000 users and a covering index (tried), so no index is added for it.
// Failed people leave out the ones whose failure an admin acknowledged (store/failures.ts), like the failed list.
import type { Queryable } from "./db.ts";
import { notAcknowledged } from "./failures.ts";

export interface PeopleCounts {
  managed: number;
  synced: number;
  pending: number;
  failed: number;
  held: number;
}

export const PEOPLE_BY_TARGET_SQL = `SELECT target, state, count(*) AS n, count(target_id) AS managed FROM links
  WHERE resource_type = 'User' AND NOT deprovisioned GROUP BY target, state`;

export async function peopleByTarget(q: Queryable): Promise<Map<string, PeopleCounts>> {
  const { rows } = await q.query<{
    target: string;
    state: string;
    n: number | string;
    managed: number | string;
  }>(PEOPLE_BY_TARGET_SQL);
  // Acknowledged failures (few) come off the failed count: one lookup per acknowledged dead job.
  const acked = await q.query<{ target: string; n: number | string }>(
    `SELECT o.target, count(DISTINCT o.resource_id) AS n FROM failure_acks fa JOIN outbox o ON o.id = fa.job_id
      WHERE o.state = 'dead' AND o.resource_type = 'User' AND NOT ${notAcknowledged("o")} GROUP BY o.target`,
  );
  const out = new Map<string, PeopleCounts>();
  for (const r of rows) {
    const c = out.get(r.target) ?? { managed: 0, synced: 0, pending: 0, failed: 0, held: 0 };
    c.managed += Number(r.managed);
    if (r.state in c) c[r.state as keyof PeopleCounts] += Number(r.n);
    out.set(r.target, c);
  }
  for (const r of acked.rows) {
    const c = out.get(r.target);
    if (c) c.failed = Math.max(0, c.failed - Number(r.n));
  }
  return out;
}

export interface RecentChanges {
  created: number;
  updated: number;
  deactivated: number;
  failed: number;
}

/**
 * People per target whose delivery since `since` created, updated or deactivated their account, and who failed
 * there (a delivery refused, or a pre-flight refusal): each person once per kind. An index-only range scan of
 * audit_deliveries_at_id (migration 019), which carries every column counted.
 */
export async function recentChangesByTarget(q: Queryable, since: Date): Promise<Map<string, RecentChanges>> {
  const { rows } = await q.query<{ target: string; kind: string; n: number | string }>(
    `SELECT target, CASE WHEN outcome = 'failed' THEN 'failed' ELSE change END AS kind,
            count(DISTINCT resource_id) AS n
       FROM audit
      WHERE action IN ('target.deliver', 'target.preflight') AND at >= $1::timestamptz AND resource_type = 'User'
        AND (outcome = 'failed' OR (outcome = 'synced' AND change IN ('created', 'updated', 'deactivated')))
      GROUP BY 1, 2`,
    [since.toISOString()],
  );
  const out = new Map<string, RecentChanges>();
  for (const r of rows) {
    const c = out.get(r.target) ?? { created: 0, updated: 0, deactivated: 0, failed: 0 };
    if (r.kind in c) c[r.kind as keyof RecentChanges] += Number(r.n);
    out.set(r.target, c);
  }
  return out;
}
