// Identity providers' deviations from RFC 7644, normalised before anything is validated, so that the rest of the
// SCIM layer sees one dialect. Sources: ../shared/reference/idp-dialects.md and tableau-salesforce-api.md.
import { isPrototypeKey } from "../input.ts";
import { readOnlyTopLevel } from "./read-only.ts";
import { userExtensionAliases } from "./schemas.ts";

const BOOLEAN_ATTRS = new Set(["active", "primary"]);
/** Entra's extra group schema: it carries nothing we store, so it is accepted and dropped. */
export const MICROSOFT_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
/**
 * Keys clients echo back in no-path PATCH values (Okta): `schemas` and the core readOnly attributes (id, meta,
 * groups, as declared): not a change. Computed on first use, once the schemas are declared.
 */
let echoed: Set<string> | undefined;
const echoedKeys = () =>
  (echoed ??= new Set(
    ["schemas", ...readOnlyTopLevel("User"), ...readOnlyTopLevel("Group")].map((k) => k.toLowerCase()),
  ));

/** Entra sends "True"/"False" for booleans, in PATCH values and sometimes in bodies. */
function toBoolean(v: unknown): unknown {
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  return v;
}

function fixBooleans(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => fixBooleans(v, key));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // The edge refuses these keys; dropped here too, as this walk copies every key of a client's body.
    for (const [k, v] of Object.entries(value)) if (!isPrototypeKey(k)) out[k] = fixBooleans(v, k);
    return out;
  }
  return key && BOOLEAN_ATTRS.has(key) ? toBoolean(value) : value;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** Entra clears an attribute by sending null or "" (SCIM_Null_Update_Test). */
const isEmptyValue = (v: unknown) => v === null || v === "";

/**
 * Entra's AppRoleAssignmentsComplex sends each role as a JSON string:
 * `{"value": "{\"id\":…,\"value\":\"Admin\",\"displayName\":\"Admin\"}"}`; it means the role "Admin".
 */
function fixRoles(roles: unknown): unknown {
  if (!Array.isArray(roles)) return roles;
  return roles.map((r) => {
    const raw = isObject(r) ? r.value : undefined;
    if (typeof raw !== "string" || !raw.trim().startsWith("{")) return r;
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (typeof parsed.value !== "string") return r;
      const { value: _, ...rest } = r as Record<string, unknown>;
      return {
        ...rest,
        value: parsed.value,
        ...(typeof parsed.displayName === "string" ? { display: parsed.displayName } : {}),
      };
    } catch {
      return r;
    }
  });
}

/**
 * A key naming a declared extension by one of its aliases, renamed to the extension's id: Tableau Cloud's SCIM
 * body, for one, puts its extension under the URN without ":User", which is declared with ":User".
 */
function extensionKey(key: string): string {
  const lower = key.toLowerCase();
  for (const { alias, id } of userExtensionAliases()) {
    const a = alias.toLowerCase();
    if (lower === a) return id;
    if (lower.startsWith(`${a}:`) && !lower.startsWith(id.toLowerCase()))
      return `${id}${key.slice(alias.length)}`;
  }
  return key;
}

function fixSchemas(schemas: unknown): unknown {
  if (!Array.isArray(schemas)) return schemas;
  const out: unknown[] = [];
  for (const s of schemas) {
    if (typeof s !== "string") out.push(s);
    else if (s.toLowerCase() === MICROSOFT_GROUP_URN.toLowerCase()) continue;
    else {
      const k = extensionKey(s);
      if (!out.includes(k)) out.push(k);
    }
  }
  return out;
}

/** The manager of the enterprise extension as a bare id string (Entra) becomes {value}; "" clears it. */
function fixManager(ext: Record<string, unknown>) {
  const m = ext.manager;
  if (typeof m === "string") {
    if (m === "") delete ext.manager;
    else ext.manager = { value: m };
  }
}

/** Drops null and "" attributes (they mean "no value"), at the top level and inside extensions/complex values. */
function dropEmpty(o: Record<string, unknown>, depth = 0) {
  for (const [k, v] of Object.entries(o)) {
    if (isEmptyValue(v)) delete o[k];
    else if (depth < 1 && isObject(v)) dropEmpty(v, depth + 1);
  }
}

/** A resource body (POST, PUT, bulk data) in RFC form. */
export function normaliseResourceBody(body: unknown): unknown {
  if (!isObject(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fixBooleans(body) as Record<string, unknown>)) {
    const key = extensionKey(k);
    if (key.toLowerCase() === MICROSOFT_GROUP_URN.toLowerCase()) continue;
    if (isObject(v) && isObject(out[key])) out[key] = { ...(out[key] as object), ...v };
    else out[key] = v;
  }
  dropEmpty(out);
  if ("schemas" in out) out.schemas = fixSchemas(out.schemas);
  if ("roles" in out) out.roles = fixRoles(out.roles);
  for (const [k, v] of Object.entries(out)) if (k.startsWith("urn:") && isObject(v)) fixManager(v);
  return out;
}

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

const MANAGER = /(^|:)manager$/i;
const ROLES = /^roles$/i;

/** Keys of a no-path value that name a path rather than a top-level attribute (Entra with aadOptscim062020). */
function isPathKey(key: string, declaredUrns: string[]): boolean {
  if (key.includes(".") && !key.startsWith("urn:")) return true;
  if (key.includes("[")) return true;
  if (!key.startsWith("urn:")) return false;
  return !declaredUrns.some((u) => u.toLowerCase() === key.toLowerCase());
}

/**
 * Normalises one PATCH operation into one or more RFC operations: lower-case op, string booleans, manager strings,
 * JSON-string roles, null/"" meaning remove, extension aliases and the Microsoft URN, Salesforce's
 * `{members: [...]}` value, and no-path values whose keys are paths (`"name.givenName"`, `"urn:…:User:department"`)
 * split into path ops.
 */
export function normalisePatchOperations(o: PatchOperation, declaredUrns: string[]): PatchOperation[] {
  const op = typeof o.op === "string" ? o.op.toLowerCase() : o.op;
  const path = typeof o.path === "string" && o.path.trim() ? extensionKey(o.path.trim()) : undefined;
  if (path) return [pathOp(op, path, o.value, "value" in o)];
  if (!isObject(o.value)) return [{ op, ...(o.value !== undefined ? { value: o.value } : {}) }];
  // A no-path value: each key is an attribute (or, for Entra, a path).
  const rest: Record<string, unknown> = {};
  const out: PatchOperation[] = [];
  for (const [rawKey, v] of Object.entries(o.value)) {
    if (isPrototypeKey(rawKey)) continue;
    const key = extensionKey(rawKey);
    if (echoedKeys().has(key.toLowerCase()) || key.toLowerCase() === MICROSOFT_GROUP_URN.toLowerCase())
      continue;
    if (isPathKey(key, declaredUrns) || isEmptyValue(v)) out.push(pathOp(op, key, v, true));
    else rest[key] = v;
  }
  const normalised = normaliseResourceBody(rest) as Record<string, unknown>;
  return Object.keys(normalised).length ? [{ op, value: normalised }, ...out] : out;
}

function pathOp(op: string, path: string, raw: unknown, hasValue: boolean): PatchOperation {
  let value = raw;
  const leaf = path.split(/[.:]/).pop() ?? "";
  if (BOOLEAN_ATTRS.has(leaf)) value = toBoolean(value);
  else value = fixBooleans(value);
  if (MANAGER.test(path) && typeof value === "string" && value !== "") value = { value };
  if (ROLES.test(path)) value = fixRoles(Array.isArray(value) ? value : value == null ? value : [value]);
  // Salesforce's own SCIM: {"op":"add","path":"members","value":{"members":[{"value":"<id>"}]}}
  if (/^members$/i.test(path) && isObject(value) && "members" in value) value = value.members;
  if (op !== "remove" && hasValue && isEmptyValue(value)) return { op: "remove", path };
  return { op, path, ...(hasValue ? { value } : {}) };
}
