// Users and groups rows. Indexed attributes are columns; the rest of the SCIM body is JSONB in `data`.
import { type AuditChange, auditWrittenRows } from "./audit.ts";
import { prepared, type Queryable } from "./db.ts";
import { STORE_LIMITS, unstorableText } from "./limits.ts";
import { nameKey } from "./name-key.ts";
import { type NewJob, outboxCtes } from "./outbox.ts";
import { TABLE } from "./tables.ts";

export type ResourceType = "User" | "Group";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string can be a resource id (the store issues UUIDs), so callers refuse anything else early. */
export const isResourceId = (v: unknown): v is string => typeof v === "string" && UUID.test(v);

export interface StoredResource {
  id: string;
  type: ResourceType;
  /** The SCIM body without id, meta, password and relations (members / groups). */
  data: Record<string, unknown>;
  version: number;
  created: Date;
  lastModified: Date;
}

interface Row {
  id: string;
  data: Record<string, unknown>;
  version: number;
  created: Date | string;
  last_modified: Date | string;
}

/**
 * The indexed columns derived from a resource body; the single place that knows which attributes are columns. The
 * unique name (userName, a group's displayName) is stored as sent and, beside it, as its nameKey.
 */
function columns(type: ResourceType, data: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const key = (v: unknown) => (typeof v === "string" ? nameKey(v) : null);
  if (type === "User") {
    return {
      user_name: str(data.userName),
      user_name_key: key(data.userName),
      external_id: str(data.externalId),
      display_name: str(data.displayName),
      active: data.active !== false,
    };
  }
  return {
    display_name: str(data.displayName),
    display_name_key: key(data.displayName),
    external_id: str(data.externalId),
  };
}

/** The column holding the unique name's key. */
export const NAME_KEY_COLUMN: Record<ResourceType, string> = {
  User: "user_name_key",
  Group: "display_name_key",
};

/**
 * `name_clash` numbers the rows that already shared a key when keys were introduced (migration 011): 0 for every
 * other row, so a new name equal to a taken one breaks the unique index on (key, name_clash). A row renamed to
 * another key loses its number.
 */
const keepClash = (type: ResourceType, keyParam: string) =>
  `name_clash = CASE WHEN ${NAME_KEY_COLUMN[type]} = ${keyParam} THEN name_clash ELSE 0 END`;

export const rowToResource = (type: ResourceType, r: Row): StoredResource => ({
  id: r.id,
  type,
  data: r.data,
  version: r.version,
  created: new Date(r.created),
  lastModified: new Date(r.last_modified),
});

const SELECT = "id, data, version, created, last_modified";

/** An audit row written by the same statement as the change it records (one round trip less per write). */
export interface AuditEntry {
  requestId?: string | undefined;
  actor?: string | undefined;
  action: string;
  detail?: unknown;
  changes?: readonly AuditChange[] | undefined;
}

/**
 * Wraps a data-modifying statement `… RETURNING id, …` so that, in the same statement, it also inserts one audit row
 * per returned row and the outbox jobs of the change (one round trip; a single statement needs no transaction).
 * `existing`: the statement changes resources that may already have work queued, which the jobs coalesce with.
 */
function withSideWrites(
  type: ResourceType,
  statement: string,
  params: unknown[],
  audit: AuditEntry | undefined,
  jobs: readonly NewJob[] | undefined,
  existing: boolean,
): string {
  const ctes: string[] = [];
  if (audit)
    ctes.push(
      auditWrittenRows(params, {
        requestId: audit.requestId,
        actor: audit.actor,
        action: audit.action,
        resourceType: type,
        outcome: "accepted",
        detail: audit.detail,
        changes: audit.changes,
      }),
    );
  // The jobs only for a row actually written (a conditional update may find none).
  if (jobs?.length)
    ctes.push(outboxCtes(params, jobs, { onlyIf: "EXISTS (SELECT 1 FROM w)", coalesce: existing }));
  if (!ctes.length) return statement;
  return `WITH w AS (${statement}),
    ${ctes.join(",\n    ")}
    SELECT * FROM w`;
}

export async function insertResources(
  q: Queryable,
  type: ResourceType,
  items: { id: string; data: Record<string, unknown> }[],
  now: Date,
  audit?: AuditEntry,
  jobs?: readonly NewJob[],
): Promise<StoredResource[]> {
  if (!items.length) return [];
  const cols = Object.keys(columns(type, items[0]!.data));
  const all = ["id", ...cols, "data", "created", "last_modified"];
  const params: unknown[] = [];
  const tuples = items.map((item) => {
    const values = [item.id, ...Object.values(columns(type, item.data)), JSON.stringify(item.data), now, now];
    return `(${values.map((v) => `$${params.push(v)}`).join(", ")})`;
  });
  const sql = `INSERT INTO ${TABLE[type]} (${all.join(", ")}) VALUES ${tuples.join(", ")} RETURNING ${SELECT}`;
  // One text per type for a single row (a SCIM create); a bulk load's row counts vary, so it is not prepared.
  const text = withSideWrites(type, sql, params, audit, jobs, false);
  const { rows } = await q.query<Row>(items.length === 1 ? prepared(text) : text, params);
  return rows.map((r) => rowToResource(type, r));
}

export async function getResource(
  q: Queryable,
  type: ResourceType,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<StoredResource | undefined> {
  const { rows } = await q.query<Row>(
    prepared(`SELECT ${SELECT} FROM ${TABLE[type]} WHERE id = $1${opts.forUpdate ? " FOR UPDATE" : ""}`),
    [id],
  );
  return rows[0] && rowToResource(type, rows[0]);
}

export async function getResources(
  q: Queryable,
  type: ResourceType,
  ids: string[],
): Promise<StoredResource[]> {
  if (!ids.length) return [];
  const { rows } = await q.query<Row>(
    prepared(`SELECT ${SELECT} FROM ${TABLE[type]} WHERE id = ANY($1::uuid[])`),
    [ids],
  );
  return rows.map((r) => rowToResource(type, r));
}

/** Replaces the body and bumps the version. */
export async function updateResource(
  q: Queryable,
  type: ResourceType,
  id: string,
  data: Record<string, unknown>,
  now: Date,
  audit?: AuditEntry,
  jobs?: readonly NewJob[],
): Promise<StoredResource> {
  return (await updateResourceAt(q, type, id, undefined, data, now, audit, jobs))!;
}

/**
 * Replaces the body and bumps the version only if the resource is still at `version` (undefined: whatever its
 * version): a write that read the row without locking it. Undefined when the row changed or went meanwhile; the
 * audit row and the jobs are then not written either (they hang on the updated row).
 * `noOpenJobs`: the caller's read found no open job of the resource in any of the jobs' targets, so the jobs go in
 * without looking for a pending one to join (outboxCtes `coalesce`). One queued meanwhile by a path that does not
 * change the resource (reconcile, an admin's retry) is then beside this write's: the claim takes both as one
 * delivery (its followers), so the worst case is the coalescing not done, never a change lost.
 */
export async function updateResourceAt(
  q: Queryable,
  type: ResourceType,
  id: string,
  version: number | undefined,
  data: Record<string, unknown>,
  now: Date,
  audit?: AuditEntry,
  jobs?: readonly NewJob[],
  opts: { noOpenJobs?: boolean } = {},
): Promise<StoredResource | undefined> {
  const cols = columns(type, data);
  const names = Object.keys(cols);
  const params: unknown[] = [id, JSON.stringify(data), now, ...Object.values(cols)];
  const sets = [
    ...names.map((n, i) => `${n} = $${i + 4}`),
    keepClash(type, `$${names.indexOf(NAME_KEY_COLUMN[type]) + 4}`),
  ].join(", ");
  const at = version === undefined ? "" : ` AND version = $${params.push(version)}`;
  const sql = `UPDATE ${TABLE[type]} SET data = $2, last_modified = $3, version = version + 1, ${sets} WHERE id = $1${at} RETURNING ${SELECT}`;
  const { rows } = await q.query<Row>(
    prepared(withSideWrites(type, sql, params, audit, jobs, !opts.noOpenJobs)),
    params,
  );
  return rows[0] && rowToResource(type, rows[0]);
}

/** Bumps version and lastModified only: a membership change is a change of the group. */
export async function touchResource(
  q: Queryable,
  type: ResourceType,
  id: string,
  now: Date,
  audit?: AuditEntry,
  jobs?: readonly NewJob[],
) {
  const params: unknown[] = [id, now];
  const sql = `UPDATE ${TABLE[type]} SET last_modified = $2, version = version + 1 WHERE id = $1 RETURNING ${SELECT}`;
  const { rows } = await q.query<Row>(prepared(withSideWrites(type, sql, params, audit, jobs, true)), params);
  return rows[0] && rowToResource(type, rows[0]);
}

/**
 * Deletes a resource, keeping a tombstone (its body, a user's groups) until every target has confirmed, and its
 * names (deleted_names, names.ts) for its history.
 */
export async function deleteResource(q: Queryable, type: ResourceType, id: string): Promise<boolean> {
  await q.query(
    prepared(`WITH r AS (SELECT id, data FROM ${TABLE[type]} WHERE id = $1),
     names AS (
       INSERT INTO deleted_names (resource_id, resource_type, user_name, display_name, external_id)
       SELECT r.id, $2, r.data->>'userName', r.data->>'displayName', r.data->>'externalId' FROM r
       ON CONFLICT (resource_id) DO NOTHING)
     INSERT INTO tombstones (resource_id, resource_type, data, groups)
     SELECT r.id, $2, r.data, ARRAY(SELECT m.group_id FROM group_members m WHERE m.member_id = r.id)
       FROM r
     ON CONFLICT (resource_id) DO NOTHING`),
    [id, type],
  );
  const { rowCount } = await q.query(prepared(`DELETE FROM ${TABLE[type]} WHERE id = $1`), [id]);
  // A user or a group leaves every group it was a member of.
  if (rowCount) await q.query(prepared("DELETE FROM group_members WHERE member_id = $1"), [id]);
  return rowCount > 0;
}

/** Ids of the given type that exist, for validating member references. */
export async function existingIds(q: Queryable, type: ResourceType, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await q.query<{ id: string }>(
    prepared(`SELECT id FROM ${TABLE[type]} WHERE id = ANY($1::uuid[])`),
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Which of the given userNames (Users) or displayNames (Groups) are taken, as their nameKeys (case, normalisation
 * form and width do not make another name). A name the store could not hold (a NUL, longer than the index allows)
 * is taken by nobody: its write fails validation.
 */
export async function takenNames(q: Queryable, type: ResourceType, names: string[]): Promise<Set<string>> {
  const storable = names.filter((n) => n && !unstorableText(n) && n.length <= STORE_LIMITS.indexedTextLength);
  if (!storable.length) return new Set();
  const column = NAME_KEY_COLUMN[type];
  const { rows } = await q.query<{ name: string }>(
    prepared(`SELECT ${column} AS name FROM ${TABLE[type]} WHERE ${column} = ANY($1::text[])`),
    [storable.map(nameKey)],
  );
  return new Set(rows.map((r) => r.name));
}
