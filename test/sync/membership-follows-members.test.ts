// Failure 5 of issue #10: group memberships in the targets follow each member's current state. Deleting or
// deactivating a member takes them out of the target group; reactivating brings them back; nothing about the
// group itself changes in SCIM. Checks read the emulators back (jsforce, the Tableau REST API).
import type jsforce from "jsforce";
import { beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually } from "../support/bridge.ts";
import { bothEmulators, bridgeOnEmulators } from "../support/emulators.ts";
import { salesforceConnection } from "../support/salesforce.ts";
import { tableauCheckSite } from "../support/tableau.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("group memberships follow their members", () => {
  const emulators = bothEmulators();
  const t = bridgeOnEmulators(emulators);
  let conn: jsforce.Connection;

  beforeAll(async () => {
    conn = await salesforceConnection(emulators.salesforce.url);
  });

  async function tableauMembers(group: string): Promise<string[]> {
    const site = tableauCheckSite(emulators.tableau);
    const names = new Map<string, string>();
    for await (const page of site.listUsers()) for (const a of page) names.set(a.targetId, a.key);
    let members: string[] = [];
    for await (const page of site.listGroups!())
      for (const g of page)
        if (g.displayName === group) members = (g.memberTargetIds ?? []).map((id) => names.get(id) ?? id);
    await site.close?.();
    return members.sort();
  }

  async function salesforceMembers(group: string): Promise<string[]> {
    const groups = await conn.query<{ Id: string }>(`SELECT Id FROM Group WHERE Name = '${group}'`);
    const groupId = groups.records[0]?.Id;
    if (!groupId) return [];
    const rows = await conn.query<{ UserOrGroupId: string }>(
      `SELECT UserOrGroupId FROM GroupMember WHERE GroupId = '${groupId}'`,
    );
    const ids = rows.records.map((r) => r.UserOrGroupId);
    if (!ids.length) return [];
    const users = await conn.query<{ Username: string }>(
      `SELECT Username FROM User WHERE Id IN (${ids.map((id) => `'${id}'`).join(", ")})`,
    );
    return users.records.map((u) => u.Username).sort();
  }

  const idle = () =>
    eventually(async () => {
      const queue = (await t.request.get("/admin/queue").set(ADMIN)).body.queue as { state: string }[];
      return queue.every((q) => q.state === "dead" || q.state === "held");
    });

  const both = async (group: string) => [await tableauMembers(group), await salesforceMembers(group)];

  it("removes a deleted or deactivated member and brings a reactivated one back", async () => {
    const names = ["m-ann@example.com", "m-ben@example.com", "m-cat@example.com"];
    const ids: string[] = [];
    for (const n of names)
      ids.push((await t.request.post("/scim/v2/Users").set(AUTH).send(user(n)).expect(201)).body.id);
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Followers", members: ids.map((value) => ({ value })) })
      .expect(201);
    await idle();
    expect(await both("Followers")).toEqual([names, names]);

    await t.request.delete(`/scim/v2/Users/${ids[0]}`).set(AUTH).expect(204);
    const deactivate = (active: boolean) => ({
      schemas: [PATCH],
      Operations: [{ op: "replace", value: { active } }],
    });
    await t.request.patch(`/scim/v2/Users/${ids[1]}`).set(AUTH).send(deactivate(false)).expect(200);
    await idle();
    expect(await both("Followers")).toEqual([[names[2]], [names[2]]]);

    await t.request.patch(`/scim/v2/Users/${ids[1]}`).set(AUTH).send(deactivate(true)).expect(200);
    await idle();
    expect(await both("Followers")).toEqual([names.slice(1), names.slice(1)]);
  });
});
