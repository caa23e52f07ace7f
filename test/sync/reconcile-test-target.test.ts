import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile } from "../../src/sync/reconcile/index.ts";
import { user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";
import { byStatus, depsOf, item } from "./reconcile-fixtures.ts";

describe("reconcile against a plain target", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({ targets: [{ name: "acct", kind: "test", url: target.url }] });
    for (const name of ["ann", "ben", "cat", "dan"]) {
      ids[name] = (
        await t.request
          .post("/scim/v2/Users")
          .set(AUTH)
          .send(user(`${name}@example.com`))
      ).body.id;
    }
    await eventually(() => target.accounts.size === 4);
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  const account = (key: string) => [...target.accounts.values()].find((a) => a.key === key);
  const post = (key: string, active = true) =>
    fetch(`${target.url}/accounts`, {
      method: "POST",
      body: JSON.stringify({ key, fields: { userName: key }, active }),
    });

  it("reports everything in sync when nothing changed", async () => {
    const r = await reconcile(depsOf(t), { target: "acct" });
    expect(r.users["in-sync"]).toBe(4);
    expect(r.items).toEqual([]);
  });

  it("classifies drift, missing, gone, unmanaged and found-unlinked accounts in a dry run without changing anything", async () => {
    account("ann@example.com")!.fields.name = { givenName: "Changed behind our back", familyName: "ann" };
    account("ben@example.com")!.active = false;
    target.accounts.delete(account("cat@example.com")!.id);
    await post("stranger@example.com");
    // A store user whose account was never made (the target refused it at the time) and one made by hand.
    target.rejectKeys.add("eve@example.com");
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("eve@example.com"));
    target.rejectKeys.delete("eve@example.com");
    target.rejectKeys.add("fay@example.com");
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("fay@example.com"));
    target.rejectKeys.delete("fay@example.com");
    await post("fay@example.com");
    const before = target.log.length;

    const r = await reconcile(depsOf(t), { target: "acct" });
    expect(byStatus(r)).toEqual({
      drifted: ["ann@example.com", "ben@example.com"],
      gone: ["cat@example.com"],
      unmanaged: ["stranger@example.com"],
      "found-unlinked": ["fay@example.com"],
      missing: ["eve@example.com"],
    });
    expect(item(r, "ann@example.com")?.fields).toEqual(["name"]);
    expect(item(r, "ben@example.com")?.fields).toEqual(["active"]);
    expect(r.users["in-sync"]).toBe(1);
    expect(r.enqueued).toEqual({ provision: 0, deprovision: 0, held: 0 });
    expect(target.log.length).toBe(before);
  });

  it("repairs with apply: re-provisions, links instead of duplicating, and leaves unmanaged accounts alone", async () => {
    const noted = t.bridge.outboxStatistics.noted;
    const r = await reconcile(depsOf(t), { target: "acct", apply: true });
    expect(r.enqueued.provision).toBe(5);
    // The repairs count toward refreshing the outbox's statistics (sync/outbox-statistics.ts).
    expect(t.bridge.outboxStatistics.noted - noted).toBe(5);
    await eventually(async () => (await reconcile(depsOf(t), { target: "acct" })).items.length === 1);
    expect(account("ann@example.com")?.fields.name).toEqual({ givenName: "Test", familyName: "ann" });
    expect(account("ben@example.com")?.active).toBe(true);
    expect(account("cat@example.com")?.active).toBe(true);
    expect([...target.accounts.values()].filter((a) => a.key === "fay@example.com")).toHaveLength(1);
    expect(account("eve@example.com")).toBeDefined();
    expect(account("stranger@example.com")?.active).toBe(true);
    const after = await reconcile(depsOf(t), { target: "acct" });
    expect(byStatus(after)).toEqual({ unmanaged: ["stranger@example.com"] });
  });

  it("deprovisions unmanaged accounts only when the policy says so, through the circuit breaker", async () => {
    for (let i = 0; i < 4; i++) await post(`extra${i}@example.com`);
    const r = await reconcile(depsOf(t, { maxDeprovisions: 3, maxPercent: 0 }), {
      target: "acct",
      apply: true,
      deprovisionUnmanaged: true,
    });
    expect(r.users.unmanaged).toBe(5);
    // Five deprovisions at once pass a limit of three: all are held for an admin.
    expect(r.enqueued).toEqual({ provision: 0, deprovision: 0, held: 5 });
    await new Promise((res) => setTimeout(res, 200));
    expect(account("stranger@example.com")?.active).toBe(true);
    const held = (
      await t.request
        .get("/admin/held?target=acct")
        .set({ Authorization: "Bearer bridge-admin-token-0123456789" })
    ).body.held;
    expect(held).toHaveLength(5);
    await t.request
      .post("/admin/targets/acct/release")
      .set({ Authorization: "Bearer bridge-admin-token-0123456789" })
      .send({});
    await eventually(() => account("stranger@example.com")?.active === false);
    expect(account(`extra3@example.com`)?.active).toBe(false);
  });

  it("names a deleted user whose account is active again as drifted and deprovisions it", async () => {
    await t.request.delete(`/scim/v2/Users/${ids.dan}`).set(AUTH).expect(204);
    await eventually(() => account("dan@example.com")?.active === false);
    account("dan@example.com")!.active = true;
    const r = await reconcile(depsOf(t), { target: "acct", apply: true });
    expect(item(r, "dan@example.com")).toMatchObject({
      status: "drifted",
      fields: ["active"],
      repair: "deprovision",
    });
    await eventually(() => account("dan@example.com")?.active === false);
  });
});
