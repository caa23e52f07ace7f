// Inbound validation compiled once per schema: scimmy interprets its schema definition for every request (accessor
// objects, proxies, three coercion passes), which was a third of a POST's CPU. A plan built from the same
// definitions handles the common well-formed body and produces exactly what scimmy's path produces (same keys, same
// order, same password); anything it does not recognise (an undeclared or oddly cased attribute, a wrong type, a
// null where scimmy would reshape, a namespaced key) declines, and scimmy validates as before, errors included.
// test/scim/compiled-schema.test.ts holds the two paths equal on random and real IdP bodies.
import SCIMMY from "scimmy";

type ScimmyAttribute = InstanceType<typeof SCIMMY.Types.Attribute>;
type ScimmySchema = InstanceType<typeof SCIMMY.Types.SchemaDefinition>;

interface AttributePlan {
  name: string;
  type: "string" | "boolean" | "reference" | "complex";
  multiValued: boolean;
  required: boolean;
  /** returned "never" (password): coerced, kept apart from the body */
  hidden: boolean;
  canonical?: readonly unknown[];
  reference?: (value: string) => boolean;
  /** Sub-attributes by exact name, in declaration order (the order scimmy's output has). */
  subAttributes?: Map<string, AttributePlan>;
}

interface ExtensionPlan {
  id: string;
  attributes: Map<string, AttributePlan>;
}

interface SchemaPlan {
  core: string;
  attributes: Map<string, AttributePlan>;
  extensions: ExtensionPlan[];
  /** Every URN a body's `schemas` may list for the fast path. */
  urns: Set<string>;
}

export interface FastResult {
  data: Record<string, unknown>;
  password?: string;
}

/** A value the plan does not handle: scimmy decides. */
const DECLINE = Symbol("decline");
type Coerced = unknown | typeof DECLINE;

/** Attributes scimmy ignores on the way in (direction "out"), whatever their value. */
const IGNORED = new Set(["id", "groups"]);
/** meta's sub-attributes: resourceType is overwritten by scimmy, the others are direction "out". */
const META_KEYS = new Set(["resourceType", "created", "lastModified", "location", "version"]);

function referenceCheck(types: readonly string[]): ((value: string) => boolean) | undefined {
  const typed = types.filter((t) => t !== "uri" && t !== "external");
  if (!types.length) return undefined;
  // scimmy's validate.reference: any matching rule accepts.
  return (value) => {
    if (typed.some((t) => value.startsWith(t) || value.includes(`/${t}`))) return true;
    if (types.includes("external")) {
      try {
        if (new URL(value).hostname) return true;
      } catch {}
    }
    if (types.includes("uri")) {
      try {
        new URL(value);
        return true;
      } catch {
        if (value.startsWith("/")) return true;
      }
    }
    return false;
  };
}

/** The plan of one attribute, or undefined when the fast path leaves it to scimmy (it then declines on it). */
function planAttribute(a: ScimmyAttribute, inExtension: boolean): AttributePlan | undefined {
  const c = a.config as {
    direction?: string;
    mutable?: unknown;
    returned?: unknown;
    required?: boolean;
    multiValued?: boolean;
    canonicalValues?: unknown;
    referenceTypes?: unknown;
  };
  if (c.direction !== "both" && c.direction !== "in") return undefined;
  // A second assignment checks mutability inside extensions (types.js, the extension setter).
  if (inExtension && c.mutable !== true) return undefined;
  const hidden = c.returned === false || c.returned === "never";
  const type = a.type as string;
  if (type !== "string" && type !== "boolean" && type !== "reference" && type !== "complex") return undefined;
  const plan: AttributePlan = {
    name: a.name,
    type,
    multiValued: c.multiValued === true,
    required: c.required === true,
    hidden,
    ...(Array.isArray(c.canonicalValues) ? { canonical: c.canonicalValues } : {}),
  };
  if (type === "reference") {
    const check = referenceCheck(Array.isArray(c.referenceTypes) ? c.referenceTypes : []);
    if (!check) return undefined;
    plan.reference = check;
  }
  if (type === "complex") {
    const subs = new Map<string, AttributePlan>();
    if (!distinctIgnoringCase(a.subAttributes ?? [])) return undefined;
    for (const s of a.subAttributes ?? []) {
      const sub = planAttribute(s, false);
      // An unsupported sub-attribute is left out: a body naming it declines.
      if (sub && !sub.hidden && sub.type !== "complex") subs.set(sub.name, sub);
      else if (s.config.required) return undefined;
    }
    plan.subAttributes = subs;
  }
  return plan;
}

/** scimmy matches names ignoring case: two names equal but for case would make an exact match ambiguous. */
function distinctIgnoringCase(attributes: readonly unknown[]): boolean {
  const names = attributes.flatMap((a) =>
    a instanceof SCIMMY.Types.Attribute ? [a.name.toLowerCase()] : [],
  );
  return new Set(names).size === names.length;
}

function planOf(definition: ScimmySchema): SchemaPlan | undefined {
  const attributes = new Map<string, AttributePlan>();
  const extensions: ExtensionPlan[] = [];
  if (!distinctIgnoringCase(definition.attributes)) return undefined;
  for (const entry of definition.attributes as unknown[]) {
    if (entry instanceof SCIMMY.Types.Attribute) {
      if (entry.config.shadow && entry.name !== "externalId") continue;
      const plan = planAttribute(entry, false);
      if (plan) attributes.set(plan.name, plan);
    } else if (entry instanceof SCIMMY.Types.SchemaDefinition) {
      if ((entry as unknown as { required?: boolean }).required) return undefined;
      if (!distinctIgnoringCase(entry.attributes)) return undefined;
      const ext = new Map<string, AttributePlan>();
      for (const a of entry.attributes as unknown[]) {
        if (!(a instanceof SCIMMY.Types.Attribute)) continue;
        const plan = planAttribute(a, true);
        if (plan && !plan.hidden) ext.set(plan.name, plan);
      }
      extensions.push({ id: entry.id, attributes: ext });
    }
  }
  return {
    core: definition.id,
    attributes,
    extensions,
    urns: new Set([definition.id, ...extensions.map((e) => e.id)]),
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function coerceSimple(plan: AttributePlan, value: unknown): Coerced {
  if (plan.canonical && !plan.canonical.includes(value)) return DECLINE;
  if (plan.type === "boolean") return typeof value === "boolean" ? value : DECLINE;
  if (typeof value !== "string") return DECLINE;
  if (plan.reference && !plan.reference(value)) return DECLINE;
  return value;
}

/** A complex value: sub-attributes in declaration order; one with no value left declines (scimmy reshapes it). */
function coerceComplex(plan: AttributePlan, value: unknown, allowNull: boolean): Coerced {
  if (!isPlainObject(value)) return DECLINE;
  const subs = plan.subAttributes!;
  for (const key in value) if (!subs.has(key)) return DECLINE;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [name, sub] of subs) {
    if (!Object.hasOwn(value, name)) continue;
    const v = value[name];
    if (v === null && allowNull && nullIsNoValue(sub)) continue;
    if (v === null || v === undefined) return DECLINE;
    const c = coerceSimple(sub, v);
    if (c === DECLINE) return DECLINE;
    out[name] = c;
    any = true;
  }
  for (const sub of subs.values()) if (sub.required && !Object.hasOwn(out, sub.name)) return DECLINE;
  return any ? out : DECLINE;
}

/** scimmy omits a null, except where it is required, must be a collection or must be a canonical value. */
const nullIsNoValue = (plan: AttributePlan) => !plan.required && !plan.multiValued && !plan.canonical;

/** `allowNull`: in the core schema a null is "no value" (omitted); inside an extension scimmy reshapes, so decline. */
function coerceValue(plan: AttributePlan, value: unknown, allowNull: boolean): Coerced {
  if (value === null) return allowNull && nullIsNoValue(plan) ? undefined : DECLINE;
  if (!plan.multiValued) {
    if (Array.isArray(value)) return DECLINE;
    return plan.type === "complex" ? coerceComplex(plan, value, allowNull) : coerceSimple(plan, value);
  }
  if (!Array.isArray(value) || (!value.length && !allowNull)) return DECLINE;
  const out: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === null || v === undefined) return DECLINE;
    const c = plan.type === "complex" ? coerceComplex(plan, v, allowNull) : coerceSimple(plan, v);
    if (c === DECLINE) return DECLINE;
    out[i] = c;
  }
  return out;
}

function coerceExtension(ext: ExtensionPlan, value: unknown): Coerced {
  if (!isPlainObject(value)) return DECLINE;
  for (const key in value) if (!ext.attributes.has(key)) return DECLINE;
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [name, plan] of ext.attributes) {
    if (!Object.hasOwn(value, name)) continue;
    const c = coerceValue(plan, value[name], false);
    if (c === DECLINE || c === undefined) return DECLINE;
    out[name] = c;
    any = true;
  }
  return any ? out : DECLINE;
}

function metaIsInert(meta: unknown): boolean {
  if (!isPlainObject(meta)) return false;
  for (const key in meta) if (!META_KEYS.has(key)) return false;
  return true;
}

/**
 * What `new SCIMMY.Schemas.X(body, "in")` serialised gives (without id and meta), or undefined when the body has
 * anything the plan does not handle.
 */
function coerceBody(plan: SchemaPlan, body: Record<string, unknown>): FastResult | undefined {
  if (!isPlainObject(body)) return undefined;
  const extensions = new Map<string, unknown>();
  for (const key in body) {
    if (plan.attributes.has(key) || IGNORED.has(key) || key === "schemas") continue;
    if (key === "meta" && metaIsInert(body.meta)) continue;
    if (plan.urns.has(key) && key !== plan.core) extensions.set(key, body[key]);
    else return undefined;
  }
  let listed: unknown[] = [];
  if (Object.hasOwn(body, "schemas")) {
    if (!Array.isArray(body.schemas)) return undefined;
    listed = body.schemas;
    for (const s of listed) if (typeof s !== "string" || !plan.urns.has(s)) return undefined;
    if (listed.length && !listed.includes(plan.core)) return undefined;
  }
  const present = plan.extensions.filter((e) => extensions.has(e.id)).map((e) => e.id);
  const data: Record<string, unknown> = { schemas: [...new Set([plan.core, ...present, ...listed])] };
  let password: string | undefined;
  for (const [name, attribute] of plan.attributes) {
    if (!Object.hasOwn(body, name)) {
      if (attribute.required) return undefined;
      continue;
    }
    const c = coerceValue(attribute, body[name], true);
    if (c === DECLINE) return undefined;
    if (c === undefined) continue;
    if (attribute.hidden) password = c as string;
    else data[name] = c;
  }
  for (const ext of plan.extensions) {
    if (!extensions.has(ext.id)) continue;
    const c = coerceExtension(ext, extensions.get(ext.id));
    if (c === DECLINE) return undefined;
    data[ext.id] = c;
  }
  return { data, ...(password !== undefined ? { password } : {}) };
}

const plans = new WeakMap<ScimmySchema, { size: number; plan: SchemaPlan | undefined }>();

/** The compiled plan of a definition, rebuilt if the definition was extended since (declaration runs once). */
function compiled(definition: ScimmySchema): SchemaPlan | undefined {
  const size = (definition.attributes as unknown[]).length;
  let entry = plans.get(definition);
  if (!entry || entry.size !== size) {
    entry = { size, plan: planOf(definition) };
    plans.set(definition, entry);
  }
  return entry.plan;
}

/** scimmy's inbound User coercion on the compiled plan, or undefined: use scimmy. */
export function fastUser(body: Record<string, unknown>): FastResult | undefined {
  const plan = compiled(SCIMMY.Schemas.User.definition);
  return plan && coerceBody(plan, body);
}

/** scimmy's inbound Group coercion on the compiled plan, or undefined: use scimmy. */
export function fastGroup(body: Record<string, unknown>): FastResult | undefined {
  const plan = compiled(SCIMMY.Schemas.Group.definition);
  return plan && coerceBody(plan, body);
}
