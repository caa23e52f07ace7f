// /Users and /Groups: our own routes (scimmy validates bodies and applies PATCH; the store does queries).
import { type Request, type Response, Router } from "express";
import SCIMMY from "scimmy";
import { ConcurrentWrite, type Directory, type ResourceView, type WriteContext } from "../directory/index.ts";
import { BridgeError } from "../errors.ts";
import type { Member, ResourceType } from "../store/index.ts";
import { normalisePatchOperation, normaliseResourceBody, type PatchOperation } from "./dialects.ts";
import { type ListParams, projectionOf, toListQuery } from "./list-query.ts";
import {
  fromScimmyError,
  type Projection,
  render,
  toMembers,
  validateGroup,
  validateUser,
  versionTag,
} from "./resource-codec.ts";
import { LIST_RESPONSE, PATCH_OP, PROVISIONING, SEARCH_REQUEST, userExtensionIds } from "./schemas.ts";

export interface ProvisioningStatus {
  target: string;
  state: string;
  targetId?: string;
  lastAttemptAt?: string;
  errorCode?: string;
  errorMessage?: string;
}

export interface ScimRouteOptions {
  directory: Directory;
  /** After a write commits: e.g. wait (bounded) for the first delivery attempt to its targets. */
  afterWrite?: (ctx: WriteContext, resourceId: string) => Promise<void>;
  /** Per-target provisioning status of resources, shown read-only in the provisioning extension. */
  status?: (ids: string[]) => Promise<Map<string, ProvisioningStatus[]>>;
  maxResults: number;
  /** Absolute or relative base for meta.location, e.g. http://host/scim/v2 */
  baseUrl: (req: Request) => string;
}

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

export function sendScim(res: Response, status: number, body?: unknown) {
  res.status(status);
  if (body === undefined) return void res.end();
  res.setHeader("Content-Type", SCIM_CONTENT_TYPE);
  const meta = (body as { meta?: { version?: string; location?: string } }).meta;
  if (meta?.version) res.setHeader("ETag", meta.version);
  if (status === 201 && meta?.location) res.setHeader("Location", meta.location);
  res.end(JSON.stringify(body));
}

function writeContext(req: Request, res: Response): WriteContext {
  const ifMatch = req.get("if-match");
  return {
    requestId: res.locals.requestId as string | undefined,
    actor: res.locals.actor as string | undefined,
    ...(ifMatch ? { ifMatch } : {}),
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

const PATH_OF: Record<ResourceType, string> = { User: "/Users", Group: "/Groups" };

/** Retries a read-modify-write when another request changed the resource in between. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ConcurrentWrite) || attempt >= 5) throw e;
    }
  }
}

export function scimResourceRouter(opts: ScimRouteOptions): Router {
  const { directory } = opts;
  const router = Router();
  const extensionUrns = () => userExtensionIds();

  const renderView = (
    req: Request,
    v: ResourceView,
    projection?: Projection,
    status?: ProvisioningStatus[],
  ) =>
    render(
      v.resource,
      { baseUrl: opts.baseUrl(req), ...(projection ? { projection } : {}) },
      v.relations,
      status?.length ? { [PROVISIONING]: { targets: status } } : undefined,
    );

  async function statuses(items: ResourceView[], projection: Projection) {
    if (!opts.status || !projection.wants(PROVISIONING)) return new Map<string, ProvisioningStatus[]>();
    return opts.status(items.map((v) => v.resource.id));
  }

  const relationKey = (type: ResourceType) => (type === "User" ? "groups" : "members");

  async function list(req: Request, res: Response, type: ResourceType, p: ListParams) {
    const { query, startIndex } = toListQuery(type, p, opts.maxResults);
    const projection = projectionOf(p, extensionUrns());
    const { total, items } = await directory.list(type, query, {
      relations: projection.wants(relationKey(type)),
    });
    const status = await statuses(items, projection);
    sendScim(res, 200, {
      schemas: [LIST_RESPONSE],
      totalResults: total,
      itemsPerPage: items.length,
      startIndex,
      Resources: items.map((v) => renderView(req, v, projection, status.get(v.resource.id))),
    });
  }

  async function getOne(req: Request, res: Response, type: ResourceType) {
    const projection = projectionOf(req.query as ListParams, extensionUrns());
    const view = await directory.get(type, String(req.params.id), {
      relations: projection.wants(relationKey(type)),
    });
    const etag = versionTag(view.resource.version);
    const inm = req.get("if-none-match");
    if (inm && inm.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
      res.setHeader("ETag", etag);
      return sendScim(res, 304);
    }
    const status = await statuses([view], projection);
    sendScim(res, 200, renderView(req, view, projection, status.get(view.resource.id)));
  }

  /** The response to a write: the resource as stored, with attribute projection if asked for. */
  async function respondWithResource(
    req: Request,
    res: Response,
    type: ResourceType,
    id: string,
    code: number,
    ctx?: WriteContext,
  ) {
    if (ctx && opts.afterWrite) await opts.afterWrite(ctx, id);
    const projection = projectionOf(req.query as ListParams, extensionUrns());
    const view = await directory.get(type, id, { relations: projection.wants(relationKey(type)) });
    const status = await statuses([view], projection);
    sendScim(res, code, renderView(req, view, projection, status.get(id)));
  }

  function validate(type: ResourceType, body: unknown) {
    const normalised = normaliseResourceBody(body);
    if (type === "User") return { ...validateUser(normalised) };
    const g = validateGroup(normalised);
    return { data: g.data, ...(g.members ? { members: g.members } : {}) };
  }

  async function create(req: Request, res: Response, type: ResourceType) {
    const v = validate(type, requireBody(req));
    const ctx = writeContext(req, res);
    const view = await directory.create(type, v.data, ctx, v);
    await respondWithResource(req, res, type, view.resource.id, 201, ctx);
  }

  async function replace(req: Request, res: Response, type: ResourceType) {
    const id = String(req.params.id);
    const v = validate(type, requireBody(req));
    const ctx = writeContext(req, res);
    await directory.update(type, id, v, ctx);
    await respondWithResource(req, res, type, id, 200, ctx);
  }

  async function patch(req: Request, res: Response, type: ResourceType) {
    const id = String(req.params.id);
    const ops = parsePatch(requireBody(req));
    const ctx = writeContext(req, res);
    const { memberDelta, rest } =
      type === "Group" ? splitMemberOps(ops) : { memberDelta: undefined, rest: ops };
    await withRetry(async () => {
      let data: Record<string, unknown> | undefined;
      let password: string | undefined;
      let expectedVersion: number | undefined;
      if (rest.length) {
        const current = await directory.get(type, id, { relations: false });
        expectedVersion = current.resource.version;
        ({ data, password } = await applyPatch(type, current.resource.data, rest));
      }
      await directory.update(
        type,
        id,
        {
          ...(data ? { data } : {}),
          ...(password ? { password } : {}),
          ...(expectedVersion !== undefined ? { expectedVersion } : {}),
          ...(memberDelta?.add.length ? { addMembers: memberDelta.add } : {}),
          ...(memberDelta?.remove ? { removeMembers: memberDelta.remove } : {}),
        },
        ctx,
      );
    });
    await respondWithResource(req, res, type, id, 200, ctx);
  }

  async function remove(req: Request, res: Response, type: ResourceType) {
    const id = String(req.params.id);
    const ctx = writeContext(req, res);
    await directory.delete(type, id, ctx);
    if (opts.afterWrite) await opts.afterWrite(ctx, id);
    sendScim(res, 204);
  }

  for (const type of ["User", "Group"] as const) {
    const base = PATH_OF[type];
    router.get(base, (req, res) => list(req, res, type, req.query as ListParams));
    router.post(`${base}/.search`, (req, res) => list(req, res, type, searchParams(requireBody(req))));
    router.get(`${base}/:id`, (req, res) => getOne(req, res, type));
    router.post(base, (req, res) => create(req, res, type));
    router.put(`${base}/:id`, (req, res) => replace(req, res, type));
    router.patch(`${base}/:id`, (req, res) => patch(req, res, type));
    router.delete(`${base}/:id`, (req, res) => remove(req, res, type));
    router.all([base, `${base}/:id`], (req) => {
      throw new BridgeError(
        "SCIM_METHOD_NOT_ALLOWED",
        `${req.method} is not supported on ${req.baseUrl}${req.path}`,
      );
    });
  }
  return router;
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
    ...(typeof b.sortBy === "string" ? { sortBy: b.sortBy } : {}),
    ...(typeof b.sortOrder === "string" ? { sortOrder: b.sortOrder } : {}),
    ...(attributes ? { attributes } : {}),
    ...(excludedAttributes ? { excludedAttributes } : {}),
  };
}

function parsePatch(body: unknown): PatchOperation[] {
  const b = body as { schemas?: unknown; Operations?: unknown };
  if (!b || typeof b !== "object" || !Array.isArray(b.schemas) || !b.schemas.includes(PATCH_OP)) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", `A PATCH body must have "schemas": ["${PATCH_OP}"]`);
  }
  if (!Array.isArray(b.Operations) || !b.Operations.length) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", 'A PATCH body must have a non-empty "Operations" array');
  }
  return b.Operations.map((o, i) => {
    const op = (o as PatchOperation)?.op;
    if (typeof op !== "string" || !/^(add|remove|replace)$/i.test(op)) {
      throw new BridgeError(
        "SCIM_INVALID_SYNTAX",
        `Operation ${i + 1}: "op" must be "add", "remove" or "replace", got ${JSON.stringify(op ?? null)}`,
      );
    }
    return normalisePatchOperation(o as PatchOperation);
  });
}

const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i;

/**
 * Separates membership operations (applied as row inserts/deletes) from the rest (applied by scimmy), in the
 * three shapes IdPs send: RFC filter removal (Okta), a value list without a filter (Entra), and add/replace.
 */
function splitMemberOps(ops: PatchOperation[]) {
  const add = new Map<string, Member>();
  let remove: Set<string> | "all" | undefined;
  const rest: PatchOperation[] = [];
  const doRemove = (ids: string[]) => {
    for (const id of ids) add.delete(id);
    if (remove === "all") return;
    remove ??= new Set();
    for (const id of ids) remove.add(id);
  };
  const doAdd = (members: Member[]) => {
    for (const m of members) add.set(m.value, m);
  };
  for (const o of ops) {
    const path = o.path?.toLowerCase();
    const filtered = o.path?.match(MEMBER_FILTER);
    if (path === "members") {
      const values = o.value === undefined || o.value === null ? [] : toMembers(asArray(o.value));
      if (o.op === "add") doAdd(values);
      else if (o.op === "replace") {
        add.clear();
        remove = "all";
        doAdd(values);
      } else if (values.length) doRemove(values.map((m) => m.value));
      else {
        add.clear();
        remove = "all";
      }
    } else if (filtered && o.op === "remove") {
      doRemove([filtered[1]!.toLowerCase()]);
    } else if (!o.path && o.value && typeof o.value === "object" && "members" in o.value) {
      const { members, ...others } = o.value as { members?: unknown };
      const values = toMembers(asArray(members ?? []));
      if (o.op === "replace") {
        add.clear();
        remove = "all";
      }
      doAdd(values);
      if (Object.keys(others).length) rest.push({ ...o, value: others });
    } else rest.push(o);
  }
  const touched = add.size > 0 || remove !== undefined;
  return {
    memberDelta: touched
      ? { add: [...add.values()], remove: remove === "all" ? ("all" as const) : remove && [...remove] }
      : undefined,
    rest,
  };
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** Applies non-membership PATCH operations with scimmy on the stored body; returns the new body. */
async function applyPatch(
  type: ResourceType,
  data: Record<string, unknown>,
  ops: PatchOperation[],
): Promise<{ data: Record<string, unknown>; password?: string }> {
  try {
    const Schema = type === "User" ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
    // Read-only attributes in a no-path value (Okta sends the group's id on rename) are not a change.
    const cleaned = ops.map((o) =>
      !o.path && o.value && typeof o.value === "object" && !Array.isArray(o.value)
        ? {
            ...o,
            value: withoutKeys(o.value as Record<string, unknown>, ["id", "meta", "schemas", "groups"]),
          }
        : o,
    );
    const source = new Schema({ ...data, id: "00000000-0000-0000-0000-000000000000" }, "out");
    const patched = await new SCIMMY.Messages.PatchOp({
      schemas: [PATCH_OP],
      Operations: cleaned as never,
    }).apply(source);
    if (!patched) return { data };
    const next = type === "User" ? validateUser(JSON.parse(JSON.stringify(patched))) : validateGroup(patched);
    const password = (patched as unknown as { password?: string }).password;
    return { data: next.data, ...(password ? { password } : {}) };
  } catch (e) {
    throw fromScimmyError(e);
  }
}

function withoutKeys(o: Record<string, unknown>, keys: string[]) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}
