import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningSalesforceEmulator,
  salesforceEmulatorTargetConfig,
} from "../../src/emulators/salesforce/index.ts";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";
import { importFrom } from "../../src/sync/import/index.ts";
import { reconcile } from "../../src/sync/reconcile/index.ts";
import { eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { startOrg } from "../targets/salesforce-fixtures.ts";
import { depsOf } from "./reconcile-fixtures.ts";

describe("import from Tableau: the Tableau → Salesforce sync", () => {
  let tableau: RunningTableauEmulator;
  let sf: RunningSalesforceEmulator;
  let t: TestBridge;
  beforeAll(async () => {
    tableau = await startTableauEmulator({ port: 0 });
    sf = await startOrg();
    const site = tableau.server.site("");
    site.addUser({
      name: "ada@example.com",
      siteRole: "Creator",
      fullName: "Ada Lovelace",
      email: "ada@example.com",
    });
    site.addUser({
      name: "alan@example.com",
      siteRole: "Viewer",
      fullName: "Alan Turing",
      email: "alan@example.com",
    });
    site.addUser({
      name: "grace@example.com",
      siteRole: "Explorer",
      fullName: "Grace Hopper",
      email: "grace@example.com",
    });
    site.addUser({
      name: "old@example.com",
      siteRole: "Unlicensed",
      fullName: "Old Timer",
      email: "old@example.com",
    });
    site.updateUser(site.userByNameCi("admin@example.com")!.id, {
      fullName: "Site Admin",
      email: "admin@example.com",
    });
    const analysts = site.createGroup({ name: "Analysts" });
    site.addMember(analysts.id, site.userByNameCi("ada@example.com")!.id);
    // Grace already has a Salesforce user (made by the old script): she must be linked, not duplicated.
    sf.org.insert("User", {
      Username: "grace@example.com",
      Email: "grace@example.com",
      LastName: "Hopper",
      Alias: "ghopper",
      TimeZoneSidKey: "America/New_York",
      LocaleSidKey: "en_US",
      EmailEncodingKey: "UTF-8",
      LanguageLocaleKey: "en_US",
      ProfileId: sf.org.profileId("Standard User"),
      IsActive: true,
    });
    t = await startTestBridge({
      targets: [tableauEmulatorTargetConfig(tableau.url), salesforceEmulatorTargetConfig(sf.url)],
    });
  });
  afterAll(async () => {
    await t.stop();
    await tableau.close();
    await sf.close();
  });

  const sfUsers = (username: string) =>
    sf.org.users().filter((u) => String(u.Username).toLowerCase() === username);

  it("previews the import without writing anything", async () => {
    const r = await importFrom(depsOf(t), { from: "tableau" });
    expect(r.users).toMatchObject({ created: 4, skipped: 1 }); // three people + the site admin; old is Unlicensed
    expect(r.items.find((i) => i.key === "old@example.com")).toMatchObject({ result: "skipped" });
    expect((await t.bridge.db.query("SELECT 1 FROM users")).rows).toHaveLength(0);
  });

  it("creates SCIM users linked to their Tableau accounts and provisions them into Salesforce, linking existing users", async () => {
    const noted = t.bridge.outboxStatistics.noted;
    const r = await importFrom(depsOf(t), { from: "tableau", apply: true });
    expect(r.users).toMatchObject({ created: 4, skipped: 1, failed: 0 });
    // The jobs it queued count toward refreshing the outbox's statistics: a Salesforce job per user at least.
    expect(t.bridge.outboxStatistics.noted - noted).toBeGreaterThanOrEqual(4);
    expect(r.groups).toMatchObject({ created: 1 });
    await eventually(
      () => sfUsers("alan@example.com").length === 1 && sfUsers("ada@example.com").length === 1,
    );
    await eventually(async () => {
      const { rows } = await t.bridge.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM links WHERE target = 'salesforce' AND resource_type = 'User' AND target_id IS NOT NULL",
      );
      return rows[0]?.n === 4;
    });
    expect(sfUsers("grace@example.com")).toHaveLength(1);
    expect(sfUsers("ada@example.com")[0]).toMatchObject({
      FirstName: "Ada",
      LastName: "Lovelace",
      Email: "ada@example.com",
      IsActive: true,
    });
    // Defaults from the mapping fill what Tableau does not know; no password is ever set.
    expect(sfUsers("alan@example.com")[0]).toMatchObject({
      TimeZoneSidKey: expect.any(String),
      Alias: expect.any(String),
    });
    // The Tableau side is untouched: Ada is still a Creator, nobody was written back.
    expect(tableau.server.site("").userByNameCi("ada@example.com")?.siteRole).toBe("Creator");
    const tableauCheck = await reconcile(depsOf(t), { target: "tableau" });
    expect(tableauCheck.items.filter((i) => i.status === "drifted")).toEqual([]);
  });

  it("is idempotent: a second run skips everyone and creates nobody twice", async () => {
    const r = await importFrom(depsOf(t), { from: "tableau", apply: true });
    expect(r.users).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(r.users.skipped).toBe(5);
    expect(sfUsers("ada@example.com")).toHaveLength(1);
  });

  it("picks up a new Tableau user and a changed name on the next run", async () => {
    const site = tableau.server.site("");
    site.addUser({
      name: "new@example.com",
      siteRole: "Viewer",
      fullName: "New Person",
      email: "new@example.com",
    });
    site.updateUser(site.userByNameCi("alan@example.com")!.id, { fullName: "Alan M Turing" });
    const r = await importFrom(depsOf(t), { from: "tableau", apply: true });
    expect(r.items.filter((i) => i.result !== "skipped").map((i) => [i.key, i.result])).toEqual([
      ["alan@example.com", "updated"],
      ["new@example.com", "created"],
    ]);
    await eventually(() => sfUsers("new@example.com").length === 1);
    await eventually(() => sfUsers("alan@example.com")[0]?.FirstName === "Alan M");
  });

  it("finds drift made in Salesforce behind the bridge's back and repairs it", async () => {
    const ada = sfUsers("ada@example.com")[0]!;
    sf.org.update("User", String(ada.Id), { LastName: "Byron", Title: "Countess" });
    const r = await reconcile(depsOf(t), { target: "salesforce" });
    const item = r.items.find((i) => i.key === "ada@example.com");
    expect(item).toMatchObject({ status: "drifted", fields: ["LastName", "Title"] });
    await reconcile(depsOf(t), { target: "salesforce", apply: true });
    await eventually(() => sfUsers("ada@example.com")[0]?.LastName === "Lovelace");
  });
});
