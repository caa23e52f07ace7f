import { join } from "node:path";
import { type Db, openPglite, openPostgres } from "./db.ts";
import { migrate } from "./migrate.ts";

/** PostgreSQL when a URL is given, else PGlite in `<dataDir>/pglite`; migrated before use. */
export async function openStore(opts: {
  databaseUrl?: string;
  dataDir: string;
  migrate?: boolean;
  statementTimeoutMs?: number;
}): Promise<Db> {
  const limits = opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {};
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, limits)
    : await openPglite(join(opts.dataDir, "pglite"), limits);
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await db.close();
      throw e;
    }
  }
  return db;
}
