import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("delivery to targets on %s", (backend) => {
  let everyone: RunningTestTarget;
  let scoped: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    everyone = await startTestTarget();
    scoped = await startTestTarget();
    t = await startTestBridge({
      backend,
      targets: [
        { name: "everyone", kind: "test", url: everyone.url },
        { name: "tableau-users", kind: "test", url: scoped.url, scope: 'groups[display eq "Tableau Users"]' },
      ],
    });
  });
  afterAll(async () => {
    await t.stop();
    await everyone.close();
    await scoped.close();
  });

  const accountsOf = (target: RunningTestTarget, key: string) =>
    [...target.accounts.values()].filter((a) => a.key === key);

  it("provisions a created user and answers with its per-target status", async () => {
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("ann@example.com"));
    expect(res.status).toBe(201);
    const status = res.body[PROV].targets;
    expect(status).toEqual([
      expect.objectContaining({ target: "everyone", state: "synced", targetId: expect.any(String) }),
    ]);
    expect(accountsOf(everyone, "ann@example.com")).toHaveLength(1);
    expect(accountsOf(scoped, "ann@example.com")).toHaveLength(0);
    expect(res.body.schemas).toContain(PROV);
  });

  it("sends updates and deactivation to the same account, never a second one", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("ben@example.com"))).body;
    await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send(user("ben@example.com", { title: "Boss" }))
      .expect(200);
    await t.request
      .patch(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] })
      .expect(200);
    const [account, ...others] = accountsOf(everyone, "ben@example.com");
    expect(others).toHaveLength(0);
    expect(account?.fields.title).toBe("Boss");
    expect(account?.active).toBe(false);
  });

  it("provisions a user who enters a target's scope through a group, and deprovisions one who leaves", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("cat@example.com"))).body;
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Tableau Users" })
    ).body;
    await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: u.id }] }] })
      .expect(204);
    const account = await eventually(() => accountsOf(scoped, "cat@example.com")[0]);
    expect(account.active).toBe(true);
    const status = (await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH)).body[PROV].targets;
    expect(status.map((s: { target: string }) => s.target).sort()).toEqual(["everyone", "tableau-users"]);

    await t.request
      .patch(`/scim/v2/Groups/${g.id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${u.id}"]` }] })
      .expect(204);
    await eventually(() => accountsOf(scoped, "cat@example.com")[0]?.active === false);
    expect(accountsOf(everyone, "cat@example.com")[0]?.active).toBe(true);
  });

  it("provisions groups with the target ids of their members", async () => {
    const a = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("dan@example.com"))).body;
    const g = (
      await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({ schemas: [GROUP], displayName: "Analysts", members: [{ value: a.id }] })
    ).body;
    const group = await eventually(() =>
      [...everyone.accounts.values()].find((x) => x.kind === "group" && x.key === "Analysts"),
    );
    expect(group.members).toEqual([accountsOf(everyone, "dan@example.com")[0]?.id]);
    await t.request.delete(`/scim/v2/Groups/${g.id}`).set(AUTH).expect(204);
    await eventually(
      () => ![...everyone.accounts.values()].some((x) => x.kind === "group" && x.key === "Analysts"),
    );
  });

  it("deactivates (never deletes) a user deleted in SCIM", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("eve@example.com"))).body;
    await t.request.delete(`/scim/v2/Users/${u.id}`).set(AUTH).expect(204);
    await eventually(() => accountsOf(everyone, "eve@example.com")[0]?.active === false);
    expect(accountsOf(everyone, "eve@example.com")).toHaveLength(1);
  });

  it("links an account that already exists in the target instead of creating a duplicate", async () => {
    await fetch(`${everyone.url}/accounts`, {
      method: "POST",
      body: JSON.stringify({ key: "fay@example.com", fields: {}, active: false }),
    });
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("fay@example.com")).expect(201);
    const accounts = accountsOf(everyone, "fay@example.com");
    expect(accounts).toHaveLength(1);
    expect(accounts[0]?.active).toBe(true);
  });

  it("records the write and every target outcome in the audit log, without secrets", async () => {
    const u = (
      await t.request
        .post("/scim/v2/Users")
        .set(AUTH)
        .set("X-Request-Id", "audit-req-1")
        .send({ ...user("gus@example.com"), password: "Pa55-secret!" })
    ).body;
    const events = (await t.request.get(`/admin/audit?resourceId=${u.id}`).set(ADMIN)).body.events;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "scim.user.create",
          actor: "test",
          requestId: "audit-req-1",
          outcome: "accepted",
        }),
        expect.objectContaining({
          action: "target.deliver",
          target: "everyone",
          outcome: "synced",
          requestId: "audit-req-1",
        }),
      ]),
    );
    expect(JSON.stringify(events)).not.toContain("Pa55-secret!");
  });

  it("exposes queue depth, delivery outcomes and accept-to-synced latency as metrics", async () => {
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("metrics@example.com")).expect(201);
    const text = (await t.request.get("/metrics")).text;
    expect(text).toMatch(/scim_bridge_deliveries_total\{target="everyone",outcome="done"\} \d+/);
    expect(text).toMatch(/scim_bridge_delivery_latency_seconds_count\{target="everyone"\} \d+/);
    expect(text).toContain("# TYPE scim_bridge_outbox_jobs gauge");
  });
});
