// A resource's status in each target is its link, shown `pending` (or `held`) while a job of it is open there: a
// write queues jobs without touching the links, so the open jobs are its pending state. Read through linksFor (the
// admin API, the console) and the SCIM status extension's read (extrasOf), on both stores.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJobs, extrasOf, insertResources, linksFor, recordLinks } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

describe.each(BACKENDS)("status on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s.close());

  async function user(): Promise<string> {
    const id = randomUUID();
    await insertResources(
      s.db,
      "User",
      [{ id, data: { userName: `${id}@example.com`, active: true } }],
      new Date(),
    );
    return id;
  }
  const job = (id: string, target: string, state?: "held") => ({
    target,
    resourceType: "User" as const,
    resourceId: id,
    action: state ? ("deprovision" as const) : ("provision" as const),
    ...(state ? { state } : {}),
  });
  const status = async (id: string) => {
    const fromLinks = (await linksFor(s.db, [id])).map((l) => ({
      target: l.target,
      state: l.state,
      targetId: l.targetId,
      errorCode: l.errorCode,
    }));
    const fromScim = ((await extrasOf(s.db, "User", [id], { links: true })).get(id)?.links ?? []).map(
      (l) => ({
        target: l.target,
        state: l.state,
        targetId: l.targetId ?? null,
        errorCode: l.errorCode ?? null,
      }),
    );
    expect(fromScim).toEqual(fromLinks);
    return fromLinks;
  };

  it.each([
    ["no link and no job: no status", [], [], []],
    [
      "no link, an open job: pending",
      [],
      [["a"]],
      [{ target: "a", state: "pending", targetId: null, errorCode: null }],
    ],
    [
      "a synced link and an open job: pending, with the account it is linked to",
      [["a", "synced", "acct-1"]],
      [["a"]],
      [{ target: "a", state: "pending", targetId: "acct-1", errorCode: null }],
    ],
    [
      "a failed link and a new job: pending, the last error kept until the delivery",
      [["a", "failed", null, "E1"]],
      [["a"]],
      [{ target: "a", state: "pending", targetId: null, errorCode: "E1" }],
    ],
    [
      "a held deprovision: held",
      [["a", "synced", "acct-1"]],
      [["a", "held"]],
      [{ target: "a", state: "held", targetId: "acct-1", errorCode: null }],
    ],
    [
      "two targets, a job in one: only that one pending",
      [
        ["a", "synced", "acct-1"],
        ["b", "synced", "acct-2"],
      ],
      [["b"]],
      [
        { target: "a", state: "synced", targetId: "acct-1", errorCode: null },
        { target: "b", state: "pending", targetId: "acct-2", errorCode: null },
      ],
    ],
  ] as const)("%s", async (_, links, jobs, expected) => {
    const id = await user();
    for (const [target, state, targetId, errorCode] of links as readonly (readonly [
      string,
      "synced" | "failed",
      string | null,
      string?,
    ])[])
      await recordLinks(s.db, target, [
        { resourceType: "User", resourceId: id, state, targetId, ...(errorCode ? { errorCode } : {}) },
      ]);
    await enqueueJobs(
      s.db,
      (jobs as readonly (readonly [string, "held"?])[]).map(([target, held]) => job(id, target, held)),
    );
    expect(await status(id)).toEqual(expected);
  });

  it("a job done leaves the link's own state", async () => {
    const id = await user();
    await enqueueJobs(s.db, [job(id, "a")]);
    await recordLinks(s.db, "a", [
      { resourceType: "User", resourceId: id, state: "synced", targetId: "acct-9" },
    ]);
    await s.db.query("UPDATE outbox SET state = 'done' WHERE resource_id = $1", [id]);
    expect(await status(id)).toEqual([{ target: "a", state: "synced", targetId: "acct-9", errorCode: null }]);
  });

  it("records a first delivery's links in one write each, and a later one's as updates of them", async () => {
    const ids = [await user(), await user(), await user()];
    const outcome = (id: string, n: number) => ({
      resourceType: "User" as const,
      resourceId: id,
      state: "synced" as const,
      targetId: `acct-${n}`,
      sent: { Title: `T${n}` },
    });
    // Rows recordLinks inserted and updated in links, as PostgreSQL counts them (its counters not yet reported
    // include earlier transactions': the difference is this call's).
    const writes = (record: Parameters<typeof recordLinks>[2]) =>
      s.db.transaction(async (tx) => {
        const count = async () =>
          (
            await tx.query<{ ins: number; upd: number }>(
              `SELECT pg_stat_get_xact_tuples_inserted('links'::regclass)::int AS ins,
                      pg_stat_get_xact_tuples_updated('links'::regclass)::int AS upd`,
            )
          ).rows[0]!;
        const before = await count();
        await recordLinks(tx, "w", record);
        const after = await count();
        return { ins: after.ins - before.ins, upd: after.upd - before.upd };
      });
    expect(await writes(ids.map((id, n) => outcome(id, n)))).toEqual({ ins: 3, upd: 0 });
    expect((await linksFor(s.db, ids, "w")).map((l) => [l.state, l.targetId, l.sent])).toEqual(
      ids
        .map((id, n) => ({ id, n }))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(({ n }) => ["synced", `acct-${n}`, { Title: `T${n}` }]),
    );
    // One link new, two known: the new one inserted, the known ones updated, every value as recorded.
    const fourth = await user();
    expect(
      await writes([
        { ...outcome(ids[0]!, 0), state: "failed", errorCode: "E1", targetId: null },
        outcome(fourth, 4),
        { ...outcome(ids[1]!, 1), targetId: "acct-1b" },
      ]),
    ).toEqual({ ins: 1, upd: 2 });
    const after = new Map(
      (await linksFor(s.db, [ids[0]!, ids[1]!, fourth], "w")).map((l) => [l.resourceId, l]),
    );
    expect([after.get(ids[0]!)?.state, after.get(ids[0]!)?.targetId, after.get(ids[0]!)?.errorCode]).toEqual([
      "failed",
      "acct-0",
      "E1",
    ]);
    expect(after.get(ids[1]!)?.targetId).toBe("acct-1b");
    expect([after.get(fourth)?.state, after.get(fourth)?.targetId]).toEqual(["synced", "acct-4"]);
  });
});
