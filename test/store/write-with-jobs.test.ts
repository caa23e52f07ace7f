// A user's write and its outbox jobs in one statement (the common SCIM create needs no transaction): all of it is
// written, or, when the write is refused (a userName taken), none of it: no job or pending status for a user that
// does not exist, no audit row for a write that did not happen.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertResources, linksFor, type NewJob, updateResource } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const jobsFor = (id: string): NewJob[] =>
  ["tableau", "salesforce"].map((target) => ({
    target,
    resourceType: "User",
    resourceId: id,
    action: "provision",
    requestId: "req-1",
  }));

describe.each(BACKENDS)("a write with its outbox jobs on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s.close());

  const count = async (sql: string, id: string) =>
    Number((await s.db.query<{ n: number }>(sql, [id])).rows[0]?.n);
  const written = async (id: string) => ({
    jobs: await count(
      "SELECT count(*)::int AS n FROM outbox WHERE resource_id = $1 AND state = 'pending'",
      id,
    ),
    pendingStatus: (await linksFor(s.db, [id])).filter((l) => l.state === "pending").length,
    audit: await count("SELECT count(*)::int AS n FROM audit WHERE resource_id = $1", id),
  });
  const audit = { action: "scim.user.create", requestId: "req-1", actor: "test" };

  it("writes the user, its audit row and a job per target, which shows it pending there", async () => {
    const id = randomUUID();
    const [u] = await insertResources(
      s.db,
      "User",
      [{ id, data: { userName: "one@example.com", active: true } }],
      new Date(),
      audit,
      jobsFor(id),
    );
    expect(u!.id).toBe(id);
    expect(await written(id)).toEqual({ jobs: 2, pendingStatus: 2, audit: 1 });
  });

  it("writes none of it when the userName is taken", async () => {
    const id = randomUUID();
    await expect(
      insertResources(
        s.db,
        "User",
        [{ id, data: { userName: "ONE@example.com", active: true } }],
        new Date(),
        audit,
        jobsFor(id),
      ),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await written(id)).toEqual({ jobs: 0, pendingStatus: 0, audit: 0 });
  });

  it("an update queues its jobs with it, and a refused update queues none", async () => {
    const id = randomUUID();
    const other = randomUUID();
    await insertResources(
      s.db,
      "User",
      [
        { id, data: { userName: "two@example.com", active: true } },
        { id: other, data: { userName: "three@example.com", active: true } },
      ],
      new Date(),
    );
    const update = { action: "scim.user.update", requestId: "req-2" };
    await updateResource(
      s.db,
      "User",
      id,
      { userName: "two@example.com", title: "A" },
      new Date(),
      update,
      jobsFor(id),
    );
    expect(await written(id)).toEqual({ jobs: 2, pendingStatus: 2, audit: 1 });
    await expect(
      updateResource(
        s.db,
        "User",
        other,
        { userName: "two@example.com" },
        new Date(),
        update,
        jobsFor(other),
      ),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await written(other)).toEqual({ jobs: 0, pendingStatus: 0, audit: 0 });
  });
});
