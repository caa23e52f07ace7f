// The transactional outbox. Job states and their transitions, written down once:
//
//   pending ──claim──▶ running ──done──▶ done
//      ▲                 │  └──failed / attempts exhausted──▶ dead ──admin retry──▶ pending
//      └──retry(backoff)─┘  (a running job whose lease expired is claimable again: crash recovery)
//
// A claim is a token in claimed_by; the worker renews its lease while the batch runs (heartbeat) and records an
// outcome only for jobs still claimed under its token (fencing), so a short lease is safe.
//   held (a deprovision stopped by the circuit breaker) ──admin release──▶ pending (approved)
//   dead at birth: a write the target's pre-flight refuses is recorded as a dead job with the pre-flight's code;
//   the next write of the resource queues a fresh pending job (that is the retry)
//   one failure per resource and target: a job that dies takes over the older dead jobs of its resource there
//   (keepOneFailure), and a done delivery settles them (completeJobs)
//
// A job says "make resource R in target T match the store"; several pending jobs of one (R, T) are coalesced
// into one delivery of the latest state, and (R, T) is never delivered by two workers at once.
import { type Db, prepared, type Queryable } from "./db.ts";
import { type NameRow, namesOf, type ResourceNames, toNames } from "./names.ts";
import type { ResourceType } from "./resources.ts";

export type JobAction = "provision" | "deprovision";
export type JobState = "pending" | "running" | "done" | "dead" | "held";

export interface NewJob {
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  action: JobAction;
  state?: "pending" | "held" | "dead";
  secret?: Buffer;
  requestId?: string;
  /** Why a job is dead at birth (a pre-flight refusal). */
  errorCode?: string;
  errorMessage?: string;
}

export interface OutboxJob {
  id: number;
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  action: JobAction;
  state: JobState;
  attempts: number;
  approved: boolean;
  secret: Buffer | null;
  created: Date;
  notBefore: Date;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  requestId: string | null;
}

interface JobRow {
  id: number | string;
  target: string;
  resource_type: ResourceType;
  resource_id: string;
  action: JobAction;
  state: JobState;
  attempts: number;
  approved: boolean;
  secret: Buffer | Uint8Array | null;
  created: Date | string;
  not_before: Date | string;
  last_error_code: string | null;
  last_error_message: string | null;
  request_id: string | null;
}

/** JobRow's columns, named: a prepared statement's result must not change shape when a migration adds one. */
const JOB_COLUMNS = (alias: string) =>
  "id target resource_type resource_id action state attempts approved secret created not_before last_error_code last_error_message request_id"
    .split(" ")
    .map((c) => `${alias}.${c}`)
    .join(", ");

const toJob = (r: JobRow): OutboxJob => ({
  id: Number(r.id),
  target: r.target,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  action: r.action,
  state: r.state,
  attempts: r.attempts,
  approved: r.approved,
  secret: r.secret ? Buffer.from(r.secret) : null,
  created: new Date(r.created),
  notBefore: new Date(r.not_before),
  lastErrorCode: r.last_error_code,
  lastErrorMessage: r.last_error_message,
  requestId: r.request_id,
});

/**
 * Job `alias` is pending, said in the form only outbox_resource can answer next to a resource id: its predicate
 * (`state IN` the open states) is matched, and `state NOT IN ('running', 'held')` is a condition outbox_due's
 * (`state = 'pending'`) cannot be proved from. With statistics taken from a drained queue, a plain
 * `state = 'pending'` let the planner answer through outbox_due, reading every pending job of the target for each
 * resource looked up (store/claim-cost measures every statement that uses this).
 */
export const pendingByResource = (alias: string) =>
  `${alias}.state IN ('pending', 'running', 'held') AND ${alias}.state NOT IN ('running', 'held')`;

/** Up to this many jobs go in as rows of parameters; more travel as arrays (a statement takes 65,535 parameters). */
const JOBS_AS_ROWS = 16;

/**
 * The common table expressions that insert `jobs`, pushing their parameters onto `params`; `onlyIf`, a condition,
 * makes the insert depend on the rest of the statement (e.g. on a conditional update having found its row).
 * A write's few jobs (one per target) are rows of plain parameters: binding them costs PostgreSQL less than
 * parsing nine arrays (a write's two jobs: 0.06 → 0.03 ms to execute, 0.21–0.24 → 0.12–0.13 ms per round trip,
 * measured). Many jobs (a group's members) travel as arrays, one text whatever their number. Either way the text
 * depends only on the number of jobs, so a statement built with it can be prepared. The links are not touched: an open job is what
 * shows its resource `pending` (or `held`) in that target (linkStatusRows in links.ts).
 *
 * `coalesce` (a change of resources that may already have work queued): a job is not added where the same
 * resource already has a pending job of the same action in that target, which will deliver the resource's state
 * as it is then, this change included. That job is held (FOR SHARE) until the statement's transaction ends, so no
 * claim can take it before this change is committed (a claim skips locked rows; one that already holds it, or has
 * made it running, makes this statement add its own job). A job that carries a password, and a held or dead one,
 * is always added. An IdP's create followed at once by its updates (Okta, Entra ID: the user, then its manager,
 * then its groups) then queues one delivery per target, not one per request, each of which would be claimed,
 * coalesced and completed.
 */
export function outboxCtes(
  params: unknown[],
  jobs: readonly NewJob[],
  opts: { onlyIf?: string; coalesce?: boolean } = {},
): string {
  const columns = (j: NewJob) => [
    j.target,
    j.resourceType,
    j.resourceId,
    j.action,
    j.state ?? "pending",
    j.secret ?? null,
    j.requestId ?? null,
    j.errorCode ?? null,
    j.errorMessage ?? null,
  ];
  const types = ["text", "text", "uuid", "text", "text", "bytea", "text", "text", "text"];
  const values = jobs.map(columns);
  let source: string;
  if (jobs.length <= JOBS_AS_ROWS) {
    // The first row's casts type every column; the other rows' parameters take those types.
    const rows = values.map(
      (row, r) =>
        `(${row.map((v, i) => `$${params.push(v)}${r === 0 ? `::${types[i]}` : ""}`).join(", ")}, ${r + 1})`,
    );
    source = `(VALUES ${rows.join(", ")})`;
  } else {
    const arrays = types.map((type, i) => `$${params.push(values.map((row) => row[i]))}::${type}[]`);
    source = `unnest(${arrays.join(", ")}) WITH ORDINALITY`;
  }
  // `n`, each job's place in `jobs`: the ids (the order claims take) follow it.
  const named = `${source} AS j(t, rt, rid, a, st, s, req, ec, em, n)`;
  const conditions = opts.onlyIf ? [opts.onlyIf] : [];
  const ctes: string[] = [];
  let from = named;
  if (opts.coalesce) {
    ctes.push(`outbox_new AS (SELECT * FROM ${named})`);
    // Looked up job by job (pendingByResource): a join let a planner with stale statistics scan every pending job of
    // the outbox per write (3 ms with 2,000).
    ctes.push(`outbox_covered AS (
       SELECT c.target, c.resource_id, c.action FROM outbox_new n
        CROSS JOIN LATERAL (
          SELECT x.target, x.resource_id, x.action FROM outbox x
           WHERE x.resource_id = n.rid AND x.target = n.t AND ${pendingByResource("x")} AND x.action = n.a
           LIMIT 1 FOR SHARE SKIP LOCKED) c
        WHERE n.st = 'pending' AND n.s IS NULL)`);
    from = "outbox_new AS j";
    // The job's own state and secret again: a password job beside a plain one for the same key is still added.
    conditions.push(`NOT EXISTS (SELECT 1 FROM outbox_covered c
                  WHERE c.resource_id = j.rid AND c.target = j.t AND c.action = j.a AND j.st = 'pending' AND j.s IS NULL)`);
  }
  ctes.push(`outbox_jobs AS (
       INSERT INTO outbox (target, resource_type, resource_id, action, state, secret, request_id,
                           last_error_code, last_error_message, finished)
       SELECT j.t, j.rt, j.rid, j.a, j.st, j.s, j.req, j.ec, j.em, CASE WHEN j.st = 'dead' THEN now() END
         FROM ${from}${conditions.length ? ` WHERE ${conditions.join(" AND ")}` : ""}
        ORDER BY j.n)`);
  return ctes.join(",\n     ");
}

/**
 * Queues jobs: one round trip per write whatever the number of targets. Each queued resource shows `pending` (or
 * `held`) in that target's status while its job is open; a dead job (a pre-flight refusal) leaves the status to
 * its caller.
 */
export async function enqueueJobs(q: Queryable, jobs: NewJob[]): Promise<void> {
  if (!jobs.length) return;
  const params: unknown[] = [];
  // Data-modifying CTEs run whether or not the main query reads them.
  await q.query(prepared(`WITH ${outboxCtes(params, jobs, { coalesce: true })} SELECT 1`), params);
  // A refusal recorded now (a dead job: the pre-flight's) replaces the resource's earlier failure in that target.
  const dead = jobs.filter((j) => j.state === "dead");
  for (const target of new Set(dead.map((j) => j.target)))
    await keepOneFailure(
      q,
      target,
      dead.filter((j) => j.target === target).map((j) => j.resourceId),
    );
}

/** The oldest open job of outbox row `o`'s resource in its target: only that one may be claimed. */
const OLDEST_OPEN = `SELECT min(e.id) FROM outbox e WHERE e.resource_id = o.resource_id AND e.target = o.target
                        AND e.state IN ('pending', 'running', 'held')`;

/**
 * Claims the heads: $1 target, $2 limit, $3 token, $4 lease ms. A claim takes due groups or due users, groups
 * first: a target that creates groups apart from their members (Tableau) creates them while the users are being
 * provisioned instead of after the last of them, and a batch of users is never split by groups that only check
 * whether their members are there yet (each split costs a target that writes in collections, Salesforce, calls).
 * Written so that every plan is index-driven whatever the statistics say: after a burst of writes the
 * planner's row counts are stale until autovacuum runs, and the older form (one scan with an OR and an
 * anti-join) became a quadratic scan of the open jobs (1.3 s per claim with 2,000 open jobs), taking the
 * database's CPU from the SCIM writes. Due pending jobs come from outbox_due in its own order (longest
 * waiting first; due groups from outbox_due_groups), run-out leases from outbox_lease, and "is this the
 * resource's oldest open job" is a correlated lookup that can only be answered from outbox_resource.
 * Not `prepared`: a generic plan, blind to the limit and to how many jobs are due, took 190–830 ms per claim.
 */
export const CLAIM_HEADS_SQL = `WITH expired AS (
   SELECT o.id FROM outbox o
    WHERE o.target = $1 AND o.state = 'running' AND o.claimed_until < now()
      AND o.id = (${OLDEST_OPEN})
    ORDER BY o.claimed_until LIMIT $2 FOR UPDATE SKIP LOCKED),
 due_groups AS (
   SELECT o.id FROM outbox o
    WHERE o.target = $1 AND o.state = 'pending' AND o.resource_type = 'Group' AND o.not_before <= now()
      AND o.id = (${OLDEST_OPEN})
    ORDER BY o.not_before, o.id LIMIT GREATEST(0, $2 - (SELECT count(*) FROM expired))
    FOR UPDATE SKIP LOCKED),
 due_users AS (
   SELECT o.id FROM outbox o
    WHERE o.target = $1 AND o.state = 'pending' AND o.resource_type = 'User' AND o.not_before <= now()
      AND o.id = (${OLDEST_OPEN})
    ORDER BY o.not_before, o.id
    LIMIT CASE WHEN EXISTS (SELECT 1 FROM due_groups) THEN 0 ELSE GREATEST(0, $2 - (SELECT count(*) FROM expired)) END
    FOR UPDATE SKIP LOCKED),
 heads AS (SELECT id FROM expired UNION ALL SELECT id FROM due_groups UNION ALL SELECT id FROM due_users)
 UPDATE outbox o SET state = 'running', attempts = o.attempts + 1, claimed_by = $3,
        claimed_until = now() + ($4::int * interval '1 millisecond')
   FROM heads WHERE o.id = heads.id RETURNING ${JOB_COLUMNS("o")}`;

/** A claimed unit of work: one resource in one target, with every job it coalesces (head first). */
export interface ClaimedUnit {
  target: string;
  resourceType: ResourceType;
  resourceId: string;
  jobs: OutboxJob[];
}

/**
 * Claims up to `limit` resources due for `target`. Only the oldest open job of a resource can be claimed (so a
 * resource is never in two workers' hands); the pending jobs queued behind it are taken along and coalesced.
 */
export async function claimUnits(
  db: Db,
  target: string,
  limit: number,
  /** The claim token: unique per claim, checked when the outcome is recorded. */
  token: string,
  leaseMs: number,
): Promise<ClaimedUnit[]> {
  return db.transaction(async (t) => {
    const { rows: heads } = await t.query<JobRow>(CLAIM_HEADS_SQL, [target, limit, token, leaseMs]);
    if (!heads.length) return [];
    const followers = await claimFollowers(
      t,
      target,
      heads.map((h) => h.resource_id),
      token,
      leaseMs,
    );
    const units = new Map<string, ClaimedUnit>();
    for (const r of [...heads.map(toJob), ...followers].sort((a, b) => a.id - b.id)) {
      const u = units.get(r.resourceId) ?? {
        target,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        jobs: [],
      };
      u.jobs.push(r);
      units.set(r.resourceId, u);
    }
    return [...units.values()];
  });
}

/**
 * Takes the pending jobs queued behind claimed resources into the claim (not those behind a held one), so that a
 * resource's queued changes go out as one delivery of its current state.
 */
export async function claimFollowers(
  q: Queryable,
  target: string,
  resourceIds: string[],
  token: string,
  leaseMs: number,
): Promise<OutboxJob[]> {
  if (!resourceIds.length) return [];
  const { rows } = await q.query<JobRow>(prepared(CLAIM_FOLLOWERS_SQL), [
    target,
    resourceIds,
    token,
    leaseMs,
  ]);
  return rows.map(toJob);
}

/**
 * Followers of the claimed resources: $1 target, $2 resource ids, $3 token, $4 lease ms. Looked up and locked
 * resource by resource (a lateral subquery per id, which only outbox_resource can answer: pendingByResource), then
 * updated by id, so the cost follows the batch, not the queue. The row lock rechecks the
 * state (a job changed meanwhile is left out), so the update itself names no state: a state condition there let a
 * planner with statistics from a drained queue find the ids by scanning every open job of the target (4,200 rows
 * read for 100 resources in the claim-cost test). The plain form (`resource_id = ANY($2)` with an anti-join on held
 * jobs) scanned every pending job of the target per id: 2 million buffers, 390 ms per claim with 10,000 pending
 * jobs.
 */
export const CLAIM_FOLLOWERS_SQL = `UPDATE outbox o
    SET state = 'running', claimed_by = $3, claimed_until = now() + ($4::int * interval '1 millisecond')
   FROM unnest($2::uuid[]) AS r(id)
  CROSS JOIN LATERAL (
         SELECT x.id FROM outbox x
          WHERE x.resource_id = r.id AND x.target = $1 AND ${pendingByResource("x")}
            AND x.id < COALESCE((SELECT min(h.id) FROM outbox h WHERE h.resource_id = r.id AND h.target = $1
                                   AND h.state = 'held'), 9223372036854775807)
            FOR UPDATE) f
  WHERE o.id = f.id
  RETURNING ${JOB_COLUMNS("o")}`;

/** Heartbeat: keeps a claim alive while its batch runs, so the lease can be short. Returns jobs still held. */
export async function extendClaims(q: Queryable, token: string, leaseMs: number): Promise<number> {
  const { rowCount } = await q.query(
    prepared(`UPDATE outbox SET claimed_until = now() + ($2::int * interval '1 millisecond')
      WHERE claimed_by = $1 AND state = 'running'`),
    [token, leaseMs],
  );
  return rowCount;
}

/**
 * Fencing: which of `ids` are still running under this claim, locked until the transaction ends. A worker whose
 * lease ran out (paused, partitioned) and was taken over must not overwrite the newer worker's outcome.
 */
export async function stillClaimed(q: Queryable, token: string, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const { rows } = await q.query<{ id: number | string }>(
    prepared(
      `SELECT id FROM outbox WHERE id = ANY($1::bigint[]) AND claimed_by = $2 AND state = 'running' FOR UPDATE`,
    ),
    [ids, token],
  );
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Done. A delivery sends the resource's state as it is, so it also settles the failures of that resource in that
 * target recorded before the jobs it completes: they go (a refusal recorded after them stays).
 */
export async function completeJobs(q: Queryable, ids: number[]) {
  await q.query(
    prepared(`WITH done AS (
       UPDATE outbox SET state = 'done', finished = now(), secret = NULL, claimed_by = NULL, claimed_until = NULL
        WHERE id = ANY($1::bigint[]) RETURNING id, resource_id, target),
     upto AS (SELECT resource_id, target, max(id) AS id FROM done GROUP BY resource_id, target)
     DELETE FROM outbox o USING upto u
      WHERE o.resource_id = u.resource_id AND o.target = u.target AND o.state = 'dead' AND o.id < u.id`),
    [ids],
  );
}

/**
 * One failure per resource and target: of the dead jobs of `resourceIds` in `target`, the newest stays, with the
 * attempts of the others added to its own, and the others go. So a user that a retry, "provision now", reconcile
 * or a write fails again shows once in the failed list, its attempt count and last error updated.
 */
export async function keepOneFailure(q: Queryable, target: string, resourceIds: string[]): Promise<void> {
  if (!resourceIds.length) return;
  await q.query(
    prepared(`WITH dead AS (
       SELECT id, attempts, max(id) OVER (PARTITION BY resource_id) AS keep FROM outbox
        WHERE target = $1 AND resource_id = ANY($2::uuid[]) AND state = 'dead'),
     gone AS (DELETE FROM outbox o USING dead d WHERE o.id = d.id AND d.id <> d.keep RETURNING d.keep, d.attempts)
     UPDATE outbox o SET attempts = o.attempts + g.n
       FROM (SELECT keep, sum(attempts)::int AS n FROM gone GROUP BY keep) g WHERE o.id = g.keep`),
    [target, [...new Set(resourceIds)]],
  );
}

export async function retryJobs(
  q: Queryable,
  ids: number[],
  delayMs: number,
  code: string,
  message: string,
  countAttempt = true,
) {
  await q.query(
    prepared(`UPDATE outbox SET state = 'pending', not_before = now() + ($2::int * interval '1 millisecond'),
            claimed_by = NULL, claimed_until = NULL, last_error_code = $3, last_error_message = $4,
            attempts = CASE WHEN $5 THEN attempts ELSE GREATEST(attempts - 1, 0) END
      WHERE id = ANY($1::bigint[])`),
    [ids, Math.round(delayMs), code, message, countAttempt],
  );
}

/**
 * Of resources being delivered to `target`, those a later write's pre-flight refused while the delivery ran: a job
 * dead at birth newer than `afterIds[i]` (the newest job the delivery claimed for `resourceIds[i]`), with its reason.
 * The delivery's facts predate that write, so its outcome must not replace the refusal in the status.
 */
export async function refusedSince(
  q: Queryable,
  target: string,
  resourceIds: string[],
  afterIds: number[],
): Promise<Map<string, { code: string | null; message: string | null }>> {
  if (!resourceIds.length) return new Map();
  const { rows } = await q.query<{ rid: string; code: string | null; message: string | null }>(
    prepared(`SELECT DISTINCT ON (x.rid) x.rid, o.last_error_code AS code, o.last_error_message AS message
       FROM unnest($2::uuid[], $3::bigint[]) AS x(rid, after)
       JOIN outbox o ON o.target = $1 AND o.state = 'dead' AND o.resource_id = x.rid AND o.id > x.after
      ORDER BY x.rid, o.id DESC`),
    [target, resourceIds, afterIds],
  );
  return new Map(rows.map((r) => [r.rid, { code: r.code, message: r.message }]));
}

/** Dead: visible to admins, never retried on its own; its password (if any) is erased. */
export async function killJobs(q: Queryable, ids: number[], code: string, message: string) {
  const { rows } = await q.query<{ target: string; resource_id: string }>(
    prepared(`UPDATE outbox SET state = 'dead', finished = now(), secret = NULL, claimed_by = NULL, claimed_until = NULL,
            last_error_code = $2, last_error_message = $3 WHERE id = ANY($1::bigint[]) RETURNING target, resource_id`),
    [ids, code, message],
  );
  for (const target of new Set(rows.map((r) => r.target)))
    await keepOneFailure(
      q,
      target,
      rows.filter((r) => r.target === target).map((r) => r.resource_id),
    );
}

/** Admin: a dead job goes back to pending with a fresh attempt budget. */
export async function reviveJob(q: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await q.query(
    prepared(
      "UPDATE outbox SET state = 'pending', attempts = 0, not_before = now(), finished = NULL WHERE id = $1 AND state = 'dead'",
    ),
    [id],
  );
  return rowCount > 0;
}

/** Admin: held deprovisions of a target (or the given ids) are let through the breaker. */
export async function releaseHeld(q: Queryable, target: string, ids?: number[]): Promise<number> {
  const { rowCount } = await q.query(
    prepared(`UPDATE outbox SET state = 'pending', approved = true, not_before = now()
      WHERE target = $1 AND state = 'held' AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`),
    [target, ids ?? null],
  );
  return rowCount;
}

/**
 * Deprovisions queued for a target since `since`, for the circuit breaker: neither those still held nor those an
 * admin released (approved), which would otherwise hold the very next deprovision again.
 */
export async function countRecentDeprovisions(q: Queryable, target: string, since: Date): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    prepared(
      "SELECT count(*)::int AS n FROM outbox WHERE target = $1 AND action = 'deprovision' AND created >= $2 AND state <> 'held' AND NOT approved",
    ),
    [target, since],
  );
  return Number(rows[0]?.n ?? 0);
}

/** A job as the admin API, the console and the CLI list it: with who its resource is (or was, once deleted). */
export type ListedJob = OutboxJob & ResourceNames;

const JOB_NAMES = namesOf("o");

export async function listJobs(
  q: Queryable,
  filter: { target?: string; state?: JobState; resourceId?: string; limit?: number },
): Promise<ListedJob[]> {
  const { rows } = await q.query<JobRow & NameRow>(
    prepared(`SELECT ${JOB_COLUMNS("o")}, ${JOB_NAMES.columns} FROM outbox o ${JOB_NAMES.joins}
      WHERE ($1::text IS NULL OR o.target = $1) AND ($2::text IS NULL OR o.state = $2)
        AND ($3::uuid IS NULL OR o.resource_id = $3) ORDER BY o.id DESC LIMIT $4`),
    [filter.target ?? null, filter.state ?? null, filter.resourceId ?? null, filter.limit ?? 100],
  );
  return rows.map((r) => ({ ...toJob(r), ...toNames(r) }));
}

/**
 * A resource's open jobs (pending, running or held), newest first: what a person's page lists. Failed jobs are not
 * open (they wait for an admin); read through outbox_resource, whose predicate these states are.
 */
export async function openJobsOf(q: Queryable, resourceId: string, limit: number): Promise<ListedJob[]> {
  const { rows } = await q.query<JobRow & NameRow>(
    prepared(`SELECT ${JOB_COLUMNS("o")}, ${JOB_NAMES.columns} FROM outbox o ${JOB_NAMES.joins}
      WHERE o.resource_id = $1 AND o.state IN ('pending', 'running', 'held') ORDER BY o.id DESC LIMIT $2`),
    [resourceId, limit],
  );
  return rows.map((r) => ({ ...toJob(r), ...toNames(r) }));
}

export async function queueDepth(
  q: Queryable,
): Promise<{ target: string; state: JobState; count: number }[]> {
  const { rows } = await q.query<{ target: string; state: JobState; n: number }>(
    prepared(
      "SELECT target, state, count(*)::int AS n FROM outbox WHERE state <> 'done' GROUP BY target, state ORDER BY target, state",
    ),
  );
  return rows.map((r) => ({ target: r.target, state: r.state, count: Number(r.n) }));
}

/** Refreshes the planner's statistics of the outbox (see sync/outbox-statistics.ts). */
export async function analyzeOutbox(q: Queryable): Promise<void> {
  await q.query("ANALYZE outbox");
}
