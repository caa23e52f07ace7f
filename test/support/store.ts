// Test stores: in-memory PGlite, or a fresh schema in the PostgreSQL at DATABASE_URL.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Db, migrate, openPglite, openPostgres, type SessionLimits } from "../../src/store/index.ts";

export type Backend = "pglite" | "postgres";

/** The backends a store test runs on: PGlite always, PostgreSQL when DATABASE_URL is set (as in CI). */
export const BACKENDS: Backend[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestDb {
  db: Db;
  /** For PostgreSQL: the schema, so other processes can be pointed at the same data. */
  schema?: string;
  close(): Promise<void>;
}

/** `migrateThrough`: migrate only up to that migration, to test the next one on a store as it left it. */
export async function openTestDb(
  backend: Backend = "pglite",
  limits: SessionLimits = {},
  opts: { migrateThrough?: string } = {},
): Promise<TestDb> {
  const through = opts.migrateThrough ? { through: opts.migrateThrough } : {};
  if (backend === "pglite") {
    const db = await openPglite(undefined, limits);
    await migrate(db, through);
    return { db, close: () => db.close() };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const db = await openPostgres(url, { schema, max: 5, ...limits });
  await migrate(db, through);
  return {
    db,
    schema,
    async close() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
