// SCIM list parameters (RFC 7644 §3.4.2) → parameterised SQL over the row alias `t`: the filter and sortBy are
// compiled against the resource type's schema; nothing the client sent is spliced into the statement.
import { BridgeError, excerpt } from "../errors.ts";
import type { Queryable } from "./db.ts";
import { compileFilter, compileSort, type FilterAst, type ResourceSchema } from "./filter/index.ts";

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
}

export interface CompiledList {
  where?: string;
  params: unknown[];
  orderBy: string;
  offset: number;
  limit: number;
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
  const orderBy = compileSort(schema, request.sortBy, sortOrder?.toLowerCase(), "t");
  return {
    ...(where ? { where } : {}),
    params,
    orderBy,
    offset: request.startIndex - 1,
    limit: request.count,
  };
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
