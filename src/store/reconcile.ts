// The reads and writes reconcile and import need: correlation lookups in batches and keyset walks over one
// target's links and the store's users (so nothing is ever loaded whole), and the outbox marks callers wait on.
import type { Queryable } from "./db.ts";
import { linksByTargetIds } from "./links.ts";
import { nameKey } from "./name-key.ts";
import { pendingByResource } from "./outbox.ts";

/** Where a keyset walk over uuids starts, and how many store rows one step reads. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
export const STORE_PAGE = 1000;

/** Which store resource of `type` each of a page of target accounts is linked to: target id → resource id. */
export async function linkedIdsOf(
  q: Queryable,
  target: string,
  type: "User" | "Group",
  targetIds: string[],
): Promise<Map<string, string>> {
  const links = await linksByTargetIds(q, target, targetIds);
  return new Map(
    links.filter((l) => l.resourceType === type).map((l) => [l.targetId as string, l.resourceId]),
  );
}

export interface KeyMatch {
  id: string;
  /** The key asked for, lower-cased. */
  key: string;
  /** The target id this resource is already linked to in the target, if any. */
  linkedTo: string | null;
}

/**
 * Store resources whose userName (User) or displayName (Group) is one of `keys` by nameKey (ignoring case,
 * normalisation form and width), keyed by each given key lower-cased. Of rows that shared a name before names had
 * keys (migration 011), the oldest answers.
 */
export async function resourcesByKeys(
  q: Queryable,
  type: "User" | "Group",
  target: string,
  keys: string[],
): Promise<Map<string, KeyMatch>> {
  const out = new Map<string, KeyMatch>();
  if (!keys.length) return out;
  const asked = new Map<string, string[]>();
  for (const k of keys) {
    const nk = nameKey(k);
    asked.set(nk, [...(asked.get(nk) ?? []), k.toLowerCase()]);
  }
  const [table, col] = type === "User" ? ["users", "user_name_key"] : ["groups", "display_name_key"];
  const { rows } = await q.query<{ id: string; k: string; target_id: string | null }>(
    `SELECT r.id, r.${col} AS k, l.target_id FROM ${table} r
       LEFT JOIN links l ON l.resource_id = r.id AND l.target = $2 AND NOT l.deprovisioned
      WHERE r.${col} = ANY($1::text[]) ORDER BY r.name_clash DESC`,
    [[...asked.keys()], target],
  );
  for (const r of rows) {
    for (const key of asked.get(r.k) ?? []) out.set(key, { id: r.id, key, linkedTo: r.target_id });
  }
  return out;
}

export interface LinkedRow {
  resourceId: string;
  targetId: string;
  exists: boolean;
  key: string | null;
}

/** Links of one target that carry a target id and are not deprovisioned, `limit` at a time after `after`. */
export async function linkedPage(
  q: Queryable,
  target: string,
  type: "User" | "Group",
  after: string,
  limit: number,
): Promise<LinkedRow[]> {
  const [table, col] = type === "User" ? ["users", "user_name"] : ["groups", "display_name"];
  const { rows } = await q.query<{ resource_id: string; target_id: string; key: string | null }>(
    `SELECT l.resource_id, l.target_id, r.${col} AS key FROM links l LEFT JOIN ${table} r ON r.id = l.resource_id
      WHERE l.target = $1 AND l.resource_type = $2 AND l.target_id IS NOT NULL AND NOT l.deprovisioned
        AND l.resource_id > $3::uuid
      ORDER BY l.resource_id LIMIT $4`,
    [target, type, after, limit],
  );
  return rows.map((r) => ({
    resourceId: r.resource_id,
    targetId: r.target_id,
    exists: r.key !== null,
    key: r.key,
  }));
}

/** Store resources with no account (no link, or a link without target id) in a target, a page at a time. */
export async function unlinkedPage(
  q: Queryable,
  target: string,
  type: "User" | "Group",
  after: string,
  limit: number,
): Promise<{ id: string; key: string }[]> {
  const [table, col, extra] =
    type === "User" ? ["users", "user_name", " AND r.active"] : ["groups", "display_name", ""];
  const { rows } = await q.query<{ id: string; key: string }>(
    `SELECT r.id, r.${col} AS key FROM ${table} r
       LEFT JOIN links l ON l.resource_id = r.id AND l.target = $1
      WHERE r.id > $2::uuid AND l.target_id IS NULL${extra}
      ORDER BY r.id LIMIT $3`,
    [target, after, limit],
  );
  return rows;
}

/** Forgets the account a link points to (it is gone from the target), so the next delivery creates or re-links. */
export async function clearTargetIds(q: Queryable, target: string, ids: string[]) {
  if (!ids.length) return;
  await q.query("UPDATE links SET target_id = NULL WHERE target = $1 AND resource_id = ANY($2::uuid[])", [
    target,
    ids,
  ]);
}

/** Target ids of each group's members that are linked (and not deprovisioned) in a target. */
export async function memberTargetIds(
  q: Queryable,
  target: string,
  groupIds: string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!groupIds.length) return out;
  const { rows } = await q.query<{ group_id: string; target_id: string }>(
    `SELECT m.group_id, l.target_id FROM group_members m
       JOIN links l ON l.resource_id = m.member_id AND l.target = $1
      WHERE m.group_id = ANY($2::uuid[]) AND l.target_id IS NOT NULL AND NOT l.deprovisioned`,
    [target, groupIds],
  );
  for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), r.target_id]);
  return out;
}

/** Open (pending or running) jobs of a target created at or after job id `since`: what a caller waits for. */
export async function openJobsSince(
  q: Queryable,
  since: number,
  targets?: string[],
): Promise<{ open: number; done: number; dead: number; held: number }> {
  const { rows } = await q.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM outbox WHERE id >= $1 AND ($2::text[] IS NULL OR target = ANY($2::text[]))
      GROUP BY state`,
    [since, targets ?? null],
  );
  const n = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { open: n("pending") + n("running"), done: n("done"), dead: n("dead"), held: n("held") };
}

/** The id the next outbox job will have at least: jobs created from now on have ids ≥ this. */
export async function outboxMark(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ id: number | null }>("SELECT max(id) AS id FROM outbox");
  return Number(rows[0]?.id ?? 0) + 1;
}

/**
 * Drops the jobs this transaction queued for `target` on `resourceId` (created = now(), the transaction's
 * start): an imported resource is already in its source. An older pending change still has to be delivered.
 */
export async function dropJobsQueuedNow(q: Queryable, target: string, resourceId: string): Promise<void> {
  await q.query(DROP_JOBS_QUEUED_NOW_SQL, [target, resourceId]);
}

/**
 * Pending said as pendingByResource: a plain `state = 'pending'` read every pending job of the target for each
 * imported resource (2,000 rows per call with 2,000 open jobs: store/claim-cost).
 */
export const DROP_JOBS_QUEUED_NOW_SQL = `DELETE FROM outbox x
  WHERE x.resource_id = $2 AND x.target = $1 AND ${pendingByResource("x")} AND x.created = now()`;
