// Drives the real app through every served endpoint and error case and checks each response against
// openapi/scim-bridge.yaml, so the published description cannot drift from what clients get.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, scimJson, type TestApp, user } from "../support/app.ts";
import {
  checkedResponses,
  expectResponseMatchesSpec as conforms,
  openApiDocument,
} from "../support/openapi.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const UNKNOWN_ID = "6f1c1d7e-0000-4000-8000-000000000000";

describe("the HTTP API conforms to openapi/scim-bridge.yaml", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ bodyLimit: "16kb" });
  });
  afterAll(() => t.close());

  it("Users: create, get, 304, list, search, replace, patch, delete", async () => {
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send({
        ...user("ada@example.com", { externalId: "ext-ada", title: "Analyst" }),
        schemas: [user("x").schemas[0], ENTERPRISE],
        [ENTERPRISE]: { department: "Research", manager: { value: "m-1" } },
        password: "Not-Returned-1",
      });
    expect(created.status).toBe(201);
    conforms("post", "/scim/v2/Users", created);
    const path = `/scim/v2/Users/${created.body.id}`;

    const got = await t.request.get(path).set(AUTH);
    conforms("get", "/scim/v2/Users/{id}", got);
    const notModified = await t.request.get(path).set(AUTH).set("If-None-Match", String(got.headers.etag));
    expect(notModified.status).toBe(304);
    conforms("get", "/scim/v2/Users/{id}", notModified);
    const projected = await t.request.get(`${path}?attributes=userName`).set(AUTH);
    expect(Object.keys(projected.body).sort()).toEqual(["id", "schemas", "userName"]);
    conforms("get", "/scim/v2/Users/{id}", projected);

    const list = await t.request
      .get("/scim/v2/Users")
      .query({
        filter: 'userName sw "ada"',
        startIndex: 1,
        count: 5,
        sortBy: "userName",
        sortOrder: "descending",
      })
      .set(AUTH);
    expect(list.body.totalResults).toBe(1);
    conforms("get", "/scim/v2/Users", list);
    const empty = await t.request.get("/scim/v2/Users").query({ filter: 'userName eq "nobody"' }).set(AUTH);
    expect(empty.body.totalResults).toBe(0);
    conforms("get", "/scim/v2/Users", empty);
    const search = await t.request
      .post("/scim/v2/Users/.search")
      .set(AUTH)
      .send({ schemas: [SEARCH], filter: 'externalId eq "ext-ada"', excludedAttributes: ["groups"] });
    expect(search.body.Resources).toHaveLength(1);
    conforms("post", "/scim/v2/Users/.search", search);

    const replaced = await t.request
      .put(path)
      .set(AUTH)
      .send(user("ada@example.com", { displayName: "Ada L" }));
    expect(replaced.status).toBe(200);
    conforms("put", "/scim/v2/Users/{id}", replaced);
    const patched = await t.request
      .patch(path)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: false }] });
    expect(patched.body.active).toBe(false);
    conforms("patch", "/scim/v2/Users/{id}", patched);

    const stale = await t.request.delete(path).set(AUTH).set("If-Match", 'W/"1"');
    expect(stale.status).toBe(412);
    conforms("delete", "/scim/v2/Users/{id}", stale);
    const stalePut = await t.request
      .put(path)
      .set(AUTH)
      .set("If-Match", 'W/"1"')
      .send(user("ada@example.com"));
    expect(stalePut.status).toBe(412);
    conforms("put", "/scim/v2/Users/{id}", stalePut);
    const deleted = await t.request.delete(path).set(AUTH).set("If-Match", String(patched.headers.etag));
    expect(deleted.status).toBe(204);
    conforms("delete", "/scim/v2/Users/{id}", deleted);
    const gone = await t.request.get(path).set(AUTH);
    expect(gone.status).toBe(404);
    conforms("get", "/scim/v2/Users/{id}", gone);
  });

  it("Groups: create with members, get, 304, list, search, replace, patch members, delete", async () => {
    const member = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("grace@example.com"))).body;
    const created = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({
        schemas: [GROUP],
        displayName: "Analysts",
        externalId: "g-ext",
        members: [{ value: member.id }],
      });
    expect(created.status).toBe(201);
    conforms("post", "/scim/v2/Groups", created);
    const path = `/scim/v2/Groups/${created.body.id}`;

    const got = await t.request.get(path).set(AUTH);
    expect(got.body.members).toHaveLength(1);
    conforms("get", "/scim/v2/Groups/{id}", got);
    const notModified = await t.request.get(path).set(AUTH).set("If-None-Match", String(got.headers.etag));
    conforms("get", "/scim/v2/Groups/{id}", notModified);
    const memberView = await t.request.get(`/scim/v2/Users/${member.id}`).set(AUTH);
    expect(memberView.body.groups).toHaveLength(1);
    conforms("get", "/scim/v2/Users/{id}", memberView);

    const list = await t.request
      .get("/scim/v2/Groups")
      .query({ excludedAttributes: "members", count: 10 })
      .set(AUTH);
    conforms("get", "/scim/v2/Groups", list);
    const search = await t.request
      .post("/scim/v2/Groups/.search")
      .set(AUTH)
      .send({ schemas: [SEARCH], filter: 'displayName eq "Analysts"', attributes: "displayName,members" });
    expect(search.body.totalResults).toBe(1);
    conforms("post", "/scim/v2/Groups/.search", search);

    const replaced = await t.request
      .put(path)
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Analysts EU" });
    expect(replaced.body.members).toHaveLength(1);
    conforms("put", "/scim/v2/Groups/{id}", replaced);
    const patched = await t.request
      .patch(path)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${member.id}"]` }] });
    expect(patched.status).toBe(204);
    conforms("patch", "/scim/v2/Groups/{id}", patched);
    const patchedWithBody = await t.request
      .patch(`${path}?attributes=members`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "displayName", value: "Analysts 2" }] });
    expect(patchedWithBody.body).not.toHaveProperty("members");
    conforms("patch", "/scim/v2/Groups/{id}", patchedWithBody);
    const stale = await t.request
      .patch(path)
      .set(AUTH)
      .set("If-Match", 'W/"1"')
      .send({
        schemas: [PATCH],
        Operations: [{ op: "replace", path: "displayName", value: "Late" }],
      });
    expect(stale.status).toBe(412);
    conforms("patch", "/scim/v2/Groups/{id}", stale);

    const deleted = await t.request.delete(path).set(AUTH);
    conforms("delete", "/scim/v2/Groups/{id}", deleted);
    conforms("delete", "/scim/v2/Groups/{id}", await t.request.delete(path).set(AUTH));
  });

  it("discovery: ServiceProviderConfig, Schemas, ResourceTypes, and 404 for unknown ids", async () => {
    conforms(
      "get",
      "/scim/v2/ServiceProviderConfig",
      await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH),
    );
    const schemas = await t.request.get("/scim/v2/Schemas").set(AUTH);
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toContain(ENTERPRISE);
    conforms("get", "/scim/v2/Schemas", schemas);
    conforms("get", "/scim/v2/Schemas/{id}", await t.request.get(`/scim/v2/Schemas/${GROUP}`).set(AUTH));
    conforms("get", "/scim/v2/Schemas/{id}", await t.request.get("/scim/v2/Schemas/urn:nope").set(AUTH));
    conforms("get", "/scim/v2/ResourceTypes", await t.request.get("/scim/v2/ResourceTypes").set(AUTH));
    conforms(
      "get",
      "/scim/v2/ResourceTypes/{id}",
      await t.request.get("/scim/v2/ResourceTypes/User").set(AUTH),
    );
    const missing = await t.request.get("/scim/v2/ResourceTypes/Nope").set(AUTH);
    expect(missing.status).toBe(404);
    conforms("get", "/scim/v2/ResourceTypes/{id}", missing);
  });

  it("client errors: 400, 401, 404, 409, 413, 415, 501 are SCIM error bodies as described", async () => {
    const badFilter = await t.request.get("/scim/v2/Users").query({ filter: "userName zz 1" }).set(AUTH);
    expect(badFilter.body.scimType).toBe("invalidFilter");
    conforms("get", "/scim/v2/Users", badFilter);
    const noUserName = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ schemas: user("x").schemas });
    expect(noUserName.status).toBe(400);
    conforms("post", "/scim/v2/Users", noUserName);
    const notPatchOp = await t.request
      .patch(`/scim/v2/Users/${UNKNOWN_ID}`)
      .set(AUTH)
      .send({ Operations: [] });
    expect(notPatchOp.status).toBe(400);
    conforms("patch", "/scim/v2/Users/{id}", notPatchOp);
    const notSearch = await t.request.post("/scim/v2/Groups/.search").set(AUTH).send({ filter: "x" });
    conforms("post", "/scim/v2/Groups/.search", notSearch);
    const notJson = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send("{oops");
    expect(notJson.body.scimType).toBe("invalidSyntax");
    conforms("post", "/scim/v2/Groups", notJson);

    const anonymous = await t.request.get("/scim/v2/Users");
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer/);
    conforms("get", "/scim/v2/Users", anonymous);
    conforms(
      "get",
      "/scim/v2/Schemas",
      await t.request.get("/scim/v2/Schemas").set("Authorization", "Bearer wrong"),
    );

    conforms(
      "patch",
      "/scim/v2/Groups/{id}",
      await t.request
        .patch(`/scim/v2/Groups/${UNKNOWN_ID}`)
        .set(AUTH)
        .send({
          schemas: [PATCH],
          Operations: [{ op: "replace", path: "displayName", value: "x" }],
        }),
    );
    conforms(
      "put",
      "/scim/v2/Users/{id}",
      await t.request.put(`/scim/v2/Users/${UNKNOWN_ID}`).set(AUTH).send(user("z")),
    );

    await t.request.post("/scim/v2/Users").set(AUTH).send(user("dup@example.com")).expect(201);
    const dup = await t.request.post("/scim/v2/Users").set(AUTH).send(user("DUP@example.com"));
    expect(dup.status).toBe(409);
    conforms("post", "/scim/v2/Users", dup);

    const huge = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("big", { title: "x".repeat(20_000) }));
    expect(huge.status).toBe(413);
    conforms("post", "/scim/v2/Users", huge);
    const text = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", "text/plain")
      .send("userName=x");
    expect(text.status).toBe(415);
    conforms("post", "/scim/v2/Users", text);

    const bulk = await t.request.post("/scim/v2/Bulk").set(AUTH).send({ schemas: [], Operations: [] });
    expect(bulk.status).toBe(400);
    conforms("post", "/scim/v2/Bulk", bulk);
    conforms("get", "/scim/v2/Me", await t.request.get("/scim/v2/Me").set(AUTH));
  });

  it("Bulk and root search: results per operation, 413 over maxOperations, Users and Groups together", async () => {
    const BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    const bulk = await t.request
      .post("/scim/v2/Bulk")
      .set(AUTH)
      .send({
        schemas: [BULK],
        Operations: [
          {
            method: "POST",
            path: "/Groups",
            bulkId: "g",
            data: { schemas: [GROUP], displayName: "Bulkers", members: [{ value: "bulkId:u" }] },
          },
          { method: "POST", path: "/Users", bulkId: "u", data: user("bulk.one@example.com") },
          { method: "POST", path: "/Users", bulkId: "bad", data: { schemas: [GROUP] } },
        ],
      });
    expect(bulk.status).toBe(200);
    expect(bulk.body.Operations.map((o: { status: string }) => o.status)).toEqual(["201", "201", "400"]);
    conforms("post", "/scim/v2/Bulk", bulk);
    const tooMany = await t.request
      .post("/scim/v2/Bulk")
      .set(AUTH)
      .send({
        schemas: [BULK],
        Operations: Array.from({ length: 1001 }, () => ({ method: "DELETE", path: `/Users/${UNKNOWN_ID}` })),
      });
    expect(tooMany.status).toBe(413);
    conforms("post", "/scim/v2/Bulk", tooMany);
    const all = await t.request
      .post("/scim/v2/.search")
      .set(AUTH)
      .send({ schemas: [SEARCH], filter: 'displayName eq "Bulkers" or userName eq "bulk.one@example.com"' });
    expect(all.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType)).toEqual([
      "User",
      "Group",
    ]);
    conforms("post", "/scim/v2/.search", all);
  });

  it("health, readiness and metrics", async () => {
    conforms("get", "/healthz", await t.request.get("/healthz"));
    conforms("get", "/readyz", await t.request.get("/readyz"));
    const metrics = await t.request.get("/metrics");
    expect(metrics.text).toContain("scim_bridge_http_requests_total");
    conforms("get", "/metrics", metrics);
  });

  it("429 carries Retry-After and a SCIM error body", async () => {
    const limited = await createTestApp({ rateLimitPerMinute: 1 });
    try {
      await limited.request.get("/scim/v2/ResourceTypes").set(AUTH).expect(200);
      const res = await limited.request.get("/scim/v2/ResourceTypes").set(AUTH);
      expect(res.status).toBe(429);
      conforms("get", "/scim/v2/ResourceTypes", res);
    } finally {
      await limited.close();
    }
  });

  // Last in this file: every operation the server serves was checked above with a success status. The admin API
  // needs a whole bridge (dispatcher, targets): openapi-admin.test.ts checks it; the console's pages are checked by
  // test/console/openapi-console.test.ts; /oauth/token by test/http/scim-auth-token-endpoint.test.ts.
  it("checked a success response of every served operation", () => {
    const doc = openApiDocument();
    const unchecked: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (path.startsWith("/admin/") || path.startsWith("/console") || path.startsWith("/oauth/")) continue;
      for (const [method, op] of Object.entries(item)) {
        const o = op as { responses?: Record<string, unknown>; "x-status"?: string };
        if (!o?.responses || o["x-status"] === "planned") continue;
        const success = Object.keys(o.responses).filter((s) => /^[23]/.test(s));
        const expected = success.length ? success : Object.keys(o.responses);
        if (!expected.some((s) => checkedResponses.has(`${method.toUpperCase()} ${path} ${s}`))) {
          unchecked.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(unchecked).toEqual([]);
  });
});
