// SCIM list parameters (query string or SearchRequest body) → the directory's list request and the projection of
// the resources returned.
import type { ListRequest } from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import { integerInput } from "../input.ts";
import { Projection } from "./resource-codec.ts";

export interface ListParams {
  filter?: string;
  startIndex?: unknown;
  count?: unknown;
  /** RFC 9865: present (even empty) asks for cursor paging. */
  cursor?: unknown;
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
  const cursor = cursorInput(p.cursor);
  if (cursor !== undefined && startIndex !== 1) {
    throw new BridgeError(
      "SCIM_INVALID_VALUE",
      "startIndex and cursor are two ways of paging; send one of them (cursor: the previous page's nextCursor)",
    );
  }
  return {
    ...(p.filter !== undefined ? { filter: p.filter } : {}),
    ...(p.sortBy !== undefined ? { sortBy: p.sortBy } : {}),
    ...(p.sortOrder !== undefined ? { sortOrder: p.sortOrder } : {}),
    startIndex,
    count,
    ...(cursor !== undefined ? { cursor } : {}),
  };
}

/** `?cursor` (empty: the first page) or a SearchRequest's "cursor"; anything but one string is an invalidCursor. */
function cursorInput(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new BridgeError(
      "SCIM_INVALID_CURSOR",
      "cursor must be one string: empty for the first page, then the previous page's nextCursor",
    );
  }
  return value;
}
