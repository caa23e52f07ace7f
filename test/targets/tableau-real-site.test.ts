// The target suite against a real Tableau site: runs only when TABLEAU_SERVER_URL and credentials are
// set (see tableauConfigFromEnv). It adds users and groups named scim-bridge-test-<run>… and removes them.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryPolicy } from "../../src/sync/retry.ts";
import type { TableauTargetConfig } from "../../src/targets/tableau/index.ts";
import {
  createTableauTarget,
  type TableauTarget,
  tableauConfigFromEnv,
} from "../../src/targets/tableau/index.ts";
import { deprovision, scimGroup, scimUser, targetIdOf, upsertGroup, upsertUser } from "./tableau-fixtures.ts";

const enabled = Boolean(process.env.TABLEAU_SERVER_URL);
if (!enabled) {
  console.info(
    "tableau-real-site: skipped — set TABLEAU_SERVER_URL, TABLEAU_SITE and a PAT (TABLEAU_PAT_NAME/SECRET) or " +
      "connected app (TABLEAU_JWT_*) to run the Tableau target suite against a real site.",
  );
}

describe.skipIf(!enabled)("Tableau target against a real site", () => {
  const run = Date.now().toString(36);
  const domain = process.env.TABLEAU_TEST_EMAIL_DOMAIN ?? "example.com";
  const userName = `scim-bridge-test-${run}@${domain}`;
  let config: TableauTargetConfig;
  let target: TableauTarget;
  let remover: TableauTarget;
  let userId = "";
  let groupId = "";

  beforeAll(() => {
    config = tableauConfigFromEnv(process.env) as TableauTargetConfig;
    config = {
      ...config,
      mapping: { fields: {}, groupRules: [{ group: "Analysts", set: { siteRole: "Explorer" } }] },
    };
    target = createTableauTarget(config, { retry: retryPolicy });
    remover = createTableauTarget(
      { ...config, policies: { ...config.policies, deprovision: "remove" } },
      { retry: retryPolicy },
    );
  });
  afterAll(async () => {
    // Clean up whatever the suite created, even after a failure.
    if (groupId) await target.apply([{ kind: "group.delete", key: "cleanup", targetId: groupId }]);
    if (userId) await remover.apply([deprovision(userId)]);
    await target?.close?.();
    await remover?.close?.();
  });

  it("passes check()", async () => {
    const checks = await target.check();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it("creates a user, then links the same name instead of adding it twice", async () => {
    userId = targetIdOf((await target.apply([upsertUser(scimUser(userName))]))[0]);
    const again = await target.apply([upsertUser(scimUser(userName.toUpperCase()))]);
    expect(targetIdOf(again[0])).toBe(userId);
  });

  it("raises the role by group rule, unlicenses on deprovision and restores the role", async () => {
    const analyst = scimUser(userName, { groups: ["Analysts"] });
    await target.apply([upsertUser(analyst, userId)]);
    let account = await find(target, userId);
    expect(account?.fields.siteRole).toBe("Explorer");
    await target.apply([deprovision(userId)]);
    account = await find(target, userId);
    expect(account?.active).toBe(false);
    await target.apply([upsertUser(analyst, userId)]);
    expect((await find(target, userId))?.fields.siteRole).toBe("Explorer");
  });

  it("creates, renames and empties a group", async () => {
    groupId = targetIdOf(
      (await target.apply([upsertGroup(scimGroup(`scim-bridge-test-${run}`, [userId]))]))[0],
    );
    const renamed = `scim-bridge-test-${run}-renamed`;
    expect((await target.apply([upsertGroup(scimGroup(renamed, []), groupId)]))[0]).toMatchObject({
      status: "done",
      detail: "updated; members +0 -1",
    });
  });
});

async function find(target: TableauTarget, id: string) {
  for await (const page of target.listUsers()) {
    const hit = page.find((a) => a.targetId === id);
    if (hit) return hit;
  }
  return undefined;
}
