import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { createMany, deleteMany, retrieveMany, updateMany } from "./collections.ts";
import { composite } from "./composite.ts";
import { describeGlobal, describeObject } from "./describe.ts";
import { notFound, SalesforceApiError } from "./errors.ts";
import type { SalesforceEmulatorOptions } from "./options.ts";
import type { SalesforceOrg } from "./org.ts";
import { batchSizeFrom, QueryCursors } from "./query-cursors.ts";
import { projectRecord } from "./records.ts";
import { objectDef } from "./schema.ts";
import { runSoql } from "./soql-exec.ts";

export interface ApiRequest {
  method: string;
  /** Path segments after /services/data/vXX.X/. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  version: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

export interface DataApiContext {
  org: SalesforceOrg;
  opts: SalesforceEmulatorOptions;
  cursors: QueryCursors;
  apiUsed: () => number;
}

/** A matched route: a stable key for stats (ids replaced by placeholders) and the work to do. */
export interface Route {
  key: string;
  run: () => ApiResponse;
}

const MIN_COLLECTIONS_VERSION = 42;

const methodNotAllowed = (method: string): SalesforceApiError =>
  new SalesforceApiError(
    405,
    "METHOD_NOT_ALLOWED",
    `HTTP Method '${method}' not allowed. Allowed are GET,HEAD,POST,PATCH,DELETE`,
  );

function typeDef(name: string | undefined) {
  const def = name ? objectDef(name) : undefined;
  if (!def) throw notFound();
  return def;
}

export function newDataApiContext(
  org: SalesforceOrg,
  opts: SalesforceEmulatorOptions,
  apiUsed: () => number,
): DataApiContext {
  return { org, opts, cursors: new QueryCursors(), apiUsed };
}

export function routeDataApi(ctx: DataApiContext, req: ApiRequest): Route {
  const { method, segments, version } = req;
  const [head, a, b, c] = segments;
  const route = (key: string, run: () => ApiResponse): Route => ({ key: `${method} ${key}`, run });
  switch (head) {
    case undefined:
    case "":
      return route("/", () => ({ status: 200, body: resources(version) }));
    case "limits":
      return route("/limits", () => ({ status: 200, body: limits(ctx) }));
    case "query":
    case "queryAll":
      return route(a ? `/${head}/{locator}` : `/${head}`, () => query(ctx, req, head === "queryAll", a));
    case "sobjects":
      return sobjectsRoute(ctx, req, route, a, b, c);
    case "composite":
      if (a === "sobjects") {
        if (Number(version) < MIN_COLLECTIONS_VERSION)
          return route("/composite/sobjects", () => {
            throw notFound();
          });
        return route(b ? `/composite/sobjects/${b}` : "/composite/sobjects", () => collections(ctx, req, b));
      }
      if (a === undefined) return route("/composite", () => composite(ctx, req, routeDataApi));
      break;
  }
  return route("/unknown", () => {
    throw notFound();
  });
}

function resources(version: string): Record<string, string> {
  const base = `/services/data/v${version}`;
  return {
    sobjects: `${base}/sobjects`,
    query: `${base}/query`,
    queryAll: `${base}/queryAll`,
    limits: `${base}/limits`,
    composite: `${base}/composite`,
  };
}

function limits(ctx: DataApiContext): Record<string, { Max: number; Remaining: number }> {
  const max = ctx.opts.apiBudget;
  return {
    DailyApiRequests: { Max: max, Remaining: Math.max(0, max - ctx.apiUsed()) },
    ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
    DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
    DataStorageMB: { Max: 5, Remaining: 5 },
    FileStorageMB: { Max: 20, Remaining: 20 },
    SingleEmail: { Max: 5000, Remaining: 5000 - ctx.org.passwordResetEmails.length },
  };
}

function query(
  ctx: DataApiContext,
  req: ApiRequest,
  includeDeleted: boolean,
  locator: string | undefined,
): ApiResponse {
  if (req.method !== "GET") throw methodNotAllowed(req.method);
  const batchSize = batchSizeFrom(req.headers["sforce-query-options"], ctx.opts.queryBatchSize);
  if (locator) return { status: 200, body: ctx.cursors.nextPage(locator, batchSize, req.version) };
  const soql = req.query.get("q");
  if (!soql) throw new SalesforceApiError(400, "MALFORMED_QUERY", "A query string has to be specified");
  const result = runSoql(ctx.org, soql, { includeDeleted, version: req.version });
  return { status: 200, body: ctx.cursors.firstPage(result, batchSize, req.version) };
}

function sobjectsRoute(
  ctx: DataApiContext,
  req: ApiRequest,
  route: (key: string, run: () => ApiResponse) => Route,
  type: string | undefined,
  idOrAction: string | undefined,
  sub: string | undefined,
): Route {
  const { org } = ctx;
  const { method, version } = req;
  if (!type) return route("/sobjects", () => ({ status: 200, body: describeGlobal(version) }));
  const extra = req.segments[4];
  if (!idOrAction) {
    return route(`/sobjects/${type}`, () => {
      const def = typeDef(type);
      if (method === "GET")
        return { status: 200, body: { objectDescribe: describeObject(def, version), recentItems: [] } };
      if (method !== "POST") throw methodNotAllowed(method);
      const created = org.create(def.name, asObject(req.body));
      return { status: 201, body: { id: created.Id, success: true, errors: [] } };
    });
  }
  if (idOrAction === "describe" && !sub) {
    return route(`/sobjects/${type}/describe`, () => ({
      status: 200,
      body: describeObject(typeDef(type), version),
    }));
  }
  if (sub === "password" && !extra)
    return route(`/sobjects/${type}/{id}/password`, () => password(ctx, req, type, idOrAction));
  if (sub !== undefined) {
    // /sobjects/{Type}/{externalIdField}/{value}: retrieve or upsert by an external id such as FederationIdentifier.
    return route(`/sobjects/${type}/${idOrAction}/{value}`, () =>
      byExternalId(ctx, req, type, idOrAction, sub),
    );
  }
  return route(`/sobjects/${type}/{id}`, () => {
    const def = typeDef(type);
    if (method === "GET") {
      const record = org.get(def.name, idOrAction);
      if (!record) throw notFound();
      const fields = req.query.get("fields")?.split(",").filter(Boolean);
      return { status: 200, body: projectRecord(def, record, fields, version) };
    }
    if (method === "PATCH") {
      org.update(def.name, idOrAction, asObject(req.body));
      return { status: 204 };
    }
    if (method === "DELETE") {
      org.delete(def.name, idOrAction);
      return { status: 204 };
    }
    throw methodNotAllowed(method);
  });
}

function asObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new SalesforceApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function byExternalId(
  ctx: DataApiContext,
  req: ApiRequest,
  type: string,
  fieldName: string,
  value: string,
): ApiResponse {
  const def = typeDef(type);
  const field = def.byName.get(fieldName.toLowerCase());
  if (!field || !(field.externalId || field.type === "id" || field.name === "Username")) {
    throw new SalesforceApiError(
      404,
      "NOT_FOUND",
      `Provided external ID field does not exist or is not accessible: ${fieldName}`,
    );
  }
  const table = ctx.org.table(def.name);
  const ids =
    table.lookup(field.name, value) ??
    [...table.rows.values()].filter((r) => r[field.name] === value).map((r) => String(r.Id));
  if (ids.length > 1) {
    return {
      status: 300,
      body: ids.map((id) => `/services/data/v${req.version}/sobjects/${def.name}/${id}`),
    };
  }
  const [id] = ids;
  if (req.method === "GET") {
    const record = id ? ctx.org.get(def.name, id) : undefined;
    if (!record) throw notFound();
    return { status: 200, body: projectRecord(def, record, undefined, req.version) };
  }
  if (req.method !== "PATCH") throw methodNotAllowed(req.method);
  const body = asObject(req.body);
  if (id) {
    ctx.org.update(def.name, id, body);
    return { status: 200, body: { id, success: true, errors: [], created: false } };
  }
  const created = ctx.org.create(def.name, { ...body, [field.name]: value });
  return { status: 201, body: { id: created.Id, success: true, errors: [], created: true } };
}

const PASSWORD_RULES: [RegExp, string][] = [
  [/^.{8,}$/s, "Your password must be at least 8 characters long."],
  [/(?=.*[A-Za-z])(?=.*\d)/s, "Your password must have a mix of letters and numbers."],
];

function password(ctx: DataApiContext, req: ApiRequest, type: string, id: string): ApiResponse {
  const def = typeDef(type);
  if (def.name !== "User") throw notFound();
  const user = ctx.org.get("User", id);
  if (!user) throw notFound();
  if (req.method === "GET") return { status: 200, body: { isExpired: false } };
  if (req.method === "POST") {
    const next = (req.body as { NewPassword?: unknown } | null)?.NewPassword;
    if (typeof next !== "string")
      throw new SalesforceApiError(400, "JSON_PARSER_ERROR", "NewPassword is required");
    for (const [rule, message] of PASSWORD_RULES)
      if (!rule.test(next)) throw new SalesforceApiError(400, "INVALID_NEW_PASSWORD", message);
    ctx.org.passwordChanges.push({ userId: String(user.Id), at: new Date(ctx.opts.now()).toISOString() });
    return { status: 204 };
  }
  if (req.method === "DELETE") {
    ctx.org.recordPasswordReset(user);
    return { status: 200, body: { NewPassword: randomBytes(6).toString("base64url") } };
  }
  throw methodNotAllowed(req.method);
}

function collections(ctx: DataApiContext, req: ApiRequest, type: string | undefined): ApiResponse {
  const { org } = ctx;
  if (type) {
    const def = typeDef(type);
    if (req.method === "GET") {
      const ids = (req.query.get("ids") ?? "").split(",").filter(Boolean);
      const fields = (req.query.get("fields") ?? "").split(",").filter(Boolean);
      return { status: 200, body: retrieveMany(org, def.name, ids, fields, req.version) };
    }
    if (req.method !== "POST") throw methodNotAllowed(req.method);
    const body = asObject(req.body) as { ids?: unknown; fields?: unknown };
    const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
    const fields = Array.isArray(body.fields) ? body.fields.map(String) : [];
    return { status: 200, body: retrieveMany(org, def.name, ids, fields, req.version) };
  }
  if (req.method === "POST") return { status: 200, body: createMany(org, req.body) };
  if (req.method === "PATCH") return { status: 200, body: updateMany(org, req.body) };
  if (req.method === "DELETE") return { status: 200, body: deleteMany(org, req.query) };
  throw methodNotAllowed(req.method);
}
