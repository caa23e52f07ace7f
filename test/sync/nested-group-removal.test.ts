// A group removed from another group is still a group: its removal queues no user work for it, so deleting it
// later still deletes its target group (before, the removal was taken for a member user leaving scope, its group
// link was marked deprovisioned, and the later delete found nothing to do). Checks read the Tableau emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe("a nested group removed from its parent", () => {
  let tableau: RunningTableauEmulator;
  let t: TestBridge;
  beforeAll(async () => {
    tableau = await startTableauEmulator({ port: 0 });
    t = await startTestBridge({ targets: [tableauEmulatorTargetConfig(tableau.url)] });
  });
  afterAll(async () => {
    await t?.stop();
    await tableau?.close();
  });

  it("is deleted in the target when it is deleted in SCIM", async () => {
    const site = tableau.server.site("");
    const inner = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Inner" })
      .expect(201);
    const outer = await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Outer", members: [{ value: inner.body.id, type: "Group" }] })
      .expect(201);
    await eventually(() => site.groupByNameCi("Inner") && site.groupByNameCi("Outer"));
    await t.request
      .patch(`/scim/v2/Groups/${outer.body.id}`)
      .set(AUTH)
      .send({
        schemas: [PATCH],
        Operations: [{ op: "remove", path: `members[value eq "${inner.body.id}"]` }],
      })
      .expect((r) => expect([200, 204]).toContain(r.status));
    const idle = async () =>
      !((await t.request.get("/admin/queue").set(ADMIN)).body.queue as { state: string }[]).some((q) =>
        ["pending", "running"].includes(q.state),
      );
    await eventually(idle);
    await t.request.delete(`/scim/v2/Groups/${inner.body.id}`).set(AUTH).expect(204);
    await eventually(() => site.groupByNameCi("Inner") === undefined);
    expect(site.groupByNameCi("Outer")).toBeDefined();
  });
});
