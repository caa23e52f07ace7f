import { SortError } from "./errors.ts";
import { AliasSource, type ElementScope, operandFor, type Scalar } from "./operands.ts";
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
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`Invalid SQL alias '${alias}'`);
  const tieBreak = `${alias}.id ASC`;
  if (sortBy === undefined || sortBy.trim() === "") return `${alias}.created ASC, ${tieBreak}`;
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
  if (operand.kind === "scalar") {
    key = sortExpression(operand.scalar);
    nullable = operand.scalar.nullable;
  } else {
    const { group } = operand;
    const sub =
      resolved.subAttribute ??
      (group.multiValued ? group.attribute.subAttributes?.find((s) => s.name === "value") : undefined);
    // A missing element or sub-value sorts like a missing attribute, unless the column cannot be NULL.
    nullable = group.multiValued;
    const element = (scope: ElementScope): string => {
      const scalar = sub ? scope.sub(sub, fail) : scope.self(fail);
      nullable ||= scalar.nullable;
      return sortExpression(scalar);
    };
    if (!group.multiValued) key = group.some(element);
    else if (group.sortKey) key = group.sortKey(element);
    else return fail(`'${group.attribute.name}' cannot be sorted on`);
  }
  if (key === `${alias}.id`) return `${key} ${direction}`;
  return `${key} ${direction}${nullable ? " NULLS LAST" : ""}, ${tieBreak}`;
}

function parseSortOrder(sortOrder: string | undefined): "ASC" | "DESC" {
  const order = (sortOrder ?? "ascending").trim().toLowerCase();
  if (order === "ascending" || order === "") return "ASC";
  if (order === "descending") return "DESC";
  throw new SortError(`Invalid sortOrder '${sortOrder}': use "ascending" or "descending"`);
}

function sortExpression(scalar: Scalar): string {
  return scalar.type === "text" && !scalar.caseExact ? `lower(${scalar.sql})` : scalar.sql;
}
