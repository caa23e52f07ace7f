import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

describe("deletion circuit breaker", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "guarded", kind: "test", url: target.url }],
      config: {
        sync: {
          pollMs: 20,
          waitForDeliveryMs: 2000,
          breaker: { windowMinutes: 60, maxDeprovisions: 5, maxPercent: 0 },
        },
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  it("holds deprovisions past the threshold, shows them, and lets an admin release them", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`mass${i}@example.com`))
        ).body.id,
      );
    for (const id of ids) await t.request.delete(`/scim/v2/Users/${id}`).set(AUTH).expect(204);

    const inactive = () => [...target.accounts.values()].filter((a) => !a.active).length;
    await eventually(() => inactive() === 5);
    const held = (await t.request.get("/admin/held?target=guarded").set(ADMIN)).body.held;
    expect(held).toHaveLength(7);
    const queue = (await t.request.get("/admin/queue").set(ADMIN)).body.queue;
    expect(queue).toContainEqual({ target: "guarded", state: "held", count: 7 });
    await new Promise((r) => setTimeout(r, 150)); // several poll intervals: held work must stay held
    expect(inactive()).toBe(5);

    const released = await t.request.post("/admin/targets/guarded/release").set(ADMIN).send({});
    expect(released.body).toEqual({ target: "guarded", released: 7 });
    await eventually(() => inactive() === 12);
  });

  it("requires the admin token for the admin API", async () => {
    const res = await t.request.get("/admin/queue").set(AUTH);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
  });
});

describe("deletion circuit breaker after a release", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "staff", kind: "test", url: target.url, scope: 'groups[display eq "Staff"]' }],
      config: {
        sync: {
          pollMs: 20,
          waitForDeliveryMs: 2000,
          breaker: { windowMinutes: 60, maxDeprovisions: 3, maxPercent: 0 },
        },
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  it("does not count released (approved) deprovisions toward the window", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++)
      ids.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`staff${i}@example.com`))
        ).body.id,
      );
    const group = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
          displayName: "Staff",
          members: ids.map((value) => ({ value })),
        })
        .expect(201)
    ).body.id;
    const active = () => [...target.accounts.values()].filter((a) => a.kind === "user" && a.active).length;
    await eventually(() => active() === 9);

    // One write takes 8 users out of scope: more than 3 at once, so all 8 are held.
    const removeMembers = (members: string[]) =>
      t.request
        .patch(`/scim/v2/Groups/${group}`)
        .set(AUTH)
        .send({
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: members.map((id) => ({ op: "remove", path: `members[value eq "${id}"]` })),
        })
        .expect((r) => expect(r.status).toBeLessThan(300));
    await removeMembers(ids.slice(0, 8));
    expect((await t.request.get("/admin/held?target=staff").set(ADMIN)).body.held).toHaveLength(8);
    expect((await t.request.post("/admin/targets/staff/release").set(ADMIN).send({})).body.released).toBe(8);
    await eventually(() => active() === 1);

    // The admin approved those 8: the next deprovision is the first the breaker counts, and goes through.
    await removeMembers([ids[8]!]);
    expect((await t.request.get("/admin/held?target=staff").set(ADMIN)).body.held).toEqual([]);
    await eventually(() => active() === 0);
  });
});
