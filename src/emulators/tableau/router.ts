/** Route table plumbing shared by the route modules. */
import type { Session, SessionStore } from "./auth.ts";
import { badRequest } from "./errors.ts";
import type { Part } from "./multipart.ts";
import type { TableauEmulatorOptions } from "./options.ts";
import type { TableauSite } from "./site.ts";
import type { TableauServerState } from "./state.ts";
import type { JsonObject, JsonValue } from "./xml.ts";

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Minor version of the 3.x API in the path. */
  version: number;
  versionText: string;
  /** The request body as the JSON-equivalent object (tsRequest content for XML; {} for multipart). */
  body: JsonObject;
  /** The body as sent, and its Content-Type, for multipart calls. */
  raw: string;
  contentType: string | undefined;
  /** Multipart parts by name, once a handler parsed them. */
  parts?: Map<string, Part>;
  session?: Session;
  /** The site named in the path (checked against the session's site). */
  site?: TableauSite;
  state: TableauServerState;
  sessions: SessionStore;
  opts: TableauEmulatorOptions;
}

export interface Reply {
  status: number;
  body?: JsonObject;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  auth: boolean;
  /** Any one of these JWT scopes allows the call. */
  scopes?: readonly string[];
  /** Minimum 3.x minor version, e.g. 7 for 3.7. */
  minVersion?: number;
  handler: (ctx: RequestContext) => Reply | Promise<Reply>;
}

export interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export function compile(routes: Route[]): CompiledRoute[] {
  return routes.map((r) => {
    const names: string[] = [];
    const pattern = r.path.replace(/:(\w+)/g, (_m, n: string) => {
      names.push(n);
      return "([^/]+)";
    });
    return { ...r, regex: new RegExp(`^${pattern}/?$`), names };
  });
}

/** A nested object property of the body, or 400000 when missing. */
export function requireObject(body: JsonObject, key: string): JsonObject {
  const v = body[key];
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw badRequest(`The request body has no '${key}' element.`);
  return v;
}

export function optString(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return v === undefined || v === null ? undefined : String(v);
}

/** `{"user":x}` or `{"user":[x,y]}` → list (one XML child is not an array). */
export function asList(v: JsonValue): JsonObject[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.filter((x): x is JsonObject => typeof x === "object" && x !== null && !Array.isArray(x));
}
