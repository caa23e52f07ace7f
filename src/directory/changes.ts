// What a write changed, attribute by attribute, for its audit row: a pure diff of the stored body before and after,
// read against the resource's schemas so that a value the schema never shows (a password, a writeOnly attribute) is
// recorded only as changed. Bounded: long values are cut, long lists and many attributes summarised.
import { isDeepStrictEqual } from "node:util";
import {
  type AttributeDef,
  AUDIT_LIST_ITEMS,
  type AuditChange,
  type AuditValue,
  type ResourceSchema,
} from "../store/index.ts";

/** The most attributes one row lists; a write that changed more ends its list with a count of the rest. */
export const AUDIT_CHANGES = 40;
/** The longest value kept, in characters. */
const VALUE_CHARS = 200;
/** Keys of a stored body that are not attributes the IdP writes. */
const NOT_ATTRIBUTES = new Set(["schemas", "id", "meta"]);

type Body = Record<string, unknown>;

const isObject = (v: unknown): v is Body => typeof v === "object" && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && !v.length);
const hidden = (def: AttributeDef | undefined) => !!def && (def.neverReturned || !!def.writeOnly);

function find(defs: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  const wanted = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === wanted);
}

function cut(text: string): string {
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

function scalar(v: unknown): AuditValue | undefined {
  if (absent(v)) return undefined;
  if (typeof v === "string") return cut(v);
  if (typeof v === "number" || typeof v === "boolean") return v;
  return cut(JSON.stringify(v));
}

/** One value of a multi-valued attribute as text: `ada@example.com (work, primary)`. */
function itemText(item: unknown): string {
  if (!isObject(item)) return String(scalar(item) ?? "");
  const main =
    item.value ??
    item.display ??
    item.formatted ??
    Object.entries(item)
      .filter(([k, v]) => k !== "type" && k !== "primary" && typeof v === "string")
      .map(([, v]) => v)
      .join(", ");
  const tags = [
    typeof item.type === "string" ? item.type : "",
    item.primary === true ? "primary" : "",
  ].filter(Boolean);
  return `${String(main)}${tags.length ? ` (${tags.join(", ")})` : ""}`;
}

/** Values as one text, at most AUDIT_LIST_ITEMS of them. */
export function listText(items: readonly string[]): string | undefined {
  if (!items.length) return undefined;
  const shown = items.slice(0, AUDIT_LIST_ITEMS).join(", ");
  return cut(
    items.length > AUDIT_LIST_ITEMS ? `${shown} … and ${items.length - AUDIT_LIST_ITEMS} more` : shown,
  );
}

function diffAttribute(
  path: string,
  def: AttributeDef | undefined,
  old: unknown,
  now: unknown,
  out: AuditChange[],
) {
  if (isDeepStrictEqual(old, now) || (absent(old) && absent(now))) return;
  if (hidden(def)) {
    out.push({ path, hidden: true });
    return;
  }
  if (Array.isArray(old) || Array.isArray(now)) {
    // The values that went and the values that came; one whose sub-attributes changed is both.
    const before = Array.isArray(old) ? old : absent(old) ? [] : [old];
    const after = Array.isArray(now) ? now : absent(now) ? [] : [now];
    const went = before.filter((b) => !after.some((a) => isDeepStrictEqual(a, b)));
    const came = after.filter((a) => !before.some((b) => isDeepStrictEqual(a, b)));
    const from = listText(went.map(itemText));
    const to = listText(came.map(itemText));
    out.push({
      path,
      ...(from !== undefined ? { old: from } : {}),
      ...(to !== undefined ? { new: to } : {}),
    });
    return;
  }
  if (isObject(old) || isObject(now)) {
    const a = isObject(old) ? old : {};
    const b = isObject(now) ? now : {};
    for (const key of keys(a, b))
      diffAttribute(`${path}.${key}`, find(def?.subAttributes, key), a[key], b[key], out);
    return;
  }
  const from = scalar(old);
  const to = scalar(now);
  out.push({ path, ...(from !== undefined ? { old: from } : {}), ...(to !== undefined ? { new: to } : {}) });
}

/** The keys of both bodies: the new one's order, then those only the old one has. */
function keys(old: Body, now: Body): string[] {
  return [...new Set([...Object.keys(now), ...Object.keys(old)])];
}

/**
 * The attributes that differ between two stored bodies of a resource (`before` absent: a create; `after` absent:
 * a delete), each as path: old → new; an attribute the schema never shows only as changed. `password`: the write
 * set one (it is never part of the body). Bounded to AUDIT_CHANGES entries.
 */
export function attributeChanges(
  schema: ResourceSchema,
  before: Body | undefined,
  after: Body | undefined,
  password?: boolean,
): AuditChange[] {
  const old = before ?? {};
  const now = after ?? {};
  const out: AuditChange[] = [];
  for (const key of keys(old, now)) {
    if (NOT_ATTRIBUTES.has(key)) continue;
    const extension = schema.extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
    if (extension) {
      const a = isObject(old[key]) ? old[key] : {};
      const b = isObject(now[key]) ? now[key] : {};
      for (const sub of keys(a, b))
        diffAttribute(`${extension.id}:${sub}`, find(extension.attributes, sub), a[sub], b[sub], out);
    } else diffAttribute(key, find(schema.core.attributes, key), old[key], now[key], out);
  }
  if (password) out.push({ path: "password", hidden: true });
  return bounded(out);
}

/** A group's members that came and went, as one change (ids, at most AUDIT_LIST_ITEMS of each; counts beyond). */
export function memberChange(added: readonly string[] = [], removed: readonly string[] = []): AuditChange[] {
  if (!added.length && !removed.length) return [];
  return [
    {
      path: "members",
      ...(added.length ? { added: added.slice(0, AUDIT_LIST_ITEMS) } : {}),
      ...(removed.length ? { removed: removed.slice(0, AUDIT_LIST_ITEMS) } : {}),
      ...(added.length > AUDIT_LIST_ITEMS ? { addedCount: added.length } : {}),
      ...(removed.length > AUDIT_LIST_ITEMS ? { removedCount: removed.length } : {}),
    },
  ];
}

function bounded(changes: AuditChange[]): AuditChange[] {
  if (changes.length <= AUDIT_CHANGES) return changes;
  const rest = changes.length - (AUDIT_CHANGES - 1);
  return [...changes.slice(0, AUDIT_CHANGES - 1), { path: "…", new: `${rest} more attributes` }];
}
