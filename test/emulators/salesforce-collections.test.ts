import jsforce, { type Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

let emu: RunningSalesforceEmulator;
let conn: Connection;
let profileId: string;

beforeAll(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
  profileId = emu.org.profileId("Standard User");
  conn = new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url },
  });
  await conn.login(DEMO.username, DEMO.password + DEMO.securityToken);
});
afterAll(() => emu.close());

let seq = 0;
function newUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    Username: `bulk${seq}@acme.example`,
    LastName: `Bulk${seq}`,
    Email: `bulk${seq}@acme.example`,
    Alias: `b${seq}`,
    TimeZoneSidKey: "America/Chicago",
    LocaleSidKey: "en_US",
    EmailEncodingKey: "UTF-8",
    LanguageLocaleKey: "en_US",
    ProfileId: profileId,
    ...overrides,
  };
}

describe("Salesforce emulator sObject Collections", () => {
  it("creates a batch in one API call and reports record-level failures with statusCode", async () => {
    emu.stats.reset();
    const results = await conn.sobject("User").create([newUser(), newUser({ Email: "broken" }), newUser()]);
    expect(emu.stats.apiCalls).toBe(1);
    expect(emu.stats.byRoute["POST /composite/sobjects"]).toBe(1);
    expect(results[0]).toMatchObject({ success: true, errors: [] });
    expect(results[1]).toEqual({
      success: false,
      errors: [
        {
          statusCode: "INVALID_EMAIL_ADDRESS",
          message: "Email: invalid email address: broken",
          fields: ["Email"],
        },
      ],
    });
    expect(results[2]).toMatchObject({ success: true });
  });

  it("rolls back the whole batch with allOrNone and marks the valid records as rolled back", async () => {
    const good = newUser();
    const results = await conn
      .sobject("User")
      .create([good, newUser({ Alias: undefined })], { allOrNone: true });
    expect(results[0]).toEqual({
      success: false,
      errors: [
        {
          statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
          message:
            "Record rolled back because not all records were valid and the request was using AllOrNone header",
          fields: [],
        },
      ],
    });
    expect(results[1]?.errors[0]).toMatchObject({ statusCode: "REQUIRED_FIELD_MISSING", fields: ["Alias"] });
    expect(emu.org.find("User", { Username: String(good.Username) })).toHaveLength(0);
    await expect(conn.sobject("User").create(good)).resolves.toMatchObject({ success: true });
  });

  it("updates a batch, including a record that no longer exists", async () => {
    const [a, b] = await conn.sobject("User").create([newUser(), newUser()]);
    const results = await conn.sobject("User").update([
      { Id: a?.id ?? "", Title: "Lead" },
      { Id: b?.id ?? "", IsActive: false },
      { Id: `${profileId.slice(0, 3)}RO0000000ZZZAAA`, Title: "ghost" },
    ]);
    expect(results.map((r) => r.success)).toEqual([true, true, false]);
    expect(emu.org.get("User", a?.id ?? "")?.Title).toBe("Lead");
    expect(emu.org.get("User", b?.id ?? "")?.IsActive).toBe(false);
  });

  it("deletes group members in one call and refuses users inside the same call", async () => {
    const group = emu.org.insert("Group", { Name: "Bulk Group" });
    const [u1, u2] = await conn.sobject("User").create([newUser(), newUser()]);
    const members = await conn.sobject("GroupMember").create([
      { GroupId: group.Id, UserOrGroupId: u1?.id },
      { GroupId: group.Id, UserOrGroupId: u2?.id },
    ]);
    const ids = members.map((m) => m.id ?? "");
    const results = await conn.destroy("GroupMember", [...ids, u1?.id ?? ""]);
    expect(results.map((r) => r.success)).toEqual([true, true, false]);
    expect(results[2]?.errors[0]).toMatchObject({ statusCode: "INVALID_TYPE_FOR_OPERATION" });
    expect(emu.org.find("GroupMember", { GroupId: String(group.Id) })).toHaveLength(0);
  });

  it("rejects more than 200 records unless jsforce splits them with allowRecursive", async () => {
    const many = Array.from({ length: 201 }, () => newUser());
    await expect(conn.sobject("User").create(many)).rejects.toMatchObject({ errorCode: "EXCEEDED_ID_LIMIT" });
    emu.stats.reset();
    const results = await conn.sobject("User").create(many, { allowRecursive: true });
    expect(results.every((r) => r.success)).toBe(true);
    expect(emu.stats.apiCalls).toBe(2);
  });

  it("retrieves several records by id with the requested fields, null for unknown ids", async () => {
    const [a] = await conn.sobject("User").create([newUser({ Department: "Ops" })]);
    const missing = `005RO0000000ZZZ`;
    const rows = await conn
      .sobject("User")
      .retrieve([a?.id ?? "", missing], { fields: ["Username", "Department"] });
    expect(rows[0]).toMatchObject({ Department: "Ops" });
    expect(rows[1]).toBeNull();
  });
});

describe("Salesforce emulator composite", () => {
  it("runs dependent subrequests in one API call and rolls all back with allOrNone", async () => {
    emu.stats.reset();
    const ok = await conn.requestPost<{
      compositeResponse: { httpStatusCode: number; body: { id?: string } }[];
    }>("/composite", {
      allOrNone: true,
      compositeRequest: [
        {
          method: "POST",
          url: "/services/data/v62.0/sobjects/Group",
          referenceId: "g",
          body: { Name: "Composite Group" },
        },
        {
          method: "POST",
          url: "/services/data/v62.0/sobjects/GroupMember",
          referenceId: "m",
          body: { GroupId: "@{g.id}", UserOrGroupId: emu.org.adminUserId },
        },
      ],
    });
    expect(ok.compositeResponse.map((r) => r.httpStatusCode)).toEqual([201, 201]);
    expect(emu.stats.apiCalls).toBe(1);
    expect(emu.org.find("GroupMember", { GroupId: ok.compositeResponse[0]?.body.id ?? "" })).toHaveLength(1);

    const failed = await conn.requestPost<{ compositeResponse: { httpStatusCode: number }[] }>("/composite", {
      allOrNone: true,
      compositeRequest: [
        {
          method: "POST",
          url: "/services/data/v62.0/sobjects/Group",
          referenceId: "g",
          body: { Name: "Doomed Group" },
        },
        {
          method: "POST",
          url: "/services/data/v62.0/sobjects/User",
          referenceId: "u",
          body: { LastName: "NoRest" },
        },
      ],
    });
    expect(failed.compositeResponse.map((r) => r.httpStatusCode)).toEqual([400, 400]);
    expect(emu.org.find("Group", { Name: "Doomed Group" })).toHaveLength(0);
  });

  it("answers queries and collections side by side, each on its own with allOrNone=false, at most five of them", async () => {
    emu.stats.reset();
    const q = (soql: string) => ({
      method: "GET",
      url: `/services/data/v62.0/query?q=${encodeURIComponent(soql)}`,
    });
    const res = await conn.requestPost<{
      compositeResponse: { httpStatusCode: number; referenceId: string; body: unknown }[];
    }>("/composite", {
      allOrNone: false,
      compositeRequest: [
        { ...q("SELECT Id FROM User WHERE Username = 'nobody@example.com'"), referenceId: "none" },
        {
          ...q(`SELECT Id, Username FROM User WHERE Id IN ('${emu.org.adminUserId}')`),
          referenceId: "admin",
        },
        { ...q("SELECT Bogus FROM User"), referenceId: "bad" },
        {
          method: "POST",
          url: "/services/data/v62.0/composite/sobjects",
          referenceId: "groups",
          body: { allOrNone: false, records: [{ attributes: { type: "Group" }, Name: "Side by side" }] },
        },
      ],
    });
    expect(emu.stats.apiCalls).toBe(1);
    const [none, admin, bad, groups] = res.compositeResponse;
    expect(none).toMatchObject({ httpStatusCode: 200, body: { totalSize: 0, records: [] } });
    expect(admin).toMatchObject({ httpStatusCode: 200, body: { totalSize: 1 } });
    expect(bad).toMatchObject({ httpStatusCode: 400, body: [{ errorCode: "INVALID_FIELD" }] });
    expect(groups).toMatchObject({ httpStatusCode: 200, body: [{ success: true }] });
    expect(emu.org.find("Group", { Name: "Side by side" })).toHaveLength(1);

    const six = Array.from({ length: 6 }, (_, i) => ({ ...q("SELECT Id FROM User"), referenceId: `q${i}` }));
    await expect(
      conn.requestPost("/composite", { allOrNone: false, compositeRequest: six }),
    ).rejects.toMatchObject({ errorCode: "INVALID_INPUT" });
  });
});
