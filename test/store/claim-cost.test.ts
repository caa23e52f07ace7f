// The claim query's work stays proportional to what it claims, whatever the planner's statistics say. After a
// burst of SCIM writes the statistics are stale until autovacuum runs; the claim used to become a quadratic scan of
// the open jobs then (1.3 s and 3.9 million buffer reads per claim with 2,000 open jobs), taking the database's CPU
// from the IdP's writes. Measured in buffers touched (EXPLAIN ANALYZE), which does not depend on the machine.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIM_FOLLOWERS_SQL, CLAIM_HEADS_SQL } from "../../src/store/outbox.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

interface PlanNode {
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  "Actual Rows"?: number;
}

describe.each(BACKENDS)("claim cost on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
    // Statistics taken while the outbox was empty, as after a quiet night; then the burst.
    await s.db.exec("ANALYZE outbox");
    const add = async (n: number, state: string) => {
      const ids = Array.from({ length: n }, () => randomUUID());
      await s.db.query(
        `INSERT INTO outbox (target, resource_type, resource_id, action, state)
         SELECT t, 'User', r, 'provision', $3 FROM unnest($1::uuid[]) r, unnest($2::text[]) t`,
        [ids, ["tableau", "salesforce"], state],
      );
      return ids;
    };
    await add(10_000, "done");
    pendingIds = await add(2_000, "pending");
  }, 60_000);
  afterAll(() => s.close());

  let pendingIds: string[] = [];
  async function claimCost(
    limit: number,
    sql = CLAIM_HEADS_SQL,
    params: unknown[] = ["tableau", limit, "w:1", 60_000],
  ): Promise<{ buffers: number; claimed: number }> {
    return s.db
      .transaction(async (tx) => {
        const { rows } = await tx.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
          params,
        );
        const plan = rows[0]!["QUERY PLAN"][0].Plan;
        throw Object.assign(new Error("rollback"), {
          result: {
            buffers: (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0),
            claimed: plan["Actual Rows"] ?? 0,
          },
        });
      })
      .catch((e: { result?: { buffers: number; claimed: number } }) => {
        if (!e.result) throw e;
        return e.result;
      });
  }

  it("claims a batch of 200 from 2,000 open jobs touching a few buffers per job (16 measured), not the whole queue per job (19,600 before)", async () => {
    const { buffers, claimed } = await claimCost(200);
    expect(claimed).toBe(200);
    // Each claimed job: its place in the due index, the oldest-open-job lookup, the row and its index entries.
    expect(buffers / claimed).toBeLessThan(25);
  });

  it("costs about the same per job for a small claim: the work does not grow with the queue", async () => {
    const { buffers, claimed } = await claimCost(10);
    expect(claimed).toBe(10);
    expect(buffers / claimed).toBeLessThan(25);
  });

  it("takes a batch's followers (the jobs queued behind its heads) touching tens of buffers per resource, not the queue", async () => {
    // Every one of these 200 resources has a pending job: the followers a claim of their heads would take along.
    const { buffers, claimed } = await claimCost(200, CLAIM_FOLLOWERS_SQL, [
      "tableau",
      pendingIds.slice(0, 200),
      "w:1",
      60_000,
    ]);
    expect(claimed).toBe(200);
    // Measured 18 (PGlite) to 51 (PostgreSQL, after the rolled-back claims above) per resource; 2,088 before.
    expect(buffers / claimed).toBeLessThan(100);
  });
});
