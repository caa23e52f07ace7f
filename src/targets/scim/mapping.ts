// The SCIM kind's mapping: a SCIM User becomes the peer's SCIM User. By default the core and enterprise
// attributes pass through as they are; `mapping.fields` adds or overrides attributes by path. What the peer's
// /Schemas does not declare (or declares read-only) is not sent, so a peer without, say, `x509Certificates`
// is not refused a whole user for it. Pure functions.
import { type Expr, evaluateExpr, isEmpty } from "../../mapping/expr.ts";
import type { DesiredUser } from "../target.ts";
import type { ScimTargetConfig } from "./config.ts";
import { CORE_USER, ENTERPRISE_USER, type PeerCapabilities } from "./discovery.ts";

/** RFC 7643 §4.1 and §4.3: the writable attributes passed through (groups is read-only, set by group PATCH). */
export const CORE_ATTRIBUTES = [
  "userName",
  "externalId",
  "name",
  "displayName",
  "nickName",
  "profileUrl",
  "title",
  "userType",
  "preferredLanguage",
  "locale",
  "timezone",
  "active",
  "emails",
  "phoneNumbers",
  "ims",
  "photos",
  "addresses",
  "entitlements",
  "roles",
  "x509Certificates",
] as const;
export const ENTERPRISE_ATTRIBUTES = [
  "employeeNumber",
  "costCenter",
  "organization",
  "division",
  "department",
  "manager",
] as const;

/** Attributes the bridge never removes from a peer's user, whatever the mapping leaves out. */
const NEVER_REMOVED = new Set(["username", "active", "password"]);

export type ScimMapping = ScimTargetConfig["mapping"];

/** An attribute path split into its schema URN ("" = core) and its dotted name. */
export function splitPath(path: string): { urn: string; name: string } {
  if (!path.toLowerCase().startsWith("urn:")) return { urn: "", name: path };
  const at = path.lastIndexOf(":");
  return { urn: path.slice(0, at), name: path.slice(at + 1) };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function setPath(target: Record<string, unknown>, dotted: string, value: unknown) {
  const parts = dotted.split(".");
  let at = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(at[p])) at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  const last = parts.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/** The peer's spelling of an attribute it declares, or undefined when it does not declare it. */
function declared(caps: PeerCapabilities, urn: string, name: string): string | undefined {
  if (!caps.userSchemas) return name;
  return caps.userSchemas.get(urn || CORE_USER)?.get(name.toLowerCase());
}

/** The manager's id in the bridge's store, whose id on the peer replaces it. */
export function managerOf(user: DesiredUser): string | undefined {
  const ent = user.data[ENTERPRISE_USER];
  const manager = isObject(ent) ? ent.manager : undefined;
  const value = isObject(manager) ? manager.value : undefined;
  return typeof value === "string" && value ? value : undefined;
}

/**
 * The User the peer should hold for `user`: core + enterprise (by default), then the mapping's fields.
 * `peerManagerId` is the manager's id on the peer (a store id means nothing there); without it, no manager.
 */
export function peerUser(
  user: DesiredUser,
  mapping: ScimMapping,
  caps: PeerCapabilities,
  peerManagerId?: string,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (mapping.passThrough) {
    for (const name of CORE_ATTRIBUTES) if (user.data[name] !== undefined) body[name] = user.data[name];
    const ent = user.data[ENTERPRISE_USER];
    if (isObject(ent)) {
      const { manager: _manager, ...rest } = ent;
      body[ENTERPRISE_USER] = { ...rest, ...(peerManagerId ? { manager: { value: peerManagerId } } : {}) };
    }
  }
  body.active = user.active;
  for (const [path, expr] of Object.entries(mapping.fields)) {
    const value = expr === null ? undefined : evaluateExpr(expr as Expr, user.data);
    const { urn, name } = splitPath(path);
    if (!urn) setPath(body, name, isEmpty(value) ? undefined : value);
    else {
      const ext = isObject(body[urn]) ? (body[urn] as Record<string, unknown>) : {};
      setPath(ext, name, isEmpty(value) ? undefined : value);
      body[urn] = ext;
    }
  }
  // Keep only what the peer declares, in its spelling.
  const out: Record<string, unknown> = {};
  const schemas = [CORE_USER];
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase().startsWith("urn:")) {
      if (!isObject(value) || !(caps.userSchemas?.has(key) ?? true)) continue;
      const ext: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const name = declared(caps, key, k);
        if (name && !isEmpty(v)) ext[name] = v;
      }
      if (Object.keys(ext).length) {
        out[key] = ext;
        schemas.push(key);
      }
      continue;
    }
    const name = declared(caps, "", key);
    if (name && !isEmpty(value)) out[name] = value;
  }
  if (user.password !== undefined) out.password = user.password;
  return { schemas, ...out };
}

/** Flat view of a User: core attributes by name, extension attributes as "<urn>:<name>". */
export function flatten(user: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(user)) {
    if (key === "schemas" || key === "id" || key === "meta") continue;
    if (key.toLowerCase().startsWith("urn:")) {
      if (isObject(value)) for (const [k, v] of Object.entries(value)) out.set(`${key}:${k}`, v);
    } else out.set(key, value);
  }
  return out;
}

/** The attribute paths this target owns on a peer's user; everything else there is the peer's. */
export function managedPaths(mapping: ScimMapping): string[] {
  const paths = new Set<string>();
  if (mapping.passThrough) {
    for (const a of CORE_ATTRIBUTES) paths.add(a);
    for (const a of ENTERPRISE_ATTRIBUTES) paths.add(`${ENTERPRISE_USER}:${a}`);
  }
  paths.add("active");
  for (const path of Object.keys(mapping.fields)) {
    const { urn, name } = splitPath(path);
    const top = name.split(".")[0]!;
    paths.add(urn ? `${urn}:${top}` : top);
  }
  return [...paths];
}

function lookup(flat: Map<string, unknown>, path: string): unknown {
  if (flat.has(path)) return flat.get(path);
  const lower = path.toLowerCase();
  for (const [k, v] of flat) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Whether the peer's value already says what we want: strings compare trimmed (userName without case, as
 * SCIM matches it), objects by the sub-attributes we send, lists as sets of such elements.
 */
export function covers(have: unknown, want: unknown, caseless = false): boolean {
  if (isEmpty(want)) return isEmpty(have);
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return false;
    return want.every((w) => have.some((h) => covers(h, w)));
  }
  if (isObject(want)) {
    if (!isObject(have)) return false;
    const h = new Map(Object.entries(have));
    return Object.entries(want).every(([k, w]) => covers(lookup(h, k), w));
  }
  if (have === undefined || have === null || typeof have === "object") return false;
  const a = String(have).trim();
  const b = String(want).trim();
  return caseless ? a.toLowerCase() === b.toLowerCase() : a === b;
}

export type Change = { op: "replace"; path: string; value: unknown } | { op: "remove"; path: string };

/** What must change on the peer's user `current` so it says `desired`, over the paths this target owns. */
export function userChanges(
  desired: Record<string, unknown>,
  current: Record<string, unknown>,
  managed: readonly string[],
): Change[] {
  const want = flatten(desired);
  const have = flatten(current);
  const out: Change[] = [];
  for (const path of managed) {
    const w = lookup(want, path);
    const h = lookup(have, path);
    if (isEmpty(w)) {
      if (!isEmpty(h) && !NEVER_REMOVED.has(path.toLowerCase())) out.push({ op: "remove", path });
    } else if (!covers(h, w, path === "userName")) out.push({ op: "replace", path, value: w });
  }
  return out;
}

/** `current` with `changes` applied: the body of a PUT for a peer without PATCH (its own attributes kept). */
export function replaced(
  current: Record<string, unknown>,
  desired: Record<string, unknown>,
  changes: Change[],
) {
  const out: Record<string, unknown> = { ...current };
  delete out.meta;
  delete out.groups;
  for (const c of changes) {
    const { urn, name } = splitPath(c.path);
    const holder = urn ? (isObject(out[urn]) ? { ...(out[urn] as object) } : {}) : out;
    if (c.op === "remove") delete (holder as Record<string, unknown>)[name];
    else (holder as Record<string, unknown>)[name] = c.value;
    if (urn) out[urn] = holder;
  }
  const schemas = new Set([
    ...((current.schemas as string[] | undefined) ?? []),
    ...((desired.schemas as string[]) ?? []),
  ]);
  out.schemas = [...schemas];
  if (desired.password !== undefined) out.password = desired.password;
  return out;
}
