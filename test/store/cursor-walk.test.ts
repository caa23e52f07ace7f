// Walking a list by cursor (RFC 9865, keyset pages) yields each resource exactly once, in any sort, at any page
// size, even while resources are created and deleted between pages: a resource there from the first page to the
// last appears once, and none appears twice. Random directories with ties, missing values and NULL sort keys.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeSchemaSet } from "../../src/schemas.ts";
import { listResourcesWithExtras } from "../../src/store/views.ts";
import { BACKENDS, openTestDb, type TestDb } from "../support/store.ts";

const SCHEMAS = bridgeSchemaSet();

const person = fc.record({
  userName: fc.stringMatching(/^[a-cA-C]{1,3}$/),
  displayName: fc.option(fc.constantFrom("Ann", "bob", "Bob", ""), { nil: undefined }),
  familyName: fc.option(fc.constantFrom("Lee", "lee", "Ng"), { nil: undefined }),
  email: fc.option(fc.constantFrom("a@x.io", "B@x.io"), { nil: undefined }),
  active: fc.boolean(),
  // Few distinct creation times: the default order (created, id) has many ties.
  minute: fc.integer({ min: 0, max: 2 }),
});
type Person = typeof person extends fc.Arbitrary<infer P> ? P : never;

const sortBy = fc.constantFrom(
  undefined,
  "userName",
  "displayName",
  "name.familyName",
  "emails.value",
  "active",
  "meta.created",
  "id",
);

/** Between two pages: people to create and positions (into the current ids) to delete. */
const between = fc.record({
  create: fc.array(person, { maxLength: 3 }),
  remove: fc.array(fc.nat(), { maxLength: 3 }),
});

describe.each(BACKENDS)("walking by cursor on %s", (backend) => {
  let s: TestDb;
  beforeAll(async () => {
    s = await openTestDb(backend);
  });
  afterAll(() => s?.close());

  let serial = 0;
  async function insert(p: Person): Promise<string> {
    const id = randomUUID();
    // userName is unique case-insensitively: a serial number keeps random names apart.
    const userName = `${p.userName}${serial++}`;
    const data = {
      userName,
      ...(p.familyName !== undefined ? { name: { familyName: p.familyName } } : {}),
      ...(p.email !== undefined ? { emails: [{ value: p.email }] } : {}),
    };
    await s.db.query(
      `INSERT INTO users (id, user_name, display_name, active, data, created)
       VALUES ($1, $2, $3, $4, $5, timestamptz '2026-01-01T00:00:00Z' + make_interval(mins => $6))`,
      [id, userName, p.displayName ?? null, p.active, JSON.stringify(data), p.minute],
    );
    return id;
  }

  it("yields every resource that stays exactly once and none twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(person, { maxLength: 25 }),
        sortBy,
        fc.constantFrom("ascending", "descending"),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(undefined, "active eq true"),
        fc.array(between, { maxLength: 12 }),
        async (people, sort, order, count, filter, changes) => {
          await s.db.query("DELETE FROM users");
          const live: string[] = [];
          for (const p of people) live.push(await insert(p));
          const stayed = new Set(live);
          const seen: string[] = [];
          const pageAt = (cursor: string) =>
            listResourcesWithExtras(
              s.db,
              SCHEMAS.User,
              {
                ...(filter ? { filter } : {}),
                ...(sort ? { sortBy: sort } : {}),
                sortOrder: order,
                startIndex: 1,
                count,
                cursor,
              },
              {},
            );
          let cursor = "";
          let previous: string | undefined;
          for (let page = 0; ; page++) {
            expect(page).toBeLessThan(200);
            const result = await pageAt(cursor);
            expect(result.items.length).toBeLessThanOrEqual(count);
            seen.push(...result.items.map((i) => i.resource.id));
            previous = result.previousCursor;
            if (page === 0) expect(previous).toBeUndefined();
            if (result.nextCursor === undefined) break;
            cursor = result.nextCursor;
            const change = changes[page];
            if (!change) continue;
            for (const p of change.create) live.push(await insert(p));
            for (const at of change.remove) {
              if (!live.length) break;
              const [id] = live.splice(at % live.length, 1);
              stayed.delete(id!);
              await s.db.query("DELETE FROM users WHERE id = $1", [id]);
            }
          }
          expect(new Set(seen).size).toBe(seen.length);
          if (!changes.length) {
            // Nothing changed: the walk is the one-page answer, in the same order.
            const whole = await listResourcesWithExtras(
              s.db,
              SCHEMAS.User,
              {
                ...(filter ? { filter } : {}),
                ...(sort ? { sortBy: sort } : {}),
                sortOrder: order,
                startIndex: 1,
                count: 1000,
              },
              {},
            );
            expect(seen).toEqual(whole.items.map((i) => i.resource.id));
            // And backwards by previousCursor from the last page: the same pages, the first page last.
            const back: string[][] = [seen.slice(-(seen.length % count || count))];
            while (previous !== undefined) {
              expect(back.length).toBeLessThan(200);
              const result = await pageAt(previous);
              back.unshift(result.items.map((i) => i.resource.id));
              previous = result.previousCursor;
            }
            if (seen.length) expect(back.flat()).toEqual(seen);
          }
          const wanted = filter
            ? new Set(
                (await s.db.query<{ id: string }>("SELECT id FROM users WHERE active")).rows.map((r) => r.id),
              )
            : undefined;
          const missing = [...stayed].filter((id) => !seen.includes(id) && (!wanted || wanted.has(id)));
          expect(missing).toEqual([]);
        },
      ),
      { numRuns: backend === "pglite" ? 60 : 40 },
    );
  }, 240_000);
});
