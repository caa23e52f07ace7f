import { SortError } from "./errors.ts";
import { AliasSource, type ElementScope, operandFor, type Scalar, type ValueType } from "./operands.ts";
import { parseAttributePath } from "./parser.ts";
import { type Fail, type ResourceSchema, resolvePath } from "./schemas.ts";

/**
 * Compiles `sortBy`/`sortOrder` into an ORDER BY list (without the keywords) over the row `alias`.
 * Case-insensitive strings sort by lower(); missing values sort last in both directions; the list
 * always ends with the id so that pages never repeat or skip rows. Without sortBy the order is
 * creation time then id (sortOrder alone is ignored, as RFC 7644 §3.4.2.3 ties it to sortBy).
 * Multi-valued attributes sort by their primary element, else their first (RFC 7644 §3.4.2.3).
 */
export function compileSort(
  schema: ResourceSchema,
  sortBy?: string,
  sortOrder?: string,
  alias = "t",
): string {
  return compileSortKey(schema, sortBy, sortOrder, alias).orderBy;
}

/** The order of a list: one key, then the id; what keyset paging (cursors) compares a row's position with. */
export interface SortKey {
  /** The ORDER BY list, without the keywords. */
  orderBy: string;
  /** The same order backwards (a previousCursor's page is read backwards from its end). */
  reverseOrderBy: string;
  /** The key's SQL expression; the id itself when sorting by id (then nothing follows it). */
  key: string;
  /** The SQL type the key's text form is cast back to. */
  type: string;
  direction: "ASC" | "DESC";
  /** The key may be NULL; NULLs sort last in both directions. */
  nullable: boolean;
  /** The key is the id: the order has no tie-break. */
  isId: boolean;
}

const SQL_TYPE: Record<ValueType, string> = {
  text: "text",
  binary: "text",
  uuid: "uuid",
  boolean: "boolean",
  numeric: "numeric",
  timestamptz: "timestamptz",
  version: "integer",
};

export function compileSortKey(
  schema: ResourceSchema,
  sortBy?: string,
  sortOrder?: string,
  alias = "t",
): SortKey {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`Invalid SQL alias '${alias}'`);
  const tieBreak = `${alias}.id ASC`;
  if (sortBy === undefined || sortBy.trim() === "") {
    const key = `${alias}.created`;
    return {
      orderBy: `${key} ASC, ${tieBreak}`,
      reverseOrderBy: `${key} DESC, ${alias}.id DESC`,
      key,
      type: "timestamptz",
      direction: "ASC",
      nullable: false,
      isId: false,
    };
  }
  const direction = parseSortOrder(sortOrder);
  const fail: Fail = (detail) => {
    throw new SortError(`Invalid sortBy '${sortBy}': ${detail}`);
  };
  const path = parseAttributePath(sortBy);
  if (!path) fail("not an attribute path");
  const resolved = resolvePath(schema, path, fail);
  const operand = operandFor(schema.kind, resolved, alias, new AliasSource());
  let key: string;
  let nullable: boolean;
  let type: ValueType;
  if (operand.kind === "scalar") {
    key = sortExpression(operand.scalar);
    nullable = operand.scalar.nullable;
    type = operand.scalar.type;
  } else {
    const { group } = operand;
    const sub =
      resolved.subAttribute ??
      (group.multiValued ? group.attribute.subAttributes?.find((s) => s.name === "value") : undefined);
    // A missing element or sub-value sorts like a missing attribute, unless the column cannot be NULL.
    nullable = group.multiValued;
    type = "text";
    const element = (scope: ElementScope): string => {
      const scalar = sub ? scope.sub(sub, fail) : scope.self(fail);
      nullable ||= scalar.nullable;
      type = scalar.type;
      return sortExpression(scalar);
    };
    if (!group.multiValued) key = group.some(element);
    else if (group.sortKey) key = group.sortKey(element);
    else return fail(`'${group.attribute.name}' cannot be sorted on`);
  }
  const sqlType = SQL_TYPE[type];
  const reverse = direction === "ASC" ? "DESC" : "ASC";
  if (key === `${alias}.id`) {
    return {
      orderBy: `${key} ${direction}`,
      reverseOrderBy: `${key} ${reverse}`,
      key,
      type: sqlType,
      direction,
      nullable: false,
      isId: true,
    };
  }
  return {
    orderBy: `${key} ${direction}${nullable ? " NULLS LAST" : ""}, ${tieBreak}`,
    reverseOrderBy: `${key} ${reverse}${nullable ? " NULLS FIRST" : ""}, ${alias}.id DESC`,
    key,
    type: sqlType,
    direction,
    nullable,
    isId: false,
  };
}

function parseSortOrder(sortOrder: string | undefined): "ASC" | "DESC" {
  const order = (sortOrder ?? "ascending").trim().toLowerCase();
  if (order === "ascending" || order === "") return "ASC";
  if (order === "descending") return "DESC";
  throw new SortError(`Invalid sortOrder '${sortOrder}': use "ascending" or "descending"`);
}

function sortExpression(scalar: Scalar): string {
  if (scalar.key) return scalar.key;
  return scalar.type === "text" && !scalar.caseExact ? `lower(${scalar.sql})` : scalar.sql;
}
