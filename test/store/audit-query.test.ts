// The audit read like a log: each filter (and their combinations) keeps exactly the rows it names; walking keyset
// pages on (at, id) yields every matching row once, newest first, even with many rows at the same instant; a person
// typed by userName or displayName (live or deleted) finds their ids; an export reads in batches of a fixed size.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Queryable } from "../../src/store/db.ts";
import { type AuditQuery, auditBatches, queryAudit, resolvePerson } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const RES = [randomUUID(), randomUUID(), randomUUID()];
const BASE = Date.parse("2026-12-01T00:00:00Z");

interface Seed {
  minute: number;
  micro: number;
  target: string | null;
  actor: string;
  action: string;
  outcome: string;
  resource: number | null;
}
const seed = fc.record({
  // Few distinct instants, so (at) alone has many ties; microseconds that a JavaScript Date cannot hold.
  minute: fc.integer({ min: 0, max: 3 }),
  micro: fc.constantFrom(0, 1, 999_999),
  target: fc.constantFrom("tableau", "salesforce", null),
  actor: fc.constantFrom("default", "admin"),
  action: fc.constantFrom("scim.user.create", "target.deliver"),
  outcome: fc.constantFrom("accepted", "synced", "failed"),
  resource: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
});
const atOf = (s: Seed) =>
  `${new Date(BASE + s.minute * 60_000).toISOString().slice(0, 19)}.${String(s.micro).padStart(6, "0")}Z`;

const filter: fc.Arbitrary<AuditQuery> = fc.record(
  {
    resourceIds: fc.subarray(RES, { minLength: 1 }),
    target: fc.constantFrom("tableau", "salesforce"),
    actor: fc.constantFrom("default", "admin"),
    action: fc.constantFrom("scim.user.create", "target.deliver"),
    outcome: fc.constantFrom("accepted", "synced", "failed"),
    from: fc.integer({ min: 0, max: 3 }).map((m) => new Date(BASE + m * 60_000)),
    to: fc.integer({ min: 1, max: 4 }).map((m) => new Date(BASE + m * 60_000)),
  },
  { requiredKeys: [] },
);

describe.each(BACKENDS)("the audit as a log on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s?.close());
  beforeEach(async () => {
    await s.db.exec("DELETE FROM audit");
  });

  /** Inserts the seeds; answers them with their ids, in insertion order. */
  async function insert(seeds: Seed[]) {
    const out: (Seed & { id: number; at: string })[] = [];
    for (const x of seeds) {
      const { rows } = await s.db.query<{ id: string }>(
        `INSERT INTO audit (at, actor, action, target, resource_type, resource_id, outcome)
         VALUES ($1::timestamptz, $2, $3, $4, 'User', $5::uuid, $6) RETURNING id`,
        [atOf(x), x.actor, x.action, x.target, x.resource === null ? null : RES[x.resource], x.outcome],
      );
      out.push({ ...x, id: Number(rows[0]!.id), at: atOf(x) });
    }
    return out;
  }
  const matches = (f: AuditQuery) => (x: Seed & { at: string }) =>
    (!f.resourceIds || (x.resource !== null && f.resourceIds.includes(RES[x.resource]!))) &&
    (f.target === undefined || x.target === f.target) &&
    (f.actor === undefined || x.actor === f.actor) &&
    (f.action === undefined || x.action === f.action) &&
    (f.outcome === undefined || x.outcome === f.outcome) &&
    (!f.from || Date.parse(x.at) >= f.from.getTime()) &&
    (!f.to || Date.parse(x.at) < f.to.getTime());
  // Newest first: by the instant to the microsecond (the string sorts as the time does), then by id.
  const newestFirst = (a: { at: string; id: number }, b: { at: string; id: number }) =>
    a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1;

  it.each<[string, AuditQuery, number[]]>([
    ["no filter", {}, [0, 1, 2, 3, 4]],
    ["a person", { resourceIds: [RES[0]!] }, [0, 3]],
    ["a target", { target: "tableau" }, [0, 1]],
    ["an actor", { actor: "admin" }, [2]],
    ["an action", { action: "target.deliver" }, [1, 2, 4]],
    ["an outcome", { outcome: "failed" }, [4]],
    ["from (inclusive)", { from: new Date(BASE + 60_000) }, [1, 2, 3, 4]],
    ["to (exclusive)", { to: new Date(BASE + 60_000) }, [0]],
    [
      "a person, an action and a range",
      { resourceIds: [RES[0]!, RES[1]!], action: "target.deliver", from: new Date(BASE) },
      [1, 4],
    ],
    ["a person with no ids", { resourceIds: [] }, []],
  ])("filters by %s", async (_name, f, expected) => {
    const rows = await insert([
      {
        minute: 0,
        micro: 0,
        target: "tableau",
        actor: "default",
        action: "scim.user.create",
        outcome: "accepted",
        resource: 0,
      },
      {
        minute: 1,
        micro: 0,
        target: "tableau",
        actor: "default",
        action: "target.deliver",
        outcome: "synced",
        resource: 1,
      },
      {
        minute: 1,
        micro: 1,
        target: "salesforce",
        actor: "admin",
        action: "target.deliver",
        outcome: "synced",
        resource: null,
      },
      {
        minute: 2,
        micro: 0,
        target: null,
        actor: "default",
        action: "scim.user.create",
        outcome: "accepted",
        resource: 0,
      },
      {
        minute: 3,
        micro: 0,
        target: "salesforce",
        actor: "default",
        action: "target.deliver",
        outcome: "failed",
        resource: 1,
      },
    ]);
    const got = await queryAudit(s.db, f, { limit: 100 });
    expect(got.map((r) => r.id)).toEqual(expected.map((i) => rows[i]!.id).reverse());
  });

  it("walking pages yields each matching row once, newest first by (at, id), at any page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(seed, { maxLength: 40 }),
        filter,
        fc.integer({ min: 1, max: 7 }),
        async (seeds, f, size) => {
          await s.db.exec("DELETE FROM audit");
          // Inserted in random time order: ids do not follow time, which a keyset on id alone would get wrong.
          const rows = await insert(seeds);
          const expected = rows
            .filter(matches(f))
            .sort(newestFirst)
            .map((r) => r.id);
          const walked: number[] = [];
          let before: number | undefined;
          for (let i = 0; i <= rows.length + 1; i++) {
            const page = await queryAudit(s.db, f, { before, limit: size });
            walked.push(...page.map((r) => r.id));
            if (page.length < size) break;
            before = page.at(-1)!.id;
          }
          expect(walked).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("an export of 2,500 rows reads them in 3 statements of at most 1,000", async () => {
    await s.db.exec(
      `INSERT INTO audit (at, action, outcome) SELECT timestamptz '2026-12-01' + (i % 7) * interval '1 second', 'target.deliver', 'synced'
         FROM generate_series(1, 2500) i`,
    );
    const statements: string[] = [];
    const counting: Queryable = {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return s.db.query(sql, params);
      },
    } as Queryable;
    const seen = new Set<number>();
    let largest = 0;
    for await (const batch of auditBatches(counting, {}, 1000)) {
      largest = Math.max(largest, batch.length);
      for (const r of batch) seen.add(r.id);
    }
    expect(seen.size).toBe(2500);
    expect(largest).toBe(1000);
    // 1,000 + 1,000 + 500: the short third batch ends the walk without a fourth statement.
    expect(statements).toHaveLength(3);
  });

  it("finds a person by userName or displayName, any case, also once deleted, and a resource id as is", async () => {
    const live = randomUUID();
    const gone = randomUUID();
    const group = randomUUID();
    await s.db.query(
      `INSERT INTO users (id, user_name, display_name, data) VALUES ($1, 'ada@example.com', 'Ada Lovelace', '{}')`,
      [live],
    );
    await s.db.query(`INSERT INTO groups (id, display_name, data) VALUES ($1, 'Sales', '{}')`, [group]);
    await s.db.query(
      `INSERT INTO deleted_names (resource_id, resource_type, user_name, display_name) VALUES ($1, 'User', 'bob@example.com', 'Bob')`,
      [gone],
    );
    expect(await resolvePerson(s.db, "ADA@example.com")).toEqual([live]);
    expect(await resolvePerson(s.db, "ada lovelace")).toEqual([live]);
    expect(await resolvePerson(s.db, "bob@example.com")).toEqual([gone]);
    expect(await resolvePerson(s.db, "Bob")).toEqual([gone]);
    expect(await resolvePerson(s.db, "sales")).toEqual([group]);
    expect(await resolvePerson(s.db, "nobody")).toEqual([]);
    expect(await resolvePerson(s.db, live.toUpperCase())).toEqual([live]);
  });
});
