// Who a resource is, by id, for lists that otherwise show only a UUID (held deprovisions, jobs, the audit): its
// userName and displayName while it exists, and after it is deleted from deleted_names (written with the delete).
import type { Queryable } from "./db.ts";
import { isResourceId, type ResourceType } from "./resources.ts";

export interface ResourceNames {
  /** A user's userName (null for a group, or for an id the store never held). */
  userName: string | null;
  displayName: string | null;
  /** The resource was deleted (its names are those it had then). */
  deleted: boolean;
}

/**
 * The joins and the columns (user_name, display_name, deleted) that name the resource of row `alias`, whose
 * columns are resource_type and resource_id. Every join is by primary key.
 */
export function namesOf(alias: string): { joins: string; columns: string } {
  return {
    joins: `LEFT JOIN users nu ON ${alias}.resource_type = 'User' AND nu.id = ${alias}.resource_id
       LEFT JOIN groups ng ON ${alias}.resource_type = 'Group' AND ng.id = ${alias}.resource_id
       LEFT JOIN deleted_names nd ON nu.id IS NULL AND ng.id IS NULL AND nd.resource_id = ${alias}.resource_id`,
    columns: `COALESCE(nu.user_name, nd.user_name) AS user_name,
       COALESCE(nu.display_name, ng.display_name, nd.display_name) AS display_name,
       (nd.resource_id IS NOT NULL) AS deleted`,
  };
}

/** A resource named by id alone: what it is, its names, whether it is deleted (type null: never held). */
export interface NamedId extends ResourceNames {
  type: ResourceType | null;
}

/**
 * The names of resources known only by id (a group's members in an audit change, users or groups): one statement,
 * every join by primary key; deleted ones by the names they had. Ids the store never held are absent.
 */
export async function namesOfIds(q: Queryable, ids: readonly string[]): Promise<Map<string, NamedId>> {
  const out = new Map<string, NamedId>();
  const valid = [...new Set(ids.filter(isResourceId).map((id) => id.toLowerCase()))];
  if (!valid.length) return out;
  const { rows } = await q.query<NameRow & { id: string; type: ResourceType | null }>(
    `SELECT i.id::text AS id,
            CASE WHEN u.id IS NOT NULL THEN 'User' WHEN g.id IS NOT NULL THEN 'Group' ELSE d.resource_type END AS type,
            COALESCE(u.user_name, d.user_name) AS user_name,
            COALESCE(u.display_name, g.display_name, d.display_name) AS display_name,
            (u.id IS NULL AND g.id IS NULL) AS deleted
       FROM unnest($1::uuid[]) AS i(id)
       LEFT JOIN users u ON u.id = i.id
       LEFT JOIN groups g ON g.id = i.id
       LEFT JOIN deleted_names d ON u.id IS NULL AND g.id IS NULL AND d.resource_id = i.id
      WHERE u.id IS NOT NULL OR g.id IS NOT NULL OR d.resource_id IS NOT NULL`,
    [valid],
  );
  for (const r of rows) out.set(r.id, { type: r.type, ...toNames(r) });
  return out;
}

export interface NameRow {
  user_name: string | null;
  display_name: string | null;
  deleted: boolean | null;
}

export const toNames = (r: NameRow): ResourceNames => ({
  userName: r.user_name,
  displayName: r.display_name,
  deleted: !!r.deleted,
});

interface DeletedRow {
  resource_id: string;
  resource_type: ResourceType;
  user_name: string | null;
  display_name: string | null;
  external_id: string | null;
  deleted: Date | string;
}

const toDeleted = (r: DeletedRow): DeletedResource => ({
  id: r.resource_id,
  type: r.resource_type,
  userName: r.user_name,
  displayName: r.display_name,
  externalId: r.external_id,
  deleted: true,
  deletedAt: new Date(r.deleted),
});

export interface DeletedResource extends ResourceNames {
  id: string;
  type: ResourceType;
  externalId: string | null;
  deletedAt: Date;
}

const likePrefix = (s: string) => `${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Deleted resources of `type` whose userName or displayName starts with `q` (case-insensitive), whose externalId is
 * `q`, or whose id is `q`: Find's matches among those that are gone.
 */
export async function findDeleted(
  q: Queryable,
  type: ResourceType,
  query: string,
  limit: number,
): Promise<DeletedResource[]> {
  const id = isResourceId(query) ? query : null;
  const { rows } = await q.query<DeletedRow>(
    `SELECT resource_id, resource_type, user_name, display_name, external_id, deleted FROM deleted_names
      WHERE resource_type = $1
        AND (lower(user_name) LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\' OR external_id = $3
             OR resource_id = $4::uuid)
      ORDER BY lower(COALESCE(user_name, display_name)), resource_id LIMIT $5`,
    [type, likePrefix(query), query, id, limit],
  );
  return rows.map(toDeleted);
}

/** The names a deleted resource had, if it is one. */
export async function deletedNames(q: Queryable, id: string): Promise<DeletedResource | undefined> {
  const { rows } = await q.query<DeletedRow>(
    "SELECT resource_id, resource_type, user_name, display_name, external_id, deleted FROM deleted_names WHERE resource_id = $1",
    [id],
  );
  const r = rows[0];
  return r ? toDeleted(r) : undefined;
}
