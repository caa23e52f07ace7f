// The emulator's URLs are in Salesforce's form: nextRecordsUrl and attributes.url are paths relative to the instance
// (/services/data/vXX.X/…), so a raw REST client that prepends instance_url pages through like jsforce does.
import jsforce from "jsforce";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SALESFORCE_EMULATOR_DEFAULTS as DEMO,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from "../../src/emulators/salesforce/index.ts";

const PEOPLE = 2_300;
const SOQL = "SELECT Id, Username FROM User WHERE Username LIKE 'page%'";
let emu: RunningSalesforceEmulator;

beforeAll(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
  const profileId = emu.org.profileId("Standard User");
  for (let i = 0; i < PEOPLE; i++) {
    emu.org.insert("User", {
      Username: `page${i}@corp.example`,
      LastName: "Paged",
      Email: `page${i}@corp.example`,
      Alias: `pg${i}`.slice(0, 8),
      TimeZoneSidKey: "GMT",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: profileId,
    });
  }
});
afterAll(() => emu?.close());

type Page = {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: { Id: string; attributes: { type: string; url: string } }[];
};

describe("Salesforce emulator URLs", () => {
  it("a raw REST client pages through 2,300 records by prepending instance_url to nextRecordsUrl", async () => {
    const token = await fetch(`${emu.url}/services/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: DEMO.clientId,
        client_secret: DEMO.clientSecret,
      }),
    }).then((r) => r.json() as Promise<{ access_token: string; instance_url: string }>);
    const get = (path: string) =>
      fetch(`${token.instance_url}${path}`, {
        headers: { Authorization: `Bearer ${token.access_token}` },
      }).then((r) => r.json() as Promise<Page>);
    const pages: Page[] = [await get(`/services/data/v62.0/query?q=${encodeURIComponent(SOQL)}`)];
    while (pages.at(-1)!.nextRecordsUrl) pages.push(await get(pages.at(-1)!.nextRecordsUrl!));

    expect(pages.map((p) => p.records.length)).toEqual([2000, 300]);
    expect(pages[0]!.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]{15}-2000$/);
    expect(pages[1]!.done).toBe(true);
    const records = pages.flatMap((p) => p.records);
    expect(new Set(records.map((r) => r.Id)).size).toBe(PEOPLE);
    expect(records[0]!.attributes).toEqual({
      type: "User",
      url: `/services/data/v62.0/sobjects/User/${records[0]!.Id}`,
    });
    // attributes.url, like every URL Salesforce returns, is usable the same way
    const one = await fetch(`${token.instance_url}${records[0]!.attributes.url}`, {
      headers: { Authorization: `Bearer ${token.access_token}` },
    }).then((r) => r.json() as Promise<{ Id: string }>);
    expect(one.Id).toBe(records[0]!.Id);
  });

  it("jsforce pages through the same 2,300 records with queryMore and with autoFetch", async () => {
    const conn = new jsforce.Connection({
      loginUrl: emu.url,
      version: "62.0",
      oauth2: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, loginUrl: emu.url },
    });
    await conn.authorize({ grant_type: "client_credentials" });
    const ids = new Set<string>();
    let page = await conn.query<{ Id: string }>(SOQL);
    for (const r of page.records) ids.add(r.Id);
    while (!page.done && page.nextRecordsUrl) {
      page = await conn.queryMore<{ Id: string }>(page.nextRecordsUrl);
      for (const r of page.records) ids.add(r.Id);
    }
    expect(ids.size).toBe(PEOPLE);
    const all = await conn.query<{ Id: string }>(SOQL, { autoFetch: true, maxFetch: 10_000 });
    expect(all.records).toHaveLength(PEOPLE);
  });
});
