import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createTableauTarget, type TableauTarget } from "../../src/targets/tableau/index.ts";
import {
  callsByRoute,
  emulatorConfig,
  scimGroup,
  scimUser,
  targetIdOf,
  upsertGroup,
  upsertUser,
} from "./tableau-fixtures.ts";

/** The same scenarios on a server with bulk membership (3.25) and one without (3.20). */
describe.each([
  { apiVersion: "3.25", bulk: true },
  { apiVersion: "3.20", bulk: false },
])("groups on REST API $apiVersion", ({ apiVersion, bulk }) => {
  let e: RunningTableauEmulator;
  let target: TableauTarget;
  let users: string[];
  const site = () => e.server.site("");
  const members = (gid: string) =>
    site()
      .membersOf(gid)
      .map((u) => u.id)
      .sort();

  beforeAll(async () => {
    e = await startTableauEmulator({ port: 0, apiVersion });
    // No apiVersion configured: the target reads it from serverInfo.
    target = createTableauTarget(emulatorConfig(e), { retry: retryPolicy });
    await target.check();
    users = Array.from(
      { length: 6 },
      (_, i) => site().addUser({ name: `m${i}@example.com`, siteRole: "Viewer" }).id,
    );
  });
  afterAll(async () => {
    await target.close?.();
    await e.close();
  });
  beforeEach(() => e.stats.reset());

  it(`creates a local group with its members ${bulk ? "in one bulk call" : "one call per member"}`, async () => {
    const [outcome] = await target.apply([upsertGroup(scimGroup("Sales", users.slice(0, 4)))]);
    const gid = targetIdOf(outcome);
    expect(outcome).toMatchObject({ detail: "created; members +4 -0" });
    expect(site().group(gid).name).toBe("Sales");
    expect(members(gid)).toEqual(users.slice(0, 4).sort());
    expect(callsByRoute(e)).toEqual({
      "POST /sites/:siteId/groups": 1,
      "POST /sites/:siteId/groups/:groupId/users": bulk ? 1 : 4,
    });
  });

  it("renames the group and makes membership exactly the desired set", async () => {
    const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Finance", users.slice(0, 3)))]))[0]);
    e.stats.reset();
    const want = [users[1], users[2], users[4], users[5]] as string[];
    const [outcome] = await target.apply([upsertGroup(scimGroup("Finance EMEA", want), gid)]);
    expect(outcome).toMatchObject({ status: "done", targetId: gid, detail: "updated; members +2 -1" });
    expect(site().group(gid).name).toBe("Finance EMEA");
    expect(members(gid)).toEqual([...want].sort());
    expect(callsByRoute(e)).toEqual(
      bulk
        ? {
            // The group is read first: an unchanged one costs no write.
            "GET /sites/:siteId/groups": 1,
            "PUT /sites/:siteId/groups/:groupId": 1,
            "GET /sites/:siteId/groups/:groupId/users": 1,
            "POST /sites/:siteId/groups/:groupId/users": 1,
            "PUT /sites/:siteId/groups/:groupId/users/remove": 1,
          }
        : {
            "GET /sites/:siteId/groups": 1,
            "PUT /sites/:siteId/groups/:groupId": 1,
            "GET /sites/:siteId/groups/:groupId/users": 1,
            "POST /sites/:siteId/groups/:groupId/users": 2,
            "DELETE /sites/:siteId/groups/:groupId/users/:userId": 1,
          },
    );
  });

  it("reads an unchanged group and its members, and writes nothing", async () => {
    const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Steady", users.slice(0, 2)))]))[0]);
    e.stats.reset();
    const [outcome] = await target.apply([upsertGroup(scimGroup("Steady", users.slice(0, 2)), gid)]);
    expect(outcome).toMatchObject({ status: "done", targetId: gid, detail: "updated; members +0 -0" });
    expect(callsByRoute(e)).toEqual({
      "GET /sites/:siteId/groups": 1,
      "GET /sites/:siteId/groups/:groupId/users": 1,
    });
  });

  it("reads a batch of linked groups with one lookup, not one each, and still renames the one that changed", async () => {
    const names = ["Alpha", "Beta", "Gamma", "Delta"];
    const created = await target.apply(names.map((n) => upsertGroup(scimGroup(n, users.slice(0, 1)))));
    const ids = created.map(targetIdOf);
    e.stats.reset();
    const again = await target.apply([
      ...names.slice(0, 3).map((n, i) => upsertGroup(scimGroup(n, users.slice(0, 1)), ids[i])),
      upsertGroup(scimGroup("Delta Renamed", users.slice(0, 1)), ids[3]),
    ]);
    expect(again.map((o) => o.status)).toEqual(["done", "done", "done", "done"]);
    expect(site().group(ids[3]!).name).toBe("Delta Renamed");
    // One `name:in` lookup for the batch; the renamed group, not under its new name yet, is looked up alone.
    expect(callsByRoute(e)).toEqual({
      "GET /sites/:siteId/groups": 2,
      "PUT /sites/:siteId/groups/:groupId": 1,
      "GET /sites/:siteId/groups/:groupId/users": 4,
    });
  });

  it("empties a group whose SCIM members all left", async () => {
    const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Leaving", users.slice(0, 2)))]))[0]);
    await target.apply([upsertGroup(scimGroup("Leaving", []), gid)]);
    expect(members(gid)).toEqual([]);
  });

  it("links a group that already exists by name (409009) and adopts its members", async () => {
    const existing = site().createGroup({ name: "Marketing" });
    site().addMember(existing.id, users[0] as string);
    site().addMember(existing.id, users[5] as string);
    const [outcome] = await target.apply([
      upsertGroup(scimGroup("marketing", [users[0] as string, users[3] as string])),
    ]);
    expect(outcome).toMatchObject({ status: "done", targetId: existing.id });
    expect(site().group(existing.id).name).toBe("marketing");
    expect(members(existing.id)).toEqual([users[0], users[3]].sort());
    expect([...site().groups.values()].filter((g) => g.name.toLowerCase() === "marketing")).toHaveLength(1);
  });

  it("fails with Tableau's 409009 when a rename collides with another group", async () => {
    site().createGroup({ name: "Taken" });
    const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Free", []))]))[0]);
    const [outcome] = await target.apply([upsertGroup(scimGroup("Taken", []), gid)]);
    expect(outcome).toMatchObject({ status: "failed", code: "409009" });
    expect(site().group(gid).name).toBe("Free");
  });

  it("fails with Tableau's 404002 when a member is not a user of the site", async () => {
    const [outcome] = await target.apply([
      upsertGroup(scimGroup("Ghosts", ["00000000-0000-4000-8000-000000000000"])),
    ]);
    expect(outcome).toMatchObject({ status: "failed", code: "404002" });
  });

  it("recreates a linked group that was deleted in Tableau", async () => {
    const gid = targetIdOf(
      (await target.apply([upsertGroup(scimGroup("Phoenix", [users[0] as string]))]))[0],
    );
    site().deleteGroup(gid);
    const newId = targetIdOf(
      (await target.apply([upsertGroup(scimGroup("Phoenix", [users[0] as string]), gid)]))[0],
    );
    expect(newId).not.toBe(gid);
    expect(members(newId)).toEqual([users[0]]);
  });

  it("deletes a group, and counts one already gone as deleted", async () => {
    const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Temporary", []))]))[0]);
    const del = { kind: "group.delete" as const, key: "x", targetId: gid };
    expect(await target.apply([del])).toEqual([{ status: "done", detail: "deleted" }]);
    expect(site().groups.has(gid)).toBe(false);
    expect(await target.apply([del])).toEqual([{ status: "done", detail: "already gone" }]);
  });

  it("never manages Tableau's All Users group", async () => {
    const before = site().allUsers.name;
    const [outcome] = await target.apply([upsertGroup(scimGroup("All Users", [users[0] as string]))]);
    expect(outcome).toMatchObject({ status: "failed", code: "ALL_USERS_RESERVED" });
    expect(site().allUsers.name).toBe(before);
    expect(e.stats.apiCalls).toBe(0);
  });
});

describe("grant licence on sign-in", () => {
  it("creates groups that grant the minimum site role on sign-in and adds users Unlicensed", async () => {
    const e = await startTableauEmulator({ port: 0 });
    const target = createTableauTarget(
      emulatorConfig(e, { policies: { grantLicenseOnSignIn: { minimumSiteRole: "Explorer" } } }),
      { retry: retryPolicy },
    );
    try {
      const uid = targetIdOf((await target.apply([upsertUser(scimUser("onlogin@example.com"))]))[0]);
      const site = e.server.site("");
      expect(site.user(uid).siteRole).toBe("Unlicensed");
      const gid = targetIdOf((await target.apply([upsertGroup(scimGroup("Analysts", [uid]))]))[0]);
      expect(site.group(gid)).toMatchObject({ minimumSiteRole: "Explorer", grantLicenseMode: "onLogin" });
      site.signInUser(uid);
      expect(site.user(uid).siteRole).toBe("Explorer");
      // A later sync does not take back the licence Tableau granted at sign-in.
      await target.apply([upsertUser(scimUser("onlogin@example.com"), uid)]);
      expect(site.user(uid).siteRole).toBe("Explorer");
    } finally {
      await target.close?.();
      await e.close();
    }
  });
});
