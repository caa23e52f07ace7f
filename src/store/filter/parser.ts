import type { AttributePath, CompareOperator, CompareValue, FilterAst } from "./ast.ts";
import { COMPARE_OPERATORS } from "./ast.ts";
import { FilterError } from "./errors.ts";
import { formatFilter } from "./format.ts";
import { type Token, tokenize } from "./lexer.ts";

/**
 * Bounds of the filter language (README "Limits"): deep and long enough for any real filter, small enough that a
 * hostile one can neither exhaust the stack nor turn into a query the database spends minutes planning.
 */
export const FILTER_LIMITS = { maxLength: 16_384, maxTerms: 200, maxDepth: 16, maxPathLength: 512 } as const;
const MAX_DEPTH = FILTER_LIMITS.maxDepth;

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) into an AST. `and` binds tighter than `or`; keywords and
 * operators are case-insensitive. Throws FilterError (400 invalidFilter) naming what was wrong and where.
 */
export function parseFilter(expression: string): FilterAst {
  if (expression.trim() === "") throw new FilterError("The filter is empty");
  const parser = new Parser(tokenize(checkLength(expression, "filter")));
  const ast = parser.parseOr(false, 0);
  parser.expectEnd();
  return ast;
}

function checkLength(expression: string, what: string, limit: number = FILTER_LIMITS.maxLength): string {
  if (expression.length > limit) {
    throw new FilterError(`The ${what} is ${expression.length} characters long; the limit is ${limit}`);
  }
  return expression;
}

/** A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `attrPath "[" valFilter "]" ["." subAttr]`. */
export interface PatchPath {
  path: AttributePath;
  filter?: FilterAst;
  /** The sub-attribute after a value filter, as in `emails[type eq "work"].value`. */
  subAttr?: string;
}

/**
 * Parses a PATCH path with the filter parser (linear time, the filter's bounds), so no backtracking regular
 * expression ever sees a malformed path. Paths are shorter than filters (FILTER_LIMITS.maxPathLength): scimmy,
 * which applies the well-formed ones, splits them in quadratic time. Throws FilterError naming what is wrong.
 */
export function parsePatchPath(text: string): PatchPath {
  if (text.trim() === "") throw new FilterError("The path is empty");
  const parser = new Parser(tokenize(checkLength(text, "path", FILTER_LIMITS.maxPathLength)));
  const out = parser.parsePath();
  parser.expectEnd();
  return out;
}

/** The PATCH path in canonical form (single spaces, every and/or group in parentheses). */
export function formatPatchPath(p: PatchPath): string {
  const name = p.path.subAttr === undefined ? p.path.name : `${p.path.name}.${p.path.subAttr}`;
  const head = p.path.uri === undefined ? name : `${p.path.uri}:${name}`;
  if (!p.filter) return head;
  return `${head}[${formatFilter(p.filter)}]${p.subAttr !== undefined ? `.${p.subAttr}` : ""}`;
}

/** Parses a lone attrPath such as a `sortBy` value; returns undefined when it is not one. */
export function parseAttributePath(text: string): AttributePath | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z_$][A-Za-z0-9_$:.-]*$/.test(trimmed)) return undefined;
  try {
    return splitPath(trimmed, 1);
  } catch {
    return undefined;
  }
}

class Parser {
  private index = 0;
  private terms = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  parseOr(inValueFilter: boolean, depth: number): FilterAst {
    const filters = [this.parseAnd(inValueFilter, depth)];
    while (this.peekKeyword("or")) {
      this.index++;
      filters.push(this.parseAnd(inValueFilter, depth));
    }
    return filters.length === 1 ? filters[0]! : { type: "or", filters };
  }

  parsePath(): PatchPath {
    const token = this.peek();
    if (token.kind !== "word" || token.text.startsWith(".")) this.fail(token, "an attribute path");
    this.index++;
    const path = splitPath(token.text, token.position);
    if (!this.peekPunct("[")) return { path };
    if (path.subAttr !== undefined) this.fail(this.peek(), "the end of the path ('[…]' goes before the '.')");
    this.index++;
    const filter = this.parseOr(true, 1);
    this.expectPunct("]");
    const next = this.peek();
    if (next.kind !== "word" || !next.text.startsWith(".")) return { path, filter };
    this.index++;
    const sub = next.text.slice(1);
    if (!/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(sub)) {
      throw new FilterError(
        `Invalid sub-attribute '${sub}' at position ${next.position + 1}`,
        next.position + 1,
      );
    }
    return { path, filter, subAttr: sub };
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== "end") this.fail(token, "'and', 'or' or the end of the filter");
  }

  private parseAnd(inValueFilter: boolean, depth: number): FilterAst {
    const filters = [this.parseFactor(inValueFilter, depth)];
    while (this.peekKeyword("and")) {
      this.index++;
      filters.push(this.parseFactor(inValueFilter, depth));
    }
    return filters.length === 1 ? filters[0]! : { type: "and", filters };
  }

  private parseFactor(inValueFilter: boolean, depth: number): FilterAst {
    const token = this.peek();
    if (depth >= MAX_DEPTH) {
      throw new FilterError(`The filter is nested too deeply at position ${token.position}`, token.position);
    }
    if (token.kind === "punct" && token.text === "(") {
      this.index++;
      const inner = this.parseOr(inValueFilter, depth + 1);
      this.expectPunct(")");
      return inner;
    }
    if (this.peekKeyword("not") && this.peekPunct("(", 1)) {
      this.index += 2;
      const inner = this.parseOr(inValueFilter, depth + 1);
      this.expectPunct(")");
      return { type: "not", filter: inner };
    }
    if (token.kind !== "word" || token.text.startsWith(".")) {
      this.fail(token, "an attribute name, 'not (' or '('");
    }
    this.index++;
    const path = splitPath(token.text, token.position);
    if (!this.peekPunct("[")) return this.parseAttributeExpression(path);

    if (inValueFilter) {
      this.fail(this.peek(), "a comparison operator (value filters cannot be nested)");
    }
    this.index++;
    let filter = this.parseOr(true, depth + 1);
    this.expectPunct("]");
    // `emails[type eq "work"].value eq "x"` means one element satisfying both conditions.
    const next = this.peek();
    if (next.kind === "word" && next.text.startsWith(".")) {
      this.index++;
      const subPath = splitPath(next.text.slice(1), next.position + 1);
      const condition = this.parseAttributeExpression(subPath);
      filter = { type: "and", filters: [filter, condition] };
    }
    return { type: "valuePath", path, filter };
  }

  /** After an attrPath: `pr`, or a comparison operator and a value. */
  private parseAttributeExpression(path: AttributePath): FilterAst {
    const token = this.peek();
    if (++this.terms > FILTER_LIMITS.maxTerms) {
      throw new FilterError(
        `The filter has more than ${FILTER_LIMITS.maxTerms} comparisons (at position ${path.position}); split it into several requests`,
        path.position,
      );
    }
    const keyword = token.kind === "word" ? token.text.toLowerCase() : "";
    if (keyword === "pr") {
      this.index++;
      return { type: "present", path };
    }
    if (!(COMPARE_OPERATORS as readonly string[]).includes(keyword)) {
      this.fail(token, "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or 'pr'");
    }
    this.index++;
    return { type: "compare", path, op: keyword as CompareOperator, value: this.parseValue() };
  }

  private parseValue(): CompareValue {
    const token = this.peek();
    this.index++;
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind === "word") {
      const word = token.text.toLowerCase();
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
    }
    this.index--;
    return this.fail(token, 'a value (a "quoted string", a number, true, false or null)');
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === "word" && token.text.toLowerCase() === keyword;
  }

  private peekPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "punct" && token.text === text;
  }

  private expectPunct(text: ")" | "]"): void {
    if (!this.peekPunct(text)) this.fail(this.peek(), `'${text}'`);
    this.index++;
  }

  private fail(token: Token, expected: string): never {
    if (token.kind === "end") {
      throw new FilterError(
        `Unexpected end of filter at position ${token.position}; expected ${expected}`,
        token.position,
      );
    }
    const shown = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
    throw new FilterError(
      `Unexpected '${shown}' at position ${token.position} in filter; expected ${expected}`,
      token.position,
    );
  }
}

/**
 * Splits `urn:…:User:manager.value` into URI, name and sub-attribute. The URI ends at the last ':' (URNs
 * contain dots, as in `2.0`, so dots are only looked for after it).
 */
function splitPath(text: string, position: number): AttributePath {
  let uri: string | undefined;
  let rest = text;
  const colon = text.lastIndexOf(":");
  if (colon >= 0) {
    uri = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const parts = rest.split(".");
  const valid = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
  if (
    parts.length > 2 ||
    !parts.every((part) => valid.test(part)) ||
    (uri !== undefined && !/^urn:/i.test(uri))
  ) {
    throw new FilterError(`Invalid attribute path '${text}' at position ${position} in filter`, position);
  }
  const path: AttributePath = { name: parts[0]!, text, position };
  if (uri !== undefined) path.uri = uri;
  if (parts[1] !== undefined) path.subAttr = parts[1];
  return path;
}
