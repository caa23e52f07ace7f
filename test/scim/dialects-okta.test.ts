// Okta's SCIM 2.0 requests as developer.okta.com/docs/reference/scim/scim-20 shows them, plus the payloads of
// Salesforce's and Tableau Cloud's own SCIM APIs, so that an IdP app written for either can be pointed here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("Okta, Salesforce and Tableau dialects on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  const oktaUser = (userName: string, externalId: string) => ({
    schemas: [CORE],
    userName,
    name: { givenName: "Test", familyName: "User" },
    emails: [{ primary: true, value: userName, type: "work" }],
    displayName: "Test User",
    locale: "en-US",
    externalId,
    groups: [],
    password: "1mz050nq",
    active: true,
  });

  it("checks existence with an upper-cased userName filter, creates, then PUTs the full body back", async () => {
    const lookup = `/scim/v2/Users?filter=${encodeURIComponent('userName eq "TEST.USER@OKTA.LOCAL"')}&startIndex=1&count=100`;
    expect((await t.request.get(lookup).set(AUTH)).body.totalResults).toBe(0);
    const created = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(oktaUser("test.user@okta.local", "00ujl29u0le5T6Aj10h7"));
    expect(created.status).toBe(201);
    expect(created.body.password).toBeUndefined();
    const found = await t.request.get(lookup).set(AUTH);
    expect(found.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    const upperAttr = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('USERNAME EQ "Test.User@Okta.Local"')}`)
      .set(AUTH);
    expect(upperAttr.body.totalResults).toBe(1);
    // GET then PUT of the whole body, with id, meta and groups: [] (AIW apps also deactivate this way).
    const put = await t.request
      .put(`/scim/v2/Users/${created.body.id}`)
      .set(AUTH)
      .send({
        ...oktaUser("test.user@okta.local", "00ujl29u0le5T6Aj10h7"),
        id: created.body.id,
        name: { givenName: "Another", familyName: "User" },
        displayName: "Another User",
        active: false,
        meta: {
          resourceType: "User",
          created: "2019-06-19T17:40:47.000Z",
          lastModified: "2019-06-19T17:40:47.000Z",
        },
      });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: created.body.id, displayName: "Another User", active: false });
    expect(put.body.meta.version).toBe('W/"2"');
  });

  it("deactivates with the no-path replace {active: false}", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(oktaUser("deact@okta.local", "00u2")))
      .body;
    const res = await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
  });

  it("creates a group with members: [], renames it with the id in the value, moves members in one PATCH", async () => {
    const a = (await t.request.post("/scim/v2/Users").set(AUTH).send(oktaUser("ga@okta.local", "00u3"))).body;
    const b = (await t.request.post("/scim/v2/Users").set(AUTH).send(oktaUser("gb@okta.local", "00u4"))).body;
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Test SCIMv2", members: [] });
    expect(g.status).toBe(201);
    const patch = (Operations: unknown[]) =>
      t.request
        .patch(`/scim/v2/Groups/${g.body.id}`)
        .set(AUTH)
        .send({ schemas: [PATCH], Operations });
    await patch([{ op: "replace", value: { id: g.body.id, displayName: "Test SCIMv2 renamed" } }]).expect(
      204,
    );
    await patch([{ op: "add", path: "members", value: [{ value: a.id, display: "ga@okta.local" }] }]).expect(
      204,
    );
    await patch([
      { op: "remove", path: `members[value eq "${a.id}"]` },
      { op: "add", path: "members", value: [{ value: b.id, display: "gb@okta.local" }] },
    ]).expect(204);
    const got = await t.request
      .get(
        `/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Test SCIMv2 renamed"')}&startIndex=1&count=100`,
      )
      .set(AUTH);
    expect(got.body.Resources[0].members.map((m: { value: string }) => m.value)).toEqual([b.id]);
  });

  it("accepts email, phone and address types outside the RFC's examples, in any case, stored verbatim", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        schemas: [CORE],
        userName: "types@example.com",
        emails: [
          { value: "types@example.com", type: "Work", primary: "True" },
          { value: "t2@example.com", type: "alternate" },
        ],
        phoneNumbers: [
          { value: "+1 555 0100", type: "MOBILE" },
          { value: "+1 555 0101", type: "direct" },
        ],
        addresses: [{ streetAddress: "1 Main St", type: "Office" }],
      });
    expect(res.status).toBe(201);
    expect(res.body.emails).toEqual([
      { value: "types@example.com", type: "Work", primary: true },
      { value: "t2@example.com", type: "alternate" },
    ]);
    expect(res.body.phoneNumbers.map((p: { type: string }) => p.type)).toEqual(["MOBILE", "direct"]);
    expect(res.body.addresses[0].type).toBe("Office");
  });

  it("takes Salesforce's SCIM shapes: entitlements with a profile id, and members wrapped in {members}", async () => {
    const u = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        schemas: [CORE],
        userName: "sf.user@example.com",
        name: { familyName: "User", givenName: "Sf" },
        emails: [{ value: "sf.user@example.com", type: "work", primary: true }],
        entitlements: [{ value: "00e5g000002ZyUvAAK", display: "Standard User", primary: true }],
      });
    expect(u.status).toBe(201);
    expect(u.body.entitlements).toEqual([
      { value: "00e5g000002ZyUvAAK", display: "Standard User", primary: true },
    ]);
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "SF public" })
    ).body;
    await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "add", path: "members", value: { members: [{ value: u.body.id }] } }],
      })
      .expect(204);
    const got = await t.request.get(`/scim/v2/Groups/${g.id}`).set(AUTH);
    expect(got.body.members.map((m: { value: string }) => m.value)).toEqual([u.body.id]);
  });

  it("takes Tableau Cloud's SCIM body and stores its extension under the declared Tableau URN", async () => {
    const TABLEAU = "urn:ietf:params:scim:schemas:extension:tableau:3.0:User";
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        schemas: [CORE, TABLEAU, "urn:ietf:params:scim:schemas:extension:tableau:3.0"],
        userName: "user@x.com",
        name: { familyName: "Doe", givenName: "Jo" },
        active: true,
        "urn:ietf:params:scim:schemas:extension:tableau:3.0": {
          siteRoles: [{ value: "Viewer" }],
          entitlements: [{ value: "Viewer" }],
        },
      });
    expect(res.status).toBe(201);
    expect(res.body.schemas).toEqual([CORE, TABLEAU]);
    expect(res.body[TABLEAU]).toEqual({
      siteRoles: [{ value: "Viewer" }],
      entitlements: [{ value: "Viewer" }],
    });
    const patched = await t.request
      .patch(`/scim/v2/Users/${res.body.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "replace", path: `${TABLEAU}:siteRole`, value: "Creator" }],
      });
    expect(patched.body[TABLEAU].siteRole).toBe("Creator");
    const filtered = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent(`${TABLEAU}:siteRole eq "creator"`)}`)
      .set(AUTH);
    expect(filtered.body.totalResults).toBe(1);
  });
});
