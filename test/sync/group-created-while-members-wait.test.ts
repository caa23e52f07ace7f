// A Tableau group whose members are still being provisioned is created meanwhile (its create does not depend on
// them), and its last delivery only adds the members: the creates overlap the users' provisioning, and the call
// count stays one create and one bulk add per group, with no read of the members of a group the bridge left empty.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";
import { queryAudit } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { tableauCheckSite } from "../support/tableau.ts";

describe.each(BACKENDS)("%s", (backend) => {
  let tableau: RunningTableauEmulator;
  let t: TestBridge;
  beforeAll(async () => {
    tableau = await startTableauEmulator({ port: 0 });
    t = await startTestBridge({
      backend,
      targets: [tableauEmulatorTargetConfig(tableau.url)],
      config: { sync: { waitForDeliveryMs: 0, yieldMs: 0 } },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await tableau?.close();
  });

  it("creates the group while its members are provisioned, then only adds them", async () => {
    // Written together before any delivery, as a load arrives: the first claim holds the users and the group.
    await t.bridge.dispatcher.stop();
    const members = [];
    for (let i = 0; i < 12; i++) {
      const v = await t.bridge.directory.create("User", user(`early${i}@example.com`), {});
      members.push({ value: v.view.resource.id, type: "User" as const });
    }
    const g = await t.bridge.directory.create(
      "Group",
      { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Early birds" },
      {},
      { members },
    );
    tableau.stats.reset();
    t.bridge.dispatcher.start();
    await eventually(async () => {
      const { rows } = await t.bridge.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'running')",
      );
      return rows[0]?.n === 0 || undefined;
    }, 20_000);

    const routes = Object.entries(tableau.stats.byRoute).filter(([, n]) => n > 0);
    const site = tableauCheckSite(tableau);
    const groups: { displayName: string; memberTargetIds?: string[] }[] = [];
    for await (const page of site.listGroups()) groups.push(...page);
    await site.close?.();
    expect(groups.find((x) => x.displayName === "Early birds")?.memberTargetIds).toHaveLength(12);

    const audit = (await queryAudit(t.bridge.db, { resourceIds: [g.view.resource.id] }, { limit: 50 })).map(
      (e) => String((e.detail as { detail?: string })?.detail ?? ""),
    );
    expect(audit).toContainEqual(expect.stringMatching(/^created; members follow once provisioned/));
    expect(audit).toContainEqual(expect.stringMatching(/members \+12 -0/));
    expect(Object.fromEntries(routes)).toMatchObject({
      "POST /sites/:siteId/groups": 1,
      "POST /sites/:siteId/groups/:groupId/users": 1,
    });
    // The group was created empty by the bridge, and nothing was sent to it since: its members are not read.
    expect(routes.map(([r]) => r)).not.toContain("GET /sites/:siteId/groups/:groupId/users");
  });
});
