// Applies PATCH operations (other than group membership, which routes.ts turns into row changes) to a stored body.
// The common simple operations (add/replace/remove of a singular, simple attribute, top-level, one level down or in
// an extension) are applied directly, each value validated by its attribute definition; everything else goes
// through scimmy's PatchOp, which costs ~1.5 ms of CPU per request (reference/scimmy.md §7).
import SCIMMY from "scimmy";
import { BridgeError } from "../errors.ts";
import type { ResourceType } from "../store/index.ts";
import type { PatchOperation } from "./dialects.ts";
import { applyExtensionOp, type ExtensionInfo, splitExtensionOps } from "./patch-extensions.ts";
import { isReadOnlyPath } from "./read-only.ts";
import { fromScimmyError, validateGroup, validateUser } from "./resource-codec.ts";
import { applyResourceRules } from "./resource-rules.ts";
import { CORE_GROUP, CORE_USER, PATCH_OP } from "./schemas.ts";

interface Attr {
  type: string;
  name: string;
  config: { mutable: unknown; multiValued: boolean; required: boolean };
  subAttributes?: Attr[];
  coerce(value: unknown, direction?: string): unknown;
}
interface SchemaDef {
  id: string;
  attributes: (Attr | SchemaDef)[];
}

export interface PatchResult {
  data: Record<string, unknown>;
  password?: string;
}

const definition = (type: ResourceType) =>
  (type === "User"
    ? SCIMMY.Schemas.User.definition
    : SCIMMY.Schemas.Group.definition) as unknown as SchemaDef;

const isDef = (a: Attr | SchemaDef): a is SchemaDef => typeof (a as SchemaDef).id === "string";
const findAttr = (list: (Attr | SchemaDef)[], name: string) => {
  const n = name.toLowerCase();
  return list.find((a): a is Attr => !isDef(a) && a.name.toLowerCase() === n);
};
const writable = (a: Attr) => a.config.mutable === true || a.config.mutable === "readWrite";
const simple = (a: Attr) => a.type !== "complex" && !a.config.multiValued && a.name !== "password";

/** Where a simple PATCH path lands in the stored body. */
interface Target {
  /** Extension URN holding the attribute, when it is one. */
  urn?: string;
  /** Top-level (or extension-level) key, and the sub-attribute key for `name.givenName`. */
  key: string;
  sub?: string;
  attr: Attr;
}

function resolveSimple(type: ResourceType, path: string): Target | undefined {
  if (/[[\]"\s]/.test(path)) return undefined;
  const def = definition(type);
  let scope: (Attr | SchemaDef)[] = def.attributes;
  let rest = path;
  let urn: string | undefined;
  if (path.toLowerCase().startsWith("urn:")) {
    const lower = path.toLowerCase();
    if (lower.startsWith(`${def.id.toLowerCase()}:`)) rest = path.slice(def.id.length + 1);
    else {
      const ext = def.attributes.find(
        (a): a is SchemaDef => isDef(a) && lower.startsWith(`${a.id.toLowerCase()}:`),
      );
      if (!ext) return undefined;
      urn = ext.id;
      scope = ext.attributes;
      rest = path.slice(ext.id.length + 1);
    }
  }
  const parts = rest.split(".");
  if (parts.length > 2) return undefined;
  const top = findAttr(scope, parts[0]!);
  if (!top) return undefined;
  if (parts.length === 1) {
    return simple(top) && writable(top) ? { ...(urn ? { urn } : {}), key: top.name, attr: top } : undefined;
  }
  if (top.type !== "complex" || top.config.multiValued || !writable(top)) return undefined;
  const sub = findAttr(top.subAttributes ?? [], parts[1]!);
  if (!sub || !simple(sub) || !writable(sub)) return undefined;
  return { ...(urn ? { urn } : {}), key: top.name, sub: sub.name, attr: sub };
}

interface SimpleOp {
  op: "add" | "replace" | "remove";
  target: Target;
  value?: unknown;
}

/** The operations as simple ones, or undefined when any of them needs scimmy. */
function asSimpleOps(type: ResourceType, ops: PatchOperation[]): SimpleOp[] | undefined {
  const out: SimpleOp[] = [];
  for (const o of ops) {
    const op = o.op as SimpleOp["op"];
    if (o.path) {
      const target = resolveSimple(type, o.path);
      if (!target) return undefined;
      if (op === "remove") {
        if (o.value !== undefined || target.attr.config.required) return undefined;
        out.push({ op, target });
      } else out.push({ op, target, value: o.value });
    } else {
      // No path: {"active": false}, {"displayName": "…"}: every key a simple core attribute.
      if (op === "remove" || !o.value || typeof o.value !== "object" || Array.isArray(o.value))
        return undefined;
      for (const [k, v] of Object.entries(o.value)) {
        const target = k.startsWith("urn:") ? undefined : resolveSimple(type, k);
        if (!target || target.sub) return undefined;
        out.push({ op, target, value: v });
      }
    }
  }
  return out;
}

function applySimple(data: Record<string, unknown>, ops: SimpleOp[]): Record<string, unknown> {
  const next: Record<string, unknown> = { ...data };
  ops.forEach((o, i) => {
    let value: unknown;
    if (o.op !== "remove") {
      try {
        value = o.target.attr.coerce(o.value, "in");
      } catch (e) {
        throw new BridgeError(
          "SCIM_INVALID_VALUE",
          `${(e as Error).message} for '${o.op}' op of operation ${i + 1} in PatchOp request body`,
        );
      }
    }
    const holder: Record<string, unknown> = o.target.urn
      ? { ...((next[o.target.urn] as Record<string, unknown>) ?? {}) }
      : next;
    if (o.target.sub) {
      const parent = { ...((holder[o.target.key] as Record<string, unknown>) ?? {}) };
      if (o.op === "remove") delete parent[o.target.sub];
      else parent[o.target.sub] = value;
      if (Object.keys(parent).length) holder[o.target.key] = parent;
      else delete holder[o.target.key];
    } else if (o.op === "remove") delete holder[o.target.key];
    else holder[o.target.key] = value;
    if (o.target.urn) setExtension(next, o.target.urn, holder);
  });
  return next;
}

/** Keeps `schemas` listing exactly the extensions that hold data. */
function setExtension(data: Record<string, unknown>, urn: string, ext: Record<string, unknown>) {
  const schemas = ((data.schemas as string[] | undefined) ?? []).filter((s) => s !== urn);
  if (Object.keys(ext).length) {
    data[urn] = ext;
    data.schemas = [...schemas, urn];
  } else {
    delete data[urn];
    data.schemas = schemas;
  }
}

const TYPED_VALUE_PATH = /^(\w+)\[\s*type\s+eq\s+"([^"]*)"\s*\]\.(\w+)$/i;

/**
 * `replace emails[type eq "work"].value` when the user has no work email: RFC 7644 says 400 noTarget, but Entra
 * means "set the work email". Such operations become an `add` of a new element (one element per attribute and type).
 */
function upsertTypedValues(data: Record<string, unknown>, ops: PatchOperation[]): PatchOperation[] {
  const created = new Map<string, Record<string, unknown>>();
  const out: PatchOperation[] = [];
  for (const o of ops) {
    const m = o.op !== "remove" && o.path ? o.path.match(TYPED_VALUE_PATH) : null;
    if (!m) {
      out.push(o);
      continue;
    }
    const [, attr, type, sub] = m as unknown as [string, string, string, string];
    const key = Object.keys(data).find((k) => k.toLowerCase() === attr.toLowerCase());
    const list = (key ? data[key] : undefined) as { type?: unknown }[] | undefined;
    if (Array.isArray(list) && list.some((e) => e?.type === type)) {
      out.push(o);
      continue;
    }
    const id = `${attr.toLowerCase()}/${type}`;
    const existing = created.get(id);
    if (existing) existing[sub] = o.value;
    else {
      const element: Record<string, unknown> = { type, [sub]: o.value };
      created.set(id, element);
      out.push({ op: "add", path: attr, value: [element] });
    }
  }
  return out;
}

/** The new body after the operations; validation is as strict as on POST. */
export async function applyPatch(
  type: ResourceType,
  data: Record<string, unknown>,
  ops: PatchOperation[],
): Promise<PatchResult> {
  // A readOnly attribute (as the schemas declare it): refused, where scimmy would ignore some silently.
  ops.forEach((o, i) => {
    if (o.path && isReadOnlyPath(type, o.path)) {
      throw new BridgeError(
        "SCIM_MUTABILITY",
        `Attribute '${o.path}' is read-only; '${o.op}' op of operation ${i + 1} in PatchOp request body`,
      );
    }
  });
  const { steps } = splitExtensionOps(ops, extensionsOf(type));
  if (steps.every((s) => s.kind === "other")) return applyOps(type, data, ops);
  // Whole extension objects are applied here, the runs of other operations between them as usual, in order.
  let current = data;
  let password: string | undefined;
  let run: PatchOperation[] = [];
  const flush = async () => {
    if (!run.length) return;
    const r = await applyOps(type, current, run);
    current = r.data;
    password = r.password ?? password;
    run = [];
  };
  for (const s of steps) {
    if (s.kind === "other") run.push(s.op);
    else {
      await flush();
      current = applyExtensionOp(current, s.urn, s.op, s.index);
    }
  }
  await flush();
  const validated = type === "User" ? validateUser(current) : validateGroup(current);
  return { data: validated.data, ...(password ? { password } : {}) };
}

function applyOps(
  type: ResourceType,
  data: Record<string, unknown>,
  ops: PatchOperation[],
): Promise<PatchResult> {
  const simpleOps = asSimpleOps(type, ops);
  if (simpleOps) return Promise.resolve({ data: applyResourceRules(type, applySimple(data, simpleOps)) });
  return applyWithScimmy(type, data, upsertTypedValues(data, ops));
}

/** The extensions declared on a resource type; one whose attributes are all read-only cannot be PATCHed. */
function extensionsOf(type: ResourceType): ExtensionInfo[] {
  return definition(type)
    .attributes.filter(isDef)
    .map((ext) => ({
      id: ext.id,
      readOnly: ext.attributes.every((a) => isDef(a) || !writable(a)),
    }));
}

async function applyWithScimmy(
  type: ResourceType,
  data: Record<string, unknown>,
  ops: PatchOperation[],
): Promise<PatchResult> {
  try {
    const Schema = type === "User" ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
    const source = new Schema(
      {
        schemas: [type === "User" ? CORE_USER : CORE_GROUP],
        ...data,
        id: "00000000-0000-0000-0000-000000000000",
      },
      "out",
    );
    const patched = await new SCIMMY.Messages.PatchOp({
      schemas: [PATCH_OP],
      Operations: ops as never,
    }).apply(source);
    if (!patched) return { data };
    const next = type === "User" ? validateUser(JSON.parse(JSON.stringify(patched))) : validateGroup(patched);
    const password = (patched as unknown as { password?: string }).password;
    return { data: next.data, ...(password ? { password } : {}) };
  } catch (e) {
    throw fromScimmyError(e);
  }
}
