// RFC 9865 cursors over keyset paging: a cursor names the last row of a page by its sort key and id, so the next
// page starts right after it (or a previousCursor, the first row, and that page ends right before it) through the sort's index, whatever its depth, and a row created or deleted between two
// pages neither repeats nor hides another. The cursor is opaque to the client (base64url of a small JSON array) and
// bound to its query: one made for another filter, sort or resource type is an invalidCursor, not a wrong page.
import { createHash } from "node:crypto";
import { BridgeError } from "../errors.ts";
import type { SortKey } from "./filter/index.ts";

/**
 * A row's place in the order: its sort key (as text; null when absent) and id. The page a cursor asks for starts
 * right after that row, or with `before`, ends right before it (a previousCursor).
 */
export interface CursorPosition {
  key: string | null;
  id: string;
  before?: boolean;
}

const VERSION = 1;
const MAX_CURSOR_LENGTH = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A short digest of what the cursor's pages are a walk over: type, filter and sort. */
export function queryFingerprint(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 12);
}

export function encodeCursor(position: CursorPosition, fingerprint: string): string {
  const direction = position.before ? "b" : "a";
  return Buffer.from(JSON.stringify([VERSION, fingerprint, position.key, position.id, direction])).toString(
    "base64url",
  );
}

/** The position a cursor names; "" is the first page (undefined). A cursor that is not ours is a 400 invalidCursor. */
export function decodeCursor(cursor: string, fingerprint: string): CursorPosition | undefined {
  if (cursor === "") return undefined;
  const invalid = (why: string): never => {
    throw new BridgeError(
      "SCIM_INVALID_CURSOR",
      `cursor is not valid ${why}; send an empty cursor for the first page, then each response's nextCursor as it is`,
    );
  };
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    invalid("(not a cursor this server gave)");
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return invalid("(not a cursor this server gave)");
  }
  if (!Array.isArray(decoded) || decoded.length !== 5 || decoded[0] !== VERSION) {
    return invalid("(not a cursor this server gave)");
  }
  const [, madeFor, key, id, direction] = decoded as unknown[];
  if (madeFor !== fingerprint) {
    return invalid(
      "for this query: a cursor continues the query it came from (same filter, sortBy and sortOrder)",
    );
  }
  if (
    (key !== null && typeof key !== "string") ||
    typeof id !== "string" ||
    !UUID.test(id) ||
    (direction !== "a" && direction !== "b")
  ) {
    return invalid("(not a cursor this server gave)");
  }
  return { key, id, ...(direction === "b" ? { before: true } : {}) };
}

/**
 * SQL true for the rows after `position` in the order `sort` (over row alias `alias`); binds values in `params`.
 * Written so that the sort key's index can start the scan at the position (a row comparison when the key is
 * never NULL and ascending).
 */
export function afterPosition(
  sort: SortKey,
  position: CursorPosition,
  params: unknown[],
  alias = "t",
): string {
  const bind = binder(params);
  const id = `${alias}.id`;
  if (sort.isId) return `${id} ${sort.direction === "ASC" ? ">" : "<"} ${bind(position.id, "uuid")}`;
  const { key } = sort;
  const after = bind(position.id, "uuid");
  // Past the last non-NULL key: only the NULL tail remains, in id order.
  if (position.key === null) return `(${key} IS NULL AND ${id} > ${after})`;
  const value = bind(position.key, sort.type);
  const nullTail = sort.nullable ? ` OR ${key} IS NULL` : "";
  if (sort.direction === "ASC") return `((${key}, ${id}) > (${value}, ${after})${nullTail})`;
  return `((${key} <= ${value} AND (${key} < ${value} OR ${id} > ${after}))${nullTail})`;
}

/** SQL true for the rows before `position` in the order `sort` (a previousCursor's page reads them backwards). */
export function beforePosition(
  sort: SortKey,
  position: CursorPosition,
  params: unknown[],
  alias = "t",
): string {
  const bind = binder(params);
  const id = `${alias}.id`;
  if (sort.isId) return `${id} ${sort.direction === "ASC" ? "<" : ">"} ${bind(position.id, "uuid")}`;
  const { key } = sort;
  const before = bind(position.id, "uuid");
  // In the NULL tail: the NULLs before it in id order, and every non-NULL key.
  if (position.key === null) return `((${key} IS NULL AND ${id} < ${before}) OR ${key} IS NOT NULL)`;
  const value = bind(position.key, sort.type);
  // A NULL key compares as NULL here: the NULL tail comes after every non-NULL key.
  if (sort.direction === "ASC") return `((${key}, ${id}) < (${value}, ${before}))`;
  return `(${key} >= ${value} AND (${key} > ${value} OR ${id} < ${before}))`;
}

/** Appends a value to `params` and answers its `$n::cast` reference. */
function binder(params: unknown[]) {
  return (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
}
