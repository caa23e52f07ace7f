/** Tableau's list parameters: filter, sort, fields, pageSize/pageNumber. */
import { badRequest, invalidPageNumber, invalidPageSize, pageSizeLimitExceeded } from "./errors.ts";

export type Op = "eq" | "cieq" | "in" | "gt" | "gte" | "lt" | "lte" | "has" | "like";

/** How a list exposes a filterable field: which operators, and how to read it from an item. */
export interface FieldSpec<T> {
  ops: readonly Op[];
  get: (item: T) => string | number | boolean | undefined;
}

export interface Condition<T> {
  field: string;
  op: Op;
  values: string[];
  /** The values as a set, for `in` (a lookup of 100 names in 10,000 users must not be 10⁶ comparisons). */
  valueSet: Set<string>;
  spec: FieldSpec<T>;
}

/** Splits on commas that are not inside `[...]` (the `in` operator's list). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur) parts.push(cur);
  return parts;
}

export function parseFilter<T>(filter: string | null, fields: Record<string, FieldSpec<T>>): Condition<T>[] {
  if (!filter) return [];
  return splitTopLevel(filter).map((expr) => {
    const first = expr.indexOf(":");
    const second = expr.indexOf(":", first + 1);
    if (first < 0 || second < 0) throw badRequest(`Invalid filter expression '${expr}'.`);
    const field = expr.slice(0, first);
    const op = expr.slice(first + 1, second) as Op;
    const raw = expr.slice(second + 1);
    const spec = fields[field];
    if (!spec) throw badRequest(`Filtering on field '${field}' is not supported.`);
    if (!spec.ops.includes(op)) throw badRequest(`Operator '${op}' is not supported for field '${field}'.`);
    const values = op === "in" ? raw.replace(/^\[|\]$/g, "").split(",") : [raw];
    return { field, op, values, valueSet: new Set(values), spec };
  });
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function matches<T>(item: T, conds: Condition<T>[]): boolean {
  for (const c of conds) {
    const raw = c.spec.get(item);
    if (raw === undefined) return false;
    const v = typeof raw === "boolean" ? String(raw) : raw;
    const want = c.values[0] ?? "";
    const typed = (s: string) => (typeof v === "number" ? Number(s) : s);
    let ok: boolean;
    switch (c.op) {
      case "eq":
        ok = String(v) === want;
        break;
      case "cieq":
        ok = String(v).toLowerCase() === want.toLowerCase();
        break;
      case "in":
        ok = c.valueSet.has(String(v));
        break;
      case "has":
        ok = String(v).toLowerCase().includes(want.toLowerCase());
        break;
      case "like": {
        const re = new RegExp(`^${want.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");
        ok = re.test(String(v));
        break;
      }
      case "gt":
        ok = compare(v, typed(want)) > 0;
        break;
      case "gte":
        ok = compare(v, typed(want)) >= 0;
        break;
      case "lt":
        ok = compare(v, typed(want)) < 0;
        break;
      case "lte":
        ok = compare(v, typed(want)) <= 0;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

/** Sorts in place by `field:asc|desc[,…]`; unknown fields are a bad request. */
export function applySort<T>(items: T[], sort: string | null, fields: Record<string, FieldSpec<T>>): T[] {
  if (!sort) return items;
  const keys = sort.split(",").map((s) => {
    const [field = "", dir = "asc"] = s.split(":");
    const spec = fields[field];
    if (!spec || (dir !== "asc" && dir !== "desc")) throw badRequest(`Invalid sort expression '${s}'.`);
    return { get: spec.get, sign: dir === "desc" ? -1 : 1 };
  });
  return items.sort((a, b) => {
    for (const k of keys) {
      const c = compare((k.get(a) ?? "") as string | number, (k.get(b) ?? "") as string | number);
      if (c !== 0) return c * k.sign;
    }
    return 0;
  });
}

export interface Page {
  pageSize: number;
  pageNumber: number;
}

export function parsePage(q: URLSearchParams): Page {
  const size = q.get("pageSize");
  const num = q.get("pageNumber");
  const pageSize = size === null ? 100 : Number(size);
  const pageNumber = num === null ? 1 : Number(num);
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw invalidPageSize("The page size parameter is not an integer, or is less than one.");
  if (pageSize > 1000) throw pageSizeLimitExceeded();
  if (!Number.isInteger(pageNumber) || pageNumber < 1)
    throw invalidPageNumber("The page number parameter is not an integer, or is less than one.");
  return { pageSize, pageNumber };
}

export function slicePage<T>(items: T[], p: Page): T[] {
  const start = (p.pageNumber - 1) * p.pageSize;
  return items.slice(start, start + p.pageSize);
}

/** `fields=_all_ | _default_ | a,b`: which attributes to emit. */
export type FieldSelection = { all: boolean; defaults: boolean; extra: Set<string> };

export function parseFields(fields: string | null): FieldSelection {
  if (!fields) return { all: false, defaults: true, extra: new Set() };
  const parts = fields.split(",").map((s) => s.trim());
  return {
    all: parts.includes("_all_"),
    defaults: parts.includes("_default_"),
    extra: new Set(parts.filter((p) => !p.startsWith("_"))),
  };
}
