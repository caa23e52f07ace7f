import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import {
  deprovision,
  doneId,
  routeDelta,
  type SalesforceTarget,
  salesforceTarget,
  scimUser,
  startOrg,
  upsert,
} from "./salesforce-fixtures.ts";

let emu: RunningSalesforceEmulator;
let target: SalesforceTarget;
const managers = new Map<string, string>();

beforeAll(async () => {
  emu = await startOrg();
  target = salesforceTarget(emu, {}, { resolveLink: async (scimId) => managers.get(scimId) });
});
afterAll(() => emu.close());

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const user = (id: string) => emu.org.get("User", id) ?? {};
const usersNamed = (username: string) => emu.org.users().filter((u) => u.Username === username);

describe("Salesforce target: users", () => {
  it("creates a user with a default for every required field (Alias from the name, locale, time zone, encoding)", async () => {
    const [outcome] = await target.apply([
      upsert(
        scimUser("zoe.nunez@example.com", {
          name: { givenName: "Zoë", familyName: "Ñúñez García" },
          title: "Engineer",
        }),
      ),
    ]);
    const created = user(doneId(outcome));
    expect(created).toMatchObject({
      Username: "zoe.nunez@example.com",
      Email: "zoe.nunez@example.com",
      FirstName: "Zoë",
      LastName: "Ñúñez García",
      Alias: "znunezga",
      TimeZoneSidKey: "America/Los_Angeles",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      FederationIdentifier: "zoe.nunez@example.com",
      Title: "Engineer",
      ProfileId: emu.org.profileId("Standard User"),
      IsActive: true,
    });
  });

  it("links a pre-existing user by FederationIdentifier and reactivates it instead of creating a duplicate", async () => {
    const existing = emu.org.insert("User", {
      Username: "legacy.grace@corp.example",
      Email: "grace@corp.example",
      LastName: "Hopper",
      Alias: "ghopper",
      TimeZoneSidKey: "America/New_York",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: emu.org.profileId("Standard User"),
      FederationIdentifier: "grace@example.com",
      IsActive: false,
    });
    const [outcome] = await target.apply([upsert(scimUser("grace@example.com"))]);
    expect(doneId(outcome)).toBe(existing.Id);
    expect(user(String(existing.Id))).toMatchObject({ IsActive: true, Username: "grace@example.com" });
    expect(emu.org.users().filter((u) => u.FederationIdentifier === "grace@example.com")).toHaveLength(1);
  });

  it("links a pre-existing user by Username when no FederationIdentifier matches", async () => {
    const existing = emu.org.insert("User", {
      Username: "linus@example.com",
      Email: "linus@example.com",
      LastName: "Torvalds",
      Alias: "ltorv",
      TimeZoneSidKey: "Europe/Helsinki",
      LocaleSidKey: "fi_FI",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: emu.org.profileId("Standard User"),
    });
    const [outcome] = await target.apply([upsert(scimUser("linus@example.com"))]);
    expect(doneId(outcome)).toBe(existing.Id);
    expect(usersNamed("linus@example.com")).toHaveLength(1);
    // Linking brings the record in line with the mapping, including the SSO link.
    expect(user(String(existing.Id))).toMatchObject({
      FederationIdentifier: "linus@example.com",
      LocaleSidKey: "en_US",
    });
  });

  it("updates only the fields that changed, and makes no call at all when nothing did", async () => {
    const scim = scimUser("ken@example.com", { title: "Engineer" });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    const spy = vi.spyOn(emu.org, "update");
    try {
      const before = { ...emu.stats.byRoute };
      expect(await target.apply([upsert(scim, id)])).toMatchObject([
        { status: "done", targetId: id, match: { by: "link", targetId: id }, action: "unchanged" },
      ]);
      expect(spy).not.toHaveBeenCalled();
      expect(routeDelta(before, emu.stats.byRoute)).toEqual({ "GET /query": 1 });

      const changed = {
        ...scim,
        data: { ...scim.data, title: "Principal Engineer", [ENTERPRISE]: { department: "R&D" } },
      };
      await target.apply([upsert(changed, id)]);
      expect(spy).toHaveBeenCalledTimes(1);
      const { attributes: _, ...sent } = spy.mock.calls[0]?.[2] ?? {};
      expect(sent).toEqual({ Title: "Principal Engineer", Department: "R&D" });
      expect(user(id)).toMatchObject({
        Title: "Principal Engineer",
        Department: "R&D",
        Username: "ken@example.com",
      });
    } finally {
      spy.mockRestore();
    }
  });

  it("writes what changed since the last delivery by Id without reading, reactivating too; with no change, reads and repairs", async () => {
    const scim = scimUser("lin@example.com", { title: "Engineer" });
    const [first] = await target.apply([upsert(scim)]);
    const id = doneId(first);
    const remembered = first?.status === "done" ? first.sent : undefined;
    expect(remembered).toBeDefined();
    // Deactivated since: the link's memory does not say so.
    await target.apply([upsert({ ...scim, active: false }, id, remembered)]);
    expect(user(id).IsActive).toBe(false);

    const spy = vi.spyOn(emu.org, "update");
    try {
      const before = { ...emu.stats.byRoute };
      const changed = { ...scim, data: { ...scim.data, title: "Lead" } };
      const [outcome] = await target.apply([upsert(changed, id, remembered)]);
      expect(outcome).toMatchObject({ status: "done", targetId: id, sent: expect.any(Object) });
      expect(routeDelta(before, emu.stats.byRoute)).toEqual({ "PATCH /composite/sobjects": 1 });
      const { attributes: _, ...sent } = spy.mock.calls[0]?.[2] ?? {};
      expect(sent).toEqual({ Title: "Lead", IsActive: true });
      expect(user(id)).toMatchObject({ Title: "Lead", IsActive: true, LastName: "Tester" });

      // Changed in Salesforce by hand; delivered again with no SCIM change, the record is read and repaired.
      emu.org.update("User", id, { LastName: "Drifted" });
      const reread = { ...emu.stats.byRoute };
      await target.apply([upsert(changed, id, outcome?.status === "done" ? outcome.sent : undefined)]);
      expect(routeDelta(reread, emu.stats.byRoute)).toEqual({
        "GET /query": 1,
        "PATCH /composite/sobjects": 1,
      });
      expect(user(id).LastName).toBe("Tester");
    } finally {
      spy.mockRestore();
    }
  });

  it("deactivates on active:false and on deprovision, reactivates on active:true, and never deletes", async () => {
    const scim = scimUser("barbara@example.com");
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    const before = { ...emu.stats.byRoute };
    await target.apply([upsert({ ...scim, active: false }, id)]);
    expect(user(id).IsActive).toBe(false);
    await target.apply([upsert(scim, id)]);
    expect(user(id).IsActive).toBe(true);
    // The audit hears what was sent: IsActive false, nothing else.
    expect(await target.apply([deprovision(id)])).toEqual([
      {
        status: "done",
        targetId: id,
        match: { by: "link", targetId: id },
        action: "deactivate",
        fields: [{ path: "IsActive", new: false }],
      },
    ]);
    expect(user(id)).toMatchObject({ IsActive: false, Username: "barbara@example.com" });
    const calls = Object.keys(routeDelta(before, emu.stats.byRoute));
    expect(calls.filter((k) => k.startsWith("DELETE"))).toEqual([]);
  });

  it("sets ManagerId from the SCIM manager once the manager is linked, and leaves it alone before", async () => {
    const boss = scimUser("boss@example.com");
    const bossId = doneId((await target.apply([upsert(boss)]))[0]);
    const report = scimUser("report@example.com", { [ENTERPRISE]: { manager: { value: boss.scimId } } });
    const id = doneId((await target.apply([upsert(report)]))[0]);
    expect(user(id).ManagerId).toBeNull();
    managers.set(boss.scimId, bossId);
    await target.apply([upsert(report, id)]);
    expect(user(id).ManagerId).toBe(bossId);
  });

  it("sends Salesforce's set-password email on create only when the policy asks for it", async () => {
    const quiet = emu.org.passwordResetEmails.length;
    await target.apply([upsert(scimUser("no.email@example.com"))]);
    expect(emu.org.passwordResetEmails.length).toBe(quiet);
    const emailing = salesforceTarget(emu, { policies: { resetPasswordEmailOnCreate: true } });
    const id = doneId((await emailing.apply([upsert(scimUser("welcome@example.com"))]))[0]);
    expect(emu.org.passwordResetEmails.at(-1)).toMatchObject({ userId: id, username: "welcome@example.com" });
  });

  it("lists users page by page with their key and active flag", async () => {
    const pages: number[] = [];
    const keys: string[] = [];
    for await (const page of target.listUsers()) {
      pages.push(page.length);
      keys.push(...page.map((a) => a.key));
    }
    expect(keys).toContain("ken@example.com");
    expect(keys).toContain("integration@scim-bridge.example");
    expect(pages.reduce((a, b) => a + b, 0)).toBe(emu.org.users().length);
  });

  it("refuses up front what Salesforce would refuse (pre-flight), naming the field", () => {
    const problems =
      target.preflight?.(
        scimUser("x@example.com", {
          "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User": { Alias: "far-too-long" },
        }),
      ) ?? [];
    expect(problems.map((p) => [p.field, p.code])).toContainEqual(["Alias", "STRING_TOO_LONG"]);
    expect(target.preflight?.(scimUser("ok@example.com"))).toEqual([]);
  });
});

describe("Salesforce target: deprovisioning an account the bridge never linked", () => {
  it("finds and deactivates it by its keys even when a mapped field cannot be queried in this org", async () => {
    const [created] = await target.apply([upsert(scimUser("unlinked@example.com"))]);
    const id = doneId(created);
    // The create's answer was lost (no link), and this target maps a field the org does not have.
    const odd = salesforceTarget(emu, {
      mapping: { fields: { ProfileId: { const: "Standard User" }, Nickname__c: { const: "x" } } },
    });
    const [outcome] = await odd.apply([
      { kind: "user.deprovision", key: "unlinked", user: scimUser("unlinked@example.com") },
    ]);
    expect(outcome).toMatchObject({ status: "done" });
    expect(user(id).IsActive).toBe(false);
  });
});
