// SCIM attribute paths as used in mapping expressions (RFC 7644 §3.10 "attrPath" / "valuePath"):
//   userName, name.givenName, emails[type eq "work"].value, emails[primary eq true].value,
//   urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department
// Resolution is lenient like most SCIM servers: attribute names are case-insensitive, a multi-valued
// attribute without a filter yields its primary value (else the first), and string comparisons in
// filters ignore case (the attributes people filter on — type, value, display — are caseExact=false).

export type FilterOp = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le" | "pr";
export type FilterValue = string | number | boolean | null;
export type FilterCondition = { attr: string; op: FilterOp; value?: FilterValue };
/** Disjunctive normal form: OR over the outer array, AND over each inner array ("and" binds tighter). */
export type Filter = FilterCondition[][];
export type PathSegment = { name: string; filter?: Filter };
export type ScimPath = { urn?: string; segments: PathSegment[] };

export class PathSyntaxError extends Error {
  override name = "PathSyntaxError";
}

const OPS = new Set<string>(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"]);
const ATTR_NAME = /^[A-Za-z$][\w$-]*$/;
const cache = new Map<string, ScimPath>();
const CORE_USER_URN = "urn:ietf:params:scim:schemas:core:2.0:user";

/** Parses (and caches) a SCIM path; throws PathSyntaxError with a message fit for an admin. */
export function parseScimPath(text: string): ScimPath {
  const hit = cache.get(text);
  if (hit) return hit;
  const parsed = parseUncached(text);
  cache.set(text, parsed);
  return parsed;
}

function parseUncached(text: string): ScimPath {
  const fail = (why: string): never => {
    throw new PathSyntaxError(`invalid SCIM path ${JSON.stringify(text)}: ${why}`);
  };
  if (text.trim() === "") fail("it is empty");
  let urn: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    // The URN contains dots ("2.0") and colons, so it ends at the last colon before any filter.
    const head = text.split("[")[0] ?? text;
    const cut = head.lastIndexOf(":");
    urn = text.slice(0, cut);
    rest = text.slice(cut + 1);
    if (rest === "") fail('a schema URN must be followed by ":attributeName"');
    // A core attribute named with its schema's URN (RFC 7644 §3.10) is the attribute itself, not an extension.
    if (urn.toLowerCase() === CORE_USER_URN) urn = undefined;
  }
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < rest.length) {
    let j = i;
    while (j < rest.length && rest[j] !== "." && rest[j] !== "[") j++;
    const name = rest.slice(i, j);
    if (!ATTR_NAME.test(name))
      fail(name === "" ? "an attribute name is missing" : `"${name}" is not an attribute name`);
    const segment: PathSegment = { name };
    if (rest[j] === "[") {
      const close = findClosingBracket(rest, j);
      if (close < 0) fail('a "[" filter is not closed with "]"');
      segment.filter = parseFilter(rest.slice(j + 1, close), fail);
      j = close + 1;
    }
    segments.push(segment);
    if (j < rest.length) {
      if (rest[j] !== ".") fail(`unexpected ${JSON.stringify(rest[j])} after "${name}"`);
      if (j === rest.length - 1) fail("it ends with a dot");
    }
    i = j + 1;
  }
  return urn === undefined ? { segments } : { urn, segments };
}

function findClosingBracket(s: string, open: number): number {
  let inString = false;
  for (let k = open + 1; k < s.length; k++) {
    const c = s[k];
    if (inString) {
      if (c === "\\") k++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "]") return k;
  }
  return -1;
}

type Token = { kind: "word" | "string"; text: string };

function tokenize(s: string, fail: (why: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let out = "";
      while (j < s.length && s[j] !== '"') {
        if (s[j] === "\\") j++;
        out += s[j] ?? "";
        j++;
      }
      if (j >= s.length) fail("a quoted string in the filter is not closed");
      tokens.push({ kind: "string", text: out });
      i = j + 1;
    } else if (c === "(" || c === ")") {
      fail('parentheses are not supported in mapping filters; use "and" / "or"');
    } else {
      let j = i;
      while (j < s.length && !/[\s"]/.test(s[j] as string)) j++;
      tokens.push({ kind: "word", text: s.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function parseFilter(body: string, fail: (why: string) => never): Filter {
  const tokens = tokenize(body, fail);
  if (tokens.length === 0) fail("the filter in [] is empty");
  const filter: Filter = [[]];
  let k = 0;
  for (;;) {
    const attr = tokens[k++];
    if (attr?.kind !== "word" || !ATTR_NAME.test(attr.text))
      fail("a filter condition must start with an attribute name");
    const opToken = tokens[k++];
    const op = opToken?.text.toLowerCase();
    if (opToken?.kind !== "word" || op === undefined || !OPS.has(op)) {
      fail(`expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "${attr.text}"`);
    }
    const condition: FilterCondition = { attr: attr.text, op: op as FilterOp };
    if (op !== "pr") {
      const v = tokens[k++];
      if (!v) fail(`"${attr.text} ${op}" needs a value`);
      condition.value = v.kind === "string" ? v.text : literal(v.text, fail);
    }
    (filter[filter.length - 1] as FilterCondition[]).push(condition);
    const joiner = tokens[k++];
    if (!joiner) return filter;
    const word = joiner.text.toLowerCase();
    if (word === "or") filter.push([]);
    else if (word !== "and") fail(`expected "and" or "or" but found ${JSON.stringify(joiner.text)}`);
  }
}

function literal(text: string, fail: (why: string) => never): FilterValue {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return fail(`${text} is not a value; quote strings like "${text}"`);
}

/** Reads a key ignoring case, because SCIM attribute names and schema URNs are case-insensitive. */
export function getIgnoringCase(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (key in record) return record[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(record)) if (k.toLowerCase() === lower) return record[k];
  return undefined;
}

/** The primary element of a multi-valued attribute, else the first one. */
export function primaryOrFirst(values: readonly unknown[]): unknown {
  const primary = values.find((v) => isTrue(getIgnoringCase(v, "primary")));
  return primary ?? values[0];
}

// Entra sends booleans as "True"/"False" strings; treat them as booleans where a boolean is meant.
function isTrue(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

function comparable(v: unknown): string | number | boolean | null | undefined {
  if (typeof v === "string") {
    const lower = v.toLowerCase();
    return lower === "true" ? true : lower === "false" ? false : lower;
  }
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return v;
  return undefined;
}

function conditionHolds(element: unknown, c: FilterCondition): boolean {
  const actual = getIgnoringCase(element, c.attr);
  if (c.op === "pr") return actual !== undefined && actual !== null && actual !== "";
  const a = comparable(actual);
  const b = comparable(c.value);
  switch (c.op) {
    case "eq":
      return a === b || (a === undefined && b === null);
    case "ne":
      return !(a === b || (a === undefined && b === null));
    case "co":
      return typeof a === "string" && typeof b === "string" && a.includes(b);
    case "sw":
      return typeof a === "string" && typeof b === "string" && a.startsWith(b);
    case "ew":
      return typeof a === "string" && typeof b === "string" && a.endsWith(b);
    default: {
      if (a === undefined || a === null || b === undefined || b === null || typeof a !== typeof b)
        return false;
      if (c.op === "gt") return a > b;
      if (c.op === "ge") return a >= b;
      if (c.op === "lt") return a < b;
      return a <= b;
    }
  }
}

export function matchesFilter(element: unknown, filter: Filter): boolean {
  return filter.some((all) => all.every((c) => conditionHolds(element, c)));
}

/**
 * Resolves a path against a SCIM User (plain JSON). Returns undefined when nothing is there.
 * A multi-valued attribute collapses to one value (primary, else first) when the path goes deeper or
 * ends there; a complex element at the end yields its "value" sub-attribute (roles, entitlements).
 */
export function resolveScimPath(user: unknown, path: ScimPath | string): unknown {
  const parsed = typeof path === "string" ? parseScimPath(path) : path;
  let current: unknown = parsed.urn === undefined ? user : getIgnoringCase(user, parsed.urn);
  let fromCollection = false;
  for (const segment of parsed.segments) {
    if (Array.isArray(current)) current = primaryOrFirst(current);
    current = getIgnoringCase(current, segment.name);
    fromCollection = Array.isArray(current);
    if (segment.filter && current !== undefined && current !== null) {
      const elements = Array.isArray(current) ? current : [current];
      const filter = segment.filter;
      current = elements.filter((e) => matchesFilter(e, filter));
      fromCollection = true;
    }
    if (current === undefined || current === null) return undefined;
  }
  if (Array.isArray(current)) {
    if (current.length === 0) return undefined;
    current = primaryOrFirst(current);
  }
  if (fromCollection && current !== null && typeof current === "object" && !Array.isArray(current)) {
    const value = getIgnoringCase(current, "value");
    if (value !== undefined) return value;
  }
  return current;
}
