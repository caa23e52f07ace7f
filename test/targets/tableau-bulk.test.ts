// Tableau target: many new users in one CSV import job, many removals in one delete job; per-row outcomes.

import { afterEach, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createTableauTarget, type TableauTarget } from "../../src/targets/tableau/index.ts";
import type { Operation } from "../../src/targets/target.ts";
import {
  callsByRoute,
  deprovision,
  emulatorConfig,
  scimUser,
  targetIdOf,
  upsertUser,
} from "./tableau-fixtures.ts";

const FAST_POLL = { firstMs: 5, factor: 2, maxMs: 50, timeoutMs: 5_000 };
let e: RunningTableauEmulator;
let target: TableauTarget;

async function start(
  emu: Parameters<typeof startTableauEmulator>[0] = {},
  config: Parameters<typeof emulatorConfig>[1] = {},
) {
  e = await startTableauEmulator({ port: 0, csvJobMsPerRow: 0.5, ...emu });
  target = createTableauTarget(emulatorConfig(e, config), { retry: retryPolicy, jobPolling: FAST_POLL });
  await target.check();
  e.stats.reset();
}
afterEach(async () => {
  await target?.close?.();
  await e?.close();
});

const site = () => e.server.site("");
const newUsers = (n: number, prefix = "u") =>
  Array.from({ length: n }, (_, i) => upsertUser(scimUser(`${prefix}${i}@example.com`)));

describe("adding users with the CSV import", () => {
  it("adds 50 new users with one import job and one lookup, and links each to its own account", async () => {
    await start();
    const ops = newUsers(50);
    const outcomes = await target.apply(ops);
    const calls = callsByRoute(e);
    expect(calls["POST /sites/:siteId/users/import"]).toBe(1);
    expect(calls["GET /sites/:siteId/users"]).toBe(1);
    expect(calls["GET /sites/:siteId/jobs/:jobId"]).toBeGreaterThanOrEqual(1);
    expect(calls["POST /sites/:siteId/users"]).toBeUndefined();
    expect(calls["PUT /sites/:siteId/users/:userId"]).toBeUndefined();
    expect(outcomes).toHaveLength(50);
    outcomes.forEach((o, i) => {
      const u = site().user(targetIdOf(o));
      expect(u).toMatchObject({
        name: `u${i}@example.com`,
        siteRole: "Viewer",
        fullName: `Test u${i}`,
        email: `u${i}@example.com`,
      });
    });
  });

  it("fails a row Tableau refused with Tableau's words, links an existing user and brings it in line, notes a licence that ran out", async () => {
    await start({ licences: { Creator: 3 } }, { policies: { defaultSiteRole: "Creator" } });
    const existing = site().addUser({ name: "old@example.com", siteRole: "Creator", fullName: "Old Name" });
    const ops = [
      ...newUsers(11, "c"),
      upsertUser(scimUser("old@example.com")),
      upsertUser(
        scimUser("bad@example.com", { data: { emails: [{ value: "not-an-email", primary: true }] } }),
      ),
    ];
    const outcomes = await target.apply(ops);
    expect(callsByRoute(e)["POST /sites/:siteId/users/import"]).toBe(1);
    // The admin, old@ and c0 hold the three Creator licences; the rest were added Unlicensed.
    expect(outcomes[0]).toMatchObject({ status: "done", detail: "created by CSV import" });
    expect(outcomes[1]).toMatchObject({
      status: "done",
      detail: "created as Unlicensed: no licence was free for Creator",
    });
    expect(targetIdOf(outcomes[11])).toBe(existing.id);
    expect(outcomes[11]).toMatchObject({
      detail: expect.stringContaining("linked to the existing site user"),
    });
    expect(site().user(existing.id).fullName).toBe("Test old");
    expect(outcomes[12]).toEqual({
      status: "failed",
      code: "TABLEAU_IMPORT_ROW",
      message: expect.stringContaining("'not-an-email' is not a valid email address"),
    });
    expect(site().userByNameCi("bad@example.com")).toBeUndefined();
  });

  it("keeps one call per user below the threshold and before API 3.15", async () => {
    await start();
    await target.apply(newUsers(10, "few"));
    expect(callsByRoute(e)["POST /sites/:siteId/users/import"]).toBeUndefined();
    expect(callsByRoute(e)["POST /sites/:siteId/users"]).toBe(10);
    await target.close?.();
    target = createTableauTarget(emulatorConfig(e, { apiVersion: "3.14" }), {
      retry: retryPolicy,
      jobPolling: FAST_POLL,
    });
    e.stats.reset();
    const outcomes = await target.apply(newUsers(30, "old"));
    expect(outcomes.every((o) => o.status === "done")).toBe(true);
    expect(callsByRoute(e)["POST /sites/:siteId/users/import"]).toBeUndefined();
    expect(callsByRoute(e)["POST /sites/:siteId/users"]).toBe(30);
  });

  it("on Tableau Cloud, says the display name was sent when the site kept its own", async () => {
    await start({ edition: "cloud" });
    const outcomes = await target.apply(newUsers(20, "cloud"));
    expect(outcomes[0]).toMatchObject({
      status: "done",
      detail: "created by CSV import; the site kept its own fullName",
      sent: { fullName: "Test cloud0" },
    });
    expect(callsByRoute(e)["PUT /sites/:siteId/users/:userId"]).toBeUndefined();
  });
});

describe("linked users", () => {
  it("are read with one lookup per batch, not one call each; unchanged ones cost no write", async () => {
    await start();
    const ops = newUsers(30, "linked");
    const ids = (await target.apply(ops)).map(targetIdOf);
    site().updateUser(ids[7] as string, { fullName: "Changed Behind" });
    e.stats.reset();
    const again = await target.apply(
      ops.map((op, i) => (op.kind === "user.upsert" ? upsertUser(op.user, ids[i]) : op)),
    );
    expect(again.map(targetIdOf)).toEqual(ids);
    expect(callsByRoute(e)).toEqual({
      "GET /sites/:siteId/users": 1,
      "PUT /sites/:siteId/users/:userId": 1,
    });
    expect(site().user(ids[7] as string).fullName).toBe("Test linked7");
  });
});

describe("removing users with the CSV delete", () => {
  it("removes linked users in one delete job; one who owns content is left Unlicensed", async () => {
    await start({}, { policies: { deprovision: "remove" } });
    const ids = (await target.apply(newUsers(15, "leaver"))).map(targetIdOf);
    site().user(ids[3] as string).ownedContent = 1;
    e.stats.reset();
    const outcomes = await target.apply(ids.map((id) => deprovision(id) as Operation));
    expect(callsByRoute(e)["POST /sites/:siteId/users/delete"]).toBe(1);
    expect(callsByRoute(e)["DELETE /sites/:siteId/users/:userId"]).toBeUndefined();
    expect(outcomes.filter((o) => o.status === "done")).toHaveLength(15);
    expect(outcomes[3]).toMatchObject({
      detail: expect.stringContaining("owns content, so left Unlicensed"),
    });
    expect(site().user(ids[3] as string).siteRole).toBe("Unlicensed");
    expect(ids.filter((id) => site().users.has(id))).toEqual([ids[3]]);
  });

  it("removes one by one a user the delete job left licensed (a row it could not match), never failing the removal", async () => {
    await start({}, { policies: { deprovision: "remove" } });
    const ids = (await target.apply(newUsers(15, "leaver"))).map(targetIdOf);
    // An Active Directory-style name: the job reads the part after the backslash and finds nobody by it.
    site().renameUser(site().user(ids[5] as string), "CORP\\leaver5");
    e.stats.reset();
    const outcomes = await target.apply(ids.map((id) => deprovision(id) as Operation));
    expect(callsByRoute(e)["POST /sites/:siteId/users/delete"]).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => "done"));
    expect(ids.filter((id) => site().users.has(id))).toEqual([]);
  });

  it("removes one by one when content must go to policies.mapAssetsTo (the CSV call cannot hand it over)", async () => {
    await start({}, { policies: { deprovision: "remove", mapAssetsTo: "admin@example.com" } });
    const ids = (await target.apply(newUsers(15, "heirless"))).map(targetIdOf);
    e.stats.reset();
    await target.apply(ids.map((id) => deprovision(id) as Operation));
    expect(callsByRoute(e)["POST /sites/:siteId/users/delete"]).toBeUndefined();
    expect(callsByRoute(e)["DELETE /sites/:siteId/users/:userId"]).toBe(15);
  });
});
