import { join } from "node:path";
import { type Db, openPglite, openPostgres } from "./db.ts";
import { migrate } from "./migrate.ts";

/** PostgreSQL when a URL is given, else PGlite in `<dataDir>/pglite`; migrated before use. */
export async function openStore(opts: {
  databaseUrl?: string;
  dataDir: string;
  migrate?: boolean;
}): Promise<Db> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl)
    : await openPglite(join(opts.dataDir, "pglite"));
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
