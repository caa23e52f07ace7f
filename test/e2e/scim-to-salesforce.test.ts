// SCIM in, Salesforce out: the whole bridge against the Salesforce emulator with real jsforce, or against a real
// sandbox when SALESFORCE_LOGIN_URL and credentials are set. Checks read the org back with jsforce.
import type jsforce from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";
import { salesforceConfigFromEnv } from "../../src/targets/salesforce/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { SALESFORCE_PASSWORD_AUTH, salesforceConnection } from "../support/salesforce.ts";

const REAL = salesforceConfigFromEnv(process.env);
if (!REAL)
  console.info(
    "scim-to-salesforce: SALESFORCE_LOGIN_URL not set, running against the local Salesforce emulator",
  );
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const SF = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
const run = Date.now().toString(36);
const domain = process.env.SALESFORCE_TEST_USER_DOMAIN ?? "example.com";
const name = (n: string) => `sb${run}.${n}@${domain}`;

interface SfUser {
  Id: string;
  IsActive: boolean;
  Alias: string;
  ProfileId: string;
  Title: string | null;
  TimeZoneSidKey: string;
  FederationIdentifier: string | null;
}

describe("SCIM → Salesforce", () => {
  let emulator: RunningSalesforceEmulator | undefined;
  let t: TestBridge;
  let conn: jsforce.Connection;
  beforeAll(async () => {
    emulator = REAL ? undefined : await startSalesforceEmulator({ port: 0 });
    const auth = REAL?.auth ?? SALESFORCE_PASSWORD_AUTH;
    const loginUrl = REAL?.loginUrl ?? emulator!.url;
    t = await startTestBridge({
      targets: [
        {
          name: "salesforce",
          kind: "salesforce",
          loginUrl,
          auth,
          mapping: {
            fields: { ProfileId: { const: "Standard User" } },
            groupRules: [
              { group: `Admins ${run}`, set: { ProfileId: "System Administrator" } },
              { group: `Marketing ${run}`, set: { permissionSets: ["Marketing_User"] } },
            ],
          },
        },
      ],
    });
    if (!("password" in auth)) throw new Error("this suite reads the org back with the password flow");
    conn = await salesforceConnection(loginUrl, auth.password);
  });
  afterAll(async () => {
    await t?.stop();
    await emulator?.close();
  });

  const sfUser = async (username: string) =>
    (
      await conn.query<SfUser>(
        `SELECT Id, IsActive, Alias, ProfileId, Title, TimeZoneSidKey, FederationIdentifier FROM User WHERE Username = '${username}'`,
      )
    ).records[0];
  const profileId = async (profile: string) =>
    (await conn.query<{ Id: string }>(`SELECT Id FROM Profile WHERE Name = '${profile}'`)).records[0]?.Id;
  const create = async (n: string, extra: Record<string, unknown> = {}) => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(n, { name: { givenName: "Jonathan", familyName: "Smithers" }, ...extra }));
    expect(res.status).toBe(201);
    return res.body;
  };

  it("creates a user with every required field defaulted, and reports the Salesforce id", async () => {
    const u = await create(name("create"));
    const status = u[PROV].targets[0];
    expect(status).toMatchObject({
      target: "salesforce",
      state: "synced",
      targetId: expect.stringMatching(/^005/),
    });
    const rec = await sfUser(name("create"));
    expect(rec).toMatchObject({
      Id: status.targetId,
      IsActive: true,
      Alias: "jsmither",
      TimeZoneSidKey: expect.any(String),
    });
    expect(rec?.ProfileId).toBe(await profileId("Standard User"));
    expect(rec?.FederationIdentifier).toBe(name("create"));
  });

  it("updates, deactivates (never deletes) and reactivates", async () => {
    const u = await create(name("cycle"));
    await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send(user(name("cycle"), { title: "Director" }))
      .expect(200);
    await eventually(async () => (await sfUser(name("cycle")))?.Title === "Director");
    await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: "False" }] })
      .expect(200);
    await eventually(async () => (await sfUser(name("cycle")))?.IsActive === false);
    await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { active: true } }] })
      .expect(200);
    await eventually(async () => (await sfUser(name("cycle")))?.IsActive === true);
    await t.request.delete(`/scim/v2/Users/${u.id}`).set(AUTH).expect(204);
    await eventually(async () => (await sfUser(name("cycle")))?.IsActive === false);
    expect(await sfUser(name("cycle"))).toBeDefined();
  });

  it("sets the profile from a group rule and assigns permission sets from another", async () => {
    const u = await create(name("rules"));
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: `Admins ${run}`, members: [{ value: u.id }] })
      .expect(201);
    const admin = await profileId("System Administrator");
    await eventually(async () => (await sfUser(name("rules")))?.ProfileId === admin);
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: `Marketing ${run}`, members: [{ value: u.id }] })
      .expect(201);
    const assigned = async () =>
      (
        await conn.query<{ Id: string }>(
          `SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '${(await sfUser(name("rules")))?.Id}' AND PermissionSet.Name = 'Marketing_User'`,
        )
      ).totalSize;
    await eventually(async () => (await assigned()) === 1);
  });

  it("takes the profile from the Salesforce extension for one user", async () => {
    const chatter = await profileId("Chatter Free User");
    await create(name("ext"), {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", SF],
      [SF]: { ProfileId: chatter },
    });
    await eventually(async () => (await sfUser(name("ext")))?.ProfileId === chatter);
  });

  it("mirrors a SCIM group as a public group with its members", async () => {
    const a = await create(name("pg-a"));
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: `Team ${run}`, members: [{ value: a.id }] })
      .expect(201);
    const members = async () =>
      (
        await conn.query<{ Id: string }>(
          `SELECT Id FROM GroupMember WHERE Group.Name = 'Team ${run}' AND UserOrGroupId = '${a[PROV].targets[0].targetId}'`,
        )
      ).totalSize;
    await eventually(async () => (await members()) === 1);
  });

  it.skipIf(!!REAL)(
    "links a pre-existing Salesforce user and reactivates it instead of creating a duplicate",
    async () => {
      const standard = await profileId("Standard User");
      const existing = await conn.sobject("User").create({
        Username: name("pre"),
        LastName: "Pre",
        Email: name("pre"),
        Alias: "pre",
        ProfileId: standard,
        TimeZoneSidKey: "America/Los_Angeles",
        LocaleSidKey: "en_US",
        EmailEncodingKey: "UTF-8",
        LanguageLocaleKey: "en_US",
        IsActive: false,
      });
      const u = await create(name("pre"));
      expect(u[PROV].targets[0].targetId).toBe((existing as { id: string }).id);
      expect((await sfUser(name("pre")))?.IsActive).toBe(true);
      expect((await conn.query(`SELECT Id FROM User WHERE Email = '${name("pre")}'`)).totalSize).toBe(1);
    },
  );

  it("refuses before storing a user whose Alias would be too long (SCIM 400 naming the field)", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({
        ...user(name("alias")),
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", SF],
        [SF]: { Alias: "much-too-long" },
      });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(res.body.detail).toContain("Alias");
  });

  it.skipIf(!!REAL)("reports Salesforce's own error code when the org refuses the user", async () => {
    emulator!.org.reserveUsername(name("taken"));
    const u = await create(name("taken"));
    const status = await eventually(async () => {
      const s = (await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH)).body[PROV].targets[0];
      return s.state === "failed" ? s : undefined;
    });
    expect(status).toMatchObject({ errorCode: "DUPLICATE_USERNAME", errorMessage: expect.any(String) });
  });
});
