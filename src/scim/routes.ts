// /Users and /Groups: our own routes (scimmy validates bodies and applies PATCH; the store does queries).
import { type Request, type RequestHandler, type Response, Router } from "express";
import type {
  Directory,
  ListRequest,
  Queued,
  Relation,
  ResourceView,
  WriteContext,
} from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import type { FilterAst, LinkStatus, ResourceType, StoredResource } from "../store/index.ts";
import { type BulkOptions, bulkRouter } from "./bulk.ts";
import { type ListParams, projectionOf, toListRequest } from "./list-query.ts";
import { preferredWait } from "./prefer.ts";
import { type Projection, render, versionTag } from "./resource-codec.ts";
import {
  BULK_MAX_OPERATIONS,
  BULK_MAX_PAYLOAD,
  LIST_RESPONSE,
  PROVISIONING,
  SEARCH_REQUEST,
  userExtensionIds,
} from "./schemas.ts";
import { filterAcross } from "./search-all.ts";
import { createResource, patchResource, replaceResource } from "./writes.ts";

export interface ScimRouteOptions {
  directory: Directory;
  /** How a Bulk operation's failure becomes the client's error (logging the unexpected ones): the HTTP layer's. */
  clientError?: BulkOptions["clientError"];
  /**
   * After a write commits: e.g. wait (bounded) for the first delivery attempt to its targets. Returns whether it
   * waited (then the status changed since the write).
   */
  afterWrite?: (ctx: WriteContext, queued: Queued, resourceId: string) => Promise<boolean>;
  /** The longest `Prefer: wait=N` a write may wait for `afterWrite` (default 0: the preference is not honoured). */
  maxWaitMs?: number;
  maxResults: number;
  /** Whether resources carry the per-target provisioning status (false when no target is configured). */
  statusEnabled?: boolean;
  /** Absolute or relative base for meta.location, e.g. http://host/scim/v2 */
  baseUrl: (req: Request) => string;
  /** /Bulk limits; default BULK_MAX_OPERATIONS and BULK_MAX_PAYLOAD (give the same to discoveryRouter). */
  bulkMaxOperations?: number;
  bulkMaxPayloadSize?: number;
}

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

export function sendScim(res: Response, status: number, body?: unknown) {
  res.statusCode = status;
  if (body === undefined) return void res.end();
  res.setHeader("Content-Type", SCIM_CONTENT_TYPE);
  const meta = (body as { meta?: { version?: string; location?: string } }).meta;
  if (meta?.version) res.setHeader("ETag", meta.version);
  if (status === 201 && meta?.location) res.setHeader("Location", meta.location);
  res.end(JSON.stringify(body));
}

/** `waitBoundMs`: the longest a write may wait for delivery when the client asks (`Prefer: wait=N`). */
function writeContext(req: Request, res: Response, waitBoundMs?: number): WriteContext {
  const ifMatch = req.get("if-match");
  const wait = waitBoundMs === undefined ? undefined : preferredWait(req.headers.prefer, waitBoundMs);
  if (wait) res.setHeader("Preference-Applied", wait.applied);
  return {
    requestId: res.locals.requestId as string | undefined,
    actor: res.locals.actor as string | undefined,
    ...(ifMatch ? { ifMatch } : {}),
    ...(wait ? { waitMs: wait.ms } : {}),
  };
}

function requireBody(req: Request): unknown {
  if (req.body === undefined) {
    const type = req.get("content-type");
    if (type && !/json/i.test(type)) {
      throw new BridgeError(
        "SCIM_UNSUPPORTED_MEDIA_TYPE",
        `Content-Type ${type} is not supported; send application/scim+json or application/json`,
      );
    }
    throw new BridgeError("SCIM_INVALID_SYNTAX", "The request has no body; send a JSON document");
  }
  return req.body;
}

/** /Users or /Groups, then an optional id (or `.search`), then an optional trailing slash; any case, as Express. */
const RESOURCE_PATH = /^\/(users|groups)(?:\/([^/]+))?\/?$/i;

/** A path segment percent-decoded; a malformed escape is the client's 400, as Express's own routing answered. */
function decodeId(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BridgeError("SCIM_INVALID_SYNTAX", "The URL path is not validly percent-encoded");
  }
}

/**
 * The SCIM resource API: `resources`, one handler for /Users and /Groups (for the door's chain, so that the requests
 * IdPs send all day pass no router of their own), and `others`, the router of the rest (/.search, /Bulk).
 */
export function scimResourceRoutes(opts: ScimRouteOptions): {
  resources: RequestHandler & { routes: string[] };
  others: Router;
} {
  const { directory } = opts;
  const router = Router();
  const extensionUrns = () => userExtensionIds();
  const contextOf = (req: Request, res: Response) =>
    writeContext(req, res, opts.afterWrite ? (opts.maxWaitMs ?? 0) : undefined);

  /** `ctx` once per response: a page renders a hundred resources with the same base URL and projection. */
  const renderContext = (req: Request, projection?: Projection) => ({
    baseUrl: opts.baseUrl(req),
    ...(projection ? { projection } : {}),
  });
  const renderView = (v: ResourceView, ctx: ReturnType<typeof renderContext>) =>
    render(
      v.resource,
      ctx,
      v.relations,
      v.status?.length ? { [PROVISIONING]: { targets: v.status } } : undefined,
    );

  /** What a read must load besides the row, from the projection: relations and per-target status. */
  const wants = (type: ResourceType, projection: Projection) => ({
    relations: projection.wants(relationKey(type)),
    status: opts.statusEnabled !== false && projection.wants(PROVISIONING),
  });

  const relationKey = (type: ResourceType) => (type === "User" ? "groups" : "members");

  async function list(req: Request, res: Response, type: ResourceType, p: ListParams) {
    const request = toListRequest(p, opts.maxResults);
    const projection = projectionOf(p, extensionUrns());
    const page = await directory.list(type, request, wants(type, projection));
    const { total, items, nextCursor, previousCursor } = page;
    sendList(req, res, {
      total,
      items,
      ...(request.cursor === undefined ? { startIndex: request.startIndex } : { nextCursor, previousCursor }),
      projection,
    });
  }

  /** A ListResponse: index paging answers startIndex; cursor paging answers nextCursor unless on the last page. */
  function sendList(
    req: Request,
    res: Response,
    page: {
      total: number;
      items: ResourceView[];
      startIndex?: number;
      nextCursor?: string | undefined;
      previousCursor?: string | undefined;
      projection: Projection;
    },
  ) {
    const ctx = renderContext(req, page.projection);
    sendScim(res, 200, {
      schemas: [LIST_RESPONSE],
      totalResults: page.total,
      itemsPerPage: page.items.length,
      ...(page.startIndex !== undefined ? { startIndex: page.startIndex } : {}),
      ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
      ...(page.previousCursor !== undefined ? { previousCursor: page.previousCursor } : {}),
      Resources: page.items.map((v) => renderView(v, ctx)),
    });
  }

  /**
   * POST /.search at the root: Users then Groups, paged over the concatenation. A filter or sortBy that only one
   * type understands (userName, members) selects nothing of the other type.
   */
  async function searchAll(req: Request, res: Response, p: ListParams) {
    const understands = (type: ResourceType, leaf: FilterAst) => directory.understands(type, leaf);
    const plans = (["User", "Group"] as const).map((type) => {
      try {
        const filter = filterAcross(p.filter, type, ["User", "Group"], understands);
        const plan = toListRequest({ ...p, ...(filter ? { filter } : {}) }, opts.maxResults);
        // The root cursor names a type (searchAllByCursor): each type checks its own when its page is read.
        const { cursor: _root, ...checked } = plan;
        directory.checkList(type, checked);
        return { type, plan };
      } catch (error) {
        return { type, error };
      }
    });
    const usable = plans.filter((x) => x.plan);
    if (!usable.length) throw plans[0]!.error;
    const { startIndex, count, cursor } = usable[0]!.plan!;
    const projection = projectionOf(p, extensionUrns());
    if (cursor !== undefined) {
      const page = await searchAllByCursor(
        usable as { type: ResourceType; plan: ListRequest }[],
        cursor,
        projection,
      );
      return sendList(req, res, { ...page, projection });
    }
    let offset = startIndex - 1;
    let remaining = count;
    let total = 0;
    const items: ResourceView[] = [];
    for (const { type, plan } of usable) {
      const page = await directory.list(
        type,
        { ...plan!, startIndex: offset + 1, count: remaining },
        wants(type, projection),
      );
      total += page.total;
      items.push(...page.items);
      remaining -= page.items.length;
      offset = Math.max(0, offset - page.total);
    }
    sendList(req, res, { total, items, startIndex, projection });
  }

  /**
   * Cursor paging over Users then Groups: the root cursor is the type's letter and that type's own cursor, so each
   * page continues where the previous one stopped in that type; past the last user, the groups from the first.
   */
  async function searchAllByCursor(
    usable: { type: ResourceType; plan: ListRequest }[],
    cursor: string,
    projection: Projection,
  ): Promise<{ total: number; items: ResourceView[]; nextCursor?: string }> {
    const letter = (type: ResourceType) => type[0]!;
    const at = cursor === "" ? 0 : usable.findIndex(({ type }) => cursor[0] === letter(type));
    if (at < 0) {
      throw new BridgeError(
        "SCIM_INVALID_CURSOR",
        "cursor is not valid (not a cursor this server gave); send an empty cursor for the first page, then each response's nextCursor as it is",
      );
    }
    let remaining = usable[0]!.plan.count;
    let total = 0;
    let nextCursor: string | undefined;
    const items: ResourceView[] = [];
    for (const [i, { type, plan }] of usable.entries()) {
      // Types already walked count towards the total only.
      const own = i < at || nextCursor !== undefined ? undefined : i === at ? cursor.slice(1) : "";
      const page = await directory.list(
        type,
        { ...plan, count: own === undefined ? 0 : remaining, cursor: own ?? "" },
        wants(type, projection),
      );
      total += page.total;
      items.push(...page.items);
      remaining -= page.items.length;
      if (own === undefined) continue;
      if (page.nextCursor !== undefined) nextCursor = letter(type) + page.nextCursor;
      else if (remaining === 0 && plan.count > 0 && i + 1 < usable.length)
        nextCursor = letter(usable[i + 1]!.type);
    }
    return { total, items, ...(nextCursor !== undefined ? { nextCursor } : {}) };
  }

  async function getOne(req: Request, res: Response, type: ResourceType, id: string) {
    const projection = projectionOf(req.query as ListParams, extensionUrns());
    const view = await directory.get(type, id, wants(type, projection));
    const etag = versionTag(view.resource.version);
    const inm = req.get("if-none-match");
    if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
      res.setHeader("ETag", etag);
      return sendScim(res, 304);
    }
    sendScim(res, 200, renderView(view, renderContext(req, projection)));
  }

  /** Whether the request asked for a representation with `attributes` / `excludedAttributes`. */
  const asksForAttributes = (req: Request) =>
    req.query.attributes !== undefined || req.query.excludedAttributes !== undefined;

  /**
   * The response to a write: the resource as written (no re-read), with attribute projection if asked for;
   * relations (a user's groups, a group's members) are loaded only when the projection wants them.
   */
  async function respondWithResource(
    req: Request,
    res: Response,
    resource: StoredResource,
    code: number,
    written?: { ctx: WriteContext; queued: Queued },
    knownRelations?: Relation[],
    knownStatus?: LinkStatus[],
  ) {
    const waited =
      written && opts.afterWrite ? await opts.afterWrite(written.ctx, written.queued, resource.id) : false;
    // The status the write itself set (a new user's links, all pending) stands unless delivery was awaited.
    const status = waited ? undefined : knownStatus;
    const projection = projectionOf(req.query as ListParams, extensionUrns());
    const want = wants(resource.type, projection);
    // Reads nothing when nothing is left to load.
    const extras = await directory.extras(resource.type, resource.id, {
      relations: want.relations && !knownRelations,
      status: want.status && !status,
    });
    const known = want.status ? (status ?? extras.status) : undefined;
    const relations = want.relations ? (knownRelations ?? extras.relations) : undefined;
    const view: ResourceView = {
      resource,
      ...(relations ? { relations } : {}),
      ...(known ? { status: known } : {}),
    };
    sendScim(res, code, renderView(view, renderContext(req, projection)));
  }

  async function create(req: Request, res: Response, type: ResourceType) {
    const ctx = contextOf(req, res);
    const { view, queued, v } = await createResource(directory, type, requireBody(req), ctx);
    // A new user is in no group yet; a new group's members need their display names.
    const known = type === "User" || !v.members?.length ? [] : undefined;
    await respondWithResource(req, res, view.resource, 201, { ctx, queued }, known, view.status);
  }

  async function replace(req: Request, res: Response, type: ResourceType, id: string) {
    const ctx = contextOf(req, res);
    const want = wants(type, projectionOf(req.query as ListParams, extensionUrns()));
    const { view, queued } = await replaceResource(directory, type, id, requireBody(req), ctx, want);
    await respondWithResource(req, res, view.resource, 200, { ctx, queued }, view.relations, view.status);
  }

  async function patch(req: Request, res: Response, type: ResourceType, id: string) {
    const ctx = contextOf(req, res);
    const want = wants(type, projectionOf(req.query as ListParams, extensionUrns()));
    const { view, queued } = await patchResource(directory, type, id, requireBody(req), ctx, want);
    // A group's representation carries its members (possibly 50,000): Entra asks for 204 and Okta accepts it, so
    // a group PATCH answers 204 with the new ETag unless the request asks for attributes explicitly.
    if (type === "Group" && !asksForAttributes(req)) {
      if (opts.afterWrite) await opts.afterWrite(ctx, queued, id);
      res.setHeader("ETag", versionTag(view.resource.version));
      return sendScim(res, 204);
    }
    await respondWithResource(req, res, view.resource, 200, { ctx, queued }, view.relations, view.status);
  }

  async function remove(req: Request, res: Response, type: ResourceType, id: string) {
    const ctx = contextOf(req, res);
    const { queued } = await directory.delete(type, id, ctx);
    if (opts.afterWrite) await opts.afterWrite(ctx, queued, id);
    sendScim(res, 204);
  }

  type Handler = (req: Request, res: Response, type: ResourceType, id: string) => Promise<void>;
  /** What each method does on /Users and /Groups, on `/.search` below them, and on one resource (HEAD as GET). */
  const onCollection: Record<string, Handler> = {
    GET: (req, res, type) => list(req, res, type, req.query as ListParams),
    POST: (req, res, type) => create(req, res, type),
  };
  const onSearch: Record<string, Handler> = {
    POST: (req, res, type) => list(req, res, type, searchParams(requireBody(req))),
  };
  const onResource: Record<string, Handler> = {
    GET: (req, res, type, id) => getOne(req, res, type, id),
    PUT: (req, res, type, id) => replace(req, res, type, id),
    PATCH: (req, res, type, id) => patch(req, res, type, id),
    DELETE: (req, res, type, id) => remove(req, res, type, id),
  };

  /**
   * /Users and /Groups in one layer: one regular expression and a table lookup instead of sixteen Express routes
   * matched in turn (the router was 7% of a read's CPU). Paths are read as Express read them: any case, one
   * optional trailing slash, the id percent-decoded; a method a path does not answer is a 405.
   */
  const dispatch: RequestHandler = (req, res, next) => {
    const m = RESOURCE_PATH.exec(req.path);
    if (!m) return next();
    try {
      const type: ResourceType = m[1]!.length === "users".length ? "User" : "Group";
      const rest = m[2];
      // Decoded first, as Express did: a malformed id is a 400 whatever the method.
      const id = rest === undefined ? "" : decodeId(rest);
      const method = req.method === "HEAD" ? "GET" : req.method;
      const table =
        rest === undefined
          ? onCollection
          : method === "POST" && rest.toLowerCase() === ".search"
            ? onSearch
            : onResource;
      const handle = Object.hasOwn(table, method) ? table[method] : undefined;
      if (!handle)
        throw new BridgeError(
          "SCIM_METHOD_NOT_ALLOWED",
          `${req.method} is not supported on ${req.baseUrl}${req.path}`,
        );
      handle(req, res, type, id).catch((e: unknown) =>
        next(e ?? new Error("a SCIM handler rejected with nothing")),
      );
    } catch (err) {
      next(err);
    }
  };
  // The routes it serves, for tools that read Express's routing table (the OpenAPI coverage test).
  const routes = (["Users", "Groups"] as const).flatMap((base) => [
    ...Object.keys(onCollection).map((m) => `${m} /${base}`),
    ...Object.keys(onSearch).map((m) => `${m} /${base}/.search`),
    ...Object.keys(onResource).map((m) => `${m} /${base}/{id}`),
  ]);
  router.post("/.search", (req, res) => searchAll(req, res, searchParams(requireBody(req))));
  router.use(
    bulkRouter({
      directory,
      maxOperations: opts.bulkMaxOperations ?? BULK_MAX_OPERATIONS,
      maxPayloadSize: opts.bulkMaxPayloadSize ?? BULK_MAX_PAYLOAD,
      baseUrl: opts.baseUrl,
      writeContext: contextOf,
      ...(opts.afterWrite ? { afterWrite: opts.afterWrite } : {}),
      ...(opts.clientError ? { clientError: opts.clientError } : {}),
    }),
  );
  router.all(["/.search", "/Bulk"], (req) => {
    throw new BridgeError(
      "SCIM_METHOD_NOT_ALLOWED",
      `${req.method} is not supported on ${req.baseUrl}${req.path}`,
    );
  });
  return { resources: Object.assign(dispatch, { routes }), others: router };
}

export function searchParams(body: unknown): ListParams {
  const b = (body ?? {}) as Record<string, unknown>;
  const schemas = b.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SEARCH_REQUEST)) {
    throw new BridgeError(
      "SCIM_INVALID_SYNTAX",
      `A search request must have "schemas": ["${SEARCH_REQUEST}"]`,
    );
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? v : undefined);
  const attributes = list(b.attributes);
  const excludedAttributes = list(b.excludedAttributes);
  return {
    ...(typeof b.filter === "string" ? { filter: b.filter } : {}),
    startIndex: b.startIndex,
    count: b.count,
    ...(b.cursor !== undefined ? { cursor: b.cursor } : {}),
    ...(typeof b.sortBy === "string" ? { sortBy: b.sortBy } : {}),
    ...(typeof b.sortOrder === "string" ? { sortOrder: b.sortOrder } : {}),
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  };
}
