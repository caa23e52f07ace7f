// The filter of a root POST /.search, per resource type: a comparison on an attribute that only the other type has
// (userName for Groups, members for Users) is false for this type rather than an error (RFC 7644 §3.4.3); one
// that no type knows is still 400 invalidFilter.

import { type FilterAst, formatFilter, parseFilter } from "../store/filter/index.ts";
import type { ResourceType } from "../store/index.ts";

/** Whether a comparison names an attribute `type` has, with a value that suits it. */
export type Understands = (type: ResourceType, leaf: FilterAst) => boolean;

const NEVER: FilterAst = {
  type: "not",
  filter: { type: "present", path: { name: "id", text: "id", position: 0 } },
};

function rewrite(
  ast: FilterAst,
  type: ResourceType,
  types: ResourceType[],
  understands: Understands,
): FilterAst {
  switch (ast.type) {
    case "and":
    case "or":
      return { type: ast.type, filters: ast.filters.map((f) => rewrite(f, type, types, understands)) };
    case "not":
      return { type: "not", filter: rewrite(ast.filter, type, types, understands) };
    default:
      if (understands(type, ast)) return ast;
      // Known to no type: leave it, so that compiling reports the unknown attribute.
      return types.some((t) => understands(t, ast)) ? NEVER : ast;
  }
}

/** The filter to apply to `type` in a search across `types`. */
export function filterAcross(
  filter: string | undefined,
  type: ResourceType,
  types: ResourceType[],
  understands: Understands,
) {
  if (!filter?.trim()) return filter;
  return formatFilter(rewrite(parseFilter(filter), type, types, understands));
}
