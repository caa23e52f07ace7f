// A group write queues work for its members' accounts only in the targets where membership can change an account:
// one whose mapping has group rules, or one with a scope. Elsewhere the group's own job carries the membership, and a
// job per member (50,000 for a large group, per target) would only cost the IdP's write and the queue time. Checked
// through the admin API's job list and the targets' own REST APIs.
import { describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";
import { tableauCheckSite } from "../support/tableau.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

describe("a group write queues member work only where membership can change an account", () => {
  const emulators = bothEmulators();

  /** Per target, the User jobs the bridge has queued so far (any state). */
  async function userJobs(t: TestBridge): Promise<Record<string, number>> {
    const res = await t.request.get("/admin/jobs?limit=1000").set(ADMIN);
    expect(res.status).toBe(200);
    const counts: Record<string, number> = {};
    for (const j of res.body.jobs as { target: string; resourceType: string }[])
      if (j.resourceType === "User") counts[j.target] = (counts[j.target] ?? 0) + 1;
    return counts;
  }

  async function tableauMembers(group: string): Promise<number> {
    const site = tableauCheckSite(emulators.tableau);
    let members = 0;
    for await (const page of site.listGroups!())
      for (const g of page) if (g.displayName === group) members = g.memberTargetIds?.length ?? 0;
    await site.close?.();
    return members;
  }

  async function groupOfThree(t: TestBridge, name: string) {
    const ids: string[] = [];
    for (const i of [1, 2, 3]) {
      const res = await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .send(user(`${name.toLowerCase()}${i}@example.com`));
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    const before = await userJobs(t);
    const group = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: name, members: ids.map((value) => ({ value })) });
    expect(group.status).toBe(201);
    return { before, after: await userJobs(t) };
  }

  it("without group rules or scopes: none, and the group still reaches the target with its members", async () => {
    const t = await startTestBridge({ targets: emulators.targets() });
    try {
      const { before, after } = await groupOfThree(t, "Plain");
      expect(before).toEqual({ tableau: 3, salesforce: 3 });
      expect(after).toEqual(before);
      expect(await eventually(async () => ((await tableauMembers("Plain")) === 3 ? 3 : undefined))).toBe(3);
    } finally {
      await t.stop();
    }
  });

  it("with a group rule in one target's mapping: one job per member there, none in the other", async () => {
    const t = await startTestBridge({
      targets: emulators.targets({
        salesforce: {
          mapping: { fields: {}, groupRules: [{ group: "Ruled", set: { ProfileId: "Standard User" } }] },
        },
      }),
    });
    try {
      const { before, after } = await groupOfThree(t, "Ruled");
      expect(after).toEqual({ tableau: before.tableau, salesforce: (before.salesforce ?? 0) + 3 });
    } finally {
      await t.stop();
    }
  });

  it("with a scope on one target: one job per member there (the scope may name groups)", async () => {
    const t = await startTestBridge({
      targets: emulators.targets({ tableau: { scope: 'userName ew "@example.com"' } }),
    });
    try {
      const { before, after } = await groupOfThree(t, "Scoped");
      expect(after).toEqual({ tableau: (before.tableau ?? 0) + 3, salesforce: before.salesforce });
    } finally {
      await t.stop();
    }
  });
});
