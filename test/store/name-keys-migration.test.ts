// Migration 011 on a store written before names had keys: it never fails on names that now clash. Both rows stay,
// the later one is numbered and audited, the admin gets a note; filters find both; a new user with that name is
// refused; renaming the later one clears its number.
import { afterEach, describe, expect, it } from "vitest";
import { Directory } from "../../src/directory/index.ts";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { toListRequest } from "../../src/scim/list-query.ts";
import { migrate } from "../../src/store/index.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const BEFORE = "012_deleted_names.sql";
const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

describe.each(BACKENDS)("migration 011 (name keys) on %s", (backend) => {
  let store: TestDb | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  /** A store migrated through 009, holding the given users as the bridge wrote them then. */
  async function oldStore(users: { id: string; userName: string; created: string }[]) {
    store = await openTestDb(backend, {}, { migrateThrough: BEFORE });
    for (const u of users) {
      await store.db.query(
        "INSERT INTO users (id, user_name, data, created, last_modified) VALUES ($1, $2, $3, $4, $4)",
        [u.id, u.userName, JSON.stringify({ schemas: [CORE], userName: u.userName }), u.created],
      );
    }
    return store.db;
  }

  const A = "00000000-0000-4000-8000-00000000000a";
  const B = "00000000-0000-4000-8000-00000000000b";
  const C = "00000000-0000-4000-8000-00000000000c";

  it("keeps two users whose names clash after normalisation, numbers and audits the later one, and notes it", async () => {
    const db = await oldStore([
      { id: B, userName: "Jose\u0301@example.com", created: "2024-02-01T00:00:00Z" },
      { id: A, userName: "jos\u00e9@EXAMPLE.com", created: "2024-01-01T00:00:00Z" },
      { id: C, userName: "someone@example.com", created: "2024-03-01T00:00:00Z" },
    ]);
    const result = await migrate(db);
    expect(result.applied).toContain("013_name_keys.ts");
    expect(result.notes).toEqual([expect.stringMatching(/^1 users share a userName .*store\.name_clash/)]);

    const { rows } = await db.query<{ id: string; user_name: string; name_clash: number }>(
      "SELECT id, user_name, name_clash FROM users ORDER BY id",
    );
    // Stored as sent; the older one keeps the name.
    expect(rows).toEqual([
      { id: A, user_name: "jos\u00e9@EXAMPLE.com", name_clash: 0 },
      { id: B, user_name: "Jose\u0301@example.com", name_clash: 1 },
      { id: C, user_name: "someone@example.com", name_clash: 0 },
    ]);
    const audit = await db.query<{ resource_id: string; detail: { sameNameAs: string } }>(
      "SELECT resource_id, detail FROM audit WHERE action = 'store.name_clash'",
    );
    expect(audit.rows).toEqual([{ resource_id: B, detail: { sameNameAs: A } }]);

    const directory = new Directory(db, bridgeSchemaSet());
    const found = await directory.list(
      "User",
      toListRequest({ filter: 'userName eq "JOSÉ@example.com"' }, 100),
      { relations: false, status: false },
    );
    expect(found.items.map((v) => v.resource.id).sort()).toEqual([A, B]);

    await expect(
      directory.create("User", { schemas: [CORE], userName: "JOSE\u0301@example.com" }, {}),
    ).rejects.toMatchObject({
      code: "SCIM_UNIQUENESS",
    });
    // The later one renamed: its number goes, and its old spelling is still taken by the older one.
    const renamed = await directory.update(
      "User",
      B,
      { data: { schemas: [CORE], userName: "jose.b@example.com" } },
      {},
    );
    expect(renamed.view.resource.data.userName).toBe("jose.b@example.com");
    const after = await db.query<{ name_clash: number }>("SELECT name_clash FROM users WHERE id = $1", [B]);
    expect(after.rows[0]!.name_clash).toBe(0);
    await expect(
      directory.create("User", { schemas: [CORE], userName: "JOSE\u0301@EXAMPLE.COM" }, {}),
    ).rejects.toMatchObject({
      code: "SCIM_UNIQUENESS",
    });
  });

  it("on a store without clashes, notes nothing", async () => {
    const db = await oldStore([{ id: A, userName: "ann@example.com", created: "2024-01-01T00:00:00Z" }]);
    expect((await migrate(db)).notes).toEqual([]);
  });
});
