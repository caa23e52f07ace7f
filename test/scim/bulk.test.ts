import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, postUsers, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("POST /Bulk on %s", (backend) => {
  let t: TestApp;
  let queries = 0;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Count store round trips made by the app (the directory's db is the one the app uses).
    const db = t.directory.db;
    const query = db.query.bind(db);
    const transaction = db.transaction.bind(db);
    db.query = (sql, params) => {
      queries++;
      return query(sql, params);
    };
    db.transaction = (fn) =>
      transaction((tx) =>
        fn({
          ...tx,
          query: (sql, params) => {
            queries++;
            return tx.query(sql, params);
          },
        }),
      );
  });
  afterAll(() => t.close());
  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) =>
    t.request
      .post("/scim/v2/Bulk")
      .set(AUTH)
      .send({ schemas: [BULK], Operations, ...extra });

  it("resolves bulkId references, including a group created before the user it references", async () => {
    const res = await bulk([
      {
        method: "POST",
        path: "/Groups",
        bulkId: "ytrewq",
        data: {
          schemas: [GROUP],
          displayName: "Tour Guides",
          members: [{ type: "User", value: "bulkId:qwerty" }],
        },
      },
      { method: "POST", path: "/Users", bulkId: "qwerty", data: user("alice.bulk@example.com") },
      {
        method: "PATCH",
        path: "/Users/bulkId:qwerty",
        data: { schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "Guide" }] },
      },
    ]);
    expect(res.status).toBe(200);
    const [g, u, p] = res.body.Operations;
    expect([g.status, u.status, p.status]).toEqual(["201", "201", "200"]);
    expect(u.location).toMatch(/\/Users\/[0-9a-f-]{36}$/);
    const group = await t.request.get(new URL(g.location).pathname).set(AUTH);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([u.location.split("/").pop()]);
    expect((await t.request.get(new URL(u.location).pathname).set(AUTH)).body.title).toBe("Guide");
  });

  it("reports each failed operation with its status and error body, and stops at failOnErrors", async () => {
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("taken@example.com")).expect(201);
    const res = await bulk(
      [
        { method: "POST", path: "/Users", bulkId: "a", data: user("taken@example.com") },
        { method: "POST", path: "/Users", bulkId: "b", data: { schemas: user("x").schemas } },
        { method: "POST", path: "/Users", bulkId: "c", data: user("fine@example.com") },
        { method: "DELETE", path: "/Users/6f1c1d7e-0000-4000-8000-000000000000" },
        { method: "POST", path: "/Users", bulkId: "d", data: user("never@example.com") },
      ],
      { failOnErrors: 3 },
    );
    const statuses = res.body.Operations.map((o: { status: string }) => o.status);
    expect(statuses).toEqual(["409", "400", "201", "404"]);
    expect(res.body.Operations[0].response).toMatchObject({ status: "409", scimType: "uniqueness" });
    expect(res.body.Operations[1].response.detail).toContain("userName");
    const never = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "never@example.com"')}`)
      .set(AUTH);
    expect(never.body.totalResults).toBe(0);
  });

  it("answers a conflict or a stale version with that operation's status; the other operations are written", async () => {
    const [kept, renamed, edited, removed, spared] = await postUsers(t.request, AUTH, [
      "conflict.kept",
      "conflict.renamed",
      "conflict.edited",
      "conflict.removed",
      "conflict.spared",
    ]);
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Conflict Group" })
      .expect(201);
    const versionOf = async (id: string) =>
      (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).headers.etag as string;
    const stale = 'W/"999"';
    const title = (value: string) => ({
      schemas: [PATCH],
      Operations: [{ op: "replace", path: "title", value }],
    });
    const cases: { name: string; op: Record<string, unknown>; status: string; scimType?: string }[] = [
      {
        name: "PUT with a stale version",
        op: {
          method: "PUT",
          path: `/Users/${kept}`,
          version: stale,
          data: user("conflict.kept@example.com", { title: "lost" }),
        },
        status: "412",
      },
      {
        name: "PUT to a userName another user has",
        op: { method: "PUT", path: `/Users/${renamed}`, data: user("conflict.kept@example.com") },
        status: "409",
        scimType: "uniqueness",
      },
      {
        name: "PATCH with the current version",
        op: {
          method: "PATCH",
          path: `/Users/${edited}`,
          version: await versionOf(edited!),
          data: title("Edited"),
        },
        status: "200",
      },
      {
        name: "POST of a group whose displayName is taken",
        op: {
          method: "POST",
          path: "/Groups",
          bulkId: "g",
          data: { schemas: [GROUP], displayName: "conflict group" },
        },
        status: "409",
        scimType: "uniqueness",
      },
      {
        name: "DELETE with a stale version",
        op: { method: "DELETE", path: `/Users/${spared}`, version: stale },
        status: "412",
      },
      {
        name: "first of two creates of one userName",
        op: { method: "POST", path: "/Users", bulkId: "twin1", data: user("conflict.twin@example.com") },
        status: "201",
      },
      {
        name: "second of two creates of one userName",
        op: { method: "POST", path: "/Users", bulkId: "twin2", data: user("Conflict.Twin@example.com") },
        status: "409",
        scimType: "uniqueness",
      },
      {
        name: "DELETE with the current version",
        op: { method: "DELETE", path: `/Users/${removed}`, version: await versionOf(removed!) },
        status: "204",
      },
      {
        name: "PATCH of a user that does not exist",
        op: { method: "PATCH", path: "/Users/6f1c1d7e-0000-4000-8000-000000000001", data: title("x") },
        status: "404",
      },
    ];
    const res = await bulk(cases.map((c) => c.op));
    expect(res.status).toBe(200);
    const got = cases.map((c, i) => ({
      name: c.name,
      status: res.body.Operations[i]?.status,
      scimType: res.body.Operations[i]?.response?.scimType,
    }));
    expect(got).toEqual(cases.map((c) => ({ name: c.name, status: c.status, scimType: c.scimType })));
    // The refused operations changed nothing; the others took effect.
    const read = (id: string) => t.request.get(`/scim/v2/Users/${id}`).set(AUTH);
    expect((await read(kept!)).body.title).toBeUndefined();
    expect((await read(renamed!)).body.userName).toBe("conflict.renamed@example.com");
    expect((await read(edited!)).body.title).toBe("Edited");
    expect((await read(spared!)).status).toBe(200);
    expect((await read(removed!)).status).toBe(404);
    const twins = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "conflict.twin@example.com"')}`)
      .set(AUTH);
    expect(twins.body.totalResults).toBe(1);
  });

  it("stops at failOnErrors counting conflicts like any other failure", async () => {
    const [id] = await postUsers(t.request, AUTH, ["stop.here"]);
    const res = await bulk(
      [
        { method: "DELETE", path: `/Users/${id}`, version: 'W/"999"' },
        { method: "POST", path: "/Users", bulkId: "s1", data: user("stop.here@example.com") },
        { method: "POST", path: "/Users", bulkId: "s2", data: user("stop.never@example.com") },
      ],
      { failOnErrors: 2 },
    );
    expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(["412", "409"]);
    const never = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "stop.never@example.com"')}`)
      .set(AUTH);
    expect(never.body.totalResults).toBe(0);
  });

  it("fails operations whose references cannot be resolved (unknown or circular) with 409", async () => {
    const res = await bulk([
      { method: "PATCH", path: "/Users/bulkId:nobody", data: { schemas: [PATCH], Operations: [] } },
      {
        method: "POST",
        path: "/Groups",
        bulkId: "x",
        data: { schemas: [GROUP], displayName: "X", members: [{ value: "bulkId:y" }] },
      },
      {
        method: "POST",
        path: "/Groups",
        bulkId: "y",
        data: { schemas: [GROUP], displayName: "Y", members: [{ value: "bulkId:x" }] },
      },
    ]);
    expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(["409", "409", "409"]);
  });

  it("enforces maxOperations and maxPayloadSize with 413 and a SCIM error", async () => {
    const config = (await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH)).body;
    expect(config.bulk).toMatchObject({ supported: true, maxOperations: 1000, maxPayloadSize: 1048576 });
    const many = await bulk(
      Array.from({ length: 1001 }, (_, i) => ({ method: "DELETE", path: `/Users/${i}` })),
    );
    expect(many.status).toBe(413);
    expect(many.body).toMatchObject({ status: "413" });
    expect(many.body.detail).toContain("1000");
  });

  it("writes 1,000 user creates in a few store round trips, with one audit row each", async () => {
    const Operations = Array.from({ length: 1000 }, (_, i) => ({
      method: "POST",
      path: "/Users",
      bulkId: `u${i}`,
      data: user(`load${i}@example.com`),
    }));
    queries = 0;
    const res = await bulk(Operations);
    expect(res.status).toBe(200);
    expect(res.body.Operations.every((o: { status: string }) => o.status === "201")).toBe(true);
    expect(queries).toBeLessThan(10);
    const { rows } = await t.directory.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit WHERE action = 'scim.user.create'",
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1000);
    const page = await t.request.get("/scim/v2/Users?filter=userName%20sw%20%22load%22&count=0").set(AUTH);
    expect(page.body.totalResults).toBe(1000);
  });

  it("logs an unexpected error in one operation with the request id its answer names, as a whole request's would be", async () => {
    const replace = t.directory.update.bind(t.directory);
    const victim = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("bulk-internal@example.com")))
      .body.id as string;
    t.directory.update = async (type, id, change, ctx) => {
      if (id === victim) throw new TypeError("cannot read properties of undefined (bug in a test double)");
      return replace(type, id, change, ctx);
    };
    try {
      const before = t.logs.length;
      const res = await bulk([
        {
          method: "PATCH",
          path: `/Users/${victim}`,
          data: { schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "X" }] },
        },
      ]);
      expect(res.status).toBe(200);
      const op = res.body.Operations[0];
      expect(op.status).toBe("500");
      const requestId = /request id (\S+)\)/.exec(op.response.detail)?.[1];
      expect(requestId).toBeTruthy();
      expect(op.response.detail).not.toMatch(/cannot read properties/);
      const logged = t.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged).toContainEqual(
        expect.objectContaining({
          msg: "unhandled error",
          req: expect.objectContaining({ id: requestId, method: "POST" }),
          operation: expect.objectContaining({ method: "PATCH", path: `/Users/${victim}` }),
        }),
      );
    } finally {
      t.directory.update = replace;
    }
  });

  it("says a userName is taken in the same words as a single POST does", async () => {
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("taken-words@example.com")).expect(201);
    const single = await t.request.post("/scim/v2/Users").set(AUTH).send(user("taken-words@example.com"));
    expect(single.status).toBe(409);
    const res = await bulk([
      { method: "POST", path: "/Users", bulkId: "a", data: user("taken-words@example.com") },
      { method: "POST", path: "/Users", bulkId: "b", data: user("fresh-words@example.com") },
    ]);
    expect(res.body.Operations[0].status).toBe("409");
    expect(res.body.Operations[0].response.detail).toBe(single.body.detail);
  });
});
