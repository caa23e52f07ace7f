import { malformedQuery, type SalesforceApiError } from "./errors.ts";

// Parser for the SOQL subset jsforce's builder emits plus what provisioning code writes by hand.
// Anything outside it fails with MALFORMED_QUERY in Salesforce's "ERROR at Row:1:Column:N" shape.

export type Literal =
  | { kind: "string"; value: string; raw: string }
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "date"; value: string };

export interface FieldRef {
  path: string[];
  pos: number;
}

export type CompareOp = "=" | "!=" | "<" | ">" | "<=" | ">=" | "LIKE";

export type Condition =
  | { kind: "and" | "or"; items: Condition[] }
  | { kind: "not"; item: Condition }
  | { kind: "compare"; field: FieldRef; op: CompareOp; value: Literal; pos: number }
  | { kind: "in"; field: FieldRef; negate: boolean; values: Literal[]; pos: number };

export interface OrderItem {
  field: FieldRef;
  desc: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  count: boolean;
  fields: FieldRef[];
  from: string;
  fromPos: number;
  where?: Condition;
  orderBy: OrderItem[];
  limit?: number;
  offset?: number;
}

type TokenKind = "ident" | "string" | "number" | "date" | "op" | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  value?: string;
}

const TOKEN_PATTERNS: [TokenKind, RegExp][] = [
  ["date", /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))?(?![\w-])/y],
  ["number", /-?\d+(?:\.\d+)?(?![\w.])/y],
  ["ident", /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y],
  ["op", /!=|<>|<=|>=|=|<|>|\(|\)|,/y],
];

const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  "'": "'",
  '"': '"',
  "\\": "\\",
};

export function soqlError(soql: string, pos: number, reason: string): SalesforceApiError {
  return malformedQuery(`\n${soql}\n${" ".repeat(pos)}^\nERROR at Row:1:Column:${pos + 1}\n${reason}`);
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      // `raw` keeps \% and \_ escaped so LIKE can tell literal wildcards from real ones.
      let value = "";
      let j = i + 1;
      for (; j < soql.length && soql[j] !== "'"; j++) {
        if (soql[j] === "\\") {
          const next = soql.charAt(++j);
          if (next === "%" || next === "_") value += `\\${next}`;
          else if (next in ESCAPES) value += ESCAPES[next];
          else
            throw soqlError(
              soql,
              j - 1,
              `Invalid string literal '${soql.slice(i + 1, j + 1)}'. Illegal character sequence '\\${next}' in string literal.`,
            );
        } else value += soql[j];
      }
      if (j >= soql.length) throw soqlError(soql, i, `unexpected token: '${soql.slice(i)}'`);
      tokens.push({ kind: "string", text: soql.slice(i, j + 1), pos: i, value });
      i = j + 1;
      continue;
    }
    let matched = false;
    for (const [kind, re] of TOKEN_PATTERNS) {
      re.lastIndex = i;
      const m = re.exec(soql);
      if (m) {
        tokens.push({ kind, text: m[0], pos: i });
        i += m[0].length;
        matched = true;
        break;
      }
    }
    if (!matched) throw soqlError(soql, i, `unexpected token: '${c}'`);
  }
  tokens.push({ kind: "eof", text: "<EOF>", pos: soql.length });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private readonly soql: string;
  private i = 0;

  constructor(soql: string) {
    this.soql = soql;
    this.tokens = tokenize(soql);
  }

  private peek(): Token {
    return this.tokens[this.i] ?? { kind: "eof", text: "<EOF>", pos: this.soql.length };
  }
  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }
  private isWord(word: string, offset = 0): boolean {
    const t = this.tokens[this.i + offset];
    return t?.kind === "ident" && t.text.toUpperCase() === word;
  }
  private fail(t: Token = this.peek()): never {
    throw soqlError(
      this.soql,
      t.pos,
      t.kind === "eof" ? "unexpected token: <EOF>" : `unexpected token: '${t.text}'`,
    );
  }
  private word(word: string): void {
    if (!this.isWord(word)) this.fail();
    this.i++;
  }
  private op(text: string): void {
    const t = this.peek();
    if (t.kind !== "op" || t.text !== text) this.fail();
    this.i++;
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === "op" && t.text === text;
  }

  parse(): SoqlQuery {
    this.word("SELECT");
    let count = false;
    const fields: FieldRef[] = [];
    if (
      this.isWord("COUNT") &&
      this.tokens[this.i + 1]?.text === "(" &&
      this.tokens[this.i + 2]?.text === ")"
    ) {
      this.i += 3;
      count = true;
    } else {
      do fields.push(this.fieldRef());
      while (this.isOp(",") && this.next());
    }
    this.word("FROM");
    const fromToken = this.next();
    if (fromToken.kind !== "ident" || fromToken.text.includes(".")) this.fail(fromToken);
    const query: SoqlQuery = { count, fields, from: fromToken.text, fromPos: fromToken.pos, orderBy: [] };
    if (this.isWord("WHERE")) {
      this.i++;
      query.where = this.condition();
    }
    if (this.isWord("ORDER")) {
      this.i++;
      this.word("BY");
      do query.orderBy.push(this.orderItem());
      while (this.isOp(",") && this.next());
    }
    if (this.isWord("LIMIT")) {
      this.i++;
      query.limit = this.integer();
    }
    if (this.isWord("OFFSET")) {
      this.i++;
      query.offset = this.integer();
    }
    if (this.peek().kind !== "eof") this.fail();
    return query;
  }

  private fieldRef(): FieldRef {
    const t = this.next();
    if (t.kind !== "ident" || RESERVED.has(t.text.toUpperCase())) this.fail(t);
    if (this.isOp("(")) this.fail();
    return { path: t.text.split("."), pos: t.pos };
  }

  private integer(): number {
    const t = this.next();
    if (t.kind !== "number" || !/^\d+$/.test(t.text)) this.fail(t);
    return Number(t.text);
  }

  private orderItem(): OrderItem {
    const field = this.fieldRef();
    let desc = false;
    if (this.isWord("ASC") || this.isWord("DESC")) desc = this.next().text.toUpperCase() === "DESC";
    let nullsLast = desc;
    if (this.isWord("NULLS")) {
      this.i++;
      if (this.isWord("FIRST")) nullsLast = false;
      else if (this.isWord("LAST")) nullsLast = true;
      else this.fail();
      this.i++;
    }
    return { field, desc, nullsLast };
  }

  /** SOQL forbids mixing AND and OR at one level without parentheses. */
  private condition(): Condition {
    const first = this.unary();
    if (!this.isWord("AND") && !this.isWord("OR")) return first;
    const joiner = this.peek().text.toUpperCase();
    const items = [first];
    while (this.isWord("AND") || this.isWord("OR")) {
      if (this.peek().text.toUpperCase() !== joiner) this.fail();
      this.i++;
      items.push(this.unary());
    }
    return { kind: joiner === "AND" ? "and" : "or", items };
  }

  private unary(): Condition {
    if (this.isWord("NOT")) {
      this.i++;
      return { kind: "not", item: this.unary() };
    }
    if (this.isOp("(")) {
      this.i++;
      const inner = this.condition();
      this.op(")");
      return inner;
    }
    const field = this.fieldRef();
    const t = this.peek();
    if (t.kind === "op" && ["=", "!=", "<>", "<", ">", "<=", ">="].includes(t.text)) {
      this.i++;
      const op = (t.text === "<>" ? "!=" : t.text) as CompareOp;
      return { kind: "compare", field, op, value: this.literal(), pos: t.pos };
    }
    if (this.isWord("LIKE")) {
      this.i++;
      const value = this.literal();
      if (value.kind !== "string") this.fail(this.tokens[this.i - 1]);
      return { kind: "compare", field, op: "LIKE", value, pos: t.pos };
    }
    const negate = this.isWord("NOT") && this.isWord("IN", 1);
    if (negate) this.i++;
    if (this.isWord("IN")) {
      this.i++;
      this.op("(");
      const values: Literal[] = [];
      do values.push(this.literal());
      while (this.isOp(",") && this.next());
      this.op(")");
      return { kind: "in", field, negate, values, pos: t.pos };
    }
    return this.fail();
  }

  private literal(): Literal {
    const t = this.next();
    if (t.kind === "string")
      return { kind: "string", value: (t.value ?? "").replace(/\\([%_])/g, "$1"), raw: t.value ?? "" };
    if (t.kind === "number") return { kind: "number", value: Number(t.text) };
    if (t.kind === "date") return { kind: "date", value: t.text };
    if (t.kind === "ident") {
      const upper = t.text.toUpperCase();
      if (upper === "NULL") return { kind: "null" };
      if (upper === "TRUE" || upper === "FALSE") return { kind: "boolean", value: upper === "TRUE" };
    }
    return this.fail(t);
  }
}

const RESERVED = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "IN",
  "LIKE",
  "NULL",
  "TRUE",
  "FALSE",
  "ORDER",
  "BY",
  "LIMIT",
  "OFFSET",
  "GROUP",
  "HAVING",
  "WITH",
  "FOR",
  "USING",
  "TYPEOF",
  "INCLUDES",
  "EXCLUDES",
  "ASC",
  "DESC",
  "NULLS",
]);

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(soql.trim()).parse();
}
