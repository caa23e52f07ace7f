import { SalesforceApiError } from "./errors.ts";
import { normalizeId } from "./ids.ts";
import type { SalesforceOrg } from "./org.ts";
import { recordUrl } from "./records.ts";
import { type FieldDef, type ObjectDef, objectDef, relationshipName } from "./schema.ts";
import { type Condition, type FieldRef, type Literal, parseSoql, soqlError } from "./soql-parse.ts";
import type { SfRecord, SfValue, Table } from "./table.ts";

export interface QueryResult {
  /** Projected rows ready to serialise; empty for COUNT(). */
  records: Record<string, unknown>[];
  totalSize: number;
}

const MAX_OFFSET = 2000;

/** A SELECT item resolved against the schema: a field of the object or of one parent (Profile.Name). */
interface ResolvedField {
  field: FieldDef;
  parent?: { via: FieldDef; name: string; def: ObjectDef };
}

export function runSoql(
  org: SalesforceOrg,
  soql: string,
  opts: { includeDeleted: boolean; version: string },
): QueryResult {
  const query = parseSoql(soql);
  const def = objectDef(query.from);
  if (!def) {
    throw new SalesforceApiError(
      400,
      "INVALID_TYPE",
      `\n${soql.trim()}\n${" ".repeat(query.fromPos)}^\nERROR at Row:1:Column:${query.fromPos + 1}\nsObject type '${query.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const resolve = (ref: FieldRef): ResolvedField => resolveField(def, ref, soql);
  const selected = query.fields.map(resolve);
  const seen = new Set<string>();
  for (const [i, f] of selected.entries()) {
    const key = query.fields[i]?.path.join(".").toLowerCase() ?? "";
    if (seen.has(key))
      throw soqlError(soql.trim(), query.fields[i]?.pos ?? 0, `duplicate field selected: ${f.field.name}`);
    seen.add(key);
  }
  if ((query.offset ?? 0) > MAX_OFFSET) {
    throw new SalesforceApiError(
      400,
      "NUMBER_OUTSIDE_VALID_RANGE",
      `Maximum SOQL offset allowed is ${MAX_OFFSET}`,
    );
  }
  const table = org.table(def.name);
  const where = query.where ? compileCondition(org, query.where, resolve, soql) : () => true;
  let rows = candidates(table, query.where, opts.includeDeleted, resolve).filter(where);
  if (query.orderBy.length > 0) {
    const keys = query.orderBy.map((o) => ({ ...o, get: valueGetter(org, resolve(o.field)) }));
    rows = rows.sort((a, b) => {
      for (const k of keys) {
        const c = compareForSort(k.get(a), k.get(b), k.nullsLast);
        if (c !== 0) return k.desc ? -c : c;
      }
      return 0;
    });
  }
  rows = rows.slice(
    query.offset ?? 0,
    query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit,
  );
  if (query.count) return { records: [], totalSize: rows.length };
  const records = rows.map((r) => project(org, def, r, selected, opts.version));
  return { records, totalSize: records.length };
}

function resolveField(def: ObjectDef, ref: FieldRef, soql: string): ResolvedField {
  const invalid = (name: string, on: string) =>
    new SalesforceApiError(
      400,
      "INVALID_FIELD",
      `\n${soql.trim()}\n${" ".repeat(ref.pos)}^\nERROR at Row:1:Column:${ref.pos + 1}\nNo such column '${name}' on entity '${on}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  const [first, second, ...rest] = ref.path;
  if (!first) throw invalid("", def.name);
  if (second === undefined) {
    const field = def.byName.get(first.toLowerCase());
    if (!field) throw invalid(first, def.name);
    return { field };
  }
  if (rest.length > 0) throw soqlError(soql.trim(), ref.pos, `unexpected token: '${ref.path.join(".")}'`);
  const via = def.fields.find((f) => relationshipName(f)?.toLowerCase() === first.toLowerCase());
  const parentDef = via?.referenceTo?.[0] ? objectDef(via.referenceTo[0]) : undefined;
  const field = parentDef?.byName.get(second.toLowerCase());
  if (!via || !parentDef) throw invalid(first, def.name);
  if (!field) throw invalid(second, parentDef.name);
  return { field, parent: { via, name: relationshipName(via) ?? first, def: parentDef } };
}

function valueGetter(org: SalesforceOrg, f: ResolvedField): (r: SfRecord) => SfValue {
  if (!f.parent) return (r) => r[f.field.name] ?? null;
  const { via, def } = f.parent;
  return (r) => {
    const parentId = r[via.name];
    if (typeof parentId !== "string") return null;
    return org.get(def.name, parentId)?.[f.field.name] ?? null;
  };
}

/** Uses an equality index for the first `Field = x` or `Field IN (...)` of a top-level AND, if there is one. */
function candidates(
  table: Table,
  where: Condition | undefined,
  includeDeleted: boolean,
  resolve: (r: FieldRef) => ResolvedField,
): SfRecord[] {
  const all = () => [...table.rows.values(), ...(includeDeleted ? table.deleted.values() : [])];
  const terms = !where ? [] : where.kind === "and" ? where.items : [where];
  for (const term of terms) {
    if (term.kind !== "compare" && term.kind !== "in") continue;
    if (term.kind === "compare" && term.op !== "=") continue;
    if (term.kind === "in" && term.negate) continue;
    const f = resolve(term.field);
    if (f.parent || !table.hasIndex(f.field.name)) continue;
    const literals = term.kind === "in" ? term.values : [term.value];
    const ids = new Set<string>();
    for (const lit of literals) {
      const v = literalValue(f.field, lit);
      if (v === null) return all();
      for (const id of table.lookup(f.field.name, v) ?? []) ids.add(id);
    }
    const rows: SfRecord[] = [];
    for (const id of ids) {
      const row = table.rows.get(id);
      if (row) rows.push(row);
    }
    // Deleted rows are not indexed; queryAll still has to see them.
    if (includeDeleted) rows.push(...table.deleted.values());
    return rows;
  }
  return all();
}

function literalValue(field: FieldDef, lit: Literal): SfValue {
  switch (lit.kind) {
    case "null":
      return null;
    case "string":
      return field.type === "id" || field.type === "reference"
        ? (normalizeId(lit.value) ?? lit.value)
        : lit.value;
    case "date":
      return lit.value;
    default:
      return lit.value;
  }
}

function checkLiteral(field: FieldDef, lit: Literal, soql: string, pos: number): void {
  const wrong = (type: string, quoted: boolean) =>
    new SalesforceApiError(
      400,
      "INVALID_QUERY_FILTER_OPERATOR",
      `\n${soql.trim()}\n${" ".repeat(pos)}^\nERROR at Row:1:Column:${pos + 1}\nvalue of filter criterion for field '${field.name}' must be of type ${type} and should ${quoted ? "" : "not "}be enclosed in quotes`,
    );
  if (lit.kind === "null") return;
  if (field.type === "boolean" && lit.kind !== "boolean") throw wrong("boolean", false);
  if (field.type === "int" && lit.kind !== "number") throw wrong("double", false);
  if (field.type === "datetime" && lit.kind !== "date") throw wrong("dateTime", false);
  const textual = !["boolean", "int", "datetime"].includes(field.type);
  if (textual && lit.kind !== "string") throw wrong("string", true);
  if (
    (field.type === "id" || field.type === "reference") &&
    lit.kind === "string" &&
    !normalizeId(lit.value)
  ) {
    throw new SalesforceApiError(
      400,
      "INVALID_QUERY_FILTER_OPERATOR",
      `\n${soql.trim()}\n${" ".repeat(pos)}^\nERROR at Row:1:Column:${pos + 1}\ninvalid ID field: ${lit.value}`,
    );
  }
}

function comparable(field: FieldDef, v: SfValue): string | number | boolean | null {
  if (v === null) return null;
  if (field.type === "datetime") return Date.parse(String(v).replace(/\+0000$/, "Z"));
  if (typeof v === "string" && field.type !== "id" && field.type !== "reference") return v.toLowerCase();
  return v;
}

function likeRegex(raw: string): RegExp {
  let source = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === "\\" && (raw[i + 1] === "%" || raw[i + 1] === "_")) source += raw.charAt(++i);
    else if (c === "%") source += ".*";
    else if (c === "_") source += ".";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "is");
}

function compileCondition(
  org: SalesforceOrg,
  cond: Condition,
  resolve: (r: FieldRef) => ResolvedField,
  soql: string,
): (r: SfRecord) => boolean {
  switch (cond.kind) {
    case "and": {
      const parts = cond.items.map((c) => compileCondition(org, c, resolve, soql));
      return (r) => parts.every((p) => p(r));
    }
    case "or": {
      const parts = cond.items.map((c) => compileCondition(org, c, resolve, soql));
      return (r) => parts.some((p) => p(r));
    }
    case "not": {
      const inner = compileCondition(org, cond.item, resolve, soql);
      return (r) => !inner(r);
    }
    case "in": {
      const f = resolve(cond.field);
      for (const lit of cond.values) checkLiteral(f.field, lit, soql, cond.pos);
      const get = valueGetter(org, f);
      const wanted = new Set(cond.values.map((l) => comparable(f.field, literalValue(f.field, l))));
      return (r) => wanted.has(comparable(f.field, get(r))) !== cond.negate;
    }
    case "compare": {
      const f = resolve(cond.field);
      checkLiteral(f.field, cond.value, soql, cond.pos);
      const get = valueGetter(org, f);
      if (cond.op === "LIKE") {
        const re = likeRegex(cond.value.kind === "string" ? cond.value.raw : "");
        return (r) => {
          const v = get(r);
          return v !== null && re.test(String(v));
        };
      }
      const want = comparable(f.field, literalValue(f.field, cond.value));
      const op = cond.op;
      return (r) => {
        const have = comparable(f.field, get(r));
        if (op === "=") return have === want;
        if (op === "!=") return have !== want;
        if (have === null || want === null) return false;
        if (op === "<") return have < want;
        if (op === ">") return have > want;
        if (op === "<=") return have <= want;
        return have >= want;
      };
    }
  }
}

function compareForSort(a: SfValue, b: SfValue, nullsLast: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === nullsLast ? 1 : -1;
  }
  const x = typeof a === "string" ? a.toLowerCase() : a;
  const y = typeof b === "string" ? b.toLowerCase() : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

function project(
  org: SalesforceOrg,
  def: ObjectDef,
  row: SfRecord,
  fields: ResolvedField[],
  version: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: def.name, url: recordUrl(version, def.name, row.Id ?? null) },
  };
  for (const f of fields) {
    if (!f.parent) {
      out[f.field.name] = row[f.field.name] ?? null;
      continue;
    }
    const parentId = row[f.parent.via.name];
    const parent = typeof parentId === "string" ? org.get(f.parent.def.name, parentId) : undefined;
    if (!parent) {
      out[f.parent.name] = null;
      continue;
    }
    const nested = (out[f.parent.name] as Record<string, unknown> | null | undefined) ?? {
      attributes: { type: f.parent.def.name, url: recordUrl(version, f.parent.def.name, parent.Id ?? null) },
    };
    nested[f.field.name] = parent[f.field.name] ?? null;
    out[f.parent.name] = nested;
  }
  return out;
}
