import type { FieldDef, ObjectDef } from "./schema.ts";

export type SfValue = string | number | boolean | null;
export type SfRecord = Record<string, SfValue>;

/** Index keys: text compares case-insensitively in SOQL and in uniqueness checks. */
export function indexKey(field: FieldDef | undefined, value: SfValue): string {
  if (value === null) return "\u0000null";
  if (typeof value === "string" && field?.type !== "id" && field?.type !== "reference")
    return value.toLowerCase();
  return String(value);
}

/** In-memory rows of one sObject type with equality indexes on the fields the type marks as indexed. */
export class Table {
  readonly def: ObjectDef;
  readonly rows = new Map<string, SfRecord>();
  /** Deleted rows stay visible to queryAll, like Salesforce's recycle bin. */
  readonly deleted = new Map<string, SfRecord>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  /** While set, every change pushes its inverse here so an allOrNone call can roll back. */
  journal: (() => void)[] | undefined;

  constructor(def: ObjectDef) {
    this.def = def;
    for (const f of def.indexed) this.indexes.set(f, new Map());
  }

  hasIndex(field: string): boolean {
    return this.indexes.has(field);
  }

  /** Ids whose indexed `field` equals `value`, or undefined if the field has no index. */
  lookup(field: string, value: SfValue): string[] | undefined {
    const index = this.indexes.get(field);
    if (!index) return undefined;
    return [...(index.get(indexKey(this.def.byName.get(field.toLowerCase()), value)) ?? [])];
  }

  put(record: SfRecord): void {
    const id = String(record.Id);
    const before = this.rows.get(id);
    this.journal?.push(before ? () => this.put(before) : () => this.purge(id));
    if (before) this.unindex(id, before);
    this.rows.set(id, record);
    for (const [field, index] of this.indexes) {
      const key = indexKey(this.def.byName.get(field.toLowerCase()), record[field] ?? null);
      let ids = index.get(key);
      if (!ids) {
        ids = new Set();
        index.set(key, ids);
      }
      ids.add(id);
    }
  }

  remove(id: string): SfRecord | undefined {
    const record = this.rows.get(id);
    if (!record) return undefined;
    this.journal?.push(() => {
      this.deleted.delete(id);
      this.put(record);
    });
    this.unindex(id, record);
    this.rows.delete(id);
    const tombstone = { ...record, IsDeleted: true };
    this.deleted.set(id, tombstone);
    return tombstone;
  }

  /** Forgets a row entirely (no tombstone): the inverse of a create. */
  purge(id: string): void {
    const record = this.rows.get(id);
    if (record) this.unindex(id, record);
    this.rows.delete(id);
  }

  private unindex(id: string, record: SfRecord): void {
    for (const [field, index] of this.indexes) {
      const key = indexKey(this.def.byName.get(field.toLowerCase()), record[field] ?? null);
      const ids = index.get(key);
      ids?.delete(id);
      if (ids?.size === 0) index.delete(key);
    }
  }
}
