// SCIM list parameters (query string or SearchRequest body) → the directory's list request and the projection of
// the resources returned.
import type { ListRequest } from "../directory/index.ts";
import { integerInput } from "../input.ts";
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
  extensionUrns: readonly string[],
) {
  const attributes = joinList(p.attributes);
  const excludedAttributes = joinList(p.excludedAttributes);
  return new Projection({
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
    extensionUrns,
  });
}

/** The page a list asks for, bounded by the server's maxResults; the filter and sort are compiled by the store. */
export function toListRequest(p: ListParams, maxResults: number): ListRequest {
  // RFC 7644 §3.4.2.4: startIndex < 1 is treated as 1; a negative count as 0.
  const startIndex = Math.max(1, integerInput("startIndex", p.startIndex) ?? 1);
  const count = Math.min(
    maxResults,
    Math.max(0, integerInput("count", p.count) ?? Math.min(DEFAULT_PAGE, maxResults)),
  );
  return {
    ...(p.filter !== undefined ? { filter: p.filter } : {}),
    ...(p.sortBy !== undefined ? { sortBy: p.sortBy } : {}),
    ...(p.sortOrder !== undefined ? { sortOrder: p.sortOrder } : {}),
    startIndex,
    count,
  };
}
