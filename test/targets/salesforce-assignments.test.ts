import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import type { Operation } from "../../src/targets/target.ts";
import {
  doneId,
  type SalesforceTarget,
  salesforceTarget,
  scimUser,
  startOrg,
  upsert,
} from "./salesforce-fixtures.ts";

let emu: RunningSalesforceEmulator;
let target: SalesforceTarget;

beforeAll(async () => {
  emu = await startOrg();
  target = salesforceTarget(emu, {
    mapping: {
      fields: { ProfileId: { const: "Chatter Free User" } },
      groupRules: [
        { group: "Sales", set: { ProfileId: "Standard User", permissionSets: ["Sales_Cloud_User"] } },
        { group: "Marketing", set: { permissionSets: ["Marketing User"] } },
        { group: "Admins", set: { ProfileId: "System Administrator" } },
      ],
    },
  });
});
afterAll(() => emu.close());

const SF_URN = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
const profileOf = (id: string) => emu.org.get("User", id)?.ProfileId;
const assignedSets = (userId: string) =>
  [...emu.org.table("PermissionSetAssignment").rows.values()]
    .filter((a) => a.AssigneeId === userId)
    .map((a) => emu.org.get("PermissionSet", String(a.PermissionSetId))?.Name)
    .filter((n) => !String(n).startsWith("X"))
    .sort();

describe("Salesforce target: profiles", () => {
  it("takes the profile from the first matching group rule, else the mapping's default", async () => {
    const [sales, plain] = await target.apply([
      upsert(scimUser("seller@example.com", {}, { groups: ["Sales", "Admins"] })),
      upsert(scimUser("reader@example.com")),
    ]);
    expect(profileOf(doneId(sales))).toBe(emu.org.profileId("Standard User"));
    expect(profileOf(doneId(plain))).toBe(emu.org.profileId("Chatter Free User"));
  });

  it("lets the Salesforce extension and SCIM entitlements choose the profile", async () => {
    const admin = emu.org.profileId("System Administrator");
    const [byExtension, byEntitlement] = await target.apply([
      upsert(
        scimUser(
          "ext@example.com",
          { [SF_URN]: { ProfileId: "System Administrator" } },
          { groups: ["Sales"] },
        ),
      ),
      upsert(scimUser("ent@example.com", { entitlements: [{ value: admin, type: "profile" }] })),
    ]);
    expect(profileOf(doneId(byExtension))).toBe(admin);
    expect(profileOf(doneId(byEntitlement))).toBe(admin);
  });

  it("fails a user whose profile name does not exist, without holding up the rest of the batch", async () => {
    const [bad, good] = await target.apply([
      upsert(scimUser("ghost@example.com", { [SF_URN]: { ProfileId: "No Such Profile" } })),
      upsert(scimUser("fine@example.com")),
    ]);
    expect(bad).toMatchObject({ status: "failed", code: "PROFILE_NOT_FOUND" });
    expect(good?.status).toBe("done");
  });
});

describe("Salesforce target: permission sets", () => {
  it("assigns the sets the rules grant and removes them when the rule no longer applies, leaving hand-made ones", async () => {
    const scim = scimUser("pat@example.com", {}, { groups: ["Sales", "Marketing"] });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    expect(assignedSets(id)).toEqual(["Marketing_User", "Sales_Cloud_User"]);

    // An admin's own assignment is not the bridge's to take away.
    emu.org.insert("PermissionSetAssignment", {
      AssigneeId: id,
      PermissionSetId: emu.org.permissionSetId("Knowledge_Author"),
    });
    await target.apply([upsert({ ...scim, groups: ["Sales"] }, id)]);
    expect(assignedSets(id)).toEqual(["Knowledge_Author", "Sales_Cloud_User"]);
    expect(profileOf(id)).toBe(emu.org.profileId("Standard User"));
  });

  it("takes away a set whose group the user left even when the user's record is refused in the same write", async () => {
    const scim = scimUser("left@example.com", {}, { groups: ["Sales", "Marketing"] });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    expect(assignedSets(id)).toEqual(["Marketing_User", "Sales_Cloud_User"]);
    // The user leaves Marketing; the same write names a profile the org does not have.
    const [outcome] = await target.apply([
      upsert(
        { ...scim, groups: ["Sales"], data: { ...scim.data, [SF_URN]: { ProfileId: "No Such Profile" } } },
        id,
      ),
    ]);
    expect(outcome).toMatchObject({ status: "failed", code: "PROFILE_NOT_FOUND" });
    expect(assignedSets(id)).toEqual(["Sales_Cloud_User"]);
  });

  it("takes away a set whose group the user left when Salesforce refuses the user's own update", async () => {
    const scim = scimUser("nolicence@example.com", {}, { groups: ["Marketing"] });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    expect(assignedSets(id)).toEqual(["Marketing_User"]);
    // Moving to Sales needs a Salesforce licence, and the org has none left: the update is refused.
    const licences = emu.org.table("UserLicense");
    const salesforce = licences.rows.get(licences.lookup("Name", "Salesforce")?.[0] ?? "")!;
    licences.put({ ...salesforce, TotalLicenses: Number(salesforce.UsedLicenses) });
    try {
      const [outcome] = await target.apply([upsert({ ...scim, groups: ["Sales"] }, id)]);
      expect(outcome).toMatchObject({ code: "LICENSE_LIMIT_EXCEEDED" });
      expect(profileOf(id)).toBe(emu.org.profileId("Chatter Free User"));
      expect(assignedSets(id)).not.toContain("Marketing_User");
    } finally {
      licences.put(salesforce);
    }
  });

  it("does not assign a permission set twice when the same user is provisioned again", async () => {
    const scim = scimUser("dup@example.com", {}, { groups: ["Marketing"] });
    const id = doneId((await target.apply([upsert(scim)]))[0]);
    // Re-running as if the link were lost: correlation finds the user; the assignment is already there.
    const [again] = await target.apply([upsert(scim)]);
    expect(again).toMatchObject({
      status: "done",
      targetId: id,
      match: { by: "FederationIdentifier", targetId: id },
      action: "unchanged",
    });
    expect(assignedSets(id)).toEqual(["Marketing_User"]);
  });

  it("keeps the user linked when a permission set is unknown, and says so in the outcome", async () => {
    const [outcome] = await target.apply([
      upsert(
        scimUser(
          "odd@example.com",
          { [SF_URN]: { permissionSets: ["Nope_Set"] } },
          { groups: ["Marketing"] },
        ),
      ),
    ]);
    expect(outcome).toMatchObject({ status: "done", detail: expect.stringContaining('"Nope_Set"') });
    expect(assignedSets(doneId(outcome))).toEqual(["Marketing_User"]);
  });
});

describe("Salesforce target: public groups", () => {
  const group = (displayName: string, memberTargetIds: string[], targetId?: string): Operation => ({
    kind: "group.upsert",
    key: displayName,
    group: { scimId: `g-${displayName}`, displayName, memberTargetIds },
    ...(targetId ? { targetId } : {}),
  });
  const membersOf = (groupId: string) =>
    [...emu.org.table("GroupMember").rows.values()]
      .filter((m) => m.GroupId === groupId)
      .map((m) => String(m.UserOrGroupId))
      .sort();

  it("creates a public group with its members, then keeps membership to exactly the linked members", async () => {
    const outcomes = await target.apply([
      upsert(scimUser("m1@example.com")),
      upsert(scimUser("m2@example.com")),
      upsert(scimUser("m3@example.com")),
    ]);
    const [a, b, c] = outcomes.map(doneId) as [string, string, string];
    const gid = doneId((await target.apply([group("EMEA Sales & Ops", [a, b])]))[0]);
    expect(emu.org.get("Group", gid)).toMatchObject({ Name: "EMEA Sales & Ops", Type: "Regular" });
    expect(String(emu.org.get("Group", gid)?.DeveloperName)).toMatch(/^EMEA_Sales_Ops_[0-9a-f]{6}$/);
    expect(membersOf(gid)).toEqual([a, b].sort());

    await target.apply([group("EMEA Sales & Ops", [b, c], gid)]);
    expect(membersOf(gid)).toEqual([b, c].sort());
  });

  it("links an existing public group by name instead of creating a second one, and renames a linked group", async () => {
    const existing = emu.org.insert("Group", { Name: "Finance", DeveloperName: "Finance", Type: "Regular" });
    const gid = doneId((await target.apply([group("Finance", [])]))[0]);
    expect(gid).toBe(existing.Id);
    await target.apply([group("Finance & Legal", [], gid)]);
    expect(emu.org.get("Group", gid)?.Name).toBe("Finance & Legal");
    expect(
      [...emu.org.table("Group").rows.values()].filter((g) => String(g.Name).startsWith("Finance")),
    ).toHaveLength(1);
  });

  it("deletes the public group on group.delete, and a second delete is still done", async () => {
    const gid = doneId((await target.apply([group("Temporary", [])]))[0]);
    expect(await target.apply([{ kind: "group.delete", key: "t", targetId: gid }])).toEqual([
      { status: "done", targetId: gid },
    ]);
    expect(emu.org.get("Group", gid)).toBeUndefined();
    expect((await target.apply([{ kind: "group.delete", key: "t", targetId: gid }]))[0]?.status).toBe("done");
  });

  it("lists public groups with their members", async () => {
    const groups = [];
    for await (const page of target.listGroups?.() ?? []) groups.push(...page);
    const emea = groups.find((g) => g.displayName === "EMEA Sales & Ops");
    expect(emea?.memberTargetIds).toHaveLength(2);
  });
});
