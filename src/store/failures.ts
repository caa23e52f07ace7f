// Failures an admin decided to leave: acknowledged with a note, they leave the failed list and its counts until
// the resource fails again in that target (a new dead job, or the same one failing again after a retry: either
// changes the failed job's id or time, which the acknowledgement names). The list shows one row per resource and
// target already (outbox.ts keepOneFailure), so "people" are the distinct resources among the failed jobs.
import type { Queryable } from "./db.ts";
import type { ResourceType } from "./resources.ts";

/** SQL: outbox row `alias` (a dead job) is not acknowledged. Served by failure_acks' primary key. */
export const notAcknowledged = (alias: string) =>
  `NOT EXISTS (SELECT 1 FROM failure_acks fa WHERE fa.job_id = ${alias}.id AND fa.failed_at = ${alias}.finished)`;

export interface AcknowledgedFailure {
  id: number;
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  errorCode: string | null;
}

/**
 * Acknowledges dead job `jobId`'s current failure. Undefined when it is not failed (any more) or was acknowledged
 * already: nothing to audit then.
 */
export async function acknowledgeFailure(
  q: Queryable,
  jobId: number,
  note: string,
  actor: string | null,
): Promise<AcknowledgedFailure | undefined> {
  const { rows } = await q.query<{
    id: number | string;
    target: string;
    resourceType: ResourceType;
    resourceId: string;
    errorCode: string | null;
  }>(
    `WITH job AS (SELECT o.id, o.target, o.resource_type, o.resource_id, o.last_error_code, o.finished FROM outbox o
                   WHERE o.id = $1 AND o.state = 'dead' AND o.finished IS NOT NULL AND ${notAcknowledged("o")}),
          ack AS (INSERT INTO failure_acks (job_id, failed_at, actor, note) SELECT id, finished, $3, $2 FROM job
                  ON CONFLICT (job_id) DO UPDATE SET failed_at = EXCLUDED.failed_at, actor = EXCLUDED.actor,
                                                     note = EXCLUDED.note, at = now()
                  RETURNING job_id)
     SELECT j.id, j.target, j.resource_type AS "resourceType", j.resource_id AS "resourceId",
            j.last_error_code AS "errorCode" FROM job j JOIN ack a ON a.job_id = j.id`,
    [jobId, note, actor],
  );
  const r = rows[0];
  return r ? { ...r, id: Number(r.id) } : undefined;
}

/** How many people (distinct resources) have an unacknowledged failure matching the filter. */
export async function countFailingPeople(
  q: Queryable,
  f: { target?: string; code?: string },
): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>(
    `SELECT count(DISTINCT o.resource_id) AS n FROM outbox o
      WHERE o.state = 'dead' AND ($1::text IS NULL OR o.target = $1) AND ($2::text IS NULL OR o.last_error_code = $2)
        AND ${notAcknowledged("o")}`,
    [f.target ?? null, f.code ?? null],
  );
  return Number(rows[0]?.n ?? 0);
}
