// The claim query's work stays proportional to what it claims, whatever the planner's statistics say. After a
// burst of SCIM writes the statistics are stale until autovacuum runs; the claim used to become a quadratic scan of
// the open jobs then (1.3 s and 3.9 million buffer reads per claim with 2,000 open jobs), taking the database's CPU
// from the IdP's writes. Measured in buffers touched (EXPLAIN ANALYZE), which does not depend on the machine.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE_GROUPS_OF_MEMBERS_SQL } from "../../src/store/delivery.ts";
import { linkStatusRows } from "../../src/store/links.ts";
import { CLAIM_FOLLOWERS_SQL, CLAIM_HEADS_SQL, type NewJob, outboxCtes } from "../../src/store/outbox.ts";
import { DROP_JOBS_QUEUED_NOW_SQL } from "../../src/store/reconcile.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
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
  /**
   * The executed plan of `sql`, rolled back. `drainedStatistics`: as the bridge runs it after a drained queue, i.e.
   * prepared (planned once for any values) with statistics taken while every job was done, then a burst.
   */
  async function planOf(sql: string, params: unknown[], opts: { drainedStatistics?: boolean } = {}) {
    return s.db
      .transaction(async (tx) => {
        if (opts.drainedStatistics) {
          await tx.query("SET LOCAL plan_cache_mode = force_generic_plan");
          const { rows: open } = await tx.query<{ id: string }>(
            "UPDATE outbox SET state = 'done' WHERE state = 'pending' RETURNING id",
          );
          await tx.exec("ANALYZE outbox");
          await tx.query("UPDATE outbox SET state = 'pending' WHERE id = ANY($1::bigint[])", [
            open.map((r) => r.id),
          ]);
        }
        const { rows } = await tx.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`,
          params,
        );
        throw Object.assign(new Error("rollback"), { plan: rows[0]!["QUERY PLAN"][0].Plan });
      })
      .catch((e: { plan?: PlanNode }) => {
        if (!e.plan) throw e;
        return e.plan;
      });
  }

  async function claimCost(
    limit: number,
    sql = CLAIM_HEADS_SQL,
    params: unknown[] = ["tableau", limit, "w:1", 60_000],
  ): Promise<{ buffers: number; claimed: number }> {
    const plan = await planOf(sql, params);
    return {
      buffers: (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0),
      claimed: plan["Actual Rows"] ?? 0,
    };
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

  /** `count` of every scan of `table` in the plan, summed. */
  const scans = (n: PlanNode, table: string, count: (scan: PlanNode) => number): number =>
    (/Scan/.test(n["Node Type"]) && n["Relation Name"] === table ? count(n) : 0) +
    (n.Plans ?? []).reduce((sum, c) => sum + scans(c, table, count), 0);

  /** Outbox rows a statement's plan read after a drained queue (returned or filtered out by its scans, every loop). */
  async function outboxRowsRead(sql: string, params: unknown[]): Promise<number> {
    return scans(
      await planOf(sql, params, { drainedStatistics: true }),
      "outbox",
      (n) => ((n["Actual Rows"] ?? 0) + (n["Rows Removed by Filter"] ?? 0)) * (n["Actual Loops"] ?? 1),
    );
  }

  it("queues a write's jobs reading only that resource's jobs, whether they join a pending one or not (2,501 rows read per write before)", async () => {
    for (const id of [pendingIds[500]!, randomUUID()]) {
      const jobs: NewJob[] = ["tableau", "salesforce"].map((target) => ({
        target,
        resourceType: "User",
        resourceId: id,
        action: "provision",
      }));
      const params: unknown[] = [];
      const sql = `WITH ${outboxCtes(params, jobs, { coalesce: true })} SELECT 1`;
      expect(await outboxRowsRead(sql, params)).toBeLessThanOrEqual(2);
    }
  });

  it("queues the groups of a member batch reading only those groups' jobs, not the target's pending jobs", async () => {
    const group = randomUUID();
    await s.db.query("INSERT INTO groups (id, display_name, data) VALUES ($1, 'Cost', '{}')", [group]);
    await s.db.query(
      "INSERT INTO group_members (group_id, member_id, member_type) SELECT $1, unnest($2::uuid[]), 'User'",
      [group, pendingIds.slice(0, 200)],
    );
    await s.db.query(
      "INSERT INTO outbox (target, resource_type, resource_id, action) VALUES ('tableau', 'Group', $1, 'provision')",
      [group],
    );
    const read = await outboxRowsRead(QUEUE_GROUPS_OF_MEMBERS_SQL, [
      "tableau",
      pendingIds.slice(0, 200),
      null,
      true,
    ]);
    expect(read).toBeLessThanOrEqual(2);
  });

  it("takes 100 resources' followers reading only their jobs, with statistics from a drained queue (4,200 rows read before)", async () => {
    const read = await outboxRowsRead(CLAIM_FOLLOWERS_SQL, [
      "tableau",
      pendingIds.slice(0, 100),
      "w:1",
      60_000,
    ]);
    // Each resource's job, its held-job lookup and the update by id: 300 (4,200 before: every open job, twice).
    expect(read).toBeLessThan(500);
  });

  it("claims 200 heads reading about their own jobs, with statistics from a drained queue", async () => {
    const read = await outboxRowsRead(CLAIM_HEADS_SQL, ["tableau", 200, "w:1", 60_000]);
    // Each head's place in the due index, its oldest-open-job lookup and its update: 600.
    expect(read).toBeLessThan(1000);
  });

  it("drops an imported resource's jobs reading only that resource's jobs, with statistics from a drained queue", async () => {
    // Once per imported resource and target: reading every pending job of the target each time made an import of
    // n resources cost n × the queue.
    expect(
      await outboxRowsRead(DROP_JOBS_QUEUED_NOW_SQL, ["tableau", pendingIds[1_500]]),
    ).toBeLessThanOrEqual(2);
  });

  it("reads a resource's status with one lookup of its links and one of its open jobs (three of each before)", async () => {
    // Linked in one target, an open job in both: the status every SCIM answer with a provisioning status reads.
    const id = pendingIds[1_000]!;
    await s.db.query(
      "INSERT INTO links (resource_type, resource_id, target, target_id, state) VALUES ('User', $1, 'tableau', 't-1', 'synced')",
      [id],
    );
    const lookups = (n: PlanNode, table: string) => scans(n, table, (scan) => scan["Actual Loops"] ?? 1);
    const plan = await planOf(
      `SELECT * FROM (${linkStatusRows((a) => `${a}.resource_id = $1::uuid`)}) s ORDER BY target`,
      [id],
      { drainedStatistics: true },
    );
    expect(plan["Actual Rows"]).toBe(2);
    expect(lookups(plan, "links")).toBe(1);
    expect(lookups(plan, "outbox")).toBe(1);
  });
});
