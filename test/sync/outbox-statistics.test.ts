// A burst of writes refreshes the planner's statistics of the outbox (sync/outbox-statistics.ts): a prepared read
// planned on a near-empty outbox would otherwise scan all of it for each user's open jobs until autovacuum runs (or
// forever where it is off). Checked through what the planner knows: the outbox's row count in pg_class.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { OutboxStatistics } from "../../src/sync/outbox-statistics.ts";
import { BACKENDS, openTestDb } from "../support/store.ts";

describe.each(BACKENDS)("outbox statistics (%s)", (backend) => {
  it("analyses the outbox once the jobs queued pass the threshold, then after twice as many", async () => {
    const store = await openTestDb(backend);
    const { db } = store;
    try {
      const rowsKnown = async () =>
        Number(
          (
            await db.query<{ n: number }>(
              "SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'outbox'",
            )
          ).rows[0]!.n,
        );
      const queue = (n: number) =>
        db.query(
          `INSERT INTO outbox (target, resource_type, resource_id, action)
           SELECT 'tableau', 'User', id, 'provision' FROM unnest($1::uuid[]) AS id`,
          [Array.from({ length: n }, () => randomUUID())],
        );
      const stats = new OutboxStatistics(db, pino({ level: "silent" }), { first: 10, most: 40 });
      const before = await rowsKnown();

      await queue(30);
      stats.noteQueued(5);
      await stats.idle();
      expect(await rowsKnown()).toBe(before);
      stats.noteQueued(5);
      await stats.idle();
      expect(await rowsKnown()).toBe(30);

      await queue(20);
      stats.noteQueued(10);
      await stats.idle();
      expect(await rowsKnown()).toBe(30);
      stats.noteQueued(10);
      await stats.idle();
      expect(await rowsKnown()).toBe(50);
    } finally {
      await store.close();
    }
  });
});
