// The expression language of a mapping field, as written in the YAML config, and its evaluator.
// Validation is hand-written (not a zod union) so an admin sees one precise message per mistake
// ("unknown expression operator \"concatt\"") at the exact key path, instead of "Invalid input".
import { PathSyntaxError, parseScimPath, resolveScimPath } from "./path.ts";

export type Scalar = string | number | boolean | null;
export type Expr =
  | string
  | { const: Scalar }
  | { concat: Expr[] }
  | { substring: { of: Expr; start?: number; length: number } }
  | { lower: Expr }
  | { upper: Expr }
  | { ascii: Expr }
  | { replace: { of: Expr; pattern: string; with: string } }
  | { firstOf: Expr[] }
  | { lookup: { of: Expr; table: Record<string, string>; default?: Expr } };

export const EXPRESSION_OPERATORS = [
  "const",
  "concat",
  "substring",
  "lower",
  "upper",
  "ascii",
  "replace",
  "firstOf",
  "lookup",
] as const;

export type ExprIssue = { path: (string | number)[]; message: string };

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "a list"
      : typeof v === "object"
        ? "an object"
        : `${typeof v} ${JSON.stringify(v)}`;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Every problem in an expression, each with the key path below the expression. */
export function exprIssues(expr: unknown, at: (string | number)[] = []): ExprIssue[] {
  if (typeof expr === "string") {
    try {
      parseScimPath(expr);
      return [];
    } catch (e) {
      return [{ path: at, message: e instanceof PathSyntaxError ? e.message : String(e) }];
    }
  }
  if (!isPlainObject(expr)) {
    return [
      {
        path: at,
        message: `expected a SCIM path string (like "name.givenName") or an expression object (like { lower: "userName" }), got ${describe(expr)}`,
      },
    ];
  }
  const keys = Object.keys(expr);
  const ops = EXPRESSION_OPERATORS.join(", ");
  if (keys.length !== 1) {
    return [
      {
        path: at,
        message: `an expression object needs exactly one operator key (one of: ${ops}); got ${keys.length === 0 ? "none" : keys.join(", ")}`,
      },
    ];
  }
  const op = keys[0] as string;
  const arg = expr[op];
  const here = [...at, op];
  switch (op) {
    case "const":
      return arg === null || ["string", "number", "boolean"].includes(typeof arg)
        ? []
        : [{ path: here, message: `const must be a string, number, boolean or null, got ${describe(arg)}` }];
    case "concat":
    case "firstOf":
      if (!Array.isArray(arg) || arg.length === 0) {
        return [{ path: here, message: `${op} takes a non-empty list of expressions, got ${describe(arg)}` }];
      }
      return arg.flatMap((e, i) => exprIssues(e, [...here, i]));
    case "lower":
    case "upper":
    case "ascii":
      return exprIssues(arg, here);
    case "substring":
      return objectArgIssues(arg, here, { of: "expr", start: "index?", length: "index" });
    case "replace":
      return objectArgIssues(arg, here, { of: "expr", pattern: "regex", with: "string" });
    case "lookup":
      return objectArgIssues(arg, here, { of: "expr", table: "table", default: "expr?" });
    default:
      return [{ path: at, message: `unknown expression operator "${op}"; expected one of: ${ops}` }];
  }
}

type ArgKind = "expr" | "expr?" | "index" | "index?" | "regex" | "string" | "table";

function objectArgIssues(arg: unknown, at: (string | number)[], shape: Record<string, ArgKind>): ExprIssue[] {
  const op = String(at[at.length - 1]);
  const keys = Object.keys(shape);
  if (!isPlainObject(arg)) {
    return [
      { path: at, message: `${op} takes an object with keys ${keys.join(", ")}; got ${describe(arg)}` },
    ];
  }
  const issues: ExprIssue[] = [];
  for (const key of Object.keys(arg)) {
    if (!(key in shape))
      issues.push({
        path: [...at, key],
        message: `unknown key "${key}" in ${op}; allowed: ${keys.join(", ")}`,
      });
  }
  for (const [key, kind] of Object.entries(shape)) {
    const v = arg[key];
    const path = [...at, key];
    if (v === undefined) {
      if (!kind.endsWith("?")) issues.push({ path, message: `${op} needs "${key}"` });
      continue;
    }
    if (kind.startsWith("expr")) issues.push(...exprIssues(v, path));
    else if (kind.startsWith("index") && !(Number.isInteger(v) && (v as number) >= 0)) {
      issues.push({ path, message: `${key} must be a whole number ≥ 0, got ${describe(v)}` });
    } else if (kind === "string" && typeof v !== "string") {
      issues.push({ path, message: `${key} must be a string, got ${describe(v)}` });
    } else if (kind === "regex") {
      const problem = regexProblem(v);
      if (problem) issues.push({ path, message: problem });
    } else if (kind === "table") {
      if (!isPlainObject(v) || Object.values(v).some((x) => typeof x !== "string")) {
        issues.push({
          path,
          message: `table must map strings to strings, like { "Sales": "Standard User" }`,
        });
      }
    }
  }
  return issues;
}

export function regexProblem(v: unknown, label = "pattern"): string | undefined {
  if (typeof v !== "string") return `${label} must be a regular expression string, got ${describe(v)}`;
  try {
    new RegExp(v, "u");
    return undefined;
  } catch (e) {
    return `${label} ${JSON.stringify(v)} is not a valid regular expression: ${(e as Error).message}`;
  }
}

/** Values that count as "nothing there" for firstOf and for the final field value. */
export function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

const asText = (v: unknown): string | undefined =>
  isEmpty(v) ? undefined : typeof v === "object" ? JSON.stringify(v) : String(v);

// Letters that NFKD does not decompose but that have a conventional ASCII spelling.
const ASCII_SPELLINGS: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  ø: "o",
  Ø: "O",
  œ: "oe",
  Œ: "OE",
  đ: "d",
  Đ: "D",
  ł: "l",
  Ł: "L",
  þ: "th",
  Þ: "TH",
  ı: "i",
};

/** Folds to ASCII (Zoë → Zoe, Ñúñez → Nunez, Łukasz → Lukasz) and drops what has no ASCII form. */
export function toAscii(s: string): string {
  // Most names are ASCII already: nothing to fold or decompose (a third of a pre-flight's time went here).
  if (!/[^\x20-\x7e]/.test(s)) return s.replace(/[^A-Za-z0-9._-]/g, "");
  return s
    .replace(/[ßæÆøØœŒđĐłŁþÞı]/g, (c) => ASCII_SPELLINGS[c] ?? "")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^A-Za-z0-9._-]/g, "");
}

const regexCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, "gu");
    regexCache.set(pattern, re);
  }
  return re;
}

/** Evaluates a validated expression against a SCIM user. Returns undefined for "nothing". */
export function evaluateExpr(expr: Expr, user: unknown): unknown {
  if (typeof expr === "string") return resolveScimPath(user, expr);
  if ("const" in expr) return expr.const;
  if ("concat" in expr) {
    const parts = expr.concat.map((e) => asText(evaluateExpr(e, user)));
    return parts.every((p) => p === undefined) ? undefined : parts.join("");
  }
  if ("substring" in expr) {
    const { of, start = 0, length } = expr.substring;
    const text = asText(evaluateExpr(of, user));
    // Code points, not UTF-16 units, so a name is never cut inside a surrogate pair.
    return text === undefined
      ? undefined
      : Array.from(text)
          .slice(start, start + length)
          .join("");
  }
  if ("lower" in expr) return asText(evaluateExpr(expr.lower, user))?.toLowerCase();
  if ("upper" in expr) return asText(evaluateExpr(expr.upper, user))?.toUpperCase();
  if ("ascii" in expr) {
    const text = asText(evaluateExpr(expr.ascii, user));
    return text === undefined ? undefined : toAscii(text);
  }
  if ("replace" in expr) {
    const text = asText(evaluateExpr(expr.replace.of, user));
    return text?.replace(compiled(expr.replace.pattern), expr.replace.with);
  }
  if ("firstOf" in expr) {
    for (const e of expr.firstOf) {
      const v = evaluateExpr(e, user);
      if (!isEmpty(v)) return v;
    }
    return undefined;
  }
  const { of, table, default: fallback } = expr.lookup;
  const key = asText(evaluateExpr(of, user));
  if (key !== undefined) {
    if (Object.hasOwn(table, key)) return table[key];
    const lower = key.toLowerCase();
    const match = Object.keys(table).find((k) => k.toLowerCase() === lower);
    if (match !== undefined) return table[match];
  }
  return fallback === undefined ? undefined : evaluateExpr(fallback, user);
}

/** The SCIM paths an expression reads, to name the source of a field in error messages. */
export function exprSources(expr: Expr | undefined): string[] {
  if (expr === undefined) return [];
  if (typeof expr === "string") return [expr];
  if ("const" in expr) return [];
  if ("concat" in expr) return expr.concat.flatMap(exprSources);
  if ("firstOf" in expr) return expr.firstOf.flatMap(exprSources);
  if ("substring" in expr) return exprSources(expr.substring.of);
  if ("lower" in expr) return exprSources(expr.lower);
  if ("upper" in expr) return exprSources(expr.upper);
  if ("ascii" in expr) return exprSources(expr.ascii);
  if ("replace" in expr) return exprSources(expr.replace.of);
  return [...exprSources(expr.lookup.of), ...exprSources(expr.lookup.default)];
}
