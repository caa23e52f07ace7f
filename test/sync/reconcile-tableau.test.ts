import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  startTableauEmulator,
  tableauEmulatorTargetConfig,
} from "../../src/emulators/tableau/index.ts";
import { reconcile } from "../../src/sync/reconcile/index.ts";
import { postUsers, user } from "../support/app.ts";
import { AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { byStatus, depsOf, item } from "./reconcile-fixtures.ts";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

describe("reconcile a Tableau site changed behind the bridge's back", () => {
  let tableau: RunningTableauEmulator;
  let t: TestBridge;
  beforeAll(async () => {
    tableau = await startTableauEmulator({ port: 0 });
    t = await startTestBridge({ targets: [tableauEmulatorTargetConfig(tableau.url)] });
    const ids = await postUsers(t.request, AUTH, ["ann", "ben", "cat", "dan"]);
    await t.request
      .post("/scim/v2/Groups")
      .set(AUTH)
      .send({ schemas: [GROUP], displayName: "Sales", members: [{ value: ids[0] }] });
    await eventually(() => tableau.server.site("").groupByNameCi("Sales"));
  });
  afterAll(async () => {
    await t.stop();
    await tableau.close();
  });

  const site = () => tableau.server.site("");
  const byName = (n: string) => site().userByNameCi(n)!;

  it("reports drifted fields, removed users and hand-made accounts, and repairs them with apply", async () => {
    site().updateUser(byName("ann@example.com").id, { fullName: "Someone Else", siteRole: "Creator" });
    site().removeUser(byName("ben@example.com").id);
    site().addUser({ name: "stranger@example.com", siteRole: "Viewer" });
    site().addMember(site().groupByNameCi("Sales")!.id, byName("cat@example.com").id);
    const dry = await reconcile(depsOf(t), { target: "tableau" });
    expect(byStatus(dry)).toEqual({
      drifted: ["ann@example.com"],
      gone: ["ben@example.com"],
      unmanaged: ["admin@example.com", "stranger@example.com"],
    });
    expect(item(dry, "ann@example.com")?.fields).toEqual(["fullName", "siteRole"]);
    expect(byStatus(dry, "Group")).toEqual({ drifted: ["Sales"] });
    expect(item(dry, "Sales")?.fields).toEqual(["members"]);
    expect(dry.users["in-sync"]).toBe(2);
    // A dry run changes nothing.
    expect(byName("ann@example.com").fullName).toBe("Someone Else");

    const applied = await reconcile(depsOf(t), { target: "tableau", apply: true });
    expect(applied.enqueued.provision).toBe(3);
    await eventually(async () => (await reconcile(depsOf(t), { target: "tableau" })).users.drifted === 0);
    await eventually(() => site().userByNameCi("ben@example.com"));
    expect(byName("ann@example.com")).toMatchObject({ siteRole: "Viewer", fullName: "Test ann" });
    expect(byName("stranger@example.com").siteRole).toBe("Viewer");
    await eventually(() => !site().isMember(site().groupByNameCi("Sales")!.id, byName("cat@example.com").id));
    const after = await reconcile(depsOf(t), { target: "tableau" });
    expect(byStatus(after)).toEqual({ unmanaged: ["admin@example.com", "stranger@example.com"] });
    expect(byStatus(after, "Group")).toEqual({});
  });

  it("finds a store user missing from the site and an existing site user with the same name, and links it", async () => {
    site().addUser({ name: "eve@example.com", siteRole: "Explorer", fullName: "Eve Existing" });
    // eve is written to the store directly, as if the bridge had been down: no job, no link.
    tableau.setFaults({ errorRate: 1 });
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("eve@example.com")).expect(201);
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("fay@example.com")).expect(201);
    // Stopped while every call still fails, so no retry already on its way can create fay behind our back.
    await t.bridge.dispatcher.stop();
    tableau.setFaults({ errorRate: 0 });
    await t.bridge.db.query("DELETE FROM outbox WHERE state IN ('pending', 'running')");
    t.bridge.dispatcher.start();
    const r = await reconcile(depsOf(t), { target: "tableau", apply: true });
    expect(item(r, "eve@example.com")).toMatchObject({ status: "found-unlinked", repair: "link+provision" });
    expect(item(r, "fay@example.com")).toMatchObject({ status: "missing", repair: "provision" });
    await eventually(() => site().userByNameCi("fay@example.com"));
    await eventually(() => byName("eve@example.com").fullName === "Test eve");
    expect([...site().users.values()].filter((u) => u.name === "eve@example.com")).toHaveLength(1);
  });
});
