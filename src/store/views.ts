// Reads that answer a SCIM request in one round trip: the resource row plus, as JSON columns of the same
// statement, its relations (a user's groups, a group's members) and its per-target status (links.ts).

import { encodeCursor } from "./cursor.ts";
import { prepared, type Queryable, type QueryOptions } from "./db.ts";
import type { ResourceSchema } from "./filter/index.ts";
import { linkStatusRows } from "./links.ts";
import { type CompiledList, compileList, type ListRequest } from "./list-query.ts";
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

/**
 * A list's page and count: their text varies with the filter and order, but an IdP repeats the same few (its
 * `userName eq` lookup before each write), and every such plan is an index lookup or is re-planned per value (a
 * LIMIT or prefix the generic plan cannot see makes it look dearer than the custom one).
 */
const KEEP_PARSED: QueryOptions = { keepParsed: true };

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

/** A page of a SCIM list; throws the 400 of a bad filter, sort or cursor before reading anything. */
export async function listResourcesWithExtras(
  q: Queryable,
  schema: ResourceSchema,
  request: ListRequest,
  include: Include,
): Promise<{ total: number; items: ResourceWithExtras[]; nextCursor?: string; previousCursor?: string }> {
  const type = schema.kind;
  const query = compileList(schema, request);
  const { params, keyset } = query;
  const where = query.where ? `WHERE ${query.where}` : "";
  const countAll = async () => {
    // Unfiltered: the trigger-maintained count (migration 002) instead of counting every row.
    const sql = where
      ? `SELECT count(*)::int AS n FROM ${TABLE[type]} t ${where}`
      : "SELECT COALESCE(sum(n), 0)::int AS n FROM resource_counts WHERE resource_type = $1";
    const bound = where ? params.slice(0, query.filterParams) : [type];
    return Number((await q.query<{ n: number }>(sql, bound, KEEP_PARSED)).rows[0]?.n ?? 0);
  };
  if (query.limit === 0) return { total: await countAll(), items: [] };
  const page = listPageSql(type, include, query);
  // The page as one JSON array: a hundred rows of six columns cost the driver (and PGlite's decoder) six hundred
  // fields to decode and parse, one JSON text costs one (measured on PGlite: 2,422 → 1,723 µs of CPU per page).
  const { rows: one } = await q.query<{ page: unknown }>(
    `SELECT COALESCE(json_agg(p ORDER BY p.page_order), '[]'::json) AS page
       FROM (SELECT q.*, row_number() OVER () AS page_order FROM (${page.sql}) q) p`,
    page.params,
    KEEP_PARSED,
  );
  const rows = parsed(one[0]?.page as (ExtrasRow & { sort_key?: string | null })[] | string) ?? [];
  // One row past the page says that another page follows (cursor paging); read backwards, it is the first row.
  const backward = keyset?.position?.before === true;
  const more = keyset !== undefined && rows.length > query.limit;
  if (more) backward ? rows.shift() : rows.pop();
  const first = query.offset === 0 && !keyset?.after;
  // A first page that is not full is the whole result (the typical `userName eq` lookup): no count query.
  const total = first && rows.length < query.limit ? rows.length : await countAll();
  const items = rows.map((r) => withExtras(type, r, include));
  if (!keyset) return { total, items };
  const at = (row: (typeof rows)[number] | undefined, before: boolean) =>
    row &&
    encodeCursor(
      { key: row.sort_key ?? null, id: row.id, ...(before ? { before } : {}) },
      keyset.fingerprint,
    );
  const { position } = keyset;
  // Forward: a next page when a row was left over, a previous one when this is not the first. Backward: the
  // reverse; and an empty page read backwards continues after where it was asked from.
  const nextCursor = backward
    ? (at(rows.at(-1), false) ?? encodeCursor({ key: position!.key, id: position!.id }, keyset.fingerprint))
    : more
      ? at(rows.at(-1), false)
      : undefined;
  const previousCursor = backward
    ? more
      ? at(rows[0], true)
      : undefined
    : position
      ? at(rows[0], true)
      : undefined;
  return {
    total,
    items,
    ...(nextCursor !== undefined ? { nextCursor } : {}),
    ...(previousCursor !== undefined ? { previousCursor } : {}),
  };
}

/**
 * The statement reading one page. A page from the start of its order (a lookup, the first page, any cursor page
 * read forwards) reads its rows and their extras in one scan that stops after the page: only the page's rows are
 * read in full. A page after an OFFSET (startIndex) reads the page's ids first (an index-only scan skips the OFFSET
 * rows cheaply), then the rows and their extras for those ids only: extras in the select list of the paged query
 * would be computed for every skipped row too. A previousCursor's page is read backwards in the same two steps and
 * put back in order.
 */
export function listPageSql(
  type: ResourceType,
  include: Include,
  query: CompiledList,
): { sql: string; params: unknown[] } {
  const { keyset } = query;
  const conditions = [query.where, keyset?.after].filter(Boolean);
  const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
  const limit = keyset ? query.limit + 1 : query.limit;
  const sortKey = keyset ? `, (${keyset.sort.key})::text AS sort_key` : "";
  // Not marked `prepared`: the text depends on the request's filter and sort (kept parsed while used: KEEP_PARSED).
  if (query.offset === 0 && !keyset?.position?.before) {
    const params = [...query.params, limit];
    const sql = `SELECT ${selectList(type, include)}${sortKey} FROM ${TABLE[type]} t ${where}
      ORDER BY ${query.orderBy} LIMIT $${params.length}`;
    return { sql, params };
  }
  const params = [...query.params, limit, query.offset];
  const sql = `SELECT ${selectList(type, include)}${keyset ? ", p.sort_key" : ""}
       FROM (SELECT t.id${sortKey} FROM ${TABLE[type]} t ${where}
              ORDER BY ${keyset?.position?.before ? keyset.sort.reverseOrderBy : query.orderBy}
              LIMIT $${params.length - 1} OFFSET $${params.length}) AS p
       JOIN ${TABLE[type]} t ON t.id = p.id
      ORDER BY ${query.orderBy}`;
  return { sql, params };
}
