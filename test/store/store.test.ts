// The store on each backend: migrations, resources, memberships, links and the outbox's claim rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addMembers,
  claimUnits,
  completeJobs,
  enqueueJobs,
  getResource,
  insertResources,
  linksFor,
  listMembers,
  migrate,
  recordLinks,
  removeMembers,
  updateResource,
} from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe.each(BACKENDS)("store on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s.close());

  it("applies migrations once: a second run changes nothing", async () => {
    expect((await migrate(s.db)).applied).toEqual([]);
    const { rows } = await s.db.query<{ name: string }>("SELECT name FROM schema_migrations");
    expect(rows.map((r) => r.name)).toContain("001_init.sql");
  });

  it("keeps indexed columns in step with the body and bumps the version on update", async () => {
    const now = new Date();
    const [u] = await insertResources(
      s.db,
      "User",
      [{ id: uuid(1), data: { userName: "Mixed@Case.com", active: true } }],
      now,
    );
    expect(u?.version).toBe(1);
    const updated = await updateResource(
      s.db,
      "User",
      uuid(1),
      { userName: "other@case.com", active: false, externalId: "x1" },
      now,
    );
    expect(updated.version).toBe(2);
    const { rows } = await s.db.query<{ user_name: string; active: boolean; external_id: string }>(
      "SELECT user_name, active, external_id FROM users WHERE id = $1",
      [uuid(1)],
    );
    expect(rows[0]).toEqual({ user_name: "other@case.com", active: false, external_id: "x1" });
  });

  it("enforces userName uniqueness case-insensitively in the database", async () => {
    await insertResources(s.db, "User", [{ id: uuid(2), data: { userName: "unique@x.com" } }], new Date());
    await expect(
      insertResources(s.db, "User", [{ id: uuid(3), data: { userName: "UNIQUE@x.com" } }], new Date()),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("stores memberships as rows: adding twice keeps one, removing touches only the named member", async () => {
    await insertResources(s.db, "Group", [{ id: uuid(10), data: { displayName: "G" } }], new Date());
    await insertResources(
      s.db,
      "User",
      [
        { id: uuid(11), data: { userName: "m11@x.com" } },
        { id: uuid(12), data: { userName: "m12@x.com" } },
      ],
      new Date(),
    );
    expect(
      await addMembers(s.db, uuid(10), [
        { value: uuid(11), type: "User" },
        { value: uuid(12), type: "User" },
      ]),
    ).toHaveLength(2);
    expect(await addMembers(s.db, uuid(10), [{ value: uuid(11), type: "User" }])).toEqual([]);
    expect(await removeMembers(s.db, uuid(10), [uuid(11)])).toEqual([uuid(11)]);
    expect((await listMembers(s.db, uuid(10))).map((m) => m.value)).toEqual([uuid(12)]);
    await s.db.query("DELETE FROM groups WHERE id = $1", [uuid(10)]);
    expect(await listMembers(s.db, uuid(10))).toEqual([]);
    expect(await getResource(s.db, "User", uuid(12))).toBeDefined();
  });

  it("records link outcomes without losing a known target id", async () => {
    await recordLinks(s.db, "t1", [
      { resourceType: "User", resourceId: uuid(20), state: "synced", targetId: "abc" },
    ]);
    await recordLinks(s.db, "t1", [
      { resourceType: "User", resourceId: uuid(20), state: "failed", errorCode: "E", errorMessage: "m" },
    ]);
    expect(await linksFor(s.db, [uuid(20)])).toEqual([
      expect.objectContaining({
        target: "t1",
        targetId: "abc",
        state: "failed",
        errorCode: "E",
        deprovisioned: false,
      }),
    ]);
  });

  it("claims only the oldest open job of a resource and coalesces the ones behind it", async () => {
    const job = (id: number, action: "provision" | "deprovision" = "provision") => ({
      target: "claims",
      resourceType: "User" as const,
      resourceId: uuid(id),
      action,
    });
    await enqueueJobs(s.db, [job(30), job(31), job(30), job(30, "deprovision")]);
    const first = await claimUnits(s.db, "claims", 10, "w1", 60_000);
    expect(first.map((u) => [u.resourceId, u.jobs.length])).toEqual([
      [uuid(30), 3],
      [uuid(31), 1],
    ]);
    // Nothing left to claim while those are running: a second worker gets nothing.
    expect(await claimUnits(s.db, "claims", 10, "w2", 60_000)).toEqual([]);
    // A change queued while resource 30 is in delivery waits for it.
    await enqueueJobs(s.db, [job(30)]);
    expect(await claimUnits(s.db, "claims", 10, "w2", 60_000)).toEqual([]);
    await completeJobs(
      s.db,
      first.flatMap((u) => u.jobs.map((j) => j.id)),
    );
    const next = await claimUnits(s.db, "claims", 10, "w2", 60_000);
    expect(next.map((u) => u.resourceId)).toEqual([uuid(30)]);
  });

  it("claims groups or users, never both, groups first even when queued after the users", async () => {
    const job = (type: "User" | "Group", id: number) => ({
      target: "kinds",
      resourceType: type,
      resourceId: uuid(id),
      action: "provision" as const,
    });
    await enqueueJobs(s.db, [job("User", 50), job("User", 51), job("User", 52)]);
    await enqueueJobs(s.db, [job("Group", 53), job("Group", 54)]);
    const kinds = (units: { resourceType: string; resourceId: string }[]) =>
      units.map((u) => [u.resourceType, u.resourceId]);
    expect(kinds(await claimUnits(s.db, "kinds", 10, "w1", 60_000))).toEqual([
      ["Group", uuid(53)],
      ["Group", uuid(54)],
    ]);
    // A whole batch of users, not split by the groups (already in other hands).
    expect(kinds(await claimUnits(s.db, "kinds", 10, "w2", 60_000))).toEqual([
      ["User", uuid(50)],
      ["User", uuid(51)],
      ["User", uuid(52)],
    ]);
  });

  it("lets another worker take over work whose lease expired (a crashed process)", async () => {
    await enqueueJobs(s.db, [
      { target: "lease", resourceType: "User", resourceId: uuid(40), action: "provision" },
    ]);
    const claimed = await claimUnits(s.db, "lease", 10, "crashed", 1);
    expect(claimed).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20)); // the 1 ms lease must be over
    const taken = await claimUnits(s.db, "lease", 10, "survivor", 60_000);
    expect(taken.map((u) => u.resourceId)).toEqual([uuid(40)]);
    expect(taken[0]?.jobs[0]?.attempts).toBe(2);
  });

  it("keeps an exact user count through single, bulk and concurrent inserts and deletes", async () => {
    const count = async () =>
      Number(
        (
          await s.db.query<{ n: number }>(
            "SELECT sum(n)::int AS n FROM resource_counts WHERE resource_type = 'User'",
          )
        ).rows[0]?.n,
      );
    const actual = async () =>
      Number((await s.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users")).rows[0]?.n);
    expect(await count()).toBe(await actual());
    const bulk = Array.from({ length: 50 }, (_, i) => ({
      id: uuid(1000 + i),
      data: { userName: `bulk${i}@x.com` },
    }));
    await insertResources(s.db, "User", bulk, new Date());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.db.transaction((tx) =>
          insertResources(
            tx,
            "User",
            [{ id: uuid(2000 + i), data: { userName: `c${i}@x.com` } }],
            new Date(),
          ),
        ),
      ),
    );
    await s.db.query("DELETE FROM users WHERE user_name LIKE 'bulk1%'");
    expect(await count()).toBe(await actual());
  });
});
