import jsforce, { type Connection } from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

let emu: RunningSalesforceEmulator;
let conn: Connection;
const PEOPLE = 450;

beforeAll(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
  const profileId = emu.org.profileId("Standard User");
  for (let i = 0; i < PEOPLE; i++) {
    emu.org.insert("User", {
      Username: `p${String(i).padStart(3, "0")}@corp.example`,
      LastName: i % 2 === 0 ? "Even" : "Odd",
      Email: `p${i}@corp.example`,
      Alias: `p${i}`,
      TimeZoneSidKey: "Europe/Paris",
      LocaleSidKey: "fr_FR",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "fr",
      ProfileId: profileId,
      IsActive: i % 10 !== 0,
      ...(i < 5 ? { FederationIdentifier: `fed-${i}` } : {}),
    });
  }
  conn = new jsforce.Connection({
    loginUrl: emu.url,
    version: "62.0",
    oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url },
  });
  await conn.authorize({ grant_type: "client_credentials" });
});
afterAll(() => emu.close());

type Row = { Id: string; Username: string; LastName: string; IsActive: boolean };
const usernames = async (soql: string) => (await conn.query<Row>(soql)).records.map((r) => r.Username);

describe("Salesforce emulator SOQL", () => {
  it("filters with =, IN, LIKE, booleans, null and parenthesised AND/OR/NOT", async () => {
    expect(await usernames("SELECT Username FROM User WHERE FederationIdentifier = 'FED-3'")).toEqual([
      "p003@corp.example",
    ]);
    expect(
      await usernames(
        "SELECT Username FROM User WHERE FederationIdentifier IN ('fed-1', 'fed-2') ORDER BY Username DESC",
      ),
    ).toEqual(["p002@corp.example", "p001@corp.example"]);
    const n = (await conn.query("SELECT COUNT() FROM User WHERE Username LIKE 'p1%' AND IsActive = false"))
      .totalSize;
    expect(n).toBe(10);
    const mixed = await usernames(
      "SELECT Username FROM User WHERE (FederationIdentifier != null AND NOT (LastName = 'Even')) OR Username = 'p100@corp.example' ORDER BY Username",
    );
    expect(mixed).toEqual(["p001@corp.example", "p003@corp.example", "p100@corp.example"]);
  });

  it("runs the SOQL jsforce's find() builds, with LIMIT, OFFSET and ORDER BY", async () => {
    const rows = await conn
      .sobject("User")
      .find<Row>({ LastName: "Odd", Username: { $nlike: "p00%" } }, ["Id", "Username"])
      .sort({ Username: 1 })
      .limit(3)
      .skip(2);
    expect(rows.map((r) => r.Username)).toEqual([
      "p015@corp.example",
      "p017@corp.example",
      "p019@corp.example",
    ]);
  });

  it("selects parent fields through a relationship", async () => {
    const res = await conn.query<{ Profile: { Name: string } }>(
      "SELECT Id, Profile.Name FROM User WHERE Username = 'p001@corp.example'",
    );
    expect(res.records[0]?.Profile.Name).toBe("Standard User");
  });

  it("pages with nextRecordsUrl, queryMore and autoFetch, honouring Sforce-Query-Options batchSize", async () => {
    const headers = { "Sforce-Query-Options": "batchSize=200" };
    const first = await conn.query<Row>("SELECT Id FROM User WHERE Username LIKE 'p%'", { headers });
    expect(first).toMatchObject({ totalSize: PEOPLE, done: false });
    expect(first.records).toHaveLength(200);
    expect(first.nextRecordsUrl).toMatch(/\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]{15}-200$/);
    // Without the header the next page falls back to the 2000-record default and finishes the result.
    const rest = await conn.queryMore<Row>(first.nextRecordsUrl ?? "");
    expect(rest).toMatchObject({ done: true });
    expect(rest.records).toHaveLength(PEOPLE - 200);
    const ids = new Set([...first.records, ...rest.records].map((r) => r.Id));
    expect(ids.size).toBe(PEOPLE);

    emu.stats.reset();
    const all = await conn
      .query<Row>("SELECT Id FROM User", { headers })
      .run({ autoFetch: true, maxFetch: 10_000 });
    expect(all.records).toHaveLength(PEOPLE + 1); // plus the integration user
    expect(emu.stats.byRoute).toMatchObject({ "GET /query": 1, "GET /query/{locator}": 2 });
  });

  it("returns a full page of 2000 by default", async () => {
    const res = await conn.query("SELECT Id FROM User");
    expect(res).toMatchObject({ done: true, totalSize: PEOPLE + 1 });
  });

  it("rejects an unknown query locator", async () => {
    await expect(conn.queryMore("01gRO0000000009ZZZ-200")).rejects.toMatchObject({
      errorCode: "INVALID_QUERY_LOCATOR",
    });
  });

  it("answers SOQL outside the subset with MALFORMED_QUERY in Salesforce's shape", async () => {
    const res = await fetch(
      `${emu.url}/services/data/v62.0/query?q=${encodeURIComponent("SELECT Id FROM User GROUP BY LastName")}`,
      {
        headers: { Authorization: `Bearer ${conn.accessToken}` },
      },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([
      {
        message:
          "\nSELECT Id FROM User GROUP BY LastName\n                    ^\nERROR at Row:1:Column:21\nunexpected token: 'GROUP'",
        errorCode: "MALFORMED_QUERY",
      },
    ]);
    for (const soql of [
      "SELECT Id FROM User WHERE LastName = 'a' AND Alias = 'b' OR Alias = 'c'",
      "SELECT Id, (SELECT Id FROM Users) FROM Profile",
      "SELECT Id FROM User WHERE CreatedDate = TODAY",
      "SELECT Id FROM User, Profile",
      "SELECT FROM User",
    ]) {
      await expect(conn.query(soql), soql).rejects.toMatchObject({ errorCode: "MALFORMED_QUERY" });
    }
  });

  it("reports unknown objects, unknown fields and mistyped filters with Salesforce's codes", async () => {
    await expect(conn.query("SELECT Id FROM Account")).rejects.toMatchObject({ errorCode: "INVALID_TYPE" });
    await expect(conn.query("SELECT Nope FROM User")).rejects.toMatchObject({ errorCode: "INVALID_FIELD" });
    await expect(conn.query("SELECT Id FROM User WHERE IsActive = 'true'")).rejects.toMatchObject({
      errorCode: "INVALID_QUERY_FILTER_OPERATOR",
    });
  });

  it("shows deleted records to queryAll only", async () => {
    const group = emu.org.insert("Group", { Name: "Temp" });
    await conn.sobject("Group").destroy(String(group.Id));
    const soql = `SELECT Id, IsDeleted FROM Group WHERE Id = '${group.Id}'`;
    expect((await conn.query(soql)).totalSize).toBe(0);
    const all = await conn.query<{ IsDeleted: boolean }>(soql, { scanAll: true });
    expect(all.records[0]?.IsDeleted).toBe(true);
  });

  it("sees records changed behind the API's back", async () => {
    const [user] = emu.org.find("User", { Username: "p004@corp.example" });
    emu.org.update("User", String(user?.Id), { Department: "Drifted" });
    expect(await usernames("SELECT Username FROM User WHERE Department = 'drifted'")).toEqual([
      "p004@corp.example",
    ]);
  });
});
