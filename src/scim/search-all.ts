// The filter of a root POST /.search, per resource type: a comparison on an attribute that only the other type has
// (userName for Groups, members for Users) is false for this type rather than an error (RFC 7644 §3.4.3); one
// that no type knows is still 400 invalidFilter.

import { compileFilter, type FilterAst, formatFilter, parseFilter } from "../store/filter/index.ts";
import type { ResourceType } from "../store/index.ts";

const NEVER: FilterAst = {
  type: "not",
  filter: { type: "present", path: { name: "id", text: "id", position: 0 } },
};

const understands = (type: ResourceType, leaf: FilterAst) => {
  try {
    compileFilter(type, formatFilter(leaf), []);
    return true;
  } catch {
    return false;
  }
};

function rewrite(ast: FilterAst, type: ResourceType, types: ResourceType[]): FilterAst {
  switch (ast.type) {
    case "and":
    case "or":
      return { type: ast.type, filters: ast.filters.map((f) => rewrite(f, type, types)) };
    case "not":
      return { type: "not", filter: rewrite(ast.filter, type, types) };
    default:
      if (understands(type, ast)) return ast;
      // Known to no type: leave it, so that compiling reports the unknown attribute.
      return types.some((t) => understands(t, ast)) ? NEVER : ast;
  }
}

/** The filter to apply to `type` in a search across `types`. */
export function filterAcross(filter: string | undefined, type: ResourceType, types: ResourceType[]) {
  if (!filter?.trim()) return filter;
  return formatFilter(rewrite(parseFilter(filter), type, types));
}
