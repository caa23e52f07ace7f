// Reading the audit like a log: filters (date range, action, outcome, target, actor, person), keyset pages newest
// first on (at, id), and batched reads for exports. The statement names only the filters given, so each combination
// is planned on its own index (migration 016): each index ends in (at, id) and the keyset is a range on it.
import { type AuditChange, changesOf } from "./audit.ts";
import type { Queryable } from "./db.ts";
import { type NamedId, type NameRow, namesOf, namesOfIds, type ResourceNames, toNames } from "./names.ts";
import type { ResourceType } from "./resources.ts";

export interface AuditQuery {
  /** Events about any of these resources (a person's ids: several when a userName was reused after a delete). */
  resourceIds?: readonly string[];
  target?: string;
  actor?: string;
  action?: string;
  outcome?: string;
  /** Events of one request: a SCIM write and the deliveries it queued, or an operator's action and its delivery. */
  requestId?: string;
  /** Inclusive lower bound on the event's time. */
  from?: Date;
  /** Exclusive upper bound on the event's time. */
  to?: Date;
  /** Deliveries only (target.deliver, and target.preflight refusals), each with who requested it. */
  deliveries?: boolean;
  /** A delivery's kind of change (created, updated, deactivated, deleted). */
  change?: string;
  /** Deliveries of the requests this actor made (the SCIM write or operator action that queued them). */
  requestedBy?: string;
}

/** The delivery log's actions; written as the partial index audit_deliveries_at_id says them (migration 019). */
const DELIVERIES = "action IN ('target.deliver', 'target.preflight')";

export interface AuditRow extends ResourceNames {
  id: number;
  at: Date;
  requestId: string | null;
  actor: string | null;
  /** Present once the audit records it (operators' sign-in); null before. */
  actorSubject: string | null;
  source: string | null;
  action: string;
  resourceType: ResourceType | null;
  resourceId: string | null;
  target: string | null;
  outcome: string;
  /** The detail as written, without its `changes`. */
  detail: unknown;
  /** What the event changed, attribute by attribute ([] when it recorded none). */
  changes: AuditChange[];
  /**
   * Who the ids in its changes are: a group's members, a user's manager (only when asked for: `queryAudit`'s
   * `idNames`).
   */
  idNames?: ReadonlyMap<string, NamedId>;
  /** A delivery's kind of change; null for other events. */
  change: string | null;
  /** A delivery's requester (the actor of the request that queued it): read for delivery queries only. */
  requestedBy?: string | null;
}

/** A stored detail split into the rest and its changes. */
function splitDetail(stored: unknown): { detail: unknown; changes: AuditChange[] } {
  const changes = changesOf(stored);
  if (!changes.length) return { detail: stored ?? null, changes };
  const { changes: _, ...rest } = stored as Record<string, unknown>;
  return { detail: Object.keys(rest).length ? rest : null, changes };
}

/** The WHERE conditions and their parameters for a query; `before` is the id of the last row of the page before. */
function conditions(f: AuditQuery, before: number | undefined, params: unknown[]): string[] {
  const p = (v: unknown) => `$${params.push(v)}`;
  const where: string[] = [];
  if (f.resourceIds) where.push(`resource_id = ANY(${p(f.resourceIds)}::uuid[])`);
  if (f.target !== undefined) where.push(`target = ${p(f.target)}`);
  if (f.actor !== undefined) where.push(`actor = ${p(f.actor)}`);
  if (f.action !== undefined) where.push(`action = ${p(f.action)}`);
  if (f.outcome !== undefined) where.push(`outcome = ${p(f.outcome)}`);
  if (f.requestId !== undefined) where.push(`request_id = ${p(f.requestId)}`);
  if (f.deliveries) where.push(DELIVERIES);
  if (f.change !== undefined) where.push(`change = ${p(f.change)}`);
  if (f.requestedBy !== undefined)
    where.push(`request_id IN (SELECT w.request_id FROM audit w
      WHERE w.actor = ${p(f.requestedBy)} AND w.request_id IS NOT NULL AND NOT w.${DELIVERIES})`);
  if (f.from) where.push(`at >= ${p(f.from.toISOString())}::timestamptz`);
  if (f.to) where.push(`at < ${p(f.to.toISOString())}::timestamptz`);
  if (before !== undefined) {
    // The cursor row's own time, read exactly (microseconds, which a JavaScript Date would round).
    const b = p(before);
    where.push(`(at, id) < ((SELECT at FROM audit WHERE id = ${b}::bigint), ${b}::bigint)`);
  }
  return where;
}

/** The resource ids a change names: a group's members that came and went, a user's manager before and after. */
export function idsIn(c: AuditChange): string[] {
  if (c.hidden) return [];
  if (c.added || c.removed) return [...(c.added ?? []), ...(c.removed ?? [])];
  if (!c.path.endsWith("manager.value")) return [];
  return [c.old, c.new].filter((v): v is string => typeof v === "string");
}

/**
 * Up to `limit` events matching `f`, newest first by (at, id), after the row whose id is `before` (keyset: page
 * 2,000 costs what page 1 does). A `before` id that is not in the audit yields no rows.
 */
export async function queryAudit(
  q: Queryable,
  f: AuditQuery,
  page: { before?: number | undefined; limit: number },
  /** `idNames`: name the users and groups the rows' changes name by id, for a page that shows them. */
  opts: { idNames?: boolean } = {},
): Promise<AuditRow[]> {
  if (f.resourceIds && f.resourceIds.length === 0) return [];
  const params: unknown[] = [];
  const where = conditions(f, page.before, params);
  const names = namesOf("a");
  const requester = f.deliveries
    ? `, (SELECT w.actor FROM audit w WHERE w.request_id = a.request_id AND NOT w.${DELIVERIES}
          ORDER BY w.id LIMIT 1) AS requested_by`
    : "";
  const { rows } = await q.query<Record<string, unknown> & NameRow>(
    `SELECT a.*, ${names.columns}${requester}
       FROM (SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
              ORDER BY at DESC, id DESC LIMIT $${params.push(page.limit)}) a
       ${names.joins}
      ORDER BY a.at DESC, a.id DESC`,
    params,
  );
  const events: AuditRow[] = rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at as string | Date),
    requestId: (r.request_id as string | null) ?? null,
    actor: (r.actor as string | null) ?? null,
    actorSubject: (r.actor_subject as string | null | undefined) ?? null,
    source: (r.source as string | null | undefined) ?? null,
    action: r.action as string,
    resourceType: (r.resource_type as ResourceType | null) ?? null,
    resourceId: (r.resource_id as string | null) ?? null,
    target: (r.target as string | null) ?? null,
    outcome: r.outcome as string,
    ...splitDetail(r.detail),
    change: (r.change as string | null | undefined) ?? null,
    ...(f.deliveries ? { requestedBy: (r.requested_by as string | null | undefined) ?? null } : {}),
    ...toNames(r),
  }));
  if (opts.idNames) {
    const idsOf = events.map((e) => e.changes.flatMap(idsIn));
    if (idsOf.some((ids) => ids.length)) {
      const idNames = await namesOfIds(q, idsOf.flat());
      events.forEach((e, i) => {
        if (idsOf[i]!.length) e.idNames = idNames;
      });
    }
  }
  return events;
}

/** Every event matching `f`, newest first, read `batch` rows per statement so no more than a batch is held. */
export async function* auditBatches(q: Queryable, f: AuditQuery, batch: number): AsyncGenerator<AuditRow[]> {
  let before: number | undefined;
  for (;;) {
    const rows = await queryAudit(q, f, { before, limit: batch });
    if (rows.length) yield rows;
    if (rows.length < batch) return;
    before = rows.at(-1)!.id;
  }
}

/**
 * The ids of the users and groups a person typed in a filter is: a resource id as is; else every user whose
 * userName or displayName, and every group whose displayName, is `text` (case-insensitive), live or deleted.
 */
export async function resolvePerson(q: Queryable, text: string): Promise<string[]> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
    return [text.toLowerCase()];
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM users WHERE lower(user_name) = lower($1) OR lower(display_name) = lower($1)
     UNION SELECT id FROM groups WHERE lower(display_name) = lower($1)
     UNION SELECT resource_id FROM deleted_names WHERE lower(user_name) = lower($1) OR lower(display_name) = lower($1)`,
    [text],
  );
  return rows.map((r) => r.id);
}
