// ETags and preconditions, query completeness through HTTP, and large groups that are never read whole.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe.each(BACKENDS)("ETags, queries and large groups on %s", (backend) => {
  let t: TestApp;
  const sql: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({ backend });
    const db = t.directory.db;
    const query = db.query.bind(db);
    const transaction = db.transaction.bind(db);
    db.query = (text, params) => {
      sql.push(text);
      return query(text, params);
    };
    db.transaction = (fn) =>
      transaction((tx) =>
        fn({
          ...tx,
          query: (s, p) => {
            sql.push(s);
            return tx.query(s, p);
          },
        }),
      );
    for (let i = 0; i < 12; i++) {
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(
          user(`q${String(i).padStart(2, "0")}@example.com`, {
            displayName: `Query ${i}`,
            title: i % 2 ? "Engineer" : "Manager",
            [ENTERPRISE]: { department: i < 6 ? "Sales" : "R&D", employeeNumber: String(100 + i) },
            schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            emails: [{ value: `q${i}@${i % 3 ? "x.com" : "y.com"}`, type: i % 2 ? "work" : "home" }],
          }),
        )
        .expect(201);
    }
  });
  afterAll(() => t.close());
  const find = async (filter: string, extra = "") =>
    (await t.request.get(`/scim/v2/Users?filter=${encodeURIComponent(filter)}&count=100${extra}`).set(AUTH))
      .body;
  const names = (body: { Resources: { userName: string }[] }) => body.Resources.map((r) => r.userName);

  it("answers 412 to PUT, PATCH and DELETE with a stale If-Match and keeps the resource", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("etag@example.com"))).body;
    const path = `/scim/v2/Users/${u.id}`;
    await t.request
      .patch(path)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "A" }] });
    const stale = 'W/"1"';
    const put = await t.request.put(path).set(AUTH).set("If-Match", stale).send(user("etag@example.com"));
    const patch = await t.request
      .patch(path)
      .set(AUTH)
      .set("If-Match", stale)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "B" }] });
    const del = await t.request.delete(path).set(AUTH).set("If-Match", stale);
    expect([put.status, patch.status, del.status]).toEqual([412, 412, 412]);
    const now = await t.request.get(path).set(AUTH);
    expect(now.body.title).toBe("A");
    expect(now.headers.etag).toBe('W/"2"');
    await t.request.delete(path).set(AUTH).set("If-Match", 'W/"2"').expect(204);
  });

  it("keeps the version on a PATCH that changes nothing, and answers If-None-Match with 304", async () => {
    const u = (
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user("noop@example.com", { title: "Same" }))
    ).body;
    const res = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "Same" }] });
    expect(res.body.meta.version).toBe('W/"1"');
    expect(res.headers.etag).toBe('W/"1"');
    const cached = await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH).set("If-None-Match", 'W/"1"');
    expect(cached.status).toBe(304);
  });

  it("rejects a PATCH value of the wrong type on the fast path with 400 invalidValue", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("strict@example.com"))).body;
    const res = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "active", value: "maybe" }] });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    const readOnly = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "replace", path: "meta.created", value: "2020-01-01T00:00:00Z" }],
      });
    expect(readOnly.status).toBe(400);
  });

  it("evaluates the filter grammar: precedence, not (A or B), value paths, sub-attributes, extensions", async () => {
    expect(
      names(await find('userName sw "q0" and not (title eq "Manager" or displayName eq "Query 1")')),
    ).toEqual(["q03@example.com", "q05@example.com", "q07@example.com", "q09@example.com"]);
    expect(
      (await find('title eq "Engineer" or title eq "Manager" and userName ew "00@example.com"')).totalResults,
    ).toBe(7);
    expect((await find('emails[type eq "work" and value co "@y.com"]')).totalResults).toBe(2);
    expect(
      (await find(`${ENTERPRISE}:department eq "sales" and ${ENTERPRISE}:employeeNumber ge "103"`))
        .totalResults,
    ).toBe(3);
    expect(
      (await find('name.familyName pr and meta.lastModified gt "2000-01-01T00:00:00Z"')).totalResults,
    ).toBeGreaterThanOrEqual(12);
    expect((await find('displayName ne "Query 0" and userName sw "q"')).totalResults).toBe(11);
    const bad = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('shoeSize eq "9"')}`)
      .set(AUTH);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe("invalidFilter");
  });

  it("sorts by any singular attribute, including sub-attributes and extension attributes", async () => {
    const byNumber = await find(
      'userName sw "q"',
      `&sortBy=${ENTERPRISE}:employeeNumber&sortOrder=descending`,
    );
    expect(names(byNumber).slice(0, 2)).toEqual(["q11@example.com", "q10@example.com"]);
    const byDisplay = await find('userName sw "q"', "&sortBy=displayName");
    expect(names(byDisplay)[0]).toBe("q00@example.com");
  });

  it("clamps count to filter.maxResults, accepts a SearchRequest with count 0, projects write responses", async () => {
    const config = (await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH)).body;
    expect(config.filter).toEqual({ supported: true, maxResults: 1000 });
    const clamped = await t.request.get("/scim/v2/Users?count=5000").set(AUTH);
    expect(clamped.body.itemsPerPage).toBeLessThanOrEqual(1000);
    const zero = await t.request
      .post("/scim/v2/Users/.search")
      .set(AUTH)
      .send({ schemas: [SEARCH], count: 0 });
    expect(zero.status).toBe(200);
    expect(zero.body.Resources).toEqual([]);
    expect(zero.body.totalResults).toBeGreaterThanOrEqual(12);
    const created = await t.request
      .post("/scim/v2/Users?attributes=userName")
      .set(AUTH)
      .send(user("projected@example.com"));
    expect(Object.keys(created.body).sort()).toEqual(["id", "schemas", "userName"]);
  });

  it("pages a root /.search across Users and Groups without repeating or skipping", async () => {
    for (const n of ["Query A", "Query B"]) {
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: n })
        .expect(201);
    }
    const filter = 'userName sw "q0" or displayName sw "Query "';
    const seen: string[] = [];
    for (let startIndex = 1; startIndex <= 30; startIndex += 4) {
      const page = await t.request
        .post("/scim/v2/.search")
        .set(AUTH)
        .send({ schemas: [SEARCH], filter, startIndex, count: 4 });
      expect(page.body.totalResults).toBe(14);
      seen.push(...page.body.Resources.map((r: { id: string }) => r.id));
    }
    expect(seen).toHaveLength(14);
    expect(new Set(seen).size).toBe(14);
  });

  it("adds one member to a large group without reading its members, and never loads them when excluded", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Big" })
    ).body;
    await t.directory.db.query(
      `INSERT INTO users (id, user_name, data) SELECT gen_random_uuid(), 'big' || i, '{}'::jsonb FROM generate_series(1, 3000) i`,
    );
    await t.directory.db.query(
      "INSERT INTO group_members (group_id, member_id, member_type) SELECT $1, id, 'User' FROM users WHERE user_name LIKE 'big%'",
      [g.id],
    );
    const newcomer = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("newcomer@example.com")))
      .body;
    sql.length = 0;
    await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "add", path: "members", value: [{ value: newcomer.id }] }],
      })
      .expect(204);
    await t.request.get(`/scim/v2/Groups/${g.id}?excludedAttributes=members`).set(AUTH).expect(200);
    await t.request
      .get(`/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Big"')}`)
      .set(AUTH)
      .expect(200);
    expect(sql.filter((s) => /FROM group_members m\s+LEFT JOIN/.test(s))).toEqual([]);
    const count = await t.directory.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM group_members WHERE group_id = $1",
      [g.id],
    );
    expect(count.rows[0]!.n).toBe(3001);
  });
});
