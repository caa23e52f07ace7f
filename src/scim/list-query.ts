// Turns SCIM list parameters (query string or SearchRequest body) into a store query: filter and sort become
// parameterised SQL through the filter compiler; paging is done by the database.
import { BridgeError, excerpt } from "../errors.ts";
import { integerInput } from "../input.ts";
import { compileFilter, compileSort } from "../store/filter/index.ts";
import type { ListQuery, ResourceType } from "../store/index.ts";
import { Projection } from "./resource-codec.ts";

export interface ListParams {
  filter?: string;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string | string[];
  excludedAttributes?: string | string[];
}

export const DEFAULT_PAGE = 100;

const joinList = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v);

export function projectionOf(
  p: Pick<ListParams, "attributes" | "excludedAttributes">,
  extensionUrns: string[],
) {
  const attributes = joinList(p.attributes);
  const excludedAttributes = joinList(p.excludedAttributes);
  return new Projection({
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
    extensionUrns,
  });
}

export function toListQuery(
  type: ResourceType,
  p: ListParams,
  maxResults: number,
): { query: ListQuery; startIndex: number; count: number } {
  // RFC 7644 §3.4.2.4: startIndex < 1 is treated as 1; a negative count as 0.
  const startIndex = Math.max(1, integerInput("startIndex", p.startIndex) ?? 1);
  const count = Math.min(
    maxResults,
    Math.max(0, integerInput("count", p.count) ?? Math.min(DEFAULT_PAGE, maxResults)),
  );
  const params: unknown[] = [];
  const where = p.filter?.trim() ? compileFilter(type, p.filter, params, "t") : undefined;
  if (p.sortOrder && !/^(ascending|descending)$/i.test(p.sortOrder)) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      `sortOrder must be "ascending" or "descending", got ${excerpt(p.sortOrder)}`,
    );
  }
  const orderBy = compileSort(
    type,
    p.sortBy,
    p.sortOrder?.toLowerCase() as "ascending" | "descending" | undefined,
    "t",
  );
  return {
    query: { ...(where ? { where } : {}), params, orderBy, offset: startIndex - 1, limit: count },
    startIndex,
    count,
  };
}
