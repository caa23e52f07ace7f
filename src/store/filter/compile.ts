import { toTimestamp } from "../limits.ts";
import { nameKey } from "../name-key.ts";
import { isResourceId } from "../resources.ts";
import type { AttributePath, CompareOperator, CompareValue, FilterAst } from "./ast.ts";
import { FilterError } from "./errors.ts";
import {
  AliasSource,
  type ElementScope,
  type Group,
  type Operand,
  operandFor,
  type Scalar,
} from "./operands.ts";
import { parseFilter } from "./parser.ts";
import {
  type AttributeDef,
  type Fail,
  type ResourceSchema,
  resolvePath,
  resolveSubAttribute,
} from "./schemas.ts";

/**
 * Compiles a SCIM filter into a SQL boolean expression over the `users` or `groups` row `alias`, resolving
 * attribute paths against `schema` (the resource type's core schema and extensions).
 * Values are appended to `params` and referenced as `$n`; nothing from the filter is spliced into SQL.
 *
 * Missing values: every comparison is two-valued (absent → false), so `x ne "a"` and `not (x eq "a")`
 * match resources where x is absent as well as those where it differs. On multi-valued attributes a
 * comparison matches when some element matches (RFC 7644 §3.4.2.2), so `emails.value ne "a"` needs an
 * email other than "a"; use `not (emails.value eq "a")` for "has no such email". `eq null` means `not pr`.
 */
export function compileFilter(
  schema: ResourceSchema,
  filter: FilterAst | string,
  params: unknown[],
  alias = "t",
): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`Invalid SQL alias '${alias}'`);
  const ast = typeof filter === "string" ? parseFilter(filter) : filter;
  const compiler = new Compiler(schema, alias, params);
  return compiler.node(ast, undefined);
}

/** The element a value filter (`emails[…]`) is evaluated on. */
interface ElementContext {
  group: Group;
  element: ElementScope;
}

class Compiler {
  private readonly aliases = new AliasSource();
  private readonly schema: ResourceSchema;
  private readonly alias: string;
  private readonly params: unknown[];

  constructor(schema: ResourceSchema, alias: string, params: unknown[]) {
    this.schema = schema;
    this.alias = alias;
    this.params = params;
  }

  node(ast: FilterAst, context: ElementContext | undefined): string {
    switch (ast.type) {
      case "and":
      case "or":
        return `(${ast.filters.map((f) => this.node(f, context)).join(ast.type === "and" ? " AND " : " OR ")})`;
      case "not":
        return `(NOT ${this.node(ast.filter, context)})`;
      case "valuePath":
        return this.valuePath(ast.path, ast.filter);
      case "present":
      case "compare": {
        const leaf = (scalar: Scalar) =>
          ast.type === "present" ? present(scalar) : this.compare(scalar, ast.op, ast.value, ast.path);
        if (context)
          return leaf(context.element.sub(this.subAttribute(context.group, ast.path), this.failAt(ast.path)));
        const indexed = ast.type === "compare" ? ast : undefined;
        return this.attributeCondition(ast.path, leaf, ast.type === "present", indexed);
      }
    }
  }

  /** A condition on a top-level attribute path, e.g. `userName`, `name.familyName`, `emails.value`. */
  private attributeCondition(
    path: AttributePath,
    leaf: (scalar: Scalar) => string,
    isPresent: boolean,
    comparison?: { op: CompareOperator; value: CompareValue },
  ): string {
    const fail: Fail = this.failAt(path);
    const resolved = resolvePath(this.schema, path, fail);
    const operand: Operand = operandFor(this.schema.kind, resolved, this.alias, this.aliases);
    if (operand.kind === "scalar") return leaf(operand.scalar);
    const { group } = operand;
    const sub = resolved.subAttribute;
    const some = (sub: AttributeDef) =>
      this.indexedFirst(
        group,
        sub,
        comparison,
        group.some((element) => leaf(element.sub(sub, fail))),
      );
    if (sub) return some(sub);
    if (isPresent) return group.present();
    if (group.attribute.type !== "complex") return group.some((element) => leaf(element.self(fail)));
    // RFC 7644's own example `emails co "example.com"` compares the `value` sub-attribute.
    const value = group.multiValued ? findSub(group.attribute, "value") : undefined;
    if (!value) {
      fail(
        `Attribute '${path.text}' is complex; compare one of its sub-attributes (e.g. '${path.text}.${firstSub(group.attribute)}')`,
      );
    }
    return some(value);
  }

  /**
   * `exact` preceded by the containment test an index answers, when the comparison is `eq` on a sub-attribute
   * whose lowered values are indexed (a User's emails.value). `exact` implies the test, so the two are
   * equivalent, under NOT too; the test only lets the planner find the few rows to check.
   */
  private indexedFirst(
    group: Group,
    sub: AttributeDef,
    comparison: { op: CompareOperator; value: CompareValue } | undefined,
    exact: string,
  ): string {
    const values = group.loweredValues?.(sub);
    if (!values || sub.caseExact || comparison?.op !== "eq" || typeof comparison.value !== "string")
      return exact;
    // The exact test compares an element's value as text (`->>`), so "5" equals the number 5, which the array
    // holds as a number: a value that is the JSON text of a non-string is left to the exact test alone.
    if (typeof jsonValue(comparison.value) !== "string") return exact;
    this.params.push(comparison.value);
    return `(${values} @> jsonb_build_array(lower($${this.params.length}::text)) AND ${exact})`;
  }

  private valuePath(path: AttributePath, filter: FilterAst): string {
    const fail: Fail = this.failAt(path);
    if (path.subAttr !== undefined)
      fail(`Invalid value filter on '${path.text}': put the sub-attribute after ']'`);
    const resolved = resolvePath(this.schema, path, fail);
    const operand = operandFor(this.schema.kind, resolved, this.alias, this.aliases);
    if (operand.kind === "scalar" || operand.group.attribute.type !== "complex") {
      fail(`Attribute '${path.text}' is not complex, so it cannot take a value filter '[…]'`);
    }
    const { group } = operand;
    const exact = group.some((element) => this.node(filter, { group, element }));
    // `emails[type eq "work" and value eq "x"]`: an element matches only if some element has value x.
    const conjuncts = filter.type === "and" ? filter.filters : [filter];
    for (const term of conjuncts) {
      if (term.type !== "compare" || term.path.uri !== undefined || term.path.subAttr !== undefined) continue;
      const sub = this.subAttribute(group, term.path);
      const indexed = this.indexedFirst(group, sub, term, exact);
      if (indexed !== exact) return indexed;
    }
    return exact;
  }

  private subAttribute(group: Group, path: AttributePath): AttributeDef {
    const fail: Fail = this.failAt(path);
    if (path.uri !== undefined || path.subAttr !== undefined) {
      fail(`Invalid attribute '${path.text}' inside '${group.attribute.name}[…]'; use a sub-attribute name`);
    }
    return resolveSubAttribute(group.attribute, path.name, `${group.attribute.name}.${path.name}`, fail);
  }

  private compare(scalar: Scalar, op: CompareOperator, value: CompareValue, path: AttributePath): string {
    const fail: Fail = this.failAt(path);
    if (value === null) {
      if (op === "eq") return `(NOT ${present(scalar)})`;
      if (op === "ne") return present(scalar);
      fail(`Operator '${op}' cannot compare '${path.text}' with null`);
    }
    if (op === "ne") return `(NOT ${this.compare(scalar, "eq", value, path)})`;
    const bind = (bound: unknown, cast: string) => {
      this.params.push(bound);
      return `$${this.params.length}::${cast}`;
    };
    const sqlOp = ORDERING[op];
    const ordering = sqlOp !== undefined;
    switch (scalar.type) {
      case "binary":
        // RFC 7644 §3.4.2.2: ordering comparisons on binary attributes are an invalidFilter.
        if (op !== "eq" && ordering)
          fail(`Operator '${op}' cannot be used on binary attribute '${path.text}'`);
        return guard(scalar, textCondition(scalar.sql, true, op, String(value), bind));
      case "text":
        if (typeof value === "boolean")
          fail(`Attribute '${path.text}' is a string; compare it with a "string"`);
        if (scalar.key) return textCondition(scalar.key, true, op, nameKey(String(value)), bind);
        return guard(scalar, textCondition(scalar.sql, scalar.caseExact, op, String(value), bind));
      case "uuid": {
        // Ids are UUIDs: compare them as uuid for index use; a non-UUID can equal no id.
        if (op === "eq") return isResourceId(value) ? `${scalar.sql} = ${bind(value, "uuid")}` : "FALSE";
        if (typeof value === "boolean")
          fail(`Attribute '${path.text}' is a string; compare it with a "string"`);
        return textCondition(`${scalar.sql}::text`, false, op, String(value), bind);
      }
      case "boolean": {
        const bool = typeof value === "string" ? { true: true, false: false }[value.toLowerCase()] : value;
        if (op !== "eq")
          fail(`Operator '${op}' cannot be used on boolean attribute '${path.text}'; use eq or ne`);
        if (typeof bool !== "boolean")
          fail(`Attribute '${path.text}' is boolean; compare it with true or false`);
        return guard(scalar, `${scalar.sql} = ${bind(bool, "boolean")}`);
      }
      case "numeric": {
        const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
        if (!ordering) fail(`Operator '${op}' cannot be used on numeric attribute '${path.text}'`);
        if (typeof number !== "number" || !Number.isFinite(number))
          fail(`Attribute '${path.text}' is numeric; compare it with a number`);
        return guard(scalar, `${scalar.sql} ${sqlOp} ${bind(number, "numeric")}`);
      }
      case "timestamptz": {
        if (!ordering)
          fail(
            `Operator '${op}' cannot be used on dateTime attribute '${path.text}'; use eq, gt, ge, lt or le`,
          );
        const instant = typeof value === "string" ? toTimestamp(value) : undefined;
        if (instant === undefined) {
          fail(
            `Attribute '${path.text}' is a dateTime; compare it with a real date such as "2024-05-13T04:42:34Z"`,
          );
        }
        return guard(scalar, `${scalar.sql} ${sqlOp} ${bind(instant, "timestamptz")}`);
      }
      case "version": {
        if (!ordering) fail(`Operator '${op}' cannot be used on '${path.text}'; use eq, gt, ge, lt or le`);
        const version = parseVersion(value);
        if (version === undefined) {
          if (op === "eq") return "FALSE";
          fail(`'${path.text}' must be compared with a version such as "W/\\"3\\""`);
        }
        return `${scalar.sql} ${sqlOp} ${bind(version, "integer")}`;
      }
    }
  }

  private failAt(path: AttributePath): Fail {
    return (detail: string): never => {
      throw new FilterError(`${detail} (at position ${path.position} in filter)`, path.position);
    };
  }
}

const ORDERING: Partial<Record<CompareOperator, string>> = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" };

type Bind = (value: unknown, cast: string) => string;

function textCondition(
  sql: string,
  caseExact: boolean,
  op: CompareOperator,
  value: string,
  bind: Bind,
): string {
  const fold = (expression: string) => (caseExact ? expression : `lower(${expression})`);
  if (op === "co" || op === "sw" || op === "ew") {
    const escaped = value.replace(/[\\%_]/g, (char) => `\\${char}`);
    const pattern = op === "co" ? `%${escaped}%` : op === "sw" ? `${escaped}%` : `%${escaped}`;
    return `${fold(sql)} LIKE ${fold(bind(pattern, "text"))} ESCAPE '\\'`;
  }
  return `${fold(sql)} ${ORDERING[op] ?? "="} ${fold(bind(value, "text"))}`;
}

/** Makes a comparison false rather than NULL when the value is absent, so NOT behaves. */
function guard(scalar: Scalar, condition: string): string {
  return scalar.nullable ? `(${scalar.sql} IS NOT NULL AND ${condition})` : condition;
}

function present(scalar: Scalar): string {
  if (scalar.type === "text") return `(${scalar.sql} IS NOT NULL AND ${scalar.sql} <> '')`;
  return scalar.nullable ? `(${scalar.sql} IS NOT NULL)` : "TRUE";
}

/** The value `text` is the JSON text of, or `text` itself when it is no JSON text. */
function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function findSub(attribute: AttributeDef, name: string): AttributeDef | undefined {
  return attribute.subAttributes?.find((sub) => sub.name === name);
}

function firstSub(attribute: AttributeDef): string {
  return attribute.subAttributes?.[0]?.name ?? "value";
}

/** meta.version is rendered as an ETag (`W/"3"`); accept that, `"3"` or 3. */
function parseVersion(value: CompareValue): number | undefined {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(text.trim());
  return match ? Number(match[1]) : undefined;
}
