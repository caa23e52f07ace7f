// Reads that answer a SCIM request in one round trip: the resource row plus, as JSON columns of the same
// statement, its relations (a user's groups, a group's members) and its per-target status (links.ts).
import { prepared, type Queryable } from "./db.ts";
import type { ResourceSchema } from "./filter/index.ts";
import { linkStatusRows } from "./links.ts";
import { compileList, type ListRequest } from "./list-query.ts";
import type { Member } from "./memberships.ts";
import { type ResourceType, rowToResource, type StoredResource } from "./resources.ts";
import { TABLE } from "./tables.ts";

export interface Include {
  relations?: boolean;
  links?: boolean;
}

export interface LinkStatus {
  target: string;
  state: string;
  targetId?: string;
  lastAttemptAt?: string;
  errorCode?: string;
  errorMessage?: string;
}

export interface ResourceWithExtras {
  resource: StoredResource;
  relations?: Member[];
  links?: LinkStatus[];
}

const RELATIONS: Record<ResourceType, string> = {
  User: `(SELECT COALESCE(json_agg(json_build_object('value', g.id, 'display', g.display_name, 'type', 'Group')
            ORDER BY g.display_name), '[]'::json)
          FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.member_id = t.id) AS rel`,
  Group: `(SELECT COALESCE(json_agg(json_build_object('value', m.member_id, 'type', m.member_type,
            'display', COALESCE(u.display_name, u.user_name, g.display_name)) ORDER BY m.added, m.member_id), '[]'::json)
          FROM group_members m
          LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id
          LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id
          WHERE m.group_id = t.id) AS rel`,
};

const LINKS = `(SELECT json_agg(json_build_object('target', l.target, 'state', l.state, 'targetId', l.target_id,
            'lastAttemptAt', l.last_attempt_at, 'errorCode', l.error_code, 'errorMessage', l.error_message)
            ORDER BY l.target)
          FROM (${linkStatusRows((a) => `${a}.resource_id = t.id`)}) l) AS lnk`;

function selectList(type: ResourceType, include: Include) {
  return [
    "t.id, t.data, t.version, t.created, t.last_modified",
    ...(include.relations ? [RELATIONS[type]] : []),
    ...(include.links ? [LINKS] : []),
  ].join(", ");
}

interface ExtrasRow {
  id: string;
  data: Record<string, unknown>;
  version: number;
  created: Date | string;
  last_modified: Date | string;
  rel?: { value: string; type: ResourceType; display: string | null }[] | string | null;
  lnk?: Record<string, string | null>[] | string | null;
}

const parsed = <T>(v: T | string | null | undefined): T | undefined =>
  v == null ? undefined : typeof v === "string" ? (JSON.parse(v) as T) : v;

function withExtras(type: ResourceType, r: ExtrasRow, include: Include): ResourceWithExtras {
  const out: ResourceWithExtras = { resource: rowToResource(type, r) };
  if (include.relations) {
    out.relations = (parsed(r.rel) ?? []).map((m) => ({
      value: m.value,
      type: m.type,
      ...(m.display ? { display: m.display } : {}),
    }));
  }
  if (include.links) {
    out.links = (parsed(r.lnk) ?? []).map((l) => ({
      target: String(l.target),
      state: String(l.state),
      ...(l.targetId ? { targetId: l.targetId } : {}),
      ...(l.lastAttemptAt ? { lastAttemptAt: new Date(l.lastAttemptAt).toISOString() } : {}),
      ...(l.errorCode ? { errorCode: l.errorCode } : {}),
      ...(l.errorMessage ? { errorMessage: l.errorMessage } : {}),
    }));
  }
  return out;
}

export async function getResourceWithExtras(
  q: Queryable,
  type: ResourceType,
  id: string,
  include: Include,
): Promise<ResourceWithExtras | undefined> {
  const { rows } = await q.query<ExtrasRow>(
    prepared(`SELECT ${selectList(type, include)} FROM ${TABLE[type]} t WHERE t.id = $1`),
    [id],
  );
  return rows[0] && withExtras(type, rows[0], include);
}

/** Relations and links of resources already in hand (e.g. just written). */
export async function extrasOf(
  q: Queryable,
  type: ResourceType,
  ids: string[],
  include: Include,
): Promise<Map<string, ResourceWithExtras>> {
  if (!ids.length || (!include.relations && !include.links)) return new Map();
  const { rows } = await q.query<ExtrasRow>(
    prepared(`SELECT ${selectList(type, include)} FROM ${TABLE[type]} t WHERE t.id = ANY($1::uuid[])`),
    [ids],
  );
  return new Map(rows.map((r) => [r.id, withExtras(type, r, include)]));
}

/** A page of a SCIM list; throws the 400 of a bad filter or sort before reading anything. */
export async function listResourcesWithExtras(
  q: Queryable,
  schema: ResourceSchema,
  request: ListRequest,
  include: Include,
): Promise<{ total: number; items: ResourceWithExtras[] }> {
  const type = schema.kind;
  const query = compileList(schema, request);
  const { params } = query;
  const where = query.where ? `WHERE ${query.where}` : "";
  const countAll = async () => {
    // Unfiltered: the trigger-maintained count (migration 002) instead of counting every row.
    const sql = where
      ? `SELECT count(*)::int AS n FROM ${TABLE[type]} t ${where}`
      : "SELECT COALESCE(sum(n), 0)::int AS n FROM resource_counts WHERE resource_type = $1";
    return Number((await q.query<{ n: number }>(sql, where ? params : [type])).rows[0]?.n ?? 0);
  };
  if (query.limit === 0) return { total: await countAll(), items: [] };
  const page = [...params, query.limit, query.offset];
  // The page's ids first (an index-only scan can skip OFFSET rows cheaply), then the rows and their extras for
  // those ids only: extras in the select list of the paged query would be computed for every skipped row too.
  const { rows } = await q.query<ExtrasRow>(
    // Not prepared: the text depends on the request's filter and sort.
    `SELECT ${selectList(type, include)}
       FROM (SELECT t.id FROM ${TABLE[type]} t ${where}
              ORDER BY ${query.orderBy} LIMIT $${page.length - 1} OFFSET $${page.length}) AS p
       JOIN ${TABLE[type]} t ON t.id = p.id
      ORDER BY ${query.orderBy}`,
    page,
  );
  // A first page that is not full is the whole result (the typical `userName eq` lookup): no count query.
  const total = query.offset === 0 && rows.length < query.limit ? rows.length : await countAll();
  return { total, items: rows.map((r) => withExtras(type, r, include)) };
}
