// SQL for the browser console: sessions, the last-hour activity chart, the audit browser and bulk retry of dead
// jobs. Everything else the console shows comes from the same store functions the admin API uses.
import type { Queryable } from "./db.ts";
import { notAcknowledged } from "./failures.ts";
import { type NameRow, namesOf, type ResourceNames, toNames } from "./names.ts";
import type { ResourceType } from "./resources.ts";

/** How a session was opened: with an admin token (break-glass or named), or by a person through the IdP. */
export type ConsoleSessionKind = "token" | "oidc";

export interface ConsoleSession {
  actor: string;
  csrf: string;
  expires: Date;
  flash: string | null;
  kind: ConsoleSessionKind;
  role: string;
  subject: string | null;
  email: string | null;
}

export async function createConsoleSession(
  q: Queryable,
  s: {
    idHash: string;
    actor: string;
    csrf: string;
    expires: Date;
    kind: ConsoleSessionKind;
    role: string;
    subject?: string | undefined;
    email?: string | undefined;
  },
) {
  // Expired sessions are swept at sign-in, which is rare enough to cost nothing and frequent enough to keep
  // the table small.
  await q.query("DELETE FROM console_sessions WHERE expires < now()");
  await q.query(
    `INSERT INTO console_sessions (id_hash, actor, csrf, expires, kind, role, subject, email)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [s.idHash, s.actor, s.csrf, s.expires, s.kind, s.role, s.subject ?? null, s.email ?? null],
  );
}

/** The live session with this id hash; its flash notice is taken (cleared) in the same statement. */
export async function takeConsoleSession(q: Queryable, idHash: string): Promise<ConsoleSession | undefined> {
  const { rows } = await q.query<Omit<ConsoleSession, "expires"> & { expires: Date | string }>(
    `WITH s AS (SELECT id_hash, flash FROM console_sessions WHERE id_hash = $1 AND expires > now()),
          u AS (UPDATE console_sessions c SET flash = NULL FROM s WHERE c.id_hash = s.id_hash AND s.flash IS NOT NULL)
     SELECT c.actor, c.csrf, c.expires, s.flash, c.kind, c.role, c.subject, c.email
       FROM console_sessions c JOIN s ON s.id_hash = c.id_hash`,
    [idHash],
  );
  const r = rows[0];
  return r ? { ...r, expires: new Date(r.expires) } : undefined;
}

export async function setConsoleFlash(q: Queryable, idHash: string, flash: string) {
  await q.query("UPDATE console_sessions SET flash = $2 WHERE id_hash = $1", [idHash, flash]);
}

export async function deleteConsoleSession(q: Queryable, idHash: string) {
  await q.query("DELETE FROM console_sessions WHERE id_hash = $1", [idHash]);
}

export interface MinuteActivity {
  /** Minutes before now (0 = the current minute). */
  ago: number;
  target: string;
  synced: number;
  retry: number;
  failed: number;
}

/** Delivery outcomes per minute over the last `minutes`, from the dispatcher's audit rows. */
export async function deliveriesPerMinute(q: Queryable, minutes: number): Promise<MinuteActivity[]> {
  const { rows } = await q.query<{ ago: number; target: string; outcome: string; n: number }>(
    `SELECT floor(extract(epoch FROM (now() - at)) / 60)::int AS ago, target, outcome, count(*)::int AS n
       FROM audit WHERE at > now() - ($1::int * interval '1 minute') AND action = 'target.deliver'
      GROUP BY 1, 2, 3`,
    [minutes],
  );
  const byKey = new Map<string, MinuteActivity>();
  for (const r of rows) {
    const key = `${r.ago}\u0000${r.target}`;
    const m = byKey.get(key) ?? { ago: Number(r.ago), target: r.target, synced: 0, retry: 0, failed: 0 };
    if (r.outcome === "synced" || r.outcome === "retry" || r.outcome === "failed")
      m[r.outcome] += Number(r.n);
    byKey.set(key, m);
  }
  return [...byKey.values()];
}

export interface MinuteLatency {
  ago: number;
  p50: number;
  p95: number;
}

/** Accept → synced latency (seconds) of the jobs delivered per minute over the last `minutes`. */
export async function latencyPerMinute(q: Queryable, minutes: number): Promise<MinuteLatency[]> {
  const { rows } = await q.query<{ ago: number; p50: number; p95: number }>(
    `SELECT floor(extract(epoch FROM (now() - finished)) / 60)::int AS ago,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM (finished - created)))::float8 AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM (finished - created)))::float8 AS p95
       FROM outbox WHERE state = 'done' AND finished > now() - ($1::int * interval '1 minute')
      GROUP BY 1`,
    [minutes],
  );
  return rows.map((r) => ({ ago: Number(r.ago), p50: Number(r.p50), p95: Number(r.p95) }));
}

export interface DeadJob extends ResourceNames {
  id: number;
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  action: string;
  attempts: number;
  /** When the failing job was queued: the resource has been failing in this target since then. */
  created: Date;
  finished: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** userName (a user) or displayName (a group) of the resource, also once it is deleted. */
  name: string | null;
}

/** Dead jobs, newest first, optionally of one target and one error code. */
export async function listDeadJobs(
  q: Queryable,
  f: { target?: string; code?: string; limit: number },
): Promise<DeadJob[]> {
  const names = namesOf("o");
  const { rows } = await q.query<
    Omit<DeadJob, keyof ResourceNames | "name"> &
      NameRow & { id: number | string; created: Date | string; finished: Date | string | null }
  >(
    `SELECT o.id, o.target, o.resource_type AS "resourceType", o.resource_id AS "resourceId", o.action, o.attempts,
            o.created, o.finished, o.last_error_code AS "errorCode", o.last_error_message AS "errorMessage", ${names.columns}
       FROM outbox o ${names.joins}
      WHERE o.state = 'dead' AND ($1::text IS NULL OR o.target = $1) AND ($2::text IS NULL OR o.last_error_code = $2)
        AND ${notAcknowledged("o")}
      ORDER BY o.id DESC LIMIT $3`,
    [f.target ?? null, f.code ?? null, f.limit],
  );
  return rows.map(({ user_name, display_name, deleted, ...r }) => {
    const n = toNames({ user_name, display_name, deleted });
    return {
      ...r,
      ...n,
      name: r.resourceType === "User" ? n.userName : n.displayName,
      id: Number(r.id),
      created: new Date(r.created),
      finished: r.finished ? new Date(r.finished) : null,
    };
  });
}

/** How many dead jobs there are per target and error code (for the filter). */
export async function deadJobCodes(q: Queryable): Promise<{ target: string; code: string; count: number }[]> {
  const { rows } = await q.query<{ target: string; code: string | null; n: number }>(
    `SELECT o.target, o.last_error_code AS code, count(*)::int AS n FROM outbox o
      WHERE o.state = 'dead' AND ${notAcknowledged("o")}
      GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
  );
  return rows.map((r) => ({ target: r.target, code: r.code ?? "", count: Number(r.n) }));
}

/** Dead jobs matching the filter go back to pending with a fresh attempt budget, like POST /admin/jobs/{id}/retry. */
export async function reviveDeadJobs(q: Queryable, f: { target?: string; code?: string }): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE outbox o SET state = 'pending', attempts = 0, not_before = now(), finished = NULL
      WHERE o.state = 'dead' AND ($1::text IS NULL OR o.target = $1) AND ($2::text IS NULL OR o.last_error_code = $2)
        AND ${notAcknowledged("o")}`,
    [f.target ?? null, f.code ?? null],
  );
  return rowCount;
}

/**
 * "Retry now" for one resource: its dead jobs get a fresh attempt budget and its jobs waiting out a backoff
 * become due at once. Returns the targets it woke.
 */
export async function retryResourceNow(q: Queryable, resourceId: string): Promise<string[]> {
  const { rows } = await q.query<{ target: string }>(
    `UPDATE outbox SET state = 'pending', attempts = CASE WHEN state = 'dead' THEN 0 ELSE attempts END,
            not_before = now(), finished = NULL
      WHERE resource_id = $1 AND (state = 'dead' OR (state = 'pending' AND not_before > now()))
      RETURNING target`,
    [resourceId],
  );
  return [...new Set(rows.map((r) => r.target))];
}
