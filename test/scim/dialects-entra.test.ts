// Microsoft Entra ID's provisioning requests, replayed as its documentation shows them
// (use-scim-to-provision-users-and-groups, application-provisioning-config-problem-scim-compatibility,
// customize-application-attributes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp } from "../support/app.ts";
import { BACKENDS } from "../support/store.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

describe.each(BACKENDS)("Entra ID dialect on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(() => t.close());

  const createEntraUser = async (n: string) => {
    // [E2] "Create User" request, verbatim apart from the unique names.
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        externalId: `0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e${n}`,
        userName: `Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd${n}`,
        active: true,
        emails: [
          {
            primary: true,
            type: "work",
            value: `Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2${n}@testuser.com`,
          },
        ],
        meta: { resourceType: "User" },
        name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
        roles: [],
      });
    expect(res.status).toBe(201);
    return res.body as { id: string; userName: string };
  };
  const patchUser = (id: string, Operations: unknown[]) =>
    t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations });
  const getUser = async (id: string) => (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body;

  it("creates the documented user and finds it by userName, externalId and work email", async () => {
    const u = await createEntraUser("1");
    for (const f of [
      `userName eq "${u.userName}"`,
      'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e1"',
      'emails[type eq "work"].value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f21@testuser.com"',
    ]) {
      const res = await t.request.get(`/scim/v2/Users?filter=${encodeURIComponent(f)}`).set(AUTH);
      expect(res.body.totalResults).toBe(1);
    }
  });

  it("applies capitalised ops and 'False' string booleans (default, non-compliant dialect)", async () => {
    const u = await createEntraUser("2");
    const res = await patchUser(u.id, [
      { op: "Replace", path: "userName", value: "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" },
      { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" },
      { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
      { op: "Add", path: "nickName", value: "Babs" },
      { op: "Replace", path: "active", value: "False" },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      userName: "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
      nickName: "Babs",
      active: false,
      name: { familyName: "updatedFamilyName" },
    });
    expect(res.body.emails[0].value).toBe("updatedEmail@microsoft.com");
    const inactive = await t.request
      .get(
        `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${res.body.userName}" and active eq false`)}`,
      )
      .set(AUTH);
    expect(inactive.body.totalResults).toBe(1);
  });

  it("applies the aadOptscim062020 no-path replace with dotted, filtered and URN-qualified keys", async () => {
    const u = await createEntraUser("3");
    const res = await patchUser(u.id, [
      {
        op: "replace",
        value: {
          'emails[type eq "work"].value': "someone@contoso.com",
          'emails[type eq "work"].primary': true,
          "name.givenName": "Don",
          "name.familyName": "Funk",
          externalId: "Don.Funk@contoso.com",
          [`${ENTERPRISE}:employeeNumber`]: "59",
          [`${ENTERPRISE}:department`]: "Sales",
        },
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.name).toMatchObject({ givenName: "Don", familyName: "Funk" });
    expect(res.body.externalId).toBe("Don.Funk@contoso.com");
    expect(res.body.emails).toEqual([{ type: "work", value: "someone@contoso.com", primary: true }]);
    expect(res.body[ENTERPRISE]).toEqual({ employeeNumber: "59", department: "Sales" });
    expect(res.body.schemas).toContain(ENTERPRISE);
  });

  it("sets, changes and clears the manager sent as a bare string", async () => {
    const boss = await createEntraUser("4");
    const other = await createEntraUser("5");
    const u = await createEntraUser("6");
    await patchUser(u.id, [{ op: "Add", path: `${ENTERPRISE}:manager`, value: boss.id }]).expect(200);
    expect((await getUser(u.id))[ENTERPRISE].manager).toEqual({ value: boss.id });
    await patchUser(u.id, [{ op: "Replace", path: `${ENTERPRISE}:manager`, value: other.id }]).expect(200);
    expect((await getUser(u.id))[ENTERPRISE].manager).toEqual({ value: other.id });
    await patchUser(u.id, [{ op: "Replace", path: `${ENTERPRISE}:manager`, value: "" }]).expect(200);
    expect((await getUser(u.id))[ENTERPRISE]?.manager).toBeUndefined();
  });

  it('clears an attribute PATCHed to "" and then to null (SCIM_Null_Update_Test)', async () => {
    const u = await createEntraUser("7");
    await patchUser(u.id, [{ op: "Add", path: "title", value: "Engineer" }]).expect(200);
    await patchUser(u.id, [{ op: "Replace", path: "title", value: "" }]).expect(200);
    expect((await getUser(u.id)).title).toBeUndefined();
    await patchUser(u.id, [{ op: "Add", path: "nickName", value: "Nick" }]).expect(200);
    await patchUser(u.id, [{ op: "Replace", path: "nickName", value: null }]).expect(200);
    expect((await getUser(u.id)).nickName).toBeUndefined();
  });

  it("stores app roles: AppRoleAssignmentsSingle and the JSON-string value of AppRoleAssignmentsComplex", async () => {
    const u = await createEntraUser("8");
    await patchUser(u.id, [
      {
        op: "Add",
        path: "roles",
        value: [{ primary: true, type: "WindowsAzureActiveDirectoryRole", value: "Admin" }],
      },
    ]).expect(200);
    expect((await getUser(u.id)).roles).toEqual([
      { primary: true, type: "WindowsAzureActiveDirectoryRole", value: "Admin" },
    ]);
    const v = await createEntraUser("9");
    const res = await patchUser(v.id, [
      {
        op: "Add",
        path: "roles",
        value: [
          {
            value: '{"id":"06b07648-ecfe-589f-9d2f-6325724a46ee","value":"Creator","displayName":"Creator"}',
          },
        ],
      },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.roles).toEqual([{ value: "Creator", display: "Creator" }]);
  });

  it("creates a group with the Microsoft schema URN, adds and removes members Entra's way, answers 204", async () => {
    const a = await createEntraUser("a");
    const b = await createEntraUser("b");
    // [E2] "Create Group"
    const g = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group", MS_GROUP],
        externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        displayName: "displayName",
        meta: { resourceType: "Group" },
      });
    expect(g.status).toBe(201);
    expect(g.body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:Group"]);
    const patchGroup = (Operations: unknown[]) =>
      t.request
        .patch(`/scim/v2/Groups/${g.body.id}`)
        .set(AUTH)
        .send({ schemas: [PATCH], Operations });
    const add = await patchGroup([
      {
        op: "Add",
        path: "members",
        value: [
          { $ref: null, value: a.id },
          { $ref: null, value: b.id },
        ],
      },
    ]);
    expect(add.status).toBe(204);
    expect(add.headers.etag).toBe('W/"2"');
    await patchGroup([{ op: "Remove", path: "members", value: [{ $ref: null, value: a.id }] }]).expect(204);
    await patchGroup([{ op: "Replace", path: "displayName", value: "1879db59updatedDisplayName" }]).expect(
      204,
    );
    const lookup = await t.request
      .get(
        `/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "1879db59updatedDisplayName"')}`,
      )
      .set(AUTH);
    expect(lookup.body.totalResults).toBe(1);
    expect(lookup.body.Resources[0].members).toBeUndefined();
    const full = await t.request.get(`/scim/v2/Groups/${g.body.id}`).set(AUTH);
    expect(full.body.members.map((m: { value: string }) => m.value)).toEqual([b.id]);
  });

  it("answers the Test Connection lookup of a random user with 200 and totalResults 0", async () => {
    const res = await t.request
      .get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "7a8b2c3d-unknown"')}`)
      .set(AUTH);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });
});
