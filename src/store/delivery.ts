// What the dispatcher and the outbox writer read and write around a delivery: tombstones of deleted resources,
// the member links a group delivery sends, which resources a target may hold, group work a member's change
// calls for, and the delivery audit.
import type { DeliveryCode } from "../errors.ts";
import { type AuditChange, type DeliveryChange, writeAudit } from "./audit.ts";
import { prepared, type Queryable } from "./db.ts";
import { pendingByResource } from "./outbox.ts";
import type { ResourceType } from "./resources.ts";

export interface Tombstone {
  resourceId: string;
  resourceType: ResourceType;
  /** The last SCIM body before the delete. */
  data: Record<string, unknown>;
  /** The groups a deleted user was in. */
  groups: string[];
}

export async function tombstonesFor(q: Queryable, ids: string[]): Promise<Map<string, Tombstone>> {
  if (!ids.length) return new Map();
  const { rows } = await q.query<{
    resource_id: string;
    resource_type: ResourceType;
    data: Record<string, unknown>;
    groups: string[] | null;
  }>(
    prepared(
      "SELECT resource_id, resource_type, data, groups FROM tombstones WHERE resource_id = ANY($1::uuid[])",
    ),
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.resource_id,
      { resourceId: r.resource_id, resourceType: r.resource_type, data: r.data, groups: r.groups ?? [] },
    ]),
  );
}

/**
 * Drops the tombstones of these resources that no target needs any more: no job is open for them anywhere
 * (a dead job keeps its tombstone, since an admin may retry it).
 */
export async function dropSettledTombstones(q: Queryable, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await q.query(
    prepared(`DELETE FROM tombstones t WHERE t.resource_id = ANY($1::uuid[])
        AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.resource_id = t.resource_id
                          AND o.state IN ('pending', 'running', 'held', 'dead'))`),
    [ids],
  );
}

/** Target ids of each group's members in this target, and how many members still wait for their own delivery. */
export async function memberLinks(
  q: Queryable,
  target: string,
  groupIds: string[],
): Promise<Map<string, { linked: string[]; waiting: number }>> {
  const out = new Map<string, { linked: string[]; waiting: number }>();
  if (!groupIds.length) return out;
  const { rows } = await q.query<{ group_id: string; target_id: string | null; waiting: boolean }>(
    prepared(`SELECT group_id, target_id, waiting FROM (
       SELECT m.group_id,
              CASE WHEN NOT l.deprovisioned THEN l.target_id END AS target_id,
              EXISTS (SELECT 1 FROM outbox o WHERE o.target = $1 AND o.resource_id = m.member_id
                        AND o.state IN ('pending', 'running') AND o.action = 'provision') AS waiting
         FROM group_members m
         LEFT JOIN links l ON l.resource_id = m.member_id AND l.target = $1
        WHERE m.group_id = ANY($2::uuid[]) AND m.member_type = 'User') AS x
      WHERE target_id IS NOT NULL OR waiting`),
    [target, groupIds],
  );
  for (const r of rows) {
    const e = out.get(r.group_id) ?? { linked: [], waiting: 0 };
    if (r.waiting && !r.target_id) e.waiting++;
    else if (r.target_id) e.linked.push(r.target_id);
    out.set(r.group_id, e);
  }
  return out;
}

/** The outcome code of a group's delivery put back to wait for its members (sync/plan.ts). */
const WAITING_FOR_MEMBERS: DeliveryCode = "WAITING_FOR_MEMBERS";

/**
 * How soon a group waiting for its members goes once none is left waiting. Not at once: the last member batches of
 * a load record within moments of each other, each the last for some groups, and groups woken together are claimed
 * and sent together (one call for many groups where the target takes them in collections).
 */
export const WAKE_GROUPS_MS = 100;

/**
 * queueGroupsOfMembers' statement: $1 target, $2 member ids, $3 request id, $4 wake early. The pending jobs of the
 * groups are looked up group by group through outbox_resource (pendingByResource): with statistics from a drained
 * queue, the plain form (`resource_id IN (…)`) read every open job of the target per member batch (2,001 rows with
 * 2,000 open, measured in the claim-cost test).
 */
export const QUEUE_GROUPS_OF_MEMBERS_SQL = `WITH affected AS (
       SELECT m.group_id AS id FROM group_members m WHERE m.member_id = ANY($2::uuid[])
       UNION SELECT unnest(t.groups) FROM tombstones t WHERE t.resource_id = ANY($2::uuid[])),
     covered AS (
       SELECT o.id, o.resource_id, o.not_before, o.last_error_code FROM affected a
        CROSS JOIN LATERAL (
          SELECT x.id, x.resource_id, x.not_before, x.last_error_code FROM outbox x
           WHERE x.resource_id = a.id AND x.target = $1 AND ${pendingByResource("x")}
             AND x.action = 'provision'
           FOR SHARE SKIP LOCKED) o),
     woken AS (
       UPDATE outbox o SET not_before = now() + interval '${WAKE_GROUPS_MS} milliseconds' FROM covered c
        WHERE o.id = c.id AND c.last_error_code = '${WAITING_FOR_MEMBERS}'
          AND c.not_before > now() + interval '${WAKE_GROUPS_MS} milliseconds'
          AND NOT EXISTS (
            SELECT 1 FROM group_members m
             WHERE m.group_id = c.resource_id AND m.member_type = 'User'
               AND NOT EXISTS (SELECT 1 FROM links l WHERE l.resource_id = m.member_id AND l.target = $1
                                 AND l.target_id IS NOT NULL AND NOT l.deprovisioned)
               AND EXISTS (SELECT 1 FROM outbox w WHERE w.target = $1 AND w.resource_id = m.member_id
                             AND w.state IN ('pending', 'running') AND w.action = 'provision'))
          AND ($4::boolean OR NOT EXISTS (
            SELECT 1 FROM outbox u WHERE u.target = $1 AND u.resource_type = 'User'
               AND u.state IN ('pending', 'running') AND u.action = 'provision'))
        RETURNING o.resource_id),
     queued AS (
       INSERT INTO outbox (target, resource_type, resource_id, action, request_id)
       SELECT $1, 'Group', g.id, 'provision', $3 FROM groups g WHERE g.id IN (SELECT id FROM affected)
          AND g.id NOT IN (SELECT resource_id FROM covered)
       RETURNING resource_id)
     SELECT ((SELECT count(*) FROM queued) + (SELECT count(*) FROM woken))::int AS n`;

/**
 * Queues a delivery in `target` of every existing group that holds (or, for a deleted user, held) one of
 * `memberIds`: a member whose account appeared, was deactivated, came back or went away changes what those
 * groups must contain there. Returns how many groups were queued or woken (due within WAKE_GROUPS_MS: the caller
 * wakes a worker then).
 *
 * A group waiting for its members (WAITING_FOR_MEMBERS, due at its next check) is made due within WAKE_GROUPS_MS
 * when no member is left waiting, so a load's last member batch is followed by the groups' members, not at their
 * next check. Only its time moves, so it is never delivered twice; when two member batches record at once, each
 * sees the other's members as still waiting and the group keeps its check. In a target that writes a group with
 * its members (`wakeEarly` false: Salesforce, in collections), groups are woken only once no user is left to
 * provision there: the groups waiting together (checked together since they were queued together) then go in one
 * batch, not in a batch for each moment one of them became ready.
 *
 * A group with a pending delivery already gets one that reads its state after this transaction: that job is held
 * (FOR SHARE) until the commit, so no claim can take it before (a claim skips locked rows; one that already holds
 * it makes it running, and then a job is queued). So a load's member batches do not queue a job each for every
 * group (5,000 jobs for 100 groups of 10,000 users) that every check of the waiting groups must claim and put back.
 * The groups' links are not touched: an open job is what shows a group pending (linkStatusRows).
 */
export async function queueGroupsOfMembers(
  q: Queryable,
  target: string,
  memberIds: string[],
  requestId: string | null,
  /** Wake a group as soon as its own members are through, whatever else the target still has to do. */
  wakeEarly = true,
): Promise<number> {
  if (!memberIds.length) return 0;
  const { rows } = await q.query<{ n: number }>(prepared(QUEUE_GROUPS_OF_MEMBERS_SQL), [
    target,
    memberIds,
    requestId,
    wakeEarly,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** Resources (of `ids`) that a target has an account for, may have one for, or has provisioning queued for. */
export async function knownTo(
  q: Queryable,
  target: string,
  type: "User" | "Group",
  ids: string[],
): Promise<Set<string>> {
  if (!ids.length) return new Set();
  // The type matters: a group's members may be groups, and a nested group leaving its parent is not a user
  // leaving a target's scope.
  const { rows } = await q.query<{ id: string }>(
    prepared(`SELECT resource_id AS id FROM links WHERE target = $1 AND resource_type = $3 AND resource_id = ANY($2::uuid[])
        AND NOT deprovisioned AND (target_id IS NOT NULL OR state <> 'synced')
     UNION SELECT resource_id FROM outbox WHERE target = $1 AND resource_type = $3 AND resource_id = ANY($2::uuid[])
        AND state IN ('pending', 'running', 'held') AND action = 'provision'`),
    [target, ids, type],
  );
  return new Set(rows.map((r) => r.id));
}

/** The users directly in a group. */
export async function userMemberIds(q: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await q.query<{ member_id: string }>(
    prepared("SELECT member_id FROM group_members WHERE group_id = $1 AND member_type = 'User'"),
    [groupId],
  );
  return rows.map((r) => r.member_id);
}

/** How many users a target holds an active (not deprovisioned) account for, for the breaker's percentage. */
export async function linkedUserCount(q: Queryable, target: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    prepared(
      "SELECT count(*)::int AS n FROM links WHERE target = $1 AND resource_type = 'User' AND NOT deprovisioned",
    ),
    [target],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface TargetAuditEntry {
  resourceType: ResourceType;
  resourceId: string;
  outcome: string;
  detail: Record<string, unknown>;
  requestId?: string;
  actor?: string;
  changes?: readonly AuditChange[] | undefined;
  change?: DeliveryChange | undefined;
}

/** Audit rows about one target (e.g. `target.preflight` refusals recorded with the write). */
export async function auditTarget(q: Queryable, target: string, action: string, rows: TargetAuditEntry[]) {
  await writeAudit(
    q,
    rows.map((r) => ({
      action,
      target,
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      outcome: r.outcome,
      requestId: r.requestId,
      actor: r.actor,
      detail: r.detail,
      changes: r.changes,
      change: r.change,
    })),
  );
}

export interface ParkedWork {
  target: string;
  jobs: number;
  /** The newest job's error message (which says what the target answered). */
  message: string | null;
}

/** Open jobs per target whose last attempt ended with `code` (e.g. credentials refused), for health reports. */
export async function parkedWith(q: Queryable, code: string): Promise<ParkedWork[]> {
  const { rows } = await q.query<{ target: string; n: number; message: string | null }>(
    prepared(`SELECT target, count(*)::int AS n, (array_agg(last_error_message ORDER BY id DESC))[1] AS message
       FROM outbox WHERE state IN ('pending', 'running') AND last_error_code = $1 GROUP BY target ORDER BY target`),
    [code],
  );
  return rows.map((r) => ({ target: r.target, jobs: Number(r.n), message: r.message }));
}
