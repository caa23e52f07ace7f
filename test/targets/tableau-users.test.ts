import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createTableauTarget, type TableauTarget } from "../../src/targets/tableau/index.ts";
import {
  callsByRoute,
  deprovision,
  emulatorConfig,
  scimUser,
  TABLEAU_EXT,
  targetIdOf,
  upsertUser,
} from "./tableau-fixtures.ts";

const RULES = [
  { group: "Tableau Explorers", set: { siteRole: "Explorer" as const } },
  { group: "Tableau Creators", set: { siteRole: "Creator" as const } },
  { group: "Tableau Site Admins", set: { siteRole: "SiteAdministratorExplorer" as const } },
];

let e: RunningTableauEmulator;
let target: TableauTarget;
const site = () => e.server.site("");

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0 });
  target = createTableauTarget(emulatorConfig(e, { mapping: { groupRules: RULES } }), { retry: retryPolicy });
  await target.check(); // signs in once, so call counts below are per operation
});
afterAll(async () => {
  await target.close?.();
  await e.close();
});
beforeEach(() => e.stats.reset());

describe("creating and correlating site users", () => {
  it("adds a new user with the default role, full name and email in two calls", async () => {
    const [outcome] = await target.apply([upsertUser(scimUser("ada@example.com"))]);
    const id = targetIdOf(outcome);
    expect(outcome).toMatchObject({ status: "done", detail: expect.stringContaining("created") });
    expect(site().user(id)).toMatchObject({
      name: "ada@example.com",
      siteRole: "Viewer",
      fullName: "Test ada",
      email: "ada@example.com",
    });
    expect(e.stats.apiCalls).toBe(2);
    expect(callsByRoute(e)).toEqual({
      "POST /sites/:siteId/users": 1,
      "PUT /sites/:siteId/users/:userId": 1,
    });
  });

  it("links a user who already exists on the site (name differs only in case) instead of adding a second", async () => {
    const existing = site().addUser({ name: "Grace@Example.com", siteRole: "Explorer" });
    const before = site().users.size;
    const [outcome] = await target.apply([
      upsertUser(scimUser("grace@example.com", { groups: ["Tableau Explorers"] })),
    ]);
    expect(outcome).toMatchObject({
      status: "done",
      targetId: existing.id,
      detail: expect.stringContaining("linked"),
    });
    expect(site().users.size).toBe(before);
    expect(site().user(existing.id)).toMatchObject({ siteRole: "Explorer", fullName: "Test grace" });
    // add (409017) + lookup by name + update of fullName/email
    expect(e.stats.apiCalls).toBe(3);
  });

  it("updates full name, email and role of a linked user, and does nothing when nothing changed", async () => {
    const id = targetIdOf((await target.apply([upsertUser(scimUser("alan@example.com"))]))[0]);
    e.stats.reset();
    const changed = scimUser("alan@example.com", {
      groups: ["Tableau Creators"],
      data: { displayName: "Alan Turing", emails: [{ value: "alan.turing@example.com", primary: true }] },
    });
    const [outcome] = await target.apply([upsertUser(changed, id)]);
    expect(outcome).toMatchObject({
      status: "done",
      targetId: id,
      detail: "updated (fullName, email, siteRole)",
    });
    // What was sent, with what the site held before, for the delivery's audit row.
    const sent = outcome?.status === "done" ? outcome.fields : undefined;
    expect(sent?.find((f) => f.path === "siteRole")).toEqual({
      path: "siteRole",
      old: "Viewer",
      new: "Creator",
    });
    expect(sent?.find((f) => f.path === "fullName")?.new).toBe("Alan Turing");
    expect(site().user(id)).toMatchObject({
      fullName: "Alan Turing",
      email: "alan.turing@example.com",
      siteRole: "Creator",
    });
    expect(e.stats.apiCalls).toBe(2); // get + update
    e.stats.reset();
    expect(await target.apply([upsertUser(changed, id)])).toEqual([
      {
        status: "done",
        targetId: id,
        detail: "unchanged",
        match: { by: "link", targetId: id },
        action: "unchanged",
      },
    ]);
    expect(e.stats.apiCalls).toBe(1);
  });

  it("re-adds a linked user who was deleted in Tableau meanwhile", async () => {
    const id = targetIdOf((await target.apply([upsertUser(scimUser("gone@example.com"))]))[0]);
    site().removeUser(id);
    const [outcome] = await target.apply([upsertUser(scimUser("gone@example.com"), id)]);
    expect(targetIdOf(outcome)).not.toBe(id);
    expect(site().userByNameCi("gone@example.com")?.siteRole).toBe("Viewer");
  });
});

describe("site roles", () => {
  it("gives the highest role among the matching group rules", async () => {
    const u = scimUser("multi@example.com", { groups: ["Tableau Explorers", "Tableau Creators", "Other"] });
    const id = targetIdOf((await target.apply([upsertUser(u)]))[0]);
    expect(site().user(id).siteRole).toBe("Creator");
  });

  it("combines Creator and Site Administrator Explorer into Site Administrator Creator", async () => {
    const u = scimUser("admin2@example.com", { groups: ["Tableau Creators", "Tableau Site Admins"] });
    const id = targetIdOf((await target.apply([upsertUser(u)]))[0]);
    expect(site().user(id).siteRole).toBe("SiteAdministratorCreator");
  });

  it("lets the Tableau extension override the mapping and group rules per user", async () => {
    const u = scimUser("ext@example.com", {
      groups: ["Tableau Creators"],
      data: { [TABLEAU_EXT]: { siteRole: "ExplorerCanPublish", authSetting: "SAML" } },
    });
    const id = targetIdOf((await target.apply([upsertUser(u)]))[0]);
    expect(site().user(id)).toMatchObject({ siteRole: "ExplorerCanPublish", authSetting: "SAML" });
  });

  it("reports Tableau's 400013 with its detail when a role Tableau rejects reaches it", async () => {
    const u = scimUser("bad-role@example.com", { data: { [TABLEAU_EXT]: { siteRole: "Overlord" } } });
    const [outcome] = await target.apply([upsertUser(u)]);
    expect(outcome).toMatchObject({
      status: "failed",
      code: "400013",
      message: expect.stringContaining("Overlord"),
    });
    expect(site().userByNameCi("bad-role@example.com")).toBeUndefined();
  });

  it("refuses the same user in pre-flight, and only needs a name for a deactivation", () => {
    const bad = scimUser("bad-role@example.com", { data: { [TABLEAU_EXT]: { siteRole: "Overlord" } } });
    expect(target.preflight?.(bad)).toEqual([
      expect.objectContaining({ field: "siteRole", code: "INVALID_SITE_ROLE" }),
    ]);
    expect(target.preflight?.({ ...bad, active: false })).toEqual([]);
    const nameless = scimUser("", {});
    expect(target.preflight?.(nameless)).toEqual([
      expect.objectContaining({ field: "name", code: "REQUIRED_FIELD_MISSING" }),
    ]);
    expect(target.preflight?.(scimUser("fine@example.com"))).toEqual([]);
  });

  it("links a user added Unlicensed when no licence is free, saying so", async () => {
    const limited = await startTableauEmulator({ port: 0, licences: { Creator: 1 } });
    const t = createTableauTarget(emulatorConfig(limited, { policies: { defaultSiteRole: "Creator" } }), {
      retry: retryPolicy,
    });
    try {
      const [outcome] = await t.apply([upsertUser(scimUser("nolicence@example.com"))]);
      const id = targetIdOf(outcome);
      expect(outcome).toMatchObject({ detail: expect.stringContaining("no licence was free for Creator") });
      expect(limited.server.site("").user(id).siteRole).toBe("Unlicensed");
    } finally {
      await t.close?.();
      await limited.close();
    }
  });
});

describe("deprovisioning and reprovisioning", () => {
  it("sets the user Unlicensed by default, in one call, and restores the mapped role on reprovision", async () => {
    const u = scimUser("leaver@example.com", { groups: ["Tableau Explorers"] });
    const id = targetIdOf((await target.apply([upsertUser(u)]))[0]);
    e.stats.reset();
    expect(await target.apply([deprovision(id)])).toEqual([
      {
        status: "done",
        targetId: id,
        detail: "unlicensed",
        match: { by: "link", targetId: id },
        action: "deactivate",
        fields: [{ path: "siteRole", new: "Unlicensed" }],
      },
    ]);
    expect(e.stats.apiCalls).toBe(1);
    expect(site().user(id).siteRole).toBe("Unlicensed");
    const [back] = await target.apply([upsertUser(u, id)]);
    expect(back).toMatchObject({ status: "done", targetId: id });
    expect(site().user(id).siteRole).toBe("Explorer");
  });

  it("treats an upsert with active=false like a deprovision, found by name when not linked", async () => {
    const existing = site().addUser({ name: "inactive@example.com", siteRole: "Explorer" });
    const [outcome] = await target.apply([upsertUser(scimUser("inactive@example.com", { active: false }))]);
    expect(outcome).toMatchObject({ status: "done", targetId: existing.id, detail: "unlicensed" });
    expect(site().user(existing.id).siteRole).toBe("Unlicensed");
    const [none] = await target.apply([upsertUser(scimUser("never-there@example.com", { active: false }))]);
    expect(none).toMatchObject({ status: "done", detail: expect.stringContaining("nothing to deprovision") });
    expect(site().userByNameCi("never-there@example.com")).toBeUndefined();
  });

  it("counts a user already gone from the site as deprovisioned", async () => {
    const id = targetIdOf((await target.apply([upsertUser(scimUser("vanished@example.com"))]))[0]);
    site().removeUser(id);
    expect(await target.apply([deprovision(id)])).toEqual([
      {
        status: "done",
        detail: "already removed from the site",
        match: { by: "link", targetId: id },
        action: "none",
      },
    ]);
  });
});

describe("deprovision policy remove", () => {
  let remover: TableauTarget;
  beforeAll(() => {
    site().addUser({ name: "heir@example.com", siteRole: "Creator" });
    remover = createTableauTarget(
      emulatorConfig(e, {
        mapping: { groupRules: RULES },
        policies: { deprovision: "remove", mapAssetsTo: "heir@example.com" },
      }),
      { retry: retryPolicy },
    );
  });
  afterAll(() => remover.close?.());

  it("removes the site user and hands their content to mapAssetsTo", async () => {
    const id = targetIdOf((await remover.apply([upsertUser(scimUser("removed@example.com"))]))[0]);
    site().user(id).ownedContent = 2;
    const heir = site().userByNameCi("heir@example.com");
    const [outcome] = await remover.apply([deprovision(id)]);
    expect(outcome).toEqual({
      status: "done",
      detail: "removed from the site",
      match: { by: "link", targetId: id },
      action: "remove",
    });
    expect(site().users.has(id)).toBe(false);
    expect(heir?.ownedContent).toBe(2);
  });

  it("leaves a content owner Unlicensed when Tableau refuses to remove them, and reports done", async () => {
    const keeper = createTableauTarget(emulatorConfig(e, { policies: { deprovision: "remove" } }), {
      retry: retryPolicy,
    });
    try {
      const id = targetIdOf((await keeper.apply([upsertUser(scimUser("owner@example.com"))]))[0]);
      site().user(id).ownedContent = 1;
      const [outcome] = await keeper.apply([deprovision(id)]);
      expect(outcome).toMatchObject({
        status: "done",
        targetId: id,
        detail: expect.stringContaining("owns content, so left Unlicensed"),
      });
      expect(site().user(id).siteRole).toBe("Unlicensed");
    } finally {
      await keeper.close?.();
    }
  });

  it("re-adds a removed user with the mapped role when they come back", async () => {
    const u = scimUser("returning@example.com", { groups: ["Tableau Explorers"] });
    const id = targetIdOf((await remover.apply([upsertUser(u)]))[0]);
    await remover.apply([deprovision(id)]);
    const [back] = await remover.apply([upsertUser(u, id)]);
    const newId = targetIdOf(back);
    expect(site().user(newId)).toMatchObject({ name: "returning@example.com", siteRole: "Explorer" });
  });

  it("fails clearly when mapAssetsTo names nobody on the site, having taken the user's licence all the same", async () => {
    const t = createTableauTarget(
      emulatorConfig(e, { policies: { deprovision: "remove", mapAssetsTo: "nobody@example.com" } }),
      { retry: retryPolicy },
    );
    try {
      const id = site().addUser({ name: "stays@example.com", siteRole: "Viewer" }).id;
      expect(await t.apply([deprovision(id)])).toEqual([
        expect.objectContaining({ status: "failed", code: "MAP_ASSETS_TO_NOT_FOUND" }),
      ]);
      // Not removed (nobody to hand the content to), but no longer able to sign in with a licence.
      expect(site().user(id).siteRole).toBe("Unlicensed");
    } finally {
      await t.close?.();
    }
  });
});
