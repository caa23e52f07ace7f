// Microsoft Entra ID's provisioning with the OAuth2 client credentials configuration, and Okta's with Basic auth,
// replayed from the first request: the token (Entra), "Test Connection", then a first cycle (lookup, create the
// user, look up and create the group, add the member). Request shapes as in test/scim/dialects-*.test.ts.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTRA_SECRET = "entra-client-secret-0123456789abcdef";
const OKTA_PASSWORD = "okta-basic-password-0123456789abcdef";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const filter = (f: string) => encodeURIComponent(f);

describe.each(BACKENDS)("IdPs' first provisioning cycle with their own authentication on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      backend,
      // No SCIM_BEARER_TOKEN at all: only the named credentials open the door.
      tokens: [],
      auth: [
        {
          name: "entra",
          kind: "clientCredentials",
          clientId: "scim-bridge-entra",
          clientSecretSha256: sha256(ENTRA_SECRET),
        },
        { name: "okta", kind: "basic", username: "okta-provisioning", passwordSha256: sha256(OKTA_PASSWORD) },
      ],
    });
  });
  afterAll(() => t.close());
  const actors = async (id: string) =>
    (
      await t.store.db.query<{ actor: string }>("SELECT DISTINCT actor FROM audit WHERE resource_id = $1", [
        id,
      ])
    ).rows.map((r) => r.actor);

  it("Entra (OAuth2 client credentials grant): token, Test Connection, user, group, membership", async () => {
    // Entra's provisioning configuration: Tenant URL …/scim/v2, Token Endpoint …/oauth/token, Client Identifier and
    // Client Secret. It asks for a token with the client credentials grant.
    const token = await t.request.post("/oauth/token").type("form").send({
      grant_type: "client_credentials",
      client_id: "scim-bridge-entra",
      client_secret: ENTRA_SECRET,
    });
    expect(token.status).toBe(200);
    expect(token.body.token_type).toBe("Bearer");
    const auth = { Authorization: `Bearer ${token.body.access_token}` };

    // Test Connection: a user that does not exist, by a random GUID.
    const test = await t.request
      .get(`/scim/v2/Users?filter=${filter('userName eq "4f7b3c1e-9a2d-4b8e-8c6f-1d2e3f4a5b6c"')}`)
      .set(auth);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ totalResults: 0, Resources: [] });

    // First cycle: look the user up, create it.
    const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
    expect(
      (await t.request.get(`/scim/v2/Users?filter=${filter(`userName eq "${userName}"`)}`).set(auth)).body
        .totalResults,
    ).toBe(0);
    const u = await t.request
      .post("/scim/v2/Users")
      .set(auth)
      .send({
        schemas: [CORE, ENTERPRISE],
        externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e1",
        userName,
        active: true,
        emails: [{ primary: true, type: "work", value: "Test_User_fd0ea19b@testuser.com" }],
        meta: { resourceType: "User" },
        name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
        roles: [],
      });
    expect(u.status).toBe(201);

    // Then the group: looked up without its members, created without members, members PATCHed in (204).
    const lookup = `/scim/v2/Groups?excludedAttributes=members&filter=${filter('displayName eq "Entra Sales"')}`;
    expect((await t.request.get(lookup).set(auth)).body.totalResults).toBe(0);
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(auth)
      .send({
        schemas: [GROUP, MS_GROUP],
        externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        displayName: "Entra Sales",
        meta: { resourceType: "Group" },
      });
    expect(g.status).toBe(201);
    const add = await t.request
      .patch(`/scim/v2/Groups/${g.body.id}`)
      .set(auth)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: u.body.id }] }],
      });
    expect(add.status).toBe(204);
    const member = await t.request.get(`/scim/v2/Users/${u.body.id}`).set(auth);
    expect(member.body.groups.map((x: { display: string }) => x.display)).toEqual(["Entra Sales"]);
    expect(await actors(u.body.id)).toEqual(["entra"]);
    expect(await actors(g.body.id)).toEqual(["entra"]);
  });

  it("Okta (Basic auth): Test Connector Configuration, user, group, membership", async () => {
    const auth = {
      Authorization: `Basic ${Buffer.from(`okta-provisioning:${OKTA_PASSWORD}`).toString("base64")}`,
    };
    // Okta's connector test reads the users (and, with group push, the groups) a page at a time.
    expect((await t.request.get("/scim/v2/Users?startIndex=1&count=2").set(auth)).status).toBe(200);
    expect((await t.request.get("/scim/v2/Groups?startIndex=1&count=2").set(auth)).status).toBe(200);

    const lookup = `/scim/v2/Users?filter=${filter('userName eq "jane.doe@okta.local"')}&startIndex=1&count=100`;
    expect((await t.request.get(lookup).set(auth)).body.totalResults).toBe(0);
    const u = await t.request
      .post("/scim/v2/Users")
      .set(auth)
      .send({
        schemas: [CORE],
        userName: "jane.doe@okta.local",
        name: { givenName: "Jane", familyName: "Doe" },
        emails: [{ primary: true, value: "jane.doe@okta.local", type: "work" }],
        displayName: "Jane Doe",
        locale: "en-US",
        externalId: "00ujl29u0le5T6Aj10h7",
        groups: [],
        password: "1mz050nq",
        active: true,
      });
    expect(u.status).toBe(201);
    const groupLookup = `/scim/v2/Groups?filter=${filter('displayName eq "Okta Sales"')}&startIndex=1&count=100`;
    expect((await t.request.get(groupLookup).set(auth)).body.totalResults).toBe(0);
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(auth)
      .send({ schemas: [GROUP], displayName: "Okta Sales", members: [] });
    expect(g.status).toBe(201);
    const patch = await t.request
      .patch(`/scim/v2/Groups/${g.body.id}`)
      .set(auth)
      .send({
        schemas: [PATCH],
        Operations: [
          { op: "add", path: "members", value: [{ value: u.body.id, display: "jane.doe@okta.local" }] },
        ],
      });
    expect([200, 204]).toContain(patch.status);
    expect((await t.request.get(`/scim/v2/Groups/${g.body.id}`).set(auth)).body.members).toEqual([
      expect.objectContaining({ value: u.body.id }),
    ]);
    expect(await actors(u.body.id)).toEqual(["okta"]);
    // Okta's SPEC test: a wrong password is a 401 with a SCIM error body whose status is "401".
    const wrong = await t.request
      .get("/scim/v2/Users?startIndex=1&count=1")
      .set({ Authorization: `Basic ${Buffer.from("okta-provisioning:wrong").toString("base64")}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "401",
    });
  });
});
