import type { AttributeDef, Fail, ResolvedPath, ResourceKind } from "./schemas.ts";

/**
 * Where a resolved attribute lives in the store, as SQL. Column-backed attributes compile to their column
 * (so the indexes on the name keys, lower(display_name) and external_id are used); `members` and a
 * user's `groups` live in group_members; everything else is a path into the `data` JSONB.
 */

export type ValueType = "text" | "binary" | "uuid" | "boolean" | "numeric" | "timestamptz" | "version";

/** A single value: a SQL expression of `type`, NULL when the attribute is absent if `nullable`. */
export interface Scalar {
  sql: string;
  type: ValueType;
  caseExact: boolean;
  nullable: boolean;
  /**
   * A column holding nameKey(value) (userName, a group's displayName): text comparisons and sorting use it, with
   * the operand mapped the same way, so case, normalisation form and width do not matter (and its index is used).
   */
  key?: string;
}

/** The sub-attributes of one element of a complex or multi-valued attribute. */
export interface ElementScope {
  /** The element itself, for multi-valued simple attributes such as `schemas`. */
  self(fail: Fail): Scalar;
  sub(attribute: AttributeDef, fail: Fail): Scalar;
}

/** A complex and/or multi-valued attribute: conditions are evaluated per element. */
export interface Group {
  attribute: AttributeDef;
  multiValued: boolean;
  /** SQL true when the attribute has a non-empty value (`pr`). */
  present(): string;
  /** SQL true when some element satisfies the condition built for it. */
  some(build: (element: ElementScope) => string): string;
  /**
   * An indexed jsonb array of the lowered values of sub-attribute `sub` over every element, when migration 015
   * indexes it (a User's `emails.value`): `eq` on such a value first tests containment there (the GIN index).
   */
  loweredValues?: (sub: AttributeDef) => string | undefined;
  /** The sort key: the primary element's value, else the first (RFC 7644 §3.4.2.3); JSONB arrays only. */
  sortKey?: (build: (element: ElementScope) => string) => string;
}

export type Operand = { kind: "scalar"; scalar: Scalar } | { kind: "group"; group: Group };

/** Hands out correlation names for sub-queries, unique within one compiled statement. */
export class AliasSource {
  private count = 0;
  next(prefix: string): string {
    this.count++;
    return `f_${prefix}${this.count}`;
  }
}

export function operandFor(
  kind: ResourceKind,
  resolved: ResolvedPath,
  alias: string,
  aliases: AliasSource,
): Operand {
  const { attribute } = resolved;
  if (!resolved.extension) {
    const name = attribute.name;
    const column = columns(kind, alias)[name];
    if (column) return { kind: "scalar", scalar: column };
    if (name === "meta") return { kind: "group", group: metaGroup(kind, alias, attribute) };
    if (kind === "Group" && name === "members")
      return { kind: "group", group: membersGroup(alias, aliases, attribute) };
    if (kind === "User" && name === "groups")
      return { kind: "group", group: userGroups(alias, aliases, attribute) };
  }
  const container = resolved.extension ? `${alias}.data->${literal(resolved.schema.id)}` : `${alias}.data`;
  const operand = jsonOperand(container, attribute, aliases);
  const indexed = !resolved.extension && INDEXED_VALUES[kind][attribute.name];
  if (operand.kind === "group" && indexed) {
    const path = `$.${attribute.name}[*].${indexed}`;
    operand.group.loweredValues = (sub) =>
      sub.name === indexed
        ? `lower(jsonb_path_query_array(${alias}.data, ${literal(path)})::text)::jsonb`
        : undefined;
  }
  return operand;
}

/** Multi-valued attributes whose sub-attribute's lowered values have a GIN index (migration 015). */
const INDEXED_VALUES: Record<ResourceKind, Record<string, string>> = { User: { emails: "value" }, Group: {} };

function columns(kind: ResourceKind, alias: string): Record<string, Scalar> {
  const id: Scalar = { sql: `${alias}.id`, type: "uuid", caseExact: false, nullable: false };
  const externalId: Scalar = { sql: `${alias}.external_id`, type: "text", caseExact: true, nullable: true };
  const displayName: Scalar = {
    sql: `${alias}.display_name`,
    type: "text",
    caseExact: false,
    nullable: kind === "User",
  };
  if (kind === "Group")
    return { id, externalId, displayName: { ...displayName, key: `${alias}.display_name_key` } };
  return {
    id,
    externalId,
    displayName,
    userName: {
      sql: `${alias}.user_name`,
      type: "text",
      caseExact: false,
      nullable: false,
      key: `${alias}.user_name_key`,
    },
    active: { sql: `${alias}.active`, type: "boolean", caseExact: true, nullable: false },
  };
}

function metaGroup(kind: ResourceKind, alias: string, attribute: AttributeDef): Group {
  const scope: ElementScope = {
    self: (fail) =>
      fail("Attribute 'meta' is complex; use one of its sub-attributes, e.g. 'meta.lastModified'"),
    sub(sub, fail) {
      switch (sub.name) {
        case "created":
          return { sql: `${alias}.created`, type: "timestamptz", caseExact: true, nullable: false };
        case "lastModified":
          return { sql: `${alias}.last_modified`, type: "timestamptz", caseExact: true, nullable: false };
        case "version":
          return { sql: `${alias}.version`, type: "version", caseExact: true, nullable: false };
        case "resourceType":
          return { sql: literal(kind), type: "text", caseExact: false, nullable: false };
        default:
          return fail(`Attribute 'meta.${sub.name}' cannot be used in a filter or sort`);
      }
    },
  };
  return { attribute, multiValued: false, present: () => "TRUE", some: (build) => build(scope) };
}

/** A Group's `members`: one group_members row per member. */
function membersGroup(alias: string, aliases: AliasSource, attribute: AttributeDef): Group {
  const exists = (build: (element: ElementScope) => string): string => {
    const m = aliases.next("m");
    const users = aliases.next("u");
    const groups = aliases.next("g");
    const scope: ElementScope = {
      self: (fail) => fail("Attribute 'members' is complex; use a sub-attribute, e.g. 'members.value'"),
      sub(sub, fail) {
        switch (sub.name) {
          case "value":
            return { sql: `${m}.member_id`, type: "uuid", caseExact: false, nullable: false };
          case "type":
            return { sql: `${m}.member_type`, type: "text", caseExact: false, nullable: false };
          case "display":
            return {
              sql:
                `COALESCE((SELECT ${users}.display_name FROM users ${users} WHERE ${users}.id = ${m}.member_id), ` +
                `(SELECT ${groups}.display_name FROM groups ${groups} WHERE ${groups}.id = ${m}.member_id))`,
              type: "text",
              caseExact: false,
              nullable: true,
            };
          default:
            return fail(`Attribute 'members.${sub.name}' cannot be used in a filter or sort`);
        }
      },
    };
    return `EXISTS (SELECT 1 FROM group_members ${m} WHERE ${m}.group_id = ${alias}.id AND ${build(scope)})`;
  };
  return { attribute, multiValued: true, present: () => exists(() => "TRUE"), some: exists };
}

/** A User's `groups`: the groups whose group_members rows name the user (direct memberships). */
function userGroups(alias: string, aliases: AliasSource, attribute: AttributeDef): Group {
  const exists = (build: (element: ElementScope) => string): string => {
    const m = aliases.next("m");
    const g = aliases.next("g");
    const scope: ElementScope = {
      self: (fail) => fail("Attribute 'groups' is complex; use a sub-attribute, e.g. 'groups.value'"),
      sub(sub, fail) {
        switch (sub.name) {
          case "value":
            return { sql: `${m}.group_id`, type: "uuid", caseExact: false, nullable: false };
          case "display":
            return { sql: `${g}.display_name`, type: "text", caseExact: false, nullable: false };
          case "type":
            return { sql: "'direct'", type: "text", caseExact: false, nullable: false };
          default:
            return fail(`Attribute 'groups.${sub.name}' cannot be used in a filter or sort`);
        }
      },
    };
    return (
      `EXISTS (SELECT 1 FROM group_members ${m} JOIN groups ${g} ON ${g}.id = ${m}.group_id ` +
      `WHERE ${m}.member_id = ${alias}.id AND ${m}.member_type = 'User' AND ${build(scope)})`
    );
  };
  return { attribute, multiValued: true, present: () => exists(() => "TRUE"), some: exists };
}

function jsonOperand(container: string, attribute: AttributeDef, aliases: AliasSource): Operand {
  const key = literal(attribute.name);
  const node = `${container}->${key}`;
  if (!attribute.multiValued) {
    if (attribute.type !== "complex") return { kind: "scalar", scalar: jsonScalar(container, attribute) };
    const scope = jsonElementScope(node, attribute);
    return {
      kind: "group",
      group: { attribute, multiValued: false, present: () => jsonPresent(node), some: (b) => b(scope) },
    };
  }
  // jsonb_array_elements fails on a non-array, so anything else counts as no elements.
  const elements = `jsonb_array_elements(CASE WHEN jsonb_typeof(${node}) = 'array' THEN ${node} ELSE '[]'::jsonb END)`;
  const group: Group = {
    attribute,
    multiValued: true,
    present: () => jsonPresent(node),
    some(build) {
      const e = aliases.next("e");
      return `EXISTS (SELECT 1 FROM ${elements} AS ${e} WHERE ${build(jsonElementScope(e, attribute))})`;
    },
    sortKey(build) {
      const e = aliases.next("e");
      const list = aliases.next("l");
      return (
        `(SELECT ${build(jsonElementScope(e, attribute))} FROM ${elements} WITH ORDINALITY AS ${list}(${e}, ord) ` +
        `ORDER BY ${e}->'primary' = 'true'::jsonb DESC NULLS LAST, ord LIMIT 1)`
      );
    },
  };
  return { kind: "group", group };
}

/** `element` is a jsonb expression: an array element or a singular complex value. */
function jsonElementScope(element: string, attribute: AttributeDef): ElementScope {
  return {
    self(fail) {
      if (attribute.type === "complex") {
        return fail(`Attribute '${attribute.name}' is complex; use one of its sub-attributes`);
      }
      const text = `(${element} #>> '{}')`;
      return typed(element, text, attribute);
    },
    sub: (sub) => jsonScalar(element, sub),
  };
}

function jsonScalar(container: string, attribute: AttributeDef): Scalar {
  const key = literal(attribute.name);
  return typed(`${container}->${key}`, `${container}->>${key}`, attribute);
}

/** Converts a jsonb node to the SQL type of the attribute, NULL when it holds another JSON type. */
function typed(node: string, text: string, attribute: AttributeDef): Scalar {
  const caseExact = attribute.caseExact;
  const when = (jsonType: string, sql: string) =>
    `(CASE WHEN jsonb_typeof(${node}) = '${jsonType}' THEN ${sql} END)`;
  switch (attribute.type) {
    case "boolean":
      return { sql: when("boolean", `(${node})::boolean`), type: "boolean", caseExact, nullable: true };
    case "integer":
    case "decimal":
      return { sql: when("number", `(${node})::numeric`), type: "numeric", caseExact, nullable: true };
    case "dateTime":
      return {
        sql: when("string", `(${text})::timestamptz`),
        type: "timestamptz",
        caseExact,
        nullable: true,
      };
    case "binary":
      return { sql: `(${text})`, type: "binary", caseExact: true, nullable: true };
    default:
      return { sql: `(${text})`, type: "text", caseExact, nullable: true };
  }
}

/** RFC 7644 `pr`: a value that is not null, not "", not [] and not {}. */
function jsonPresent(node: string): string {
  return `COALESCE(${node} NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`;
}

/** A SQL string literal for names taken from schema definitions (never for filter values). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
