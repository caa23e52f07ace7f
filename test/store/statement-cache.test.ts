// PostgreSQL keeps a list's statement (a compiled filter, a page: `keepParsed`) parsed on each connection that ran it,
// so an IdP's repeated `userName eq` lookup skips parse and plan; no connection keeps more than
// UNMARKED_TEXTS_PER_CONNECTION of them, however many different filters clients send; and any other unmarked text
// (the outbox claim) is planned afresh each time, as a plan made while a table was small can be far off later.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPglite, UNMARKED_TEXTS_PER_CONNECTION } from "../../src/store/db.ts";
import { type Db, migrate, openPostgres } from "../../src/store/index.ts";

const URL_ = process.env.DATABASE_URL;

describe.runIf(URL_)("statements kept parsed per connection (postgres)", () => {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  let db: Db;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: URL_ });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  // One connection, so that what it holds can be read through the same pool.
  const parsedHere = async () =>
    (await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements")).rows.map(
      (r) => r.statement,
    );
  const backend = async () =>
    (await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;

  beforeAll(async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    db = await openPostgres(URL_!, { schema, max: 1 });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await admin(`DROP SCHEMA ${schema} CASCADE`);
  });

  it("parses a lookup once and runs it again from the parsed statement", async () => {
    const lookup = "SELECT id FROM users WHERE user_name = $1 /* lookup */";
    await db.query(lookup, ["ada@example.com"], { keepParsed: true });
    await db.query(lookup, ["grace@example.com"], { keepParsed: true });
    expect((await parsedHere()).filter((s) => s === lookup)).toHaveLength(1);
  });

  it("keeps no other unmarked text parsed", async () => {
    const claim = "SELECT id FROM outbox WHERE target = $1 /* not kept */";
    await db.query(claim, ["tableau"]);
    await db.query(claim, ["tableau"]);
    expect(await parsedHere()).not.toContain(claim);
  });

  it(`keeps at most ${UNMARKED_TEXTS_PER_CONNECTION} such statements on a connection, replacing a connection that parsed that many`, async () => {
    const first = await backend();
    const pids = new Set([first]);
    for (let i = 0; i < 3 * UNMARKED_TEXTS_PER_CONNECTION; i++) {
      const r = await db.query<{ n: number }>(`SELECT $1::int + ${i} AS n`, [1], { keepParsed: true });
      expect(r.rows[0]!.n).toBe(1 + i);
      expect((await parsedHere()).length).toBeLessThanOrEqual(UNMARKED_TEXTS_PER_CONNECTION);
      pids.add(await backend());
    }
    expect(pids.size).toBeGreaterThanOrEqual(3);
  });

  it("answers a statement's error to its caller and keeps serving", async () => {
    const keep = { keepParsed: true };
    await expect(db.query("SELECT 1 / $1::int AS n", [0], keep)).rejects.toMatchObject({ code: "22012" });
    expect((await db.query<{ n: number }>("SELECT 2 / $1::int AS n", [1], keep)).rows[0]!.n).toBe(2);
  });
});

describe("statements kept parsed (pglite)", () => {
  it("keeps a list's text parsed, at most 200 of them, and no other unmarked text", async () => {
    const db = await openPglite();
    try {
      await migrate(db);
      const parsed = async () =>
        (await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements")).rows.map(
          (r) => r.statement,
        );
      const lookup = "SELECT id FROM users WHERE user_name = $1 /* lookup */";
      const claim = "SELECT id FROM outbox WHERE target = $1 /* not kept */";
      for (const value of ["ada@example.com", "grace@example.com"]) {
        await db.query(lookup, [value], { keepParsed: true });
        await db.query(claim, [value]);
      }
      const held = await parsed();
      expect(held.filter((s) => s === lookup)).toHaveLength(1);
      expect(held).not.toContain(claim);
      // The unnamed statement answers correctly each time, whatever ran before it.
      expect((await db.query<{ n: number }>("SELECT $1::int * 2 AS n", [21])).rows[0]!.n).toBe(42);
      expect((await db.query<{ s: string }>("SELECT $1::text || 'b' AS s", ["a"])).rows[0]!.s).toBe("ab");
      // At most 200 kept texts: the oldest are closed, and one closed runs again when it is used again.
      const keep = { keepParsed: true };
      for (let i = 0; i < 210; i++) {
        expect((await db.query<{ n: number }>(`SELECT $1::int + ${i} AS n`, [1], keep)).rows[0]!.n).toBe(
          1 + i,
        );
      }
      const kept = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'scim_bridge_lite_%'",
      );
      expect(kept.rows[0]!.n).toBeLessThanOrEqual(200);
      expect((await db.query<{ n: number }>("SELECT $1::int + 0 AS n", [5], keep)).rows[0]!.n).toBe(5);
    } finally {
      await db.close();
    }
  });
});
