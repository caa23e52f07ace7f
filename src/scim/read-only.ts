// Which attributes a client may not write, read from the declared schemas (core, enterprise, every kind's
// extension, the provisioning status), never from a hand list. RFC 7644 §3.3 and §3.5.1: readOnly values in a POST
// or PUT body SHALL be ignored, so that what a GET returned can be sent back; a PATCH naming one is refused
// (§3.5.2, `mutability`). `immutable` attributes are not readOnly: they stay in the body and are checked as before.
import SCIMMY from "scimmy";
import type { ResourceType } from "../store/index.ts";

interface Attr {
  name: string;
  type: string;
  config: { mutable: unknown; multiValued?: boolean };
  subAttributes?: Attr[];
}
interface Def {
  id: string;
  attributes: (Attr | Def)[];
}

const isDef = (a: Attr | Def): a is Def => typeof (a as Def).id === "string";
const isReadOnly = (a: Attr) => a.config.mutable === false || a.config.mutable === "readOnly";
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

const definition = (type: ResourceType) =>
  (type === "User" ? SCIMMY.Schemas.User.definition : SCIMMY.Schemas.Group.definition) as unknown as Def;

const attrsOf = (d: Def) => d.attributes.filter((a): a is Attr => !isDef(a));
const extensionsOf = (type: ResourceType) => definition(type).attributes.filter(isDef);
const find = (list: Attr[] | undefined, name: string) => {
  const n = name.toLowerCase();
  return list?.find((a) => a.name.toLowerCase() === n);
};

/** An extension whose every attribute is readOnly (the provisioning status): the client has nothing to say in it. */
const whollyReadOnly = (ext: Def) => attrsOf(ext).every(isReadOnly);

/** Every readOnly attribute of a resource type, as PATCH paths (`meta`, `groups.value`, `urn:…:targets`). */
export function readOnlyPaths(type: ResourceType): string[] {
  const out: string[] = [];
  const walk = (attrs: Attr[], prefix: string, parentReadOnly: boolean) => {
    for (const a of attrs) {
      const readOnly = parentReadOnly || isReadOnly(a);
      if (readOnly) out.push(`${prefix}${a.name}`);
      if (a.subAttributes) walk(a.subAttributes, `${prefix}${a.name}.`, readOnly);
    }
  };
  walk(attrsOf(definition(type)), "", false);
  for (const ext of extensionsOf(type)) walk(attrsOf(ext), `${ext.id}:`, false);
  return out;
}

/** Top-level core attributes that are readOnly (`id`, `meta`, `groups`): what clients echo back in bodies. */
export function readOnlyTopLevel(type: ResourceType): string[] {
  return attrsOf(definition(type))
    .filter(isReadOnly)
    .map((a) => a.name);
}

/** The schema and the rest of a path (`urn:…:manager.displayName` → enterprise, `manager.displayName`). */
function splitUrn(type: ResourceType, path: string): { attrs: Attr[]; rest: string; ext?: Def } | undefined {
  const lower = path.toLowerCase();
  const core = definition(type);
  if (lower.startsWith(`${core.id.toLowerCase()}:`))
    return { attrs: attrsOf(core), rest: path.slice(core.id.length + 1) };
  if (!lower.startsWith("urn:")) return { attrs: attrsOf(core), rest: path };
  const ext = extensionsOf(type)
    .filter((e) => lower === e.id.toLowerCase() || lower.startsWith(`${e.id.toLowerCase()}:`))
    .sort((a, b) => b.id.length - a.id.length)[0];
  if (!ext) return undefined;
  return { attrs: attrsOf(ext), rest: path.slice(ext.id.length + 1), ext };
}

/**
 * Whether a PATCH path (canonical form: `attr`, `attr.sub`, `attr[filter].sub`, URN-prefixed) names a readOnly
 * attribute or something inside one, or a whole extension of readOnly attributes only.
 */
export function isReadOnlyPath(type: ResourceType, path: string): boolean {
  const where = splitUrn(type, path);
  if (!where) return false;
  if (where.ext && !where.rest) return whollyReadOnly(where.ext);
  const m = /^([^.[]+)(?:\[.*\])?(?:\.([^.[\]]+))?$/s.exec(where.rest);
  if (!m) return false;
  const top = find(where.attrs, m[1]!);
  if (!top) return false;
  if (isReadOnly(top)) return true;
  const sub = m[2] === undefined ? undefined : find(top.subAttributes, m[2]);
  return !!sub && isReadOnly(sub);
}

/** A complex value (or each element of a multi-valued one) without its readOnly sub-attributes. */
function stripValue(attr: Attr, value: unknown): unknown {
  if (!attr.subAttributes) return value;
  const one = (v: unknown) => (isObject(v) ? stripObject(attr.subAttributes!, v) : v);
  if (Array.isArray(value)) return value.map(one);
  return one(value);
}

function stripObject(attrs: Attr[], o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    const attr = find(attrs, key);
    if (attr && isReadOnly(attr)) continue;
    const kept = attr ? stripValue(attr, value) : value;
    // A complex value that held only readOnly sub-attributes carries nothing once they are gone.
    if (attr?.subAttributes && isObject(value) && isObject(kept) && !Object.keys(kept).length) continue;
    out[key] = kept;
  }
  return out;
}

/**
 * A POST or PUT body without its readOnly attributes, at any depth, under either key form of an extension
 * (`{"urn:…": {…}}` or `"urn:…:attr"`); the URN of an extension left with nothing to say leaves `schemas` too.
 */
export function withoutReadOnly(type: ResourceType, body: unknown): unknown {
  if (!isObject(body)) return body;
  const core = attrsOf(definition(type));
  const extensions = extensionsOf(type);
  const dropUrns = new Set(extensions.filter(whollyReadOnly).map((e) => e.id.toLowerCase()));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith("urn:")) {
      const attr = find(core, key);
      if (attr && isReadOnly(attr)) continue;
      out[key] = attr ? stripValue(attr, value) : value;
      continue;
    }
    const ext = extensions.find((e) => e.id.toLowerCase() === lower);
    if (ext) {
      if (dropUrns.has(lower)) continue;
      const kept = isObject(value) ? stripObject(attrsOf(ext), value) : value;
      if (isObject(kept) && !Object.keys(kept).length) dropUrns.add(lower);
      else out[key] = kept;
      continue;
    }
    // "urn:…:attr" or "urn:…:attr.sub": a readOnly attribute (or one inside it) is dropped.
    if (isReadOnlyPath(type, key)) continue;
    out[key] = value;
  }
  if (Array.isArray(out.schemas)) {
    out.schemas = out.schemas.filter((s) => {
      if (typeof s !== "string" || !dropUrns.has(s.toLowerCase())) return true;
      // Still named when the body sets one of its attributes as "urn:…:attr".
      return Object.keys(out).some((k) => k.toLowerCase().startsWith(`${s.toLowerCase()}:`));
    });
  }
  return out;
}
