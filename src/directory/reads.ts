// The directory's reads: one resource, a page of a list, the relations and status of a resource in hand; each in
// one statement, loading relations (a user's groups, a group's members) and per-target status only when asked for.
import {
  checkListRequest,
  type Db,
  extrasOf,
  type FilterAst,
  getResourceWithExtras,
  isResourceId,
  type ListRequest,
  listResourcesWithExtras,
  type ResourceSchema,
  type ResourceType,
  type ResourceWithExtras,
  takenNames,
} from "../store/index.ts";
import type { ResourceView } from "./types.ts";
import { notFound } from "./writing.ts";

export interface Wanted {
  relations?: boolean;
  status?: boolean;
}

/** Store rows with extras → the domain's view (relations of a user are always groups). */
export function viewOf(r: ResourceWithExtras): ResourceView {
  return {
    ...(r.resource ? { resource: r.resource } : {}),
    ...(r.relations ? { relations: r.relations } : {}),
    ...(r.links ? { status: r.links } : {}),
  } as ResourceView;
}

/** Relations are loaded unless refused; status only when asked for. */
export async function getOne(db: Db, type: ResourceType, id: string, opts: Wanted): Promise<ResourceView> {
  if (!isResourceId(id)) throw notFound(type, id);
  const include = { relations: opts.relations !== false, links: !!opts.status };
  const found = await getResourceWithExtras(db, type, id, include);
  if (!found) throw notFound(type, id);
  return viewOf(found);
}

export async function extrasOfOne(
  db: Db,
  type: ResourceType,
  id: string,
  opts: Wanted,
): Promise<Omit<ResourceView, "resource">> {
  const found = (await extrasOf(db, type, [id], { relations: !!opts.relations, links: !!opts.status })).get(
    id,
  );
  return found ? viewOf(found) : {};
}

/** One page of a list; with cursor paging, the cursors of the pages after and before it (RFC 9865). */
export interface ListPage {
  total: number;
  items: ResourceView[];
  nextCursor?: string;
  previousCursor?: string;
}

export async function listPage(
  db: Db,
  schema: ResourceSchema,
  request: ListRequest,
  opts: Wanted,
): Promise<ListPage> {
  const include = { relations: opts.relations !== false, links: !!opts.status };
  const page = await listResourcesWithExtras(db, schema, request, include);
  return { ...page, items: page.items.map(viewOf) };
}

/** Whether `schema` can evaluate the filter: every attribute it names exists there, with values that suit it. */
export function understands(schema: ResourceSchema, filter: string | FilterAst): boolean {
  try {
    checkListRequest(schema, { filter, startIndex: 1, count: 0 });
    return true;
  } catch {
    return false;
  }
}

export { checkListRequest, takenNames };
