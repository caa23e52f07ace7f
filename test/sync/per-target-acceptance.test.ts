// One target's pre-flight never blocks the others: a user Salesforce can't take (a userName that is not an email,
// no email) is stored and delivered to Tableau, and Salesforce shows `failed` with the pre-flight's reason in the
// SCIM status, the admin API and the audit log; the write that fixes the user delivers it. The write is refused
// only when no in-scope target could take it, or when the refusing target is configured `preflight: reject`.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { salesforceEmulatorTargetConfig } from "../../src/emulators/salesforce/index.ts";
import { refusal } from "../../src/sync/enqueue.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { buildTargets } from "../../src/targets/registry.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { bothEmulators } from "../support/emulators.ts";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const SF = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";
type Status = { target: string; state: string; errorCode?: string; errorMessage?: string };

describe("refusal: when a pre-flight objection refuses the whole write", () => {
  const objection = [
    { field: "Email", code: "REQUIRED_FIELD_MISSING" as const, detail: "Email is required" },
  ];
  it.each([
    ["one of two in-scope targets objects", [true, false], [false, false], [true, true], undefined],
    ["every in-scope target objects", [true, true], [false, false], [true, true], /"a".*"b"/],
    [
      "the only in-scope target objects (the other is out of scope)",
      [true, false],
      [false, false],
      [true, false],
      /"a"/,
    ],
    ["the objecting target is configured to reject", [true, false], [true, false], [true, true], /"a"/],
    ["nobody objects", [false, false], [true, true], [true, true], undefined],
    ["no target is in scope", [false, false], [false, false], [false, false], undefined],
    // Refusing would roll back the other target's deprovision: access removal never waits on an unrelated field.
    [
      "the other target loses the user (leaves its scope)",
      [true, false],
      [true, false],
      [true, false],
      undefined,
      true,
    ],
  ] as const)("%s", (_, objects, reject, inScope, expected, takesAccessAway: boolean = false) => {
    const why = refusal(
      ["a", "b"].map((name, i) => ({
        name,
        inScope: inScope[i]!,
        problems: objects[i] ? objection : [],
        reject: reject[i]!,
      })),
      takesAccessAway,
    );
    if (expected) expect(why).toMatch(expected);
    else expect(why).toBeUndefined();
  });
});

describe("the preflight setting", () => {
  it("is record by default, reject when asked, and anything else is a configuration error naming it", () => {
    const sf = salesforceEmulatorTargetConfig("http://127.0.0.1:9");
    expect(buildTargets([sf], { retry: retryPolicy })[0]!.preflight).toBe("record");
    expect(buildTargets([{ ...sf, preflight: "reject" }], { retry: retryPolicy })[0]!.preflight).toBe(
      "reject",
    );
    expect(() => buildTargets([{ ...sf, preflight: "sometimes" }], { retry: retryPolicy })).toThrow(
      /targets\[0\] \(salesforce\)\.preflight/,
    );
  });
});

describe("per-target acceptance with Salesforce and Tableau", () => {
  const emulators = bothEmulators();
  const start = (salesforce: Record<string, unknown> = {}, tableau: Record<string, unknown> = {}) =>
    startTestBridge({ targets: emulators.targets({ tableau, salesforce }) });
  const post = (t: TestBridge, body: Record<string, unknown>) =>
    t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ schemas: [CORE], ...body });
  const statusOf = async (t: TestBridge, id: string, target: string): Promise<Status | undefined> =>
    (
      (await t.request.get(`/scim/v2/Users/${id}`).set(AUTH)).body[PROV]?.targets as Status[] | undefined
    )?.find((s) => s.target === target);

  describe("default (preflight: record)", () => {
    let t: TestBridge;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(() => t?.stop());

    it("stores a user Salesforce can't take, delivers it to Tableau and shows Salesforce failed with the reason", async () => {
      const res = await post(t, {
        userName: "UserName123",
        name: { givenName: "Ada", familyName: "Lovelace" },
      });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      const failed = (res.body[PROV].targets as Status[]).find((s) => s.target === "salesforce");
      expect(failed).toMatchObject({ state: "failed", errorCode: expect.any(String) });
      expect(failed!.errorMessage).toMatch(/Salesforce field \w+/);
      await eventually(async () => (await statusOf(t, id, "tableau"))?.state === "synced");
      expect(emulators.tableau.server.site("").userByNameCi("UserName123")).toBeDefined();
      expect(emulators.salesforce.org.users().some((u) => String(u.Username).startsWith("UserName123"))).toBe(
        false,
      );

      const admin = await t.request.get(`/admin/resources/${id}/status`).set(ADMIN);
      expect(admin.body.links).toContainEqual(
        expect.objectContaining({ target: "salesforce", state: "failed", errorCode: failed!.errorCode }),
      );
      const jobs = await t.request.get(`/admin/jobs?target=salesforce&resourceId=${id}`).set(ADMIN);
      expect(jobs.body.jobs).toContainEqual(
        expect.objectContaining({ state: "dead", lastErrorCode: failed!.errorCode }),
      );
      const audit = await t.request.get(`/admin/audit?resourceId=${id}`).set(ADMIN);
      expect(audit.body.events).toContainEqual(
        expect.objectContaining({
          action: "target.preflight",
          target: "salesforce",
          outcome: "failed",
          detail: expect.objectContaining({ detail: expect.stringContaining(failed!.errorCode!) }),
        }),
      );
    });

    it("a later write that fixes the user delivers it to Salesforce", async () => {
      const res = await post(t, { userName: "grace", name: { givenName: "Grace", familyName: "Hopper" } });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      expect((await statusOf(t, id, "salesforce"))?.state).toBe("failed");
      const fixed = await t.request
        .patch(`/scim/v2/Users/${id}`)
        .set(AUTH)
        .send({
          schemas: [PATCH_OP],
          Operations: [
            {
              op: "add",
              path: "emails",
              value: [{ value: "grace@example.com", type: "work", primary: true }],
            },
            { op: "replace", path: "userName", value: "grace@example.com" },
          ],
        });
      expect(fixed.status).toBe(200);
      const synced = await eventually(async () => {
        const s = await statusOf(t, id, "salesforce");
        return s?.state === "synced" ? s : undefined;
      });
      expect(synced.errorCode).toBeUndefined();
      expect(emulators.salesforce.org.users().some((u) => u.Email === "grace@example.com")).toBe(true);
    });

    it("refuses the write when no in-scope target could take it, naming each target and field", async () => {
      const res = await post(t, {
        userName: "no-name-at-all",
        "urn:ietf:params:scim:schemas:extension:tableau:3.0:User": { siteRole: "Overlord" },
        schemas: [CORE, "urn:ietf:params:scim:schemas:extension:tableau:3.0:User"],
      });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      expect(res.body.detail).toMatch(/Target "tableau" would reject this user: .*siteRole/);
      expect(res.body.detail).toMatch(/Target "salesforce" would reject this user: .*Salesforce field/);
      const list = await t.request
        .get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "no-name-at-all"')}`)
        .set(AUTH);
      expect(list.body.totalResults).toBe(0);
    });
  });

  it("a PATCH's pre-flight sees the user's groups when a group rule gives the profile", async () => {
    // No profile but the group rule's: judged without the user's groups, Salesforce would look unable to take them.
    const t = await start({
      mapping: { fields: {}, groupRules: [{ group: "Sales", set: { ProfileId: "Standard User" } }] },
    });
    try {
      const user = await post(t, {
        userName: "rule@example.com",
        emails: [{ value: "rule@example.com", primary: true }],
        name: { givenName: "Rule", familyName: "Follower" },
      });
      expect(user.status).toBe(201);
      const id = user.body.id as string;
      const group = await t.request
        .post("/scim/v2/Groups")
        .set(AUTH)
        .send({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
          displayName: "Sales",
          members: [{ value: id }],
        });
      expect(group.status).toBe(201);
      const patched = await t.request
        .patch(`/scim/v2/Users/${id}`)
        .set(AUTH)
        .send({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Rep" }] });
      expect(patched.status).toBe(200);
      const synced = await eventually(async () => {
        const s = await statusOf(t, id, "salesforce");
        return s?.state === "synced" ? s : undefined;
      });
      expect(synced.errorCode).toBeUndefined();
      expect(emulators.salesforce.org.users().find((u) => u.Username === "rule@example.com")?.Title).toBe(
        "Rep",
      );
    } finally {
      await t.stop();
    }
  });

  it("with Tableau out of the user's scope, Salesforce's refusal refuses the write", async () => {
    const t = await start({}, { scope: 'title eq "Analyst"' });
    try {
      const res = await post(t, { userName: "OutOfTableau", name: { givenName: "A", familyName: "B" } });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/Target "salesforce" would reject this user/);
      expect(res.body.detail).not.toMatch(/"tableau"/);
    } finally {
      await t.stop();
    }
  });

  it("a target configured `preflight: reject` refuses the write although another could take it", async () => {
    const t = await start({ preflight: "reject" });
    try {
      const res = await post(t, { userName: "Strict123", name: { givenName: "A", familyName: "B" } });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/Target "salesforce" would reject this user: .*Salesforce field/);
      expect(emulators.tableau.server.site("").userByNameCi("Strict123")).toBeUndefined();
    } finally {
      await t.stop();
    }
  });

  it("a write that takes access away in one target is never refused because another target objects", async () => {
    const t = await start({}, { scope: 'title eq "Analyst"' });
    try {
      const created = await post(t, {
        userName: "kim@example.com",
        name: { givenName: "Kim", familyName: "Lee" },
        emails: [{ value: "kim@example.com", primary: true }],
        title: "Analyst",
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await eventually(async () => (await statusOf(t, id, "tableau"))?.state === "synced");
      expect(emulators.tableau.server.site("").userByNameCi("kim@example.com")?.siteRole).not.toBe(
        "Unlicensed",
      );
      // Leaving Tableau's scope, with a value Salesforce's pre-flight refuses in the same write.
      const res = await t.request
        .put(`/scim/v2/Users/${id}`)
        .set(AUTH)
        .send({
          schemas: [CORE, SF],
          userName: "kim@example.com",
          name: { givenName: "Kim", familyName: "Lee" },
          emails: [{ value: "kim@example.com", primary: true }],
          title: "Support",
          [SF]: { Alias: "much-too-long" },
        });
      expect(res.status).toBe(200);
      await eventually(
        async () =>
          emulators.tableau.server.site("").userByNameCi("kim@example.com")?.siteRole === "Unlicensed",
      );
      expect((await statusOf(t, id, "salesforce"))?.state).toBe("failed");
    } finally {
      await t.stop();
    }
  });
});
