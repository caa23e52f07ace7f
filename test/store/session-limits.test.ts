// Every database session runs without JIT and with a statement timeout; on PostgreSQL a statement past the timeout
// is cancelled, the client gets a 503 that carries the request id, and the connection serves the next request.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { AUTH, createTestApp } from "../support/app.ts";
import { BACKENDS, openTestDb } from "../support/store.ts";

describe.each(BACKENDS)("session settings (%s)", (backend) => {
  it("turns JIT off and applies the configured statement timeout", async () => {
    const store = await openTestDb(backend, { statementTimeoutMs: 1234 });
    try {
      expect((await store.db.query<{ jit: string }>("SHOW jit")).rows[0]!.jit).toBe("off");
      const timeout = (await store.db.query<{ statement_timeout: string }>("SHOW statement_timeout")).rows[0];
      expect(timeout!.statement_timeout).toBe("1234ms");
      // Transactions get the same settings (they run on pooled connections).
      const inTx = await store.db.transaction((tx) => tx.query<{ jit: string }>("SHOW jit"));
      expect(inTx.rows[0]!.jit).toBe("off");
    } finally {
      await store.close();
    }
  });
});

describe.runIf(BACKENDS.includes("postgres"))("a statement past the timeout (postgres)", () => {
  it("is cancelled: 503 with the request id and Retry-After, and the pool keeps serving", async () => {
    const t = await createTestApp({ backend: "postgres", statementTimeoutMs: 300 });
    const locker = new pg.Client({
      connectionString: process.env.DATABASE_URL,
      options: `-c search_path=${t.store.schema}`,
    });
    await locker.connect();
    try {
      // A lock held elsewhere makes the list query wait: the wait counts against statement_timeout.
      await locker.query("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
      const started = Date.now();
      const res = await t.request.get("/scim/v2/Users").set(AUTH);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(503);
      expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
      expect(res.headers["retry-after"]).toBeDefined();
      expect(res.body.detail).toContain(res.headers["x-request-id"]);
      expect(res.body.detail).toMatch(/statement timeout/);
      await locker.query("COMMIT");
      // More requests than the pool has connections: each cancelled one was given back.
      for (let i = 0; i < 8; i++) await t.request.get("/scim/v2/Users").set(AUTH).expect(200);
      expect(t.logs.join("")).toMatch(/"code":"57014"/);
    } finally {
      await locker.end();
      await t.close();
    }
  });
});
