// Batches of one target record at once, and each batch of a group's members queues the group again: they all
// write the same group links. Written in one order (of resource id) whatever order each batch lists them in, they
// wait for each other instead of deadlocking (seen with 24 dispatcher workers: PostgreSQL's 40P01, and the batch
// retried only after its 30 s lease).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LinkOutcome, queueGroupsOfMembers, recordLinks } from "../../src/store/index.ts";
import { openTestDb, type TestDb } from "../support/store.ts";

const GROUPS = 40;
const BATCHES = 12;

describe.runIf(process.env.DATABASE_URL)("postgres", () => {
  let store: TestDb;
  const groups = Array.from({ length: GROUPS }, () => randomUUID());
  const members = Array.from({ length: BATCHES }, () => randomUUID());
  beforeAll(async () => {
    store = await openTestDb("postgres");
    for (const [i, id] of groups.entries()) {
      await store.db.query("INSERT INTO groups (id, display_name, data) VALUES ($1, $2, '{}')", [
        id,
        `g${i}`,
      ]);
      await store.db.query(
        "INSERT INTO group_members (group_id, member_id, member_type) SELECT $1, unnest($2::uuid[]), 'User'",
        [id, members],
      );
    }
  });
  afterAll(async () => store?.close());

  it("concurrent batches writing the same group links in different orders never deadlock", async () => {
    const shuffled = () => [...groups].sort(() => Math.random() - 0.5);
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        members.map((member, i) =>
          store.db.transaction(async (tx) => {
            // A group batch records its groups' links; a user batch queues its user's groups.
            if (i % 2 === 0) {
              const links: LinkOutcome[] = shuffled().map((id) => ({
                resourceType: "Group",
                resourceId: id,
                state: "pending",
              }));
              await recordLinks(tx, "site", links);
            }
            await queueGroupsOfMembers(tx, "site", [member], null);
            if (i % 2 === 1)
              await recordLinks(
                tx,
                "site",
                shuffled().map((id) => ({ resourceType: "Group", resourceId: id, state: "synced" })),
              );
          }),
        ),
      );
    }
    const { rows } = await store.db.query<{ n: number }>("SELECT count(*)::int AS n FROM links");
    expect(rows[0]?.n).toBe(GROUPS);
  });
});
