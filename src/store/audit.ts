// The audit log's one writer: who did what to which resource, and what came of it. Every row, whoever writes it
// (a SCIM write, a delivery, a pre-flight refusal, an operator's action, a sign-in), is built by `auditValues` into
// the same columns and inserted by one of the two statements below (reading it: queryAudit in audit-query.ts).
import { prepared, type Queryable } from "./db.ts";
import type { ResourceType } from "./resources.ts";

/** What a delivery did, or tried to do, in its target (migration 019). */
export type DeliveryChange = "created" | "updated" | "deactivated" | "deleted";
export const DELIVERY_CHANGES: readonly DeliveryChange[] = ["created", "updated", "deactivated", "deleted"];

export interface AuditRecord {
  requestId?: string | null | undefined;
  actor?: string | null | undefined;
  /** A person's IdP subject (OpenID Connect `sub`) when the actor is a person signed in through the IdP. */
  actorSubject?: string | null | undefined;
  /** The client address an operator's action came from. */
  source?: string | null | undefined;
  action: string;
  target?: string | null | undefined;
  resourceType?: ResourceType | null | undefined;
  resourceId?: string | null | undefined;
  outcome: string;
  /** Stored as JSON; never a secret or a password (attribute values only as `changes`). */
  detail?: unknown;
  /** What the event changed, attribute by attribute; stored in the detail as `{ …detail, changes }`. */
  changes?: readonly AuditChange[] | undefined;
  /** A delivery's (or a delivery's refusal's) kind of change. */
  change?: DeliveryChange | null | undefined;
}

/**
 * One attribute's change as the audit keeps it, in the detail's `changes` list:
 * - a SCIM write's attribute by its path (`title`, `name.givenName`, `emails`,
 *   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`), or a group's `members`;
 * - a delivery's vendor field as the target was sent it (`Title`, `siteRole`).
 * `old` / `new` are absent when the attribute had no value before / has none after. Values are strings, numbers or
 * booleans; a multi-valued attribute gives the values that went (`old`) and came (`new`), as text, at most
 * AUDIT_LIST_ITEMS of them and "… and N more". `hidden`: the value is never recorded (a password, an attribute the
 * schema marks writeOnly or returned:never): only that it changed. `members`: `added` / `removed` user or group
 * ids (at most AUDIT_LIST_ITEMS each), with `addedCount` / `removedCount` when there were more. A write that
 * changed very many attributes ends its list with `{ path: "…", new: "N more attributes" }`.
 */
export interface AuditChange {
  path: string;
  old?: AuditValue;
  new?: AuditValue;
  hidden?: true;
  added?: string[];
  removed?: string[];
  addedCount?: number;
  removedCount?: number;
}

export type AuditValue = string | number | boolean;

/** The most values (or member ids) a change lists; more are counted. */
export const AUDIT_LIST_ITEMS = 10;

/** The changes an audit row's detail holds (none for a row written before they were recorded). */
export function changesOf(detail: unknown): AuditChange[] {
  const c = (detail as { changes?: unknown } | null)?.changes;
  return Array.isArray(c) ? (c as AuditChange[]) : [];
}

/** The audit table's columns, in the order `auditValues` gives them, with the SQL type of each. */
const COLUMNS = [
  ["request_id", "text"],
  ["actor", "text"],
  ["action", "text"],
  ["target", "text"],
  ["resource_type", "text"],
  ["resource_id", "uuid"],
  ["outcome", "text"],
  ["detail", "jsonb"],
  ["actor_subject", "text"],
  ["source", "text"],
  ["change", "text"],
] as const;
const NAMES = COLUMNS.map(([name]) => name).join(", ");
const RESOURCE_ID = COLUMNS.findIndex(([name]) => name === "resource_id");

function detailJson(e: AuditRecord): string | null {
  const changes = e.changes?.length ? e.changes : undefined;
  if (!changes) return e.detail === undefined || e.detail === null ? null : JSON.stringify(e.detail);
  const detail =
    e.detail && typeof e.detail === "object" ? e.detail : e.detail === undefined ? {} : { detail: e.detail };
  return JSON.stringify({ ...detail, changes });
}

/** One row's values, in COLUMNS' order: the only place a record becomes a row. */
function auditValues(e: AuditRecord): unknown[] {
  return [
    e.requestId ?? null,
    e.actor ?? null,
    e.action,
    e.target ?? null,
    e.resourceType ?? null,
    e.resourceId ?? null,
    e.outcome,
    detailJson(e),
    e.actorSubject ?? null,
    e.source ?? null,
    e.change ?? null,
  ];
}

/**
 * Appends events in one statement whose text does not depend on how many there are (one array per column), so it
 * is prepared once per connection: a delivery batch writes one row per outcome.
 */
const INSERT = prepared(
  `INSERT INTO audit (${NAMES}) SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")})`,
);

export async function writeAudit(q: Queryable, events: readonly AuditRecord[]): Promise<void> {
  if (!events.length) return;
  const rows = events.map(auditValues);
  await q.query(
    INSERT,
    COLUMNS.map((_, i) => rows.map((r) => r[i])),
  );
}

/**
 * A CTE for a data-modifying statement `w` (`… RETURNING id`) that records `e` for each row it wrote, in the same
 * statement as the change (one round trip less per SCIM write); the resource id is the written row's.
 */
export function auditWrittenRows(params: unknown[], e: Omit<AuditRecord, "resourceId">): string {
  const values = auditValues(e).map((v, i) =>
    i === RESOURCE_ID ? "w.id" : `$${params.push(v)}::${COLUMNS[i]![1]}`,
  );
  return `a AS (INSERT INTO audit (${NAMES}) SELECT ${values.join(", ")} FROM w)`;
}
