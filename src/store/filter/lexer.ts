import { unstorableText } from "../limits.ts";
import { FilterError } from "./errors.ts";

/**
 * Tokens of a SCIM filter. Words cover attribute paths (with URN prefixes and dots), operators and the
 * literals true/false/null; the parser decides which is which by position, so an attribute may be
 * called `pr` or `and` without confusing the lexer.
 */
export type Token =
  | { kind: "word"; text: string; position: number }
  | { kind: "string"; text: string; value: string; position: number }
  | { kind: "number"; text: string; value: number; position: number }
  | { kind: "punct"; text: "(" | ")" | "[" | "]"; position: number }
  | { kind: "end"; text: ""; position: number };

// A word starts like an ATTRNAME (or `$ref`, or `.sub` after a value filter) and may contain a URN.
const WORD = /[A-Za-z_$.][A-Za-z0-9_$:.-]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\r\n]+/y;

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < expression.length) {
    WHITESPACE.lastIndex = index;
    if (WHITESPACE.test(expression)) {
      index = WHITESPACE.lastIndex;
      continue;
    }
    const char = expression[index]!;
    const position = index + 1;
    if (char === "(" || char === ")" || char === "[" || char === "]") {
      tokens.push({ kind: "punct", text: char, position });
      index++;
    } else if (char === '"') {
      const end = endOfString(expression, index);
      const text = expression.slice(index, end);
      tokens.push({ kind: "string", text, value: decodeString(text, position), position });
      index = end;
    } else if (char === "-" || (char >= "0" && char <= "9")) {
      const text = match(NUMBER, expression, index);
      if (!text) throw new FilterError(`Invalid number at position ${position} in filter`, position);
      tokens.push({ kind: "number", text, value: Number(text), position });
      index += text.length;
    } else {
      const text = match(WORD, expression, index);
      if (!text) {
        throw new FilterError(`Unexpected character '${char}' at position ${position} in filter`, position);
      }
      tokens.push({ kind: "word", text, position });
      index += text.length;
    }
  }
  tokens.push({ kind: "end", text: "", position: expression.length + 1 });
  return tokens;
}

function match(pattern: RegExp, input: string, index: number): string | undefined {
  pattern.lastIndex = index;
  return pattern.exec(input)?.[0];
}

/** Index just past the closing quote of the string starting at `start`. */
function endOfString(expression: string, start: number): number {
  for (let i = start + 1; i < expression.length; i++) {
    const char = expression[i];
    if (char === "\\") i++;
    else if (char === '"') return i + 1;
  }
  throw new FilterError(`Unterminated string starting at position ${start + 1} in filter`, start + 1);
}

function decodeString(text: string, position: number): string {
  let value: string;
  try {
    value = JSON.parse(text) as string;
  } catch {
    throw new FilterError(
      `Invalid string ${text.length > 40 ? `${text.slice(0, 40)}…` : text} at position ${position} in filter; strings are JSON strings (escape '"' and '\\' with a backslash)`,
      position,
    );
  }
  // Refused here with a position rather than by the database.
  const why = unstorableText(value);
  if (why) throw new FilterError(`The string at position ${position} in filter ${why}`, position);
  return value;
}
