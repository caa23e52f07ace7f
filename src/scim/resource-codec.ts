// Turns request bodies into validated resource bodies (through scimmy, strict) and stored resources into SCIM
// responses (without re-validating: what is stored was validated on the way in).
import SCIMMY from "scimmy";
import { BridgeError, type ErrorCode, isEngineMessage } from "../errors.ts";
import { isResourceId, type Member, type ResourceType, type StoredResource } from "../store/index.ts";
import { fastGroup, fastUser } from "./compiled-schema.ts";
import { withoutReadOnly } from "./read-only.ts";
import { applyResourceRules } from "./resource-rules.ts";
import { CORE_GROUP, CORE_USER } from "./schemas.ts";

export interface ValidatedUser {
  data: Record<string, unknown>;
  password?: string;
}

export interface ValidatedGroup {
  data: Record<string, unknown>;
  /** undefined: the request said nothing about members (keep them); [] clears them. */
  members?: Member[];
}

const SCIMTYPE_CODES: Record<string, ErrorCode> = {
  invalidSyntax: "SCIM_INVALID_SYNTAX",
  invalidFilter: "SCIM_INVALID_FILTER",
  invalidPath: "SCIM_INVALID_PATH",
  noTarget: "SCIM_NO_TARGET",
  mutability: "SCIM_MUTABILITY",
  uniqueness: "SCIM_UNIQUENESS",
  tooMany: "SCIM_TOO_MANY",
  invalidVers: "SCIM_INVALID_VERSION",
};

/**
 * scimmy reports problems as SCIMError or TypeError; both become our coded errors. scimmy also wraps JavaScript
 * errors from its own code in a SCIMError 400: those stay unknown errors (a logged 500 with the request id).
 */
export function fromScimmyError(e: unknown): unknown {
  // Our own rules' errors (applyResourceRules, toMembers) are answers already, even when they quote client text.
  if (e instanceof BridgeError) return e;
  if (e instanceof Error && isEngineMessage(e.message))
    return new Error(`scimmy: ${e.message}`, { cause: e });
  if (e instanceof SCIMMY.Types.Error) {
    const { status, scimType, message } = e as unknown as {
      status: number;
      scimType?: string;
      message: string;
    };
    const code: ErrorCode = scimType
      ? (SCIMTYPE_CODES[scimType] ?? "SCIM_INVALID_VALUE")
      : status === 404
        ? "SCIM_NOT_FOUND"
        : status === 413
          ? "SCIM_PAYLOAD_TOO_LARGE"
          : status >= 500
            ? "INTERNAL"
            : "SCIM_INVALID_VALUE";
    return new BridgeError(code, message);
  }
  if (e instanceof TypeError) return new BridgeError("SCIM_INVALID_VALUE", e.message);
  return e;
}

function plain(instance: unknown): Record<string, unknown> {
  const data = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
  delete data.id;
  delete data.meta;
  return data;
}

const notAnObject = (body: unknown, what: string) => {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new BridgeError("SCIM_INVALID_SYNTAX", `The request body must be a JSON object (a SCIM ${what}).`);
  }
};

/**
 * The body as stored and its password: the compiled plan when it recognises the body, scimmy otherwise. Its
 * readOnly attributes are ignored (RFC 7644 §3.3, §3.5.1), also one a PATCH value carries inside a writable
 * attribute (`manager.displayName`); a PATCH path naming one was refused before this (patch.ts).
 */
export function validateUser(raw: unknown): ValidatedUser {
  notAnObject(raw, "User");
  const body = withoutReadOnly("User", raw) as Record<string, unknown>;
  const fast = fastUser(body);
  if (!fast) return validateUserWithScimmy(body);
  const data = applyResourceRules("User", fast.data);
  return { data, ...(fast.password ? { password: fast.password } : {}) };
}

/** scimmy's path alone (the reference the compiled plan is tested against), readOnly attributes ignored too. */
export function validateUserWithScimmy(body: unknown): ValidatedUser {
  notAnObject(body, "User");
  try {
    const instance = new SCIMMY.Schemas.User(withoutReadOnly("User", body) as Record<string, unknown>, "in");
    const data = applyResourceRules("User", plain(instance));
    delete data.groups;
    const password = (instance as unknown as { password?: string }).password;
    return { data, ...(typeof password === "string" && password ? { password } : {}) };
  } catch (e) {
    throw fromScimmyError(e);
  }
}

/** As validateUser, for a Group. */
export function validateGroup(raw: unknown): ValidatedGroup {
  notAnObject(raw, "Group");
  const body = withoutReadOnly("Group", raw) as Record<string, unknown>;
  const fast = fastGroup(body);
  return fast ? groupOf(body, applyResourceRules("Group", fast.data)) : validateGroupWithScimmy(body);
}

/** scimmy's path alone (the reference the compiled plan is tested against), readOnly attributes ignored too. */
export function validateGroupWithScimmy(body: unknown): ValidatedGroup {
  notAnObject(body, "Group");
  try {
    const instance = new SCIMMY.Schemas.Group(
      withoutReadOnly("Group", body) as Record<string, unknown>,
      "in",
    );
    return groupOf(body, applyResourceRules("Group", plain(instance)));
  } catch (e) {
    throw fromScimmyError(e);
  }
}

function groupOf(body: unknown, data: Record<string, unknown>): ValidatedGroup {
  const rawMembers = data.members as { value?: string; type?: string }[] | undefined;
  delete data.members;
  const hasMembers =
    Object.hasOwn(body as object, "members") && (body as { members?: unknown }).members != null;
  return { data, ...(hasMembers ? { members: toMembers(rawMembers ?? []) } : {}) };
}

/** Member references from a request; type defaults to User and is checked against the store later. */
export function toMembers(raw: unknown[]): Member[] {
  const seen = new Map<string, Member>();
  for (const m of raw) {
    const value = typeof m === "string" ? m : (m as { value?: unknown })?.value;
    if (!isResourceId(value)) {
      throw new BridgeError(
        "SCIM_INVALID_VALUE",
        `Group member value ${JSON.stringify(value ?? null)} is not the id of a User or Group on this server.`,
      );
    }
    const t = (m as { type?: unknown })?.type;
    const type = typeof t === "string" && t.toLowerCase() === "group" ? "Group" : "User";
    seen.set(value.toLowerCase(), { value: value.toLowerCase(), type });
  }
  return [...seen.values()];
}

export const versionTag = (version: number) => `W/"${version}"`;

export interface RenderContext {
  /** e.g. https://bridge.example.com/scim/v2 or /scim/v2 */
  baseUrl: string;
  projection?: Projection;
}

/** Builds the SCIM representation of a stored resource; `relations` are groups (User) or members (Group). */
export function render(
  r: StoredResource,
  ctx: RenderContext,
  relations?: { value: string; display?: string; type?: string }[],
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  const base = r.type === "User" ? "Users" : "Groups";
  const data = r.data;
  const out: Record<string, unknown> = {
    schemas: data.schemas ?? [r.type === "User" ? CORE_USER : CORE_GROUP],
    id: r.id,
  };
  if (data.externalId !== undefined) out.externalId = data.externalId;
  // One pass over the body (a page renders a hundred): an unassigned multi-valued attribute is omitted, not []
  // (RFC 7643 §2.5), clients compare it with null; in an extension too.
  for (const key of Object.keys(data)) {
    if (key === "schemas" || key === "externalId") continue;
    const value = data[key];
    if (Array.isArray(value)) {
      if (value.length) put(out, key, value);
    } else if (key.startsWith("urn:") && value && typeof value === "object") {
      put(out, key, withoutEmptyLists(value as Record<string, unknown>));
    } else put(out, key, value);
  }
  if (relations?.length) {
    const key = r.type === "User" ? "groups" : "members";
    out[key] = relations.map((m) => ({
      value: m.value,
      $ref: `${ctx.baseUrl}/${m.type === "Group" || r.type === "User" ? "Groups" : "Users"}/${m.value}`,
      ...(m.display ? { display: m.display } : {}),
      ...(r.type === "Group" && m.type ? { type: m.type } : {}),
    }));
  }
  if (extra) {
    Object.assign(out, extra);
    const urns = Object.keys(extra).filter((k) => k.startsWith("urn:"));
    if (urns.length) out.schemas = [...new Set([...(out.schemas as string[]), ...urns])];
  }
  out.meta = {
    resourceType: r.type,
    created: r.created.toISOString(),
    lastModified: r.lastModified.toISOString(),
    version: versionTag(r.version),
    location: `${ctx.baseUrl}/${base}/${r.id}`,
  };
  return ctx.projection ? ctx.projection.apply(out) : out;
}

/** Sets an own property, also one named `__proto__` (a client's key kept as data, as a spread would). */
function put(o: Record<string, unknown>, key: string, value: unknown) {
  if (key === "__proto__")
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

const isEmptyList = (v: unknown) => Array.isArray(v) && !v.length;

/** The object itself when it holds no empty list, else a copy without them. */
function withoutEmptyLists(o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(o);
  if (!keys.some((k) => isEmptyList(o[k]))) return o;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (!isEmptyList(o[k])) put(out, k, o[k]);
  return out;
}

export const ALWAYS_RETURNED = new Set(["schemas", "id"]);

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): top-level, sub-attribute and URN-qualified paths. */
export class Projection {
  private readonly include?: Map<string, Set<string> | true>;
  private readonly exclude?: Map<string, Set<string> | true>;
  private readonly extensionUrns: readonly string[];

  constructor(opts: { attributes?: string; excludedAttributes?: string; extensionUrns: readonly string[] }) {
    this.extensionUrns = opts.extensionUrns;
    if (opts.attributes) this.include = this.parse(opts.attributes);
    else if (opts.excludedAttributes) this.exclude = this.parse(opts.excludedAttributes);
  }

  /** Whether a top-level attribute (e.g. "members", "groups") would be returned: lets reads skip joins. */
  wants(attribute: string): boolean {
    const key = attribute.toLowerCase();
    if (this.include) return this.include.has(key);
    if (this.exclude) return this.exclude.get(key) !== true;
    return true;
  }

  get isIdentity() {
    return !this.include && !this.exclude;
  }

  private parse(list: string) {
    const out = new Map<string, Set<string> | true>();
    for (const raw of list.split(",")) {
      const path = raw.trim();
      if (!path) continue;
      let top: string;
      let sub: string | undefined;
      const urn = this.extensionUrns.find((u) => path.toLowerCase().startsWith(u.toLowerCase()));
      if (urn) {
        top = urn;
        sub = path.length > urn.length + 1 ? path.slice(urn.length + 1) : undefined;
      } else {
        const core = path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, "");
        const dot = core.indexOf(".");
        top = dot < 0 ? core : core.slice(0, dot);
        sub = dot < 0 ? undefined : core.slice(dot + 1);
      }
      const key = top.toLowerCase();
      const prev = out.get(key);
      if (sub === undefined || prev === true) out.set(key, true);
      else out.set(key, (prev ?? new Set<string>()).add(sub.toLowerCase()));
    }
    return out;
  }

  apply(resource: Record<string, unknown>): Record<string, unknown> {
    if (this.isIdentity) return resource;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(resource)) {
      const k = key.toLowerCase();
      if (ALWAYS_RETURNED.has(key)) {
        out[key] = value;
        continue;
      }
      const rule = this.include ? this.include.get(k) : this.exclude?.get(k);
      if (this.include) {
        if (rule === true) out[key] = value;
        else if (rule) {
          const picked = pickSub(value, rule, true);
          if (picked !== undefined) out[key] = picked;
        }
      } else if (rule === undefined) out[key] = value;
      else if (rule !== true) {
        const picked = pickSub(value, rule, false);
        if (picked !== undefined) out[key] = picked;
      }
    }
    return out;
  }
}

function pickSub(value: unknown, subs: Set<string>, keep: boolean): unknown {
  const one = (v: unknown) => {
    if (!v || typeof v !== "object") return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (subs.has(k.toLowerCase()) === keep) o[k] = x;
    return Object.keys(o).length ? o : undefined;
  };
  if (Array.isArray(value)) {
    const arr = value.map(one).filter((v) => v !== undefined);
    return arr.length ? arr : undefined;
  }
  return one(value);
}

export const resourcePath = (type: ResourceType) => (type === "User" ? "Users" : "Groups");
