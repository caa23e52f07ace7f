// Applies src/store/migrations/NNN_name.sql (or NNN_name.ts, for a step SQL alone cannot do: one computed in
// TypeScript) in order, once each, on either engine, in one transaction.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Db, Queryable, Tx } from "./db.ts";

const DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
// Several bridge processes may start together against one PostgreSQL; only one may migrate at a time.
const LOCK_ID = 4_242_001;

export interface MigrationResult {
  applied: string[];
  current: string | undefined;
  /** What a migration reports for an admin to know (e.g. names that now clash), one sentence each. */
  notes: string[];
}

/** A migration written in TypeScript: `up` runs inside the migration transaction. */
export interface CodeMigration {
  up(tx: Tx): Promise<string[] | undefined>;
}

const migrationFiles = () =>
  readdirSync(DIR)
    .filter((f) => /^\d+_.+\.(sql|ts)$/.test(f))
    .sort();

/** Every migration and those not applied yet (all of them when the store was never migrated). */
export async function migrationStatus(db: Queryable): Promise<{ files: string[]; pending: string[] }> {
  const files = migrationFiles();
  let applied = new Set<string>();
  try {
    applied = new Set(
      (await db.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((r) => r.name),
    );
  } catch {}
  return { files, pending: files.filter((f) => !applied.has(f)) };
}

/** Whether the store answers a trivial statement (readiness). */
export async function pingStore(db: Queryable): Promise<void> {
  await db.query("SELECT 1");
}

/** `through`: stop after this migration (tests of a migration on a store as the one before left it). */
export async function migrate(db: Db, opts: { through?: string } = {}): Promise<MigrationResult> {
  const all = migrationFiles();
  const files = opts.through ? all.slice(0, all.indexOf(opts.through) + 1) : all;
  return db.transaction(async (tx) => {
    // A migration (an index over millions of rows) may rightly run longer than a request's statement timeout.
    await tx.exec("SET LOCAL statement_timeout = 0");
    if (db.kind === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_ID]);
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set(
      (await tx.query<{ name: string }>("SELECT name FROM schema_migrations")).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    const notes: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      if (file.endsWith(".ts")) {
        const step = (await import(pathToFileURL(DIR + file).href)) as CodeMigration;
        notes.push(...((await step.up(tx)) ?? []));
      } else await tx.exec(readFileSync(DIR + file, "utf8"));
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [file]);
      applied.push(file);
    }
    return { applied, current: files.at(-1), notes };
  });
}
