// Who the ids of a group's member changes are (namesOfIds), on both stores: a user by userName and displayName, a
// group by displayName, a deleted user by the names it had, and nothing for an id the store never held or for a
// value that is not an id; ids in any case, each once.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteResource, insertResources, namesOfIds } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

describe.each(BACKENDS)("namesOfIds (%s)", (backend) => {
  let store: TestDb;
  const [ada, gone] = [randomUUID(), randomUUID()];
  const team = randomUUID();
  beforeAll(async () => {
    store = await openTestDb(backend);
    const now = new Date();
    await insertResources(
      store.db,
      "User",
      [
        { id: ada, data: { userName: "ada@example.com", displayName: "Ada Lovelace" } },
        { id: gone, data: { userName: "gone@example.com" } },
      ],
      now,
    );
    await insertResources(store.db, "Group", [{ id: team, data: { displayName: "Team" } }], now);
    await deleteResource(store.db, "User", gone);
  });
  afterAll(async () => store?.close());

  it("names users, groups and deleted users; leaves out the unknown", async () => {
    const unknown = randomUUID();
    const names = await namesOfIds(store.db, [ada.toUpperCase(), ada, team, gone, unknown, "not-an-id"]);
    expect(Object.fromEntries(names)).toEqual({
      [ada]: { type: "User", userName: "ada@example.com", displayName: "Ada Lovelace", deleted: false },
      [team]: { type: "Group", userName: null, displayName: "Team", deleted: false },
      [gone]: { type: "User", userName: "gone@example.com", displayName: null, deleted: true },
    });
    expect((await namesOfIds(store.db, [])).size).toBe(0);
  });
});
