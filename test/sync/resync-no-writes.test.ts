// Delivering an unchanged store again costs reads only: no call that changes nothing, in either target, even for
// fields a target holds back (Tableau Cloud's display name, a Salesforce email change awaiting confirmation).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import type { RunningTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { reconcile } from "../../src/sync/reconcile/index.ts";
import { enqueueRepairs } from "../../src/sync/reconcile/repairs.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";
import { depsOf } from "./reconcile-fixtures.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// Tableau Cloud ignores fullName; the org holds email changes until the user confirms them.
const emulators = bothEmulators({
  tableau: { edition: "cloud" },
  salesforce: { emailChangeNeedsConfirmation: true },
});
let tableau: RunningTableauEmulator;
let salesforce: RunningSalesforceEmulator;
let t: TestBridge;
const userIds: string[] = [];
const groupIds: string[] = [];

const openJobs = async () =>
  Number(
    (
      await t.bridge.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbox WHERE state IN ('pending', 'running')",
      )
    ).rows[0]?.n,
  );
const allDelivered = async () => (await openJobs()) === 0;

/** Everything the Salesforce org holds that a write could change. */
const orgState = () =>
  JSON.stringify(
    ["User", "Group", "GroupMember", "PermissionSetAssignment"].map((type) => salesforce.org.find(type, {})),
  );
const tableauWrites = () =>
  Object.entries(tableau.stats.byRoute).filter(([route, n]) => n > 0 && !/^GET |\/auth\//.test(route));

beforeAll(async () => {
  tableau = emulators.tableau;
  salesforce = emulators.salesforce;
  t = await startTestBridge({ targets: emulators.targets() });
  for (let i = 0; i < 15; i++) {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user(`same${i}@example.com`));
    userIds.push(res.body.id);
  }
  for (const [name, members] of [
    ["Resync A", userIds.slice(0, 5)],
    ["Resync B", userIds.slice(5, 12)],
  ] as const) {
    const res = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: name, members: members.map((value) => ({ value })) });
    groupIds.push(res.body.id);
  }
  await eventually(allDelivered, 30_000);
  // An email change Salesforce will hold, then every user delivered again so each link learns what it holds.
  await t.request
    .patch(`/scim/v2/Users/${userIds[0]}`)
    .set(AUTH)
    .send({
      schemas: [PATCH],
      Operations: [{ op: "replace", path: "emails", value: [{ value: "new0@example.com", primary: true }] }],
    })
    .expect(200);
  await eventually(allDelivered, 30_000);
});
afterAll(async () => {
  await t.stop();
});

async function resyncEverything() {
  await enqueueRepairs(
    t.bridge.db,
    "tableau",
    [
      ...userIds.map((id) => ({ type: "User" as const, resourceId: id, action: "provision" as const })),
      ...groupIds.map((id) => ({ type: "Group" as const, resourceId: id, action: "provision" as const })),
    ],
    { windowMs: 3_600_000, maxCount: 100, maxPercent: 0 },
    "resync-test",
  );
  await enqueueRepairs(
    t.bridge.db,
    "salesforce",
    [
      ...userIds.map((id) => ({ type: "User" as const, resourceId: id, action: "provision" as const })),
      ...groupIds.map((id) => ({ type: "Group" as const, resourceId: id, action: "provision" as const })),
    ],
    { windowMs: 3_600_000, maxCount: 100, maxPercent: 0 },
    "resync-test",
  );
  t.bridge.dispatcher.kick();
  await eventually(allDelivered, 30_000);
}

describe("a re-sync of an unchanged store", () => {
  it("sends no write to Tableau or Salesforce, twice over", async () => {
    const sfUser0 = salesforce.org.users().find((u) => u.Username === "same0@example.com");
    // Held, not applied: the org still shows the old address, the site its own display name.
    expect(sfUser0?.Email).toBe("same0@example.com");
    expect(salesforce.org.pendingEmails.get(String(sfUser0?.Id))).toBe("new0@example.com");
    expect(tableau.server.site("").userByNameCi("same3@example.com")?.fullName).toBe("");

    for (let round = 0; round < 2; round++) {
      tableau.stats.reset();
      salesforce.stats.reset();
      const before = orgState();
      await resyncEverything();
      expect(tableauWrites()).toEqual([]);
      expect(orgState()).toBe(before);
      // Reads happened: the re-sync really ran against both.
      expect(tableau.stats.apiCalls).toBeGreaterThan(0);
      expect(salesforce.stats.apiCalls).toBeGreaterThan(0);
    }
  });

  it("reports held fields as in sync, and a confirmed email needs nothing either", async () => {
    for (const target of ["tableau", "salesforce"]) {
      const report = await reconcile(depsOf(t), { target });
      expect(report.users.drifted).toBe(0);
    }
    const sfUser0 = salesforce.org.users().find((u) => u.Username === "same0@example.com");
    salesforce.org.confirmEmail(String(sfUser0?.Id));
    salesforce.stats.reset();
    const before = orgState();
    await resyncEverything();
    expect(orgState()).toBe(before);
    expect((await reconcile(depsOf(t), { target: "salesforce" })).users.drifted).toBe(0);
  });
});
