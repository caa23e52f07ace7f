import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, postUsers, type TestApp, user } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("SCIM Groups on %s", (backend) => {
  let t: TestApp;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({ backend });
    ids.push(...(await postUsers(t.request, AUTH, ["g1", "g2", "g3"])));
  });
  afterAll(() => t.close());

  it("creates a group with members and shows the group on the user", async () => {
    const res = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Tableau Users", members: [{ value: ids[0] }] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toContain(`/Groups/${res.body.id}`);
    expect(res.body.members).toEqual([
      {
        value: ids[0],
        $ref: expect.stringContaining(`/Users/${ids[0]}`),
        display: expect.any(String),
        type: "User",
      },
    ]);
    const u = await t.request.get(`/scim/v2/Users/${ids[0]}`).set(AUTH);
    expect(u.body.groups).toEqual([
      {
        value: res.body.id,
        $ref: expect.stringContaining(`/Groups/${res.body.id}`),
        display: "Tableau Users",
      },
    ]);
  });

  it("refuses a duplicate displayName (409 uniqueness) and unknown members (400)", async () => {
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Dupes" })
      .expect(201);
    const dup = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "dupes" });
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe("uniqueness");
    const bad = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({
        schemas: [GROUP],
        displayName: "Ghosts",
        members: [{ value: "6f1c1d7e-0000-4000-8000-000000000000" }],
      });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("6f1c1d7e-0000-4000-8000-000000000000");
  });

  it("adds and removes members by PATCH in each IdP shape, touching only those members", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Patchers" })
    ).body;
    const patch = (Operations: unknown[]) =>
      t.request
        .patch(`/scim/v2/Groups/${g.id}`)
        .set(AUTH)
        .send({ schemas: [PATCH], Operations });
    const members = async () =>
      (await t.request.get(`/scim/v2/Groups/${g.id}`).set(AUTH)).body.members.map(
        (m: { value: string }) => m.value,
      );
    // add (Entra style, capitalised op and $ref null): 204, as Entra asks for group PATCH
    const added = await patch([
      { op: "Add", path: "members", value: [{ $ref: null, value: ids[0] }, { value: ids[1] }] },
    ]);
    expect(added.status).toBe(204);
    expect(added.headers.etag).toBe('W/"2"');
    // remove by filter + add in one PATCH (Okta)
    await patch([
      { op: "remove", path: `members[value eq "${ids[0]}"]` },
      { op: "add", path: "members", value: [{ value: ids[2] }] },
    ]).expect(204);
    expect((await members()).sort()).toEqual([ids[1], ids[2]].sort());
    // remove with a value list and no filter (Entra): removes only the listed member
    await patch([{ op: "Remove", path: "members", value: [{ value: ids[1] }] }]).expect(204);
    expect(await members()).toEqual([ids[2]]);
    // adding an existing member does not duplicate it, and changes nothing (same ETag)
    const before = (await t.request.get(`/scim/v2/Groups/${g.id}`).set(AUTH)).body.meta.version;
    const again = await patch([{ op: "add", path: "members", value: [{ value: ids[2] }] }]);
    expect(again.headers.etag).toBe(before);
    expect(await members()).toEqual([ids[2]]);
  });

  it("answers a group PATCH with the projected group (200) when the request asks for attributes", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Asked", members: [{ value: ids[0] }] })
    ).body;
    const res = await t.request
      .patch(`/scim/v2/Groups/${g.id}?attributes=displayName,members`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: ids[1] }] }] });
    expect(res.status).toBe(200);
    expect(res.body.members.map((m: { value: string }) => m.value).sort()).toEqual([ids[0], ids[1]].sort());
    const quiet = await t.request
      .patch(`/scim/v2/Groups/${g.id}?excludedAttributes=members`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "displayName", value: "Asked 2" }] });
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({ id: g.id, displayName: "Asked 2" });
    expect(quiet.body.members).toBeUndefined();
  });

  it("renames a group with Okta's no-path replace carrying the id", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Old name" })
    ).body;
    const res = await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "replace", value: { id: g.id, displayName: "New name" } }],
      });
    expect(res.status).toBe(204);
    expect((await t.request.get(`/scim/v2/Groups/${g.id}`).set(AUTH)).body.displayName).toBe("New name");
  });

  it("replaces members with PUT and deletes a group without touching its users", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Put me", members: [{ value: ids[0] }] })
    ).body;
    const put = await t.request
      .put(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Put me", members: [{ value: ids[1] }, { value: ids[2] }] });
    expect(put.body.members.map((m: { value: string }) => m.value).sort()).toEqual([ids[1], ids[2]].sort());
    await t.request.delete(`/scim/v2/Groups/${g.id}`).set(AUTH).expect(204);
    const u = await t.request.get(`/scim/v2/Users/${ids[1]}`).set(AUTH).expect(200);
    expect((u.body.groups ?? []).map((x: { display: string }) => x.display)).not.toContain("Put me");
  });

  it("leaves members out when excludedAttributes=members", async () => {
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Quiet", members: [{ value: ids[0] }] })
    ).body;
    const res = await t.request.get(`/scim/v2/Groups/${g.id}?excludedAttributes=members`).set(AUTH);
    expect(res.body.members).toBeUndefined();
    expect(res.body.displayName).toBe("Quiet");
  });

  it("omits members, and a user's groups, once there are none (RFC 7643 §2.5), in every response", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("lonely@example.com"))).body;
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Emptied", members: [{ value: u.id }] })
    ).body;
    const patched = await t.request
      .patch(`/scim/v2/Groups/${g.id}?attributes=members,displayName`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "remove", path: "members" }] });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty("members");
    const read = await t.request.get(`/scim/v2/Groups/${g.id}`).set(AUTH);
    expect(read.body).not.toHaveProperty("members");
    const listed = await t.request
      .get(`/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Emptied"')}`)
      .set(AUTH);
    expect(listed.body.Resources[0]).not.toHaveProperty("members");
    const userRead = await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH);
    expect(userRead.body).not.toHaveProperty("groups");
    const put = await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ ...user("lonely@example.com"), emails: [], phoneNumbers: [] });
    expect(put.status).toBe(200);
    expect(put.body).not.toHaveProperty("emails");
    expect(put.body).not.toHaveProperty("phoneNumbers");
  });
});
