import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, scimJson, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

describe.each(BACKENDS)("SCIM Users on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  it("creates a user: 201, server-issued UUID, Location, meta, ETag equal to meta.version", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", scimJson)
      .send(user("alice@example.com", { externalId: "ext-alice" }));
    expect(res.status).toBe(201);
    expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).toMatch(new RegExp(`/scim/v2/Users/${res.body.id}$`));
    expect(res.body.meta).toMatchObject({
      resourceType: "User",
      version: 'W/"1"',
      location: res.headers.location,
    });
    expect(Date.parse(res.body.meta.created)).not.toBeNaN();
    expect(res.headers.etag).toBe(res.body.meta.version);
    expect(res.body.userName).toBe("alice@example.com");
    expect(res.body.externalId).toBe("ext-alice");
    expect(res.body).not.toHaveProperty("groups");
  });

  it("gets a user by id, and 404 with a SCIM error for an unknown id", async () => {
    const created = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("bob@example.com"))).body;
    const got = await t.request.get(`/scim/v2/Users/${created.id}`).set(AUTH);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
    const missing = await t.request.get("/scim/v2/Users/6f1c1d7e-0000-4000-8000-000000000000").set(AUTH);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "404",
    });
    expect(missing.body.detail).toContain("not found");
  });

  it("refuses a second user with the same userName in another case: 409 uniqueness", async () => {
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("carol@example.com")).expect(201);
    const dup = await t.request.post("/scim/v2/Users").set(AUTH).send(user("CAROL@example.com"));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: "409", scimType: "uniqueness" });
    expect(dup.body.detail).toContain("CAROL@example.com");
  });

  it("rejects a user without userName with 400 and a detail naming the attribute", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ schemas: user("x").schemas, name: {} });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBeDefined();
    expect(res.body.detail).toMatch(/userName/);
  });

  it("replaces a user with PUT, bumps the version, and keeps it when nothing changed", async () => {
    const created = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("dave@example.com"))).body;
    const body = { ...user("dave@example.com"), displayName: "Dave D" };
    const put = await t.request.put(`/scim/v2/Users/${created.id}`).set(AUTH).send(body);
    expect(put.status).toBe(200);
    expect(put.body.displayName).toBe("Dave D");
    expect(put.body.meta.version).toBe('W/"2"');
    const again = await t.request.put(`/scim/v2/Users/${created.id}`).set(AUTH).send(body);
    expect(again.body.meta.version).toBe('W/"2"');
  });

  it("PATCHes a user (replace, add, remove) and deactivates with active=false", async () => {
    const created = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("erin@example.com"))).body;
    const patch = await t.request
      .patch(`/scim/v2/Users/${created.id}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [
          { op: "replace", path: "displayName", value: "Erin E" },
          { op: "add", path: "title", value: "Engineer" },
          { op: "replace", path: "active", value: false },
        ],
      });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ displayName: "Erin E", title: "Engineer", active: false });
    const removed = await t.request
      .patch(`/scim/v2/Users/${created.id}`)
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "remove", path: "title" }],
      });
    expect(removed.body.title).toBeUndefined();
    expect(removed.body.meta.version).toBe('W/"3"');
  });

  it("stores the enterprise extension and returns it", async () => {
    const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        ...user("frank@example.com"),
        schemas: [...user("x").schemas, ent],
        [ent]: { department: "Sales", employeeNumber: "42" },
      });
    expect(res.status).toBe(201);
    expect(res.body[ent]).toEqual({ department: "Sales", employeeNumber: "42" });
    expect(res.body.schemas).toContain(ent);
  });

  it("never returns or stores a password", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ ...user("gina@example.com"), password: "S3cret!pass" });
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain("S3cret");
    const { rows } = await t.store.db.query<{ data: unknown }>("SELECT data FROM users WHERE id = $1", [
      res.body.id,
    ]);
    expect(JSON.stringify(rows[0]?.data)).not.toContain("S3cret");
  });

  it("deletes a user: 204, then 404", async () => {
    const created = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("hank@example.com"))).body;
    await t.request.delete(`/scim/v2/Users/${created.id}`).set(AUTH).expect(204);
    await t.request.get(`/scim/v2/Users/${created.id}`).set(AUTH).expect(404);
    await t.request.delete(`/scim/v2/Users/${created.id}`).set(AUTH).expect(404);
  });
});
