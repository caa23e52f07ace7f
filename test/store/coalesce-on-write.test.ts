// A change of a resource that already has a pending delivery in a target adds no second job there: that delivery
// cannot be claimed before the change is committed, so it delivers the change. An IdP's create followed at once by
// its updates then leaves one job per target, not one per request. A delivery already claimed (running, or being
// claimed at that moment) cannot read the change, so the change gets its own job; so does one with a password, and
// a refusal (a dead job is the record of it).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  claimUnits,
  enqueueJobs,
  insertResources,
  type NewJob,
  type Tx,
  updateResource,
  updateResourceAt,
} from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const TARGETS = ["tableau", "salesforce"];
const provision = (id: string, extra: Partial<NewJob> = {}): NewJob[] =>
  TARGETS.map((target) => ({ target, resourceType: "User", resourceId: id, action: "provision", ...extra }));

describe.each(BACKENDS)("%s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s.close());
  // Each case claims from the whole queue: only its own user's jobs are in it.
  beforeEach(async () => {
    await s.db.query("DELETE FROM outbox");
  });

  /** The user's open jobs, as "target action state", oldest first. */
  const open = async (id: string) =>
    (
      await s.db.query<{ j: string }>(
        `SELECT target || ' ' || action || ' ' || state AS j FROM outbox
          WHERE resource_id = $1 AND state <> 'done' ORDER BY id`,
        [id],
      )
    ).rows.map((r) => r.j);
  const audited = async (id: string) =>
    Number(
      (await s.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit WHERE resource_id = $1", [id]))
        .rows[0]?.n,
    );
  let n = 0;
  const created = async () => {
    const id = randomUUID();
    await insertResources(
      s.db,
      "User",
      [{ id, data: { userName: `u${++n}@example.com`, active: true } }],
      new Date(),
      { action: "scim.user.create" },
      provision(id),
    );
    return id;
  };
  const update = (id: string, title: string, jobs: NewJob[] = provision(id)) =>
    updateResource(
      s.db,
      "User",
      id,
      { userName: `${id}@example.com`, title },
      new Date(),
      { action: "scim.user.update" },
      jobs,
    );

  it("a user created and then changed five times has one pending job per target; every write is audited", async () => {
    const id = await created();
    for (let i = 0; i < 5; i++) await update(id, `T${i}`);
    expect(await open(id)).toEqual(["tableau provision pending", "salesforce provision pending"]);
    expect(await audited(id)).toBe(6);
  });

  /** A change as the unlocked PATCH makes it: the version read first, the write conditional on it. */
  const updateAt = async (id: string, opts: { noOpenJobs?: boolean } = {}) => {
    const [row] = (await s.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [id]))
      .rows;
    const written = await updateResourceAt(
      s.db,
      "User",
      id,
      row!.version,
      { userName: `${id}@example.com`, title: "A" },
      new Date(),
      { action: "scim.user.update" },
      provision(id),
      opts,
    );
    expect(written?.version).toBe(row!.version + 1);
  };

  it("the same through a write read without a lock (its version checked) and through enqueueJobs", async () => {
    const id = await created();
    await updateAt(id);
    await enqueueJobs(s.db, provision(id));
    expect(await open(id)).toEqual(["tableau provision pending", "salesforce provision pending"]);
  });

  it("a write whose read found no open job adds its own without looking: one queued meanwhile stays beside it and one claim delivers both", async () => {
    const id = await created();
    await updateAt(id, { noOpenJobs: true });
    expect(await open(id)).toEqual([
      "tableau provision pending",
      "salesforce provision pending",
      "tableau provision pending",
      "salesforce provision pending",
    ]);
    const [unit] = await claimUnits(s.db, "tableau", 10, "worker-1", 60_000);
    expect(unit?.resourceId).toBe(id);
    expect(unit?.jobs).toHaveLength(2);
  });

  it("a change made once the delivery is claimed gets its own job, which the next changes then share", async () => {
    const id = await created();
    const [unit] = await claimUnits(s.db, "tableau", 1, "worker-1", 60_000);
    expect(unit?.resourceId).toBe(id);
    await update(id, "A");
    await update(id, "B");
    expect(await open(id)).toEqual([
      "tableau provision running",
      "salesforce provision pending",
      "tableau provision pending",
    ]);
  });

  it("a password, a deprovision and a refusal each get their own job", async () => {
    const id = await created();
    await update(id, "A", provision(id, { secret: Buffer.from("sealed") }));
    await update(id, "B", [
      { target: "tableau", resourceType: "User", resourceId: id, action: "deprovision" },
    ]);
    await update(id, "C", [
      {
        target: "salesforce",
        resourceType: "User",
        resourceId: id,
        action: "provision",
        state: "dead",
        errorCode: "MAPPING_INVALID_FIELD",
        errorMessage: "Alias: too long",
      },
    ]);
    expect(await open(id)).toEqual([
      "tableau provision pending",
      "salesforce provision pending",
      "tableau provision pending",
      "salesforce provision pending",
      "tableau deprovision pending",
      "salesforce provision dead",
    ]);
  });

  /** Runs `work` in a transaction left open, its locks held, until the returned function is called. */
  const heldOpen = async (work: (tx: Tx) => Promise<unknown>): Promise<() => Promise<void>> => {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let ready!: () => void;
    const readyNow = new Promise<void>((r) => {
      ready = r;
    });
    const done = s.db.transaction(async (tx) => {
      await work(tx);
      ready();
      await released;
    });
    await Promise.race([readyNow, done]);
    return async () => {
      release();
      await done;
    };
  };

  it.skipIf(backend === "pglite")(
    "a write does not wait for a claim in progress: it queues its own job, which that claim cannot have read",
    async () => {
      const id = await created();
      // A claim that holds the pending job (FOR UPDATE, as CLAIM_HEADS_SQL does) and has not committed yet.
      const end = await heldOpen((tx) =>
        tx.query("SELECT id FROM outbox WHERE resource_id = $1 AND target = 'tableau' FOR UPDATE", [id]),
      );
      try {
        await update(id, "A");
      } finally {
        await end();
      }
      expect(await open(id)).toEqual([
        "tableau provision pending",
        "salesforce provision pending",
        "tableau provision pending",
      ]);
    },
  );

  it.skipIf(backend === "pglite")(
    "a claim skips a job that an uncommitted change is sharing, and takes it once the change is committed",
    async () => {
      const id = await created();
      const end = await heldOpen((tx) =>
        updateResource(tx, "User", id, { userName: `${id}@example.com`, title: "A" }, new Date(), undefined, [
          { target: "tableau", resourceType: "User", resourceId: id, action: "provision" },
        ]),
      );
      let during: Awaited<ReturnType<typeof claimUnits>>;
      try {
        during = await claimUnits(s.db, "tableau", 1000, "worker-2", 60_000);
      } finally {
        await end();
      }
      expect(during.map((u) => u.resourceId)).not.toContain(id);
      const after = await claimUnits(s.db, "tableau", 1000, "worker-3", 60_000);
      expect(after.map((u) => u.resourceId)).toContain(id);
      expect(after.find((u) => u.resourceId === id)?.jobs).toHaveLength(1);
    },
  );
});
