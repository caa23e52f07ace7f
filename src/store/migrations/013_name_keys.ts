// userNames and group displayNames become unique on their nameKey (case, Unicode normalisation form and width
// folded: src/store/name-key.ts) instead of lower(), which neither engine computes the same way for non-ASCII text
// (it depends on the database's locale), so the key is computed here, in TypeScript, for every existing row.
//
// Rows that already share a key (`José` stored twice, once precomposed and once with a combining accent) are not
// merged or renamed, and the migration does not fail: the oldest keeps the name, each later one gets a `name_clash`
// number (1, 2, …) that keeps the unique index satisfied, an audit row `store.name_clash` naming the row it clashes
// with, and a note for the admin. Filters find all of them; a new user with that name is refused (409); renaming a
// numbered row clears its number.
//
// The bridge always writes the key itself (store/resources.ts). A row inserted by other SQL without one (a seed
// script, a test, a bench) gets it from a trigger, as normalize(lower(name), NFC): the same key for every name but
// fullwidth forms, and for non-ASCII only where the database's locale lower-cases it (C.UTF-8 and PGlite do).
import type { Tx } from "../db.ts";
import { nameKey } from "../name-key.ts";

const PAGE = 5000;

const TABLES = [
  {
    table: "users",
    type: "User",
    column: "user_name",
    key: "user_name_key",
    oldIndex: "users_user_name_lower",
  },
  {
    table: "groups",
    type: "Group",
    column: "display_name",
    key: "display_name_key",
    oldIndex: "groups_display_name_lower",
  },
] as const;

export async function up(tx: Tx): Promise<string[]> {
  const notes: string[] = [];
  for (const t of TABLES) {
    await tx.exec(
      `ALTER TABLE ${t.table} ADD COLUMN ${t.key} text, ADD COLUMN name_clash integer NOT NULL DEFAULT 0`,
    );
    let after = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const { rows } = await tx.query<{ id: string; name: string }>(
        `SELECT id, ${t.column} AS name FROM ${t.table} WHERE id > $1::uuid ORDER BY id LIMIT ${PAGE}`,
        [after],
      );
      if (!rows.length) break;
      await tx.query(
        `UPDATE ${t.table} r SET ${t.key} = k.key FROM unnest($1::uuid[], $2::text[]) AS k(id, key) WHERE r.id = k.id`,
        [rows.map((r) => r.id), rows.map((r) => nameKey(r.name))],
      );
      after = rows.at(-1)!.id;
    }
    const { rows: clashes } = await tx.query<{ id: string; first: string }>(
      `WITH ranked AS (
         SELECT id, row_number() OVER w - 1 AS n, first_value(id) OVER w AS first
           FROM ${t.table} WINDOW w AS (PARTITION BY ${t.key} ORDER BY created, id)
       )
       UPDATE ${t.table} r SET name_clash = ranked.n FROM ranked
        WHERE r.id = ranked.id AND ranked.n > 0
       RETURNING r.id, ranked.first`,
    );
    if (clashes.length) {
      await tx.query(
        `INSERT INTO audit (actor, action, resource_type, resource_id, outcome, detail)
         SELECT 'migration 011', 'store.name_clash', $1, c.id, 'kept', jsonb_build_object('sameNameAs', c.first)
           FROM unnest($2::uuid[], $3::uuid[]) AS c(id, first)`,
        [t.type, clashes.map((c) => c.id), clashes.map((c) => c.first)],
      );
      const what = t.type === "User" ? "users share a userName" : "groups share a displayName";
      notes.push(
        `${clashes.length} ${what} with an older one once case and Unicode normalisation are ignored; both are kept, ` +
          `new ones with that name are refused: see the audit (action store.name_clash) and rename one of each pair`,
      );
    }
    await tx.exec(`ALTER TABLE ${t.table} ALTER COLUMN ${t.key} SET NOT NULL`);
    await tx.exec(`CREATE FUNCTION ${t.table}_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.${t.key} := COALESCE(NEW.${t.key}, normalize(lower(NEW.${t.column}), NFC));
        RETURN NEW;
      END $$`);
    await tx.exec(
      `CREATE TRIGGER ${t.table}_name_key BEFORE INSERT ON ${t.table} FOR EACH ROW EXECUTE FUNCTION ${t.table}_name_key()`,
    );
    await tx.exec(`DROP INDEX ${t.oldIndex}`);
    await tx.exec(`CREATE UNIQUE INDEX ${t.table}_${t.key} ON ${t.table} (${t.key}, name_clash)`);
  }
  return notes;
}
