// SCIM list parameters (RFC 7644 §3.4.2) → parameterised SQL over the row alias `t`: the filter and sortBy are
// compiled against the resource type's schema; nothing the client sent is spliced into the statement.
import { BridgeError, excerpt } from "../errors.ts";
import {
  afterPosition,
  beforePosition,
  type CursorPosition,
  decodeCursor,
  queryFingerprint,
} from "./cursor.ts";
import type { Queryable } from "./db.ts";
import {
  compileFilter,
  compileSortKey,
  type FilterAst,
  type ResourceSchema,
  type SortKey,
} from "./filter/index.ts";

/** One page of a SCIM list, in SCIM terms. */
export interface ListRequest {
  /** A SCIM filter, as text or already parsed; blank means every resource. */
  filter?: string | FilterAst;
  sortBy?: string;
  /** "ascending" or "descending" in any case; anything else is a 400 invalidValue. */
  sortOrder?: string;
  /** 1-based index of the first result. */
  startIndex: number;
  /** The most results to return (0: only the total). */
  count: number;
  /**
   * RFC 9865 cursor paging instead of startIndex: "" for the first page, then the previous page's nextCursor.
   * Pages are keyset pages: each starts after the previous one's last row, at the same cost at any depth.
   */
  cursor?: string;
}

export interface CompiledList {
  where?: string;
  params: unknown[];
  orderBy: string;
  offset: number;
  limit: number;
  /** Cursor paging: the sort key to read with each row, the position to start after, and what cursors are for. */
  keyset?: {
    sort: SortKey;
    /** Where the page starts (or, backward, ends): a condition on the rows. */
    after?: string;
    fingerprint: string;
    /** The cursor's position; a previousCursor's page (`before`) is read backwards from it. */
    position?: CursorPosition;
  };
  /** How many of `params` the filter binds (the rest are the cursor position's). */
  filterParams: number;
}

/** Throws the 400 (invalidFilter, invalidValue) a bad filter, sortOrder or sortBy answers; in that order. */
export function compileList(schema: ResourceSchema, request: ListRequest): CompiledList {
  const params: unknown[] = [];
  const { filter, sortOrder } = request;
  const blank = filter === undefined || (typeof filter === "string" && !filter.trim());
  const where = blank ? undefined : compileFilter(schema, filter, params, "t");
  if (sortOrder && !/^(ascending|descending)$/i.test(sortOrder)) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `sortOrder must be "ascending" or "descending", got ${excerpt(sortOrder)}`,
    );
  }
  const sort = compileSortKey(schema, request.sortBy, sortOrder?.toLowerCase(), "t");
  const compiled: CompiledList = {
    ...(where ? { where } : {}),
    params,
    orderBy: sort.orderBy,
    offset: request.startIndex - 1,
    limit: request.count,
    filterParams: params.length,
  };
  if (request.cursor === undefined) return compiled;
  const fingerprint = queryFingerprint([schema.kind, filter ?? "", sort.orderBy]);
  const position = decodeCursor(request.cursor, fingerprint);
  if (!position) return { ...compiled, offset: 0, keyset: { sort, fingerprint } };
  const after = (position.before ? beforePosition : afterPosition)(sort, position, params, "t");
  return { ...compiled, offset: 0, keyset: { sort, fingerprint, position, after } };
}

/** Which of `ids` are users matching `filter` (a target's scope); without a filter, those that exist. */
export async function usersMatching(
  q: Queryable,
  schema: ResourceSchema,
  filter: string | undefined,
  ids: string[],
): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const params: unknown[] = [ids];
  const where = filter ? ` AND (${compileFilter(schema, filter, params, "t")})` : "";
  const { rows } = await q.query<{ id: string }>(
    `SELECT t.id FROM users t WHERE t.id = ANY($1::uuid[])${where}`,
    params,
  );
  return new Set(rows.map((r) => r.id));
}

/** Throws the 400 a list with this request would answer, without reading anything. */
export function checkListRequest(schema: ResourceSchema, request: ListRequest): void {
  compileList(schema, request);
}
