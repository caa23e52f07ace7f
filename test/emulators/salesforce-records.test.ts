import jsforce, { type Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

let emu: RunningSalesforceEmulator;
let conn: Connection;
let standardProfileId: string;

beforeAll(async () => {
  emu = await startSalesforceEmulator({
    port: 0,
    reservedUsernames: ["taken@other-org.example"],
    licenses: { "Chatter Free": 1 },
  });
  conn = new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url },
  });
  await conn.login(DEMO.username, DEMO.password + DEMO.securityToken);
  standardProfileId = emu.org.profileId("Standard User");
});
afterAll(() => emu.close());

let seq = 0;
function newUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    Username: `user${seq}@acme.example`,
    LastName: `Last${seq}`,
    FirstName: "Ada",
    Email: `user${seq}@acme.example`,
    Alias: `u${seq}`,
    TimeZoneSidKey: "America/New_York",
    LocaleSidKey: "en_US",
    EmailEncodingKey: "UTF-8",
    LanguageLocaleKey: "en_US",
    ProfileId: standardProfileId,
    ...overrides,
  };
}

async function createError(record: Record<string, unknown>, type = "User") {
  try {
    await conn.sobject(type).create(record);
  } catch (e) {
    return e as { errorCode: string; message: string; data: { fields?: string[] } };
  }
  throw new Error("create unexpectedly succeeded");
}

describe("Salesforce emulator sObject records", () => {
  it("creates, retrieves and updates a user, generating CommunityNickname and Name", async () => {
    const created = await conn
      .sobject("User")
      .create(
        newUser({ FederationIdentifier: "ada-1", Title: "Engineer", UserPermissionsMarketingUser: true }),
      );
    expect(created).toMatchObject({ success: true, errors: [] });
    expect(created.id).toMatch(/^005[A-Za-z0-9]{15}$/);
    const id = created.id ?? "";
    const user = await conn.sobject("User").retrieve(id);
    expect(user).toMatchObject({
      attributes: { type: "User" },
      Id: id,
      IsActive: true,
      FederationIdentifier: "ada-1",
      UserPermissionsMarketingUser: true,
    });
    expect(user.Name).toBe(`Ada ${user.LastName}`);
    expect(user.CommunityNickname).toBeTruthy();
    await expect(
      conn.sobject("User").update({ Id: id, IsActive: false, Department: "R&D" }),
    ).resolves.toMatchObject({ id, success: true });
    expect(emu.org.get("User", id)).toMatchObject({ IsActive: false, Department: "R&D" });
  });

  it("retrieves only the requested fields with ?fields=", async () => {
    const { id } = await conn.sobject("User").create(newUser());
    const res = await conn.requestGet<Record<string, unknown>>(`/sobjects/User/${id}?fields=Username,Email`);
    expect(Object.keys(res)).toEqual(["attributes", "Username", "Email"]);
  });

  it("keeps CommunityNickname unique when two users share an email local part, and rejects a duplicate one supplied", async () => {
    const a = await conn.sobject("User").create(newUser({ Email: "same@one.example" }));
    const b = await conn.sobject("User").create(newUser({ Email: "same@two.example" }));
    const nickA = emu.org.get("User", a.id ?? "")?.CommunityNickname;
    const nickB = emu.org.get("User", b.id ?? "")?.CommunityNickname;
    expect(nickA).not.toBe(nickB);
    const err = await createError(newUser({ CommunityNickname: nickA }));
    expect(err.errorCode).toBe("DUPLICATE_COMM_NICKNAME");
  });

  it("rejects a username used in this org or reserved by another org with DUPLICATE_USERNAME", async () => {
    const first = newUser();
    await conn.sobject("User").create(first);
    for (const username of [String(first.Username).toUpperCase(), "taken@other-org.example"]) {
      const err = await createError(newUser({ Username: username }));
      expect(err.errorCode).toBe("DUPLICATE_USERNAME");
      expect(err.message).toMatch(/^Duplicate Username\.<br>The username already exists/);
      expect(err.data.fields).toEqual(["Username"]);
    }
  });

  it("lists missing required fields with REQUIRED_FIELD_MISSING", async () => {
    const { Alias: _alias, TimeZoneSidKey: _tz, ...record } = newUser();
    const err = await createError(record);
    expect(err).toMatchObject({
      errorCode: "REQUIRED_FIELD_MISSING",
      message: "Required fields are missing: [Alias, TimeZoneSidKey]",
    });
    expect(err.data.fields).toEqual(["Alias", "TimeZoneSidKey"]);
  });

  it("rejects an invalid email, a too-long alias, a bad picklist value and an unknown field", async () => {
    expect(await createError(newUser({ Email: "not-an-email" }))).toMatchObject({
      errorCode: "INVALID_EMAIL_ADDRESS",
      message: "Email: invalid email address: not-an-email",
    });
    expect(await createError(newUser({ Alias: "waytoolongalias" }))).toMatchObject({
      errorCode: "STRING_TOO_LONG",
      message: "Alias: data value too large: waytoolongalias (max length=8)",
      data: { fields: ["Alias"] },
    });
    expect(await createError(newUser({ TimeZoneSidKey: "Mars/Olympus" }))).toMatchObject({
      errorCode: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      message: "Time Zone: bad value for restricted picklist field: Mars/Olympus",
    });
    expect(await createError(newUser({ Nickname__c: "x" }))).toMatchObject({ errorCode: "INVALID_FIELD" });
  });

  it("rejects a ProfileId that is not a profile or does not exist", async () => {
    expect(await createError(newUser({ ProfileId: emu.org.adminUserId }))).toMatchObject({
      errorCode: "FIELD_INTEGRITY_EXCEPTION",
    });
    const missing = `${standardProfileId.slice(0, 10)}zzzzz`;
    expect(await createError(newUser({ ProfileId: missing }))).toMatchObject({
      errorCode: "INVALID_CROSS_REFERENCE_KEY",
    });
  });

  it("refuses to delete a user", async () => {
    const { id } = await conn.sobject("User").create(newUser());
    await expect(conn.sobject("User").destroy(id ?? "")).rejects.toMatchObject({
      errorCode: "INVALID_TYPE_FOR_OPERATION",
    });
    expect(emu.org.get("User", id ?? "")).toBeDefined();
  });

  it("refuses an active user beyond the licence's seats with LICENSE_LIMIT_EXCEEDED", async () => {
    const chatter = emu.org.profileId("Chatter Free User");
    await conn.sobject("User").create(newUser({ ProfileId: chatter }));
    expect(await createError(newUser({ ProfileId: chatter }))).toMatchObject({
      errorCode: "LICENSE_LIMIT_EXCEEDED",
    });
    await expect(
      conn.sobject("User").create(newUser({ ProfileId: chatter, IsActive: false })),
    ).resolves.toMatchObject({ success: true });
  });

  it("assigns a permission set once and reports DUPLICATE_VALUE for the second assignment", async () => {
    const { id } = await conn.sobject("User").create(newUser());
    const psa = { AssigneeId: id, PermissionSetId: emu.org.permissionSetId("Marketing_User") };
    const first = await conn.sobject("PermissionSetAssignment").create(psa);
    expect(first.id).toMatch(/^0Pa/);
    const err = await createError(psa, "PermissionSetAssignment");
    expect(err.errorCode).toBe("DUPLICATE_VALUE");
    await conn.sobject("PermissionSetAssignment").destroy(first.id ?? "");
    await expect(conn.sobject("PermissionSetAssignment").create(psa)).resolves.toMatchObject({
      success: true,
    });
  });

  it("creates a public group, adds and removes a member", async () => {
    const group = await conn.sobject("Group").create({ Name: "Engineering Team" });
    expect(group.id).toMatch(/^00G/);
    expect(emu.org.get("Group", group.id ?? "")).toMatchObject({
      Type: "Regular",
      DeveloperName: "Engineering_Team",
    });
    const { id: userId } = await conn.sobject("User").create(newUser());
    const member = await conn.sobject("GroupMember").create({ GroupId: group.id, UserOrGroupId: userId });
    expect(member.id).toMatch(/^011/);
    expect((await createError({ GroupId: group.id, UserOrGroupId: userId }, "GroupMember")).errorCode).toBe(
      "DUPLICATE_VALUE",
    );
    await conn.sobject("GroupMember").destroy(member.id ?? "");
    expect(emu.org.find("GroupMember", { GroupId: group.id ?? "" })).toHaveLength(0);
  });

  it("describes User with required fields, lengths and picklist values", async () => {
    const d = await conn.sobject("User").describe();
    expect(d).toMatchObject({ name: "User", keyPrefix: "005", deletable: false });
    const field = (name: string) => d.fields.find((f) => f.name === name);
    expect(field("Alias")).toMatchObject({ length: 8, nillable: false, createable: true });
    expect(field("Username")).toMatchObject({ length: 80, unique: true });
    expect(field("LocaleSidKey")?.picklistValues?.map((p) => p.value)).toContain("en_US");
    expect(field("ProfileId")).toMatchObject({
      type: "reference",
      referenceTo: ["Profile"],
      relationshipName: "Profile",
    });
  });

  it("sets a password (204) and records a reset email on DELETE", async () => {
    const { id } = await conn.sobject("User").create(newUser());
    await expect(
      conn.requestPost(`/sobjects/User/${id}/password`, { NewPassword: "short" }),
    ).rejects.toMatchObject({ errorCode: "INVALID_NEW_PASSWORD" });
    await conn.requestPost(`/sobjects/User/${id}/password`, { NewPassword: "Secret1234" });
    expect(emu.org.passwordChanges.map((c) => c.userId)).toContain(id);
    const reset = await conn.requestDelete<{ NewPassword: string }>(`/sobjects/User/${id}/password`);
    expect(reset.NewPassword).toBeTruthy();
    expect(emu.org.passwordResetEmails.at(-1)).toMatchObject({
      userId: id,
      email: emu.org.get("User", id ?? "")?.Email,
    });
  });

  it("upserts a user by FederationIdentifier", async () => {
    const created = await conn
      .sobject("User")
      .upsert(newUser({ FederationIdentifier: "fed-77" }), "FederationIdentifier");
    expect(created).toMatchObject({ success: true, created: true });
    const updated = await conn
      .sobject("User")
      .upsert({ FederationIdentifier: "fed-77", Title: "Boss" }, "FederationIdentifier");
    expect(updated).toMatchObject({ success: true, created: false });
    expect(emu.org.find("User", { FederationIdentifier: "fed-77" })[0]).toMatchObject({ Title: "Boss" });
  });

  it("answers every call with the JSON content type and Sforce-Limit-Info", async () => {
    const res = await fetch(`${emu.url}/services/data/v62.0/sobjects/User/005000000000000AAA`, {
      headers: { Authorization: `Bearer ${conn.accessToken}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    expect(res.headers.get("sforce-limit-info")).toMatch(/^api-usage=\d+\/100000$/);
    expect(await res.json()).toEqual([
      { errorCode: "NOT_FOUND", message: "The requested resource does not exist" },
    ]);
  });
});
