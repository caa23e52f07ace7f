// RFC 9865 cursor paging over HTTP: `cursor` (empty for the first page) and `count` on GET /Users, /Groups and the
// SearchRequest endpoints; each page answers nextCursor until the last; a cursor the server did not give for this
// query is a 400 invalidCursor; /ServiceProviderConfig advertises both paging methods.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const USERS = 25;
const GROUPS = 4;

interface Page {
  totalResults: number;
  itemsPerPage: number;
  startIndex?: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: { id: string; userName?: string; displayName?: string }[];
}

describe.each(BACKENDS)("cursor paging on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Created in an order unlike userName's, so the sorted walk is not the creation order by chance.
    for (let i = USERS; i >= 1; i--) {
      const n = String(i).padStart(2, "0");
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`user${n}@example.com`))
        .expect(201);
    }
    for (let i = 1; i <= GROUPS; i++) {
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `Group ${i}` })
        .expect(201);
    }
  });
  afterAll(() => t.close());

  const get = async (query: string): Promise<Page> => {
    const res = await t.request.get(`/scim/v2/Users?${query}`).set(AUTH);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  /** Every page of a walk, following nextCursor from an empty cursor. */
  async function walk(next: (cursor: string) => Promise<Page>): Promise<Page[]> {
    const pages: Page[] = [];
    let cursor = "";
    for (;;) {
      const page = await next(cursor);
      pages.push(page);
      if (page.nextCursor === undefined) return pages;
      expect(page.nextCursor).toMatch(/^[A-Za-z0-9._~-]+$/); // RFC 3986 unreserved characters only
      cursor = page.nextCursor;
    }
  }

  it("walks every user once, in sortBy order, with nextCursor on every page but the last", async () => {
    const pages = await walk((c) => get(`sortBy=userName&count=10&cursor=${encodeURIComponent(c)}`));
    expect(pages.map((p) => p.itemsPerPage)).toEqual([10, 10, 5]);
    for (const page of pages) {
      expect(page.totalResults).toBe(USERS);
      expect(page.startIndex).toBeUndefined();
    }
    const names = pages.flatMap((p) => p.Resources.map((r) => r.userName));
    const expected = Array.from(
      { length: USERS },
      (_, i) => `user${String(i + 1).padStart(2, "0")}@example.com`,
    );
    expect(names).toEqual(expected);
  });

  it("answers previousCursor from the second page on, which reads the page before again", async () => {
    const first = await get("sortBy=userName&count=10&cursor=");
    expect(first.previousCursor).toBeUndefined();
    const second = await get(`sortBy=userName&count=10&cursor=${first.nextCursor}`);
    const back = await get(`sortBy=userName&count=10&cursor=${second.previousCursor}`);
    expect(back.Resources.map((r) => r.id)).toEqual(first.Resources.map((r) => r.id));
    expect(back.previousCursor).toBeUndefined();
    expect(back.nextCursor).toBeDefined();
  });

  it("takes `?cursor` with no value as the first page and keeps the filter across pages", async () => {
    const filter = encodeURIComponent('userName sw "user1"');
    const first = await get(`cursor&count=4&filter=${filter}&sortBy=userName&sortOrder=descending`);
    expect(first.Resources.map((r) => r.userName)).toEqual([
      "user19@example.com",
      "user18@example.com",
      "user17@example.com",
      "user16@example.com",
    ]);
    const pages = await walk((c) =>
      get(`cursor=${encodeURIComponent(c)}&count=4&filter=${filter}&sortBy=userName&sortOrder=descending`),
    );
    expect(pages.flatMap((p) => p.Resources).length).toBe(10);
  });

  it("walks by cursor through POST /Users/.search and the root /.search (users, then groups)", async () => {
    const search = (path: string, cursor: string) =>
      t.request
        .post(path)
        .set(AUTH)
        .send({ schemas: [SEARCH], cursor, count: 7 })
        .then((res) => {
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          return res.body as Page;
        });
    const users = await walk((c) => search("/scim/v2/Users/.search", c));
    expect(new Set(users.flatMap((p) => p.Resources.map((r) => r.id))).size).toBe(USERS);
    const all = await walk((c) => search("/scim/v2/.search", c));
    const ids = all.flatMap((p) => p.Resources.map((r) => r.id));
    expect(ids).toHaveLength(USERS + GROUPS);
    expect(new Set(ids).size).toBe(USERS + GROUPS);
    expect(all.every((p) => p.totalResults === USERS + GROUPS)).toBe(true);
    // The page that ends the users continues with the groups.
    expect(all[3]!.Resources.map((r) => r.displayName)).toContain("Group 1");
  });

  it("keeps startIndex paging for clients that use it", async () => {
    const page = await get("startIndex=21&count=10&sortBy=userName");
    expect(page).toMatchObject({ startIndex: 21, itemsPerPage: 5 });
    expect(page.nextCursor).toBeUndefined();
  });

  it("advertises both paging methods in /ServiceProviderConfig", async () => {
    const res = await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH).expect(200);
    expect(res.body.pagination).toEqual({
      cursor: true,
      index: true,
      defaultPaginationMethod: "index",
      defaultPageSize: 100,
      maxPageSize: 1000,
    });
    expect(res.body.filter).toMatchObject({ supported: true, maxResults: 1000 });
  });

  describe("refuses a cursor it did not give for this query", () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    let valid = "";
    let groupCursor = "";
    beforeAll(async () => {
      valid = (await get("sortBy=userName&count=2&cursor=")).nextCursor!;
      groupCursor = (await t.request.get("/scim/v2/Groups?count=1&cursor=").set(AUTH)).body.nextCursor;
    });
    const cases: [string, () => string][] = [
      ["characters outside base64url", () => "not a cursor!"],
      ["base64url that is not JSON", () => "abc"],
      ["JSON of another shape", () => b64({ id: 1 })],
      ["another version", () => b64([2, "x", null, "00000000-0000-4000-8000-000000000000", "a"])],
      ["an unknown direction", () => b64([1, "x", null, "00000000-0000-4000-8000-000000000000", "z"])],
      ["a forged position that is not an id", () => b64([1, "x", "a", "1; DROP TABLE users", "a"])],
      ["a cursor of another sortOrder", () => valid],
      ["a cursor of /Groups", () => groupCursor],
      ["a huge cursor", () => "A".repeat(5000)],
    ];
    it.each(cases)("%s → 400 invalidCursor", async (_name, cursor) => {
      const query = _name.includes("sortOrder") ? "sortBy=userName&sortOrder=descending" : "sortBy=userName";
      const res = await t.request
        .get(`/scim/v2/Users?${query}&cursor=${encodeURIComponent(cursor())}`)
        .set(AUTH);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidCursor");
      expect(res.body.detail).toMatch(/nextCursor/);
    });

    it("a cursor given twice is a 400; not a string in a SearchRequest, or unknown at the root, invalidCursor", async () => {
      const twice = await t.request.get("/scim/v2/Users?cursor=a&cursor=b").set(AUTH);
      expect(twice.status).toBe(400);
      expect(twice.body.detail).toMatch(/cursor/);
      const numeric = await t.request
        .post("/scim/v2/Users/.search")
        .set(AUTH)
        .send({ schemas: [SEARCH], cursor: 5 });
      expect([numeric.status, numeric.body.scimType]).toEqual([400, "invalidCursor"]);
      const rootUnknown = await t.request
        .post("/scim/v2/.search")
        .set(AUTH)
        .send({ schemas: [SEARCH], cursor: valid });
      expect([rootUnknown.status, rootUnknown.body.scimType]).toEqual([400, "invalidCursor"]);
    });

    it("startIndex beyond 1 with a cursor → 400 invalidValue naming both", async () => {
      const res = await t.request.get("/scim/v2/Users?startIndex=5&cursor=").set(AUTH);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      expect(res.body.detail).toMatch(/startIndex.*cursor/);
    });
  });
});
