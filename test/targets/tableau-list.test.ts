import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createTableauTarget, type TableauTarget } from "../../src/targets/tableau/index.ts";
import type { TargetAccount, TargetGroup } from "../../src/targets/target.ts";
import { emulatorConfig } from "./tableau-fixtures.ts";

let e: RunningTableauEmulator;
let target: TableauTarget;

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0, emptyCollection: "object" });
  const site = e.server.site("");
  for (let i = 0; i < 4; i++)
    site.addUser({ name: `u${i}@example.com`, siteRole: i === 3 ? "Unlicensed" : "Explorer" });
  const g = site.createGroup({ name: "Readers" });
  for (const u of [...site.users.values()].slice(0, 3)) site.addMember(g.id, u.id);
  site.createGroup({ name: "Empty" });
  // Two per page, so paging is exercised.
  target = createTableauTarget(emulatorConfig(e), { retry: retryPolicy, pageSize: 2 });
});
afterAll(async () => {
  await target.close?.();
  await e.close();
});

describe("listing a site for reconcile and import", () => {
  it("pages through every user, keyed by name, Unlicensed ones inactive", async () => {
    const pages: TargetAccount[][] = [];
    for await (const page of target.listUsers()) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]); // the admin plus four
    const all = pages.flat();
    expect(all.find((a) => a.key === "u3@example.com")).toMatchObject({
      active: false,
      fields: { siteRole: "Unlicensed" },
    });
    expect(all.find((a) => a.key === "u0@example.com")).toMatchObject({
      active: true,
      fields: { siteRole: "Explorer" },
    });
    expect(new Set(all.map((a) => a.targetId)).size).toBe(5);
  });

  it("lists local groups with their members, leaving out All Users", async () => {
    const groups: TargetGroup[] = [];
    for await (const page of target.listGroups?.() ?? []) groups.push(...page);
    expect(groups.map((g) => g.displayName).sort()).toEqual(["Empty", "Readers"]);
    expect(groups.find((g) => g.displayName === "Readers")?.memberTargetIds).toHaveLength(3);
    expect(groups.find((g) => g.displayName === "Empty")?.memberTargetIds).toEqual([]);
  });
});
