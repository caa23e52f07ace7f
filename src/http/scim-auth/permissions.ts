// What a credential may do on /scim/v2, decided from the method and path alone (and, for /Bulk, its operations' paths):
// - discovery (/ServiceProviderConfig, /Schemas, /ResourceTypes) and /Me: any credential, since IdPs read them to
//   test a connection and they reveal nothing about users;
// - GET and POST …/.search: `read` (every credential has it);
// - POST, PUT, PATCH, DELETE (and POST /Bulk): `write`;
// - a credential limited to Users or Groups may touch only those paths; a root POST /.search spans both types, and
//   a /Bulk request must name only its types.
import type { ScimResourceTypeName } from "../../config/scim-auth.ts";
import type { ScimCredential } from "./credentials.ts";
import { type AuthRefusal, refusal } from "./refusal.ts";

const DISCOVERY = /^\/(ServiceProviderConfig|Schemas|ResourceTypes|Me)(\/|$)/i;
const TYPED = /^\/(Users|Groups)(\/|$)/i;
const SEARCH = /\/\.search\/?$/i;

const typeOf = (path: string): ScimResourceTypeName | undefined => {
  const m = TYPED.exec(path)?.[1]?.toLowerCase();
  return m === "users" ? "Users" : m === "groups" ? "Groups" : undefined;
};

function typeRefusal(c: ScimCredential, what: string): AuthRefusal {
  return refusal(
    403,
    "resource_type_not_allowed",
    `The credential ${JSON.stringify(c.name)} may use only ${c.resourceTypes!.join(" and ")}; ${what}`,
  );
}

/** Undefined when `c` may make this request; otherwise the 403 refusal naming the permission needed. */
export function permits(c: ScimCredential, method: string, path: string): AuthRefusal | undefined {
  if (DISCOVERY.test(path)) return undefined;
  const reads = method === "GET" || method === "HEAD" || (method === "POST" && SEARCH.test(path));
  if (!reads && c.permissions !== "write")
    return refusal(
      403,
      "write_not_allowed",
      `The credential ${JSON.stringify(c.name)} has read permission only; ${method} needs write permission`,
    );
  if (!c.resourceTypes) return undefined;
  const type = typeOf(path);
  if (type) return c.resourceTypes.includes(type) ? undefined : typeRefusal(c, `this request is on ${type}`);
  if (/^\/Bulk\/?$/i.test(path)) return undefined; // decided per operation by `permitsBulk`
  if (SEARCH.test(path))
    return typeRefusal(
      c,
      `a search at the root spans Users and Groups: search /${c.resourceTypes[0]}/.search`,
    );
  return undefined;
}

/** For a type-limited credential: every operation of a POST /Bulk must be on one of its types. */
export function permitsBulk(c: ScimCredential, body: unknown): AuthRefusal | undefined {
  if (!c.resourceTypes) return undefined;
  const ops = (body as { Operations?: unknown } | undefined)?.Operations;
  if (!Array.isArray(ops)) return undefined; // the Bulk route answers a malformed request itself
  for (const op of ops) {
    const path = (op as { path?: unknown } | null)?.path;
    const type = typeof path === "string" ? typeOf(path) : undefined;
    if (!type || !c.resourceTypes.includes(type))
      return typeRefusal(
        c,
        `a Bulk operation on ${typeof path === "string" ? path.slice(0, 40) : "no path"} is not`,
      );
  }
  return undefined;
}
