// The bench's store: a throwaway schema in the PostgreSQL at DATABASE_URL (so runs neither collide with each
// other nor leave 100,000 users behind), else embedded PGlite in a temporary directory.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Db, migrate, openPostgres, openStore } from "../src/store/index.ts";

export async function openBenchStore(
  dataDir: string,
  databaseUrl: string | undefined,
): Promise<{ db: Db; close(): Promise<void> }> {
  if (!databaseUrl) {
    const db = await openStore({ dataDir });
    return { db, close: () => db.close() };
  }
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const db = await openPostgres(databaseUrl, { schema });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await admin(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}
