// A member's change queues its groups in the target, but a group that already has a pending delivery needs no
// second one: that delivery cannot be claimed before the change is committed, so it reads the change. A load's
// member batches then leave one job per group, not one per batch and group. A group put back to wait for its members
// is due within WAKE_GROUPS_MS when its last member is linked, not at its next check.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claimUnits,
  enqueueJobs,
  queueGroupsOfMembers,
  recordLinks,
  WAKE_GROUPS_MS,
} from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

describe.each(BACKENDS)("%s", (backend) => {
  let store: TestDb;
  const group = randomUUID();
  const members = [randomUUID(), randomUUID(), randomUUID()];
  const jobs = async () =>
    (
      await store.db.query<{ state: string }>("SELECT state FROM outbox WHERE resource_id = $1 ORDER BY id", [
        group,
      ])
    ).rows.map((r) => r.state);
  beforeAll(async () => {
    store = await openTestDb(backend);
    await store.db.query("INSERT INTO groups (id, display_name, data) VALUES ($1, 'Sales', '{}')", [group]);
    await store.db.query(
      "INSERT INTO group_members (group_id, member_id, member_type) SELECT $1, unnest($2::uuid[]), 'User'",
      [group, members],
    );
  });
  afterAll(async () => store?.close());

  /** The group's delivery in `target`, put back to wait for `users` (each with a provisioning job there). */
  const waitingGroup = async (target: string, users: string[]) => {
    await store.db.query("DELETE FROM outbox");
    await enqueueJobs(store.db, [
      { target, resourceType: "Group", resourceId: group, action: "provision" },
      ...users.map((resourceId) => ({
        target,
        resourceType: "User" as const,
        resourceId,
        action: "provision" as const,
      })),
    ]);
    await store.db.query(
      `UPDATE outbox SET last_error_code = 'WAITING_FOR_MEMBERS', not_before = now() + interval '1 hour'
        WHERE resource_id = $1`,
      [group],
    );
  };

  it("queues a group without a pending delivery, and no second job while that one is pending", async () => {
    expect(await queueGroupsOfMembers(store.db, "site", [members[0]!], null)).toBe(1);
    expect(await queueGroupsOfMembers(store.db, "site", [members[1]!], null)).toBe(0);
    expect(await jobs()).toEqual(["pending"]);
  });

  it("queues one again while the pending one is claimed (its delivery may have read the group already)", async () => {
    await claimUnits(store.db, "site", 10, "tok", 30_000);
    expect(await queueGroupsOfMembers(store.db, "site", [members[2]!], null)).toBe(1);
    expect(await jobs()).toEqual(["running", "pending"]);
  });

  it("makes a group waiting for its members due once none is left waiting, and not before", async () => {
    await waitingGroup("site", members.slice(0, 2));
    const due = async () =>
      (
        await store.db.query<{ due: boolean }>(
          `SELECT not_before <= now() + interval '${WAKE_GROUPS_MS} milliseconds' AS due FROM outbox WHERE resource_id = $1`,
          [group],
        )
      ).rows[0]?.due;
    // A member's delivery recorded: its job done and its account linked, as recordOutcomes does.
    const delivered = async (member: string) => {
      await store.db.query("UPDATE outbox SET state = 'done' WHERE resource_id = $1", [member]);
      await recordLinks(store.db, "site", [
        { resourceType: "User", resourceId: member, state: "synced", targetId: `acct-${member}` },
      ]);
      return queueGroupsOfMembers(store.db, "site", [member], null);
    };
    expect(await delivered(members[0]!)).toBe(0);
    expect(await due()).toBe(false);
    // members[2] has no open job (not being provisioned here): the group does not wait for it.
    expect(await delivered(members[1]!)).toBe(1);
    expect(await due()).toBe(true);
    expect(await jobs()).toEqual(["pending"]);
  });

  it("in a target that writes groups with their members, wakes a ready group only once no user is left to provision", async () => {
    await store.db.query("DELETE FROM links");
    const other = randomUUID(); // a user in no group, still being provisioned in the target
    await waitingGroup("org", [members[0]!, other]);
    const delivered = async (user: string, wakeEarly: boolean) => {
      await store.db.query("UPDATE outbox SET state = 'done' WHERE resource_id = $1", [user]);
      await recordLinks(store.db, "org", [
        { resourceType: "User", resourceId: user, state: "synced", targetId: `acct-${user}` },
      ]);
      return queueGroupsOfMembers(store.db, "org", [user], null, wakeEarly);
    };
    // The group's last member is through, but `other` is still to be provisioned: the group keeps its check...
    expect(await delivered(members[0]!, false)).toBe(0);
    const notBefore = async () =>
      (
        await store.db.query<{ soon: boolean }>(
          `SELECT not_before <= now() + interval '${WAKE_GROUPS_MS} milliseconds' AS soon FROM outbox
            WHERE resource_id = $1`,
          [group],
        )
      ).rows[0]?.soon;
    expect(await notBefore()).toBe(false);
    // ...where a target that creates groups apart would have woken it at once.
    expect(await queueGroupsOfMembers(store.db, "org", [members[0]!], null, true)).toBe(1);
    expect(await notBefore()).toBe(true);
    await store.db.query("UPDATE outbox SET not_before = now() + interval '1 hour' WHERE resource_id = $1", [
      group,
    ]);
    // Once the last user is through, the group goes.
    await store.db.query("UPDATE outbox SET state = 'done' WHERE resource_id = $1", [other]);
    expect(await queueGroupsOfMembers(store.db, "org", [members[0]!], null, false)).toBe(1);
    expect(await notBefore()).toBe(true);
  });

  it("counts only provisioning: a pending delete of the group does not stand in for it", async () => {
    await store.db.query("DELETE FROM outbox");
    await enqueueJobs(store.db, [
      { target: "site", resourceType: "Group", resourceId: group, action: "deprovision" },
    ]);
    expect(await queueGroupsOfMembers(store.db, "site", [members[0]!], null)).toBe(1);
  });
});
