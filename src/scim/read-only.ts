// Which attributes a client may not write, read from the declared schemas (core, enterprise, every kind's
// extension, the provisioning status), never from a hand list. RFC 7644 §3.3 and §3.5.1: readOnly values in a POST
// or PUT body SHALL be ignored, so that what a GET returned can be sent back; a PATCH naming one is refused
// (§3.5.2, `mutability`). `immutable` attributes are not readOnly: they stay in the body and are checked as before.
import SCIMMY from "scimmy";
import type { ResourceType } from "../store/index.ts";

interface Attr {
  name: string;
  config: { mutable: unknown };
  subAttributes?: Attr[];
}
interface Def {
  id: string;
  attributes: (Attr | Def)[];
}

/** An attribute as this module needs it, found by its lower-cased name. */
interface Node {
  name: string;
  readOnly: boolean;
  subs?: Map<string, Node>;
}
interface Extension {
  id: string;
  attrs: Map<string, Node>;
  /** Every attribute readOnly (the provisioning status): the client has nothing to say in it. */
  wholly: boolean;
}
interface Index {
  coreId: string;
  core: Map<string, Node>;
  extensions: Extension[];
}

const isDef = (a: Attr | Def): a is Def => typeof (a as Def).id === "string";
const isReadOnly = (a: Attr) => a.config.mutable === false || a.config.mutable === "readOnly";
const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

const definition = (type: ResourceType) =>
  (type === "User" ? SCIMMY.Schemas.User.definition : SCIMMY.Schemas.Group.definition) as unknown as Def;

const node = (a: Attr): Node => ({
  name: a.name,
  readOnly: isReadOnly(a),
  ...(a.subAttributes ? { subs: nodes(a.subAttributes) } : {}),
});
const nodes = (list: (Attr | Def)[]) =>
  new Map(list.filter((a): a is Attr => !isDef(a)).map((a) => [a.name.toLowerCase(), node(a)]));

/** The schemas walked once per declaration (extensions are added to a definition when declared). */
const indexes = new Map<ResourceType, { def: Def; size: number; index: Index }>();
function indexOf(type: ResourceType): Index {
  const def = definition(type);
  const size = def.attributes.length;
  const hit = indexes.get(type);
  if (hit?.def === def && hit.size === size) return hit.index;
  const index: Index = {
    coreId: def.id,
    core: nodes(def.attributes),
    extensions: def.attributes.filter(isDef).map((e) => {
      const attrs = nodes(e.attributes);
      return { id: e.id, attrs, wholly: [...attrs.values()].every((a) => a.readOnly) };
    }),
  };
  indexes.set(type, { def, size, index });
  return index;
}

/** Every readOnly attribute of a resource type, as PATCH paths (`meta`, `groups.value`, `urn:…:targets`). */
export function readOnlyPaths(type: ResourceType): string[] {
  const out: string[] = [];
  const walk = (attrs: Map<string, Node>, prefix: string, parentReadOnly: boolean) => {
    for (const a of attrs.values()) {
      const readOnly = parentReadOnly || a.readOnly;
      if (readOnly) out.push(`${prefix}${a.name}`);
      if (a.subs) walk(a.subs, `${prefix}${a.name}.`, readOnly);
    }
  };
  const { core, extensions } = indexOf(type);
  walk(core, "", false);
  for (const ext of extensions) walk(ext.attrs, `${ext.id}:`, false);
  return out;
}

/** Top-level core attributes that are readOnly (`id`, `meta`, `groups`): what clients echo back in bodies. */
export function readOnlyTopLevel(type: ResourceType): string[] {
  return [...indexOf(type).core.values()].filter((a) => a.readOnly).map((a) => a.name);
}

/** The schema and the rest of a path (`urn:…:manager.displayName` → enterprise, `manager.displayName`). */
function splitUrn(type: ResourceType, path: string) {
  const lower = path.toLowerCase();
  const { coreId, core, extensions } = indexOf(type);
  if (lower.startsWith(`${coreId.toLowerCase()}:`))
    return { attrs: core, rest: path.slice(coreId.length + 1) };
  if (!lower.startsWith("urn:")) return { attrs: core, rest: path };
  const ext = extensions
    .filter((e) => lower === e.id.toLowerCase() || lower.startsWith(`${e.id.toLowerCase()}:`))
    .sort((a, b) => b.id.length - a.id.length)[0];
  return ext && { attrs: ext.attrs, rest: path.slice(ext.id.length + 1), ext };
}

/**
 * Whether a PATCH path (canonical form: `attr`, `attr.sub`, `attr[filter].sub`, URN-prefixed) names a readOnly
 * attribute or something inside one, or a whole extension of readOnly attributes only.
 */
export function isReadOnlyPath(type: ResourceType, path: string): boolean {
  const where = splitUrn(type, path);
  if (!where) return false;
  if (where.ext && !where.rest) return where.ext.wholly;
  const m = /^([^.[]+)(?:\[.*\])?(?:\.([^.[\]]+))?$/s.exec(where.rest);
  if (!m) return false;
  const top = where.attrs.get(m[1]!.toLowerCase());
  if (!top) return false;
  if (top.readOnly) return true;
  return m[2] !== undefined && top.subs?.get(m[2].toLowerCase())?.readOnly === true;
}

/** A complex value (or each element of a multi-valued one) without its readOnly sub-attributes. */
function stripValue(attr: Node, value: unknown): unknown {
  const subs = attr.subs;
  if (!subs) return value;
  const one = (v: unknown) => (isObject(v) ? stripObject(subs, v) : v);
  return Array.isArray(value) ? value.map(one) : one(value);
}

function stripObject(attrs: Map<string, Node>, o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    const attr = attrs.get(key.toLowerCase());
    if (attr?.readOnly) continue;
    const kept = attr ? stripValue(attr, value) : value;
    // A complex value that held only readOnly sub-attributes carries nothing once they are gone.
    if (attr?.subs && isObject(value) && isObject(kept) && !Object.keys(kept).length) continue;
    out[key] = kept;
  }
  return out;
}

/**
 * A resource body without its readOnly attributes, at any depth, under either key form of an extension
 * (`{"urn:…": {…}}` or `"urn:…:attr"`); the URN of an extension left with nothing to say leaves `schemas` too.
 */
export function withoutReadOnly(type: ResourceType, body: unknown): unknown {
  if (!isObject(body)) return body;
  const { core, extensions } = indexOf(type);
  const dropUrns = new Set<string>();
  const drop = (id: string) => dropUrns.add(id.toLowerCase());
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith("urn:")) {
      const attr = core.get(lower);
      if (attr?.readOnly) continue;
      out[key] = attr ? stripValue(attr, value) : value;
      continue;
    }
    const ext = extensions.find((e) => e.id.toLowerCase() === lower);
    if (ext) {
      const kept = ext.wholly ? {} : isObject(value) ? stripObject(ext.attrs, value) : value;
      if (isObject(kept) && !Object.keys(kept).length) drop(ext.id);
      else out[key] = kept;
      continue;
    }
    // "urn:…:attr" or "urn:…:attr.sub": a readOnly attribute (or one inside it) is dropped.
    if (isReadOnlyPath(type, key)) continue;
    out[key] = value;
  }
  for (const ext of extensions) if (ext.wholly) drop(ext.id);
  if (dropUrns.size && Array.isArray(out.schemas)) {
    const schemas = out.schemas.filter((s) => {
      if (typeof s !== "string" || !dropUrns.has(s.toLowerCase())) return true;
      // Still named when the body sets one of its attributes as "urn:…:attr".
      return Object.keys(out).some((k) => k.toLowerCase().startsWith(`${s.toLowerCase()}:`));
    });
    // A list of nothing else is the client's mistake to hear about (no core schema), not one to hide.
    if (schemas.length) out.schemas = schemas;
  }
  return out;
}
