// An import's write is linked to the account it came from and queued for the other targets only; it does not change
// how the process's other writes are made: a user's create stays one statement and an update two (read, then write
// at the version read), with no transaction, before and after an import.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Directory } from "../../src/directory/index.ts";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { type Db, linksFor, type Tx } from "../../src/store/index.ts";
import { importContext } from "../../src/sync/import/source-link.ts";
import { outboxWriter } from "../../src/sync/index.ts";
import type { Target } from "../../src/targets/target.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const target = (name: string) =>
  ({
    name,
    kind: "test",
    batchSize: 10,
    usesGroups: false,
    apply: async () => [],
    check: async () => ({ ok: true, checks: [] }),
    listUsers: async function* () {},
  }) as unknown as Target;

/** The store, counting the statements and transactions the directory issues. */
function counted(db: Db) {
  const seen = { statements: 0, transactions: 0 };
  const counting = <Q extends Tx>(q: Q): Q =>
    Object.assign(Object.create(q) as Q, {
      query: (sql: string, params?: unknown[]) => {
        seen.statements++;
        return q.query(sql, params);
      },
    });
  const wrapped: Db = Object.assign(counting(db), {
    transaction: <T>(fn: (tx: Tx) => Promise<T>) => {
      seen.transactions++;
      return db.transaction((tx) => fn(counting(tx)));
    },
  });
  const measure = async (write: () => Promise<unknown>) => {
    seen.statements = 0;
    seen.transactions = 0;
    await write();
    return { ...seen };
  };
  return { db: wrapped, measure };
}

describe.each(BACKENDS)("writes around an import on %s", (backend) => {
  let s: TestDb;
  let directory: Directory;
  let measure: ReturnType<typeof counted>["measure"];
  beforeAll(async () => {
    s = await openTestDb(backend);
    const c = counted(s.db);
    measure = c.measure;
    directory = new Directory(
      c.db,
      bridgeSchemaSet(),
      outboxWriter({
        targets: [
          { name: "tableau", target: target("tableau") },
          { name: "salesforce", target: target("salesforce") },
        ],
        userSchema: bridgeSchemaSet().User,
        breaker: { windowMs: 60_000, maxCount: 0, maxPercent: 0 },
      }),
    );
  });
  afterAll(() => s.close());

  let n = 0;
  const create = async () =>
    (await directory.create("User", { userName: `u${++n}@example.com`, active: true }, {})).view;
  const update = (id: string) =>
    directory.update("User", id, { data: { userName: `u${++n}@example.com`, active: true } }, {});

  const jobs = async (id: string) =>
    (
      await s.db.query<{ target: string }>(
        "SELECT target FROM outbox WHERE resource_id = $1 ORDER BY target",
        [id],
      )
    ).rows.map((r) => r.target);

  it("a create is one statement and an update two, with no transaction, before and after an import", async () => {
    const before = await create();
    expect(await measure(create)).toEqual({ statements: 1, transactions: 0 });
    expect(await measure(() => update(before.resource.id))).toEqual({ statements: 2, transactions: 0 });

    const ctx = importContext("tableau", "tableau-account-1", "import-1");
    const imported = await directory.create("User", { userName: "imported@example.com", active: true }, ctx);
    // The import's own write: linked to its source, queued for the other target only, which it says it queued.
    const id = imported.view.resource.id;
    expect(imported.queued).toEqual(new Map([[id, new Set(["salesforce"])]]));
    expect(await jobs(id)).toEqual(["salesforce"]);
    expect(await linksFor(s.db, [id])).toMatchObject([
      { target: "salesforce", state: "pending" },
      { target: "tableau", targetId: "tableau-account-1", state: "synced" },
    ]);

    const after = await create();
    expect(await measure(create)).toEqual({ statements: 1, transactions: 0 });
    expect(await measure(() => update(after.resource.id))).toEqual({ statements: 2, transactions: 0 });
    expect(await jobs(after.resource.id)).toEqual(["salesforce", "tableau"]);
  });

  it("an import's update of a user it finds in the store links it and queues it for the other target only", async () => {
    const existing = await create();
    const id = existing.resource.id;
    await s.db.query("DELETE FROM outbox WHERE resource_id = $1", [id]);
    const ctx = importContext("tableau", "tableau-account-2", "import-2");
    const updated = await directory.update(
      "User",
      id,
      { mutate: async (current) => ({ data: { ...current, title: "Imported" } }) },
      ctx,
    );
    expect(updated.queued).toEqual(new Map([[id, new Set(["salesforce"])]]));
    expect(await jobs(id)).toEqual(["salesforce"]);
    expect(await linksFor(s.db, [id], "tableau")).toMatchObject([
      { targetId: "tableau-account-2", state: "synced" },
    ]);
  });
});
