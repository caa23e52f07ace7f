/** The syntax tree of a SCIM filter (RFC 7644 §3.4.2.2), as produced by `parseFilter`. */

export type CompareOperator = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";

export const COMPARE_OPERATORS: readonly CompareOperator[] = [
  "eq",
  "ne",
  "co",
  "sw",
  "ew",
  "gt",
  "ge",
  "lt",
  "le",
];

/** A compValue: JSON false / true / null / number / string. */
export type CompareValue = string | number | boolean | null;

/**
 * An attrPath: `[URI ":"] ATTRNAME ["." subAttr]`, e.g. `name.familyName` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
 * Inside a value filter (`emails[type eq "work"]`) paths are relative to the multi-valued attribute.
 */
export interface AttributePath {
  uri?: string;
  name: string;
  subAttr?: string;
  /** The path as written, for error messages. */
  text: string;
  /** 1-based position of the path in the filter. */
  position: number;
}

export type FilterAst =
  | { type: "and"; filters: FilterAst[] }
  | { type: "or"; filters: FilterAst[] }
  | { type: "not"; filter: FilterAst }
  | { type: "compare"; path: AttributePath; op: CompareOperator; value: CompareValue }
  | { type: "present"; path: AttributePath }
  /** `attr[filter]`; `attr[filter].sub op value` is parsed as `attr[filter and sub op value]`. */
  | { type: "valuePath"; path: AttributePath; filter: FilterAst };
