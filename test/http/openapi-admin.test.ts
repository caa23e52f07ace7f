// Drives every admin endpoint of a whole bridge (dispatcher and test target included) and checks each response
// against openapi/scim-bridge.yaml, so the admin API's description cannot drift from what operators get.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import {
  checkedResponses,
  expectResponseMatchesSpec as conforms,
  openApiDocument,
} from "../support/openapi.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROVISIONING = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";
const UNKNOWN_ID = "6f1c1d7e-0000-4000-8000-000000000000";
const VIEWER_TOKEN = "viewer-token-for-dashboards-0123";

/** Every admin operation, as [method, spec template, a concrete path]. */
const OPERATIONS: [string, string, string][] = [
  ["get", "/admin/targets", "/admin/targets"],
  ["get", "/admin/queue", "/admin/queue"],
  ["get", "/admin/jobs", "/admin/jobs"],
  ["post", "/admin/jobs/{id}/retry", "/admin/jobs/1/retry"],
  ["post", "/admin/jobs/retry", "/admin/jobs/retry"],
  ["post", "/admin/resources/{id}/retry", `/admin/resources/${UNKNOWN_ID}/retry`],
  ["post", "/admin/resources/{id}/provision", `/admin/resources/${UNKNOWN_ID}/provision`],
  ["get", "/admin/held", "/admin/held"],
  ["post", "/admin/targets/{name}/release", "/admin/targets/accounts/release"],
  ["get", "/admin/resources/{id}/status", `/admin/resources/${UNKNOWN_ID}/status`],
  ["get", "/admin/resources/{id}/log", `/admin/resources/${UNKNOWN_ID}/log`],
  ["get", "/admin/audit", "/admin/audit"],
  ["post", "/admin/reconcile", "/admin/reconcile"],
  ["post", "/admin/import", "/admin/import"],
  ["get", "/admin/deliveries", "/admin/deliveries?since=1"],
];

describe("the admin API conforms to openapi/scim-bridge.yaml", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let offlineUrl: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    target = await startTestTarget();
    // A target nobody is in scope for, whose API is gone: its health checks fail (with a fix).
    const gone = await startTestTarget();
    offlineUrl = gone.url;
    await gone.close();
    t = await startTestBridge({
      targets: [
        { name: "accounts", kind: "test", url: target.url },
        { name: "offline", kind: "test", url: offlineUrl, scope: 'userName eq "nobody@example.com"' },
      ],
      config: {
        sync: { breaker: { maxDeprovisions: 1, maxPercent: 0, windowMinutes: 60 } },
        auth: { admin: { tokens: [{ name: "dashboards", token: VIEWER_TOKEN, role: "viewer" }] } },
      },
    });
    for (const name of ["ada@example.com", "bob@example.com", "cy@example.com"]) {
      const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user(name));
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
    }
    await eventually(() => target.accounts.size === 3);
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  it("answers 401 with WWW-Authenticate on every admin operation without the admin token", async () => {
    for (const [method, template, path] of OPERATIONS) {
      const none = await t.request[method as "get"](path);
      const scimToken = await t.request[method as "get"](path).set(AUTH);
      for (const res of [none, scimToken]) {
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
        conforms(method, template, res);
      }
    }
  });

  it("refuses every action to a viewer token with 403 naming the role needed", async () => {
    for (const [method, template, path] of OPERATIONS.filter(([m]) => m === "post")) {
      const res = await t.request
        .post(path)
        .set({ Authorization: `Bearer ${VIEWER_TOKEN}` })
        .send({ target: "accounts", from: "accounts" });
      expect(res.status, path).toBe(403);
      expect(res.body.detail).toMatch(/needs the role (operator|admin); dashboards has the role viewer/);
      conforms(method, template, res);
    }
    const read = await t.request.get("/admin/queue").set({ Authorization: `Bearer ${VIEWER_TOKEN}` });
    expect(read.status).toBe(200);
  });

  it("retries all matching dead jobs, retries one resource now, and provisions one now", async () => {
    const all = await t.request.post("/admin/jobs/retry").set(ADMIN).send({ target: "accounts" });
    expect(all.body).toEqual({ retried: 0 });
    conforms("post", "/admin/jobs/retry", all);
    const nowhere = await t.request.post("/admin/jobs/retry").set(ADMIN).send({ target: "nowhere" });
    expect(nowhere.status).toBe(404);
    conforms("post", "/admin/jobs/retry", nowhere);

    const id = ids["ada@example.com"]!;
    const retry = await t.request.post(`/admin/resources/${id}/retry`).set(ADMIN).send({});
    expect(retry.body).toEqual({ resourceId: id, targets: [] });
    conforms("post", "/admin/resources/{id}/retry", retry);

    const provision = await t.request
      .post(`/admin/resources/${id}/provision`)
      .set(ADMIN)
      .send({ target: "accounts" });
    expect(provision.body).toEqual({
      resourceId: id,
      name: "ada@example.com",
      target: "accounts",
      queued: true,
    });
    conforms("post", "/admin/resources/{id}/provision", provision);
    const outOfScope = await t.request
      .post(`/admin/resources/${id}/provision`)
      .set(ADMIN)
      .send({ target: "offline" });
    expect(outOfScope.status).toBe(400);
    expect(outOfScope.body.detail).toContain("is not in the scope of offline");
    conforms("post", "/admin/resources/{id}/provision", outOfScope);
    const unknown = await t.request
      .post(`/admin/resources/${UNKNOWN_ID}/provision`)
      .set(ADMIN)
      .send({ target: "accounts" });
    expect(unknown.status).toBe(404);
    conforms("post", "/admin/resources/{id}/provision", unknown);
  });

  it("lists targets with health checks (cached or fresh) and their open jobs", async () => {
    for (const query of ["", "?check=true"]) {
      const res = await t.request.get(`/admin/targets${query}`).set(ADMIN);
      expect(res.status).toBe(200);
      conforms("get", "/admin/targets", res);
      const [accounts, offline] = res.body.targets;
      expect(accounts).toMatchObject({ name: "accounts", kind: "test", scope: null, healthy: true });
      expect(offline).toMatchObject({
        name: "offline",
        healthy: false,
        scope: 'userName eq "nobody@example.com"',
      });
      expect(offline.checks[0].fix).toContain(offlineUrl);
    }
  });

  it("shows the queue, a dead job, and queues it again on retry", async () => {
    target.rejectKeys.add("dead@example.com");
    const created = await t.request.post("/scim/v2/Users").set(AUTH).send(user("dead@example.com"));
    const id: string = created.body.id;
    ids["dead@example.com"] = id;

    const dead = await eventually(async () => {
      const res = await t.request.get("/admin/jobs").query({ state: "dead", resourceId: id }).set(ADMIN);
      return res.body.jobs?.length ? res : undefined;
    });
    conforms("get", "/admin/jobs", dead);
    const job = dead.body.jobs[0];
    expect(job).toMatchObject({ target: "accounts", resourceId: id, action: "provision", state: "dead" });
    expect(job.lastErrorCode).toBe("REJECTED");
    expect(job.hasPassword).toBe(false);
    expect(job).not.toHaveProperty("secret");

    const all = await t.request.get("/admin/jobs").query({ target: "accounts", limit: 2 }).set(ADMIN);
    expect(all.body.jobs).toHaveLength(2);
    conforms("get", "/admin/jobs", all);
    const badState = await t.request.get("/admin/jobs?state=stuck").set(ADMIN);
    expect(badState.status).toBe(400);
    expect(badState.body.scimType).toBe("invalidValue");
    conforms("get", "/admin/jobs", badState);

    const queue = await t.request.get("/admin/queue").set(ADMIN);
    expect(queue.body.queue).toContainEqual({ target: "accounts", state: "dead", count: 1 });
    conforms("get", "/admin/queue", queue);
    const targets = await t.request.get("/admin/targets").set(ADMIN);
    expect(targets.body.targets[0].queue).toEqual({ dead: 1 });
    conforms("get", "/admin/targets", targets);

    for (const missing of ["999999", "not-a-number"]) {
      const res = await t.request.post(`/admin/jobs/${missing}/retry`).set(ADMIN);
      expect(res.status).toBe(404);
      conforms("post", "/admin/jobs/{id}/retry", res);
    }
    target.rejectKeys.delete("dead@example.com");
    const retried = await t.request.post(`/admin/jobs/${job.id}/retry`).set(ADMIN);
    expect(retried.body).toEqual({ retried: job.id });
    conforms("post", "/admin/jobs/{id}/retry", retried);
    await eventually(() => [...target.accounts.values()].some((a) => a.key === "dead@example.com"));
  });

  it("shows a resource's links, the same status its SCIM Provisioning extension carries", async () => {
    const id = ids["ada@example.com"]!;
    const status = await t.request.get(`/admin/resources/${id}/status`).set(ADMIN);
    expect(status.body.links).toEqual([
      expect.objectContaining({ resourceType: "User", resourceId: id, target: "accounts", state: "synced" }),
    ]);
    expect(status.body.links[0].targetId).toEqual(expect.any(String));
    conforms("get", "/admin/resources/{id}/status", status);

    const scim = await t.request.get(`/scim/v2/Users/${id}`).set(AUTH);
    expect(scim.body[PROVISIONING].targets).toEqual([
      expect.objectContaining({
        target: "accounts",
        state: "synced",
        targetId: status.body.links[0].targetId,
      }),
    ]);
    conforms("get", "/scim/v2/Users/{id}", scim);

    // Its provisioning log: the SCIM write's request, then the target's attempt with how it found the account.
    const log = await t.request.get(`/admin/resources/${id}/log`).set(ADMIN);
    expect(log.body.requests.at(-1).origins[0]).toMatchObject({ action: "scim.user.create" });
    expect(log.body.requests.at(-1).targets[0]).toMatchObject({ target: "accounts" });
    conforms("get", "/admin/resources/{id}/log", log);

    const unknown = await t.request.get(`/admin/resources/${UNKNOWN_ID}/status`).set(ADMIN);
    expect(unknown.body).toEqual({ links: [] });
    conforms("get", "/admin/resources/{id}/status", unknown);
  });

  it("lists audit events, all or for one resource", async () => {
    const id = ids["dead@example.com"]!;
    const one = await t.request.get("/admin/audit").query({ resourceId: id, limit: 50 }).set(ADMIN);
    const actions = one.body.events.map(
      (e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`,
    );
    expect(actions).toEqual(expect.arrayContaining(["scim.user.create accepted", "target.deliver failed"]));
    conforms("get", "/admin/audit", one);
    const recent = await t.request.get("/admin/audit?limit=2").set(ADMIN);
    expect(recent.body.events).toHaveLength(2);
    conforms("get", "/admin/audit", recent);
  });

  it("holds deprovisions past the breaker and releases the listed ones", async () => {
    for (const name of ["bob@example.com", "cy@example.com"])
      await t.request.delete(`/scim/v2/Users/${ids[name]}`).set(AUTH).expect(204);
    const held = await eventually(async () => {
      const res = await t.request.get("/admin/held?target=accounts").set(ADMIN);
      return res.body.held?.length ? res : undefined;
    });
    expect(held.body.held).toEqual([
      expect.objectContaining({ target: "accounts", action: "deprovision", state: "held", approved: false }),
    ]);
    conforms("get", "/admin/held", held);
    const everywhere = await t.request.get("/admin/held").set(ADMIN);
    expect(everywhere.body.held).toHaveLength(1);
    conforms("get", "/admin/held", everywhere);

    const unknown = await t.request.post("/admin/targets/nowhere/release").set(ADMIN).send({});
    expect(unknown.status).toBe(404);
    conforms("post", "/admin/targets/{name}/release", unknown);
    const none = await t.request.post("/admin/targets/offline/release").set(ADMIN);
    expect(none.body).toEqual({ target: "offline", released: 0 });
    conforms("post", "/admin/targets/{name}/release", none);
    const released = await t.request
      .post("/admin/targets/accounts/release")
      .set(ADMIN)
      .send({ ids: [held.body.held[0].id] });
    expect(released.body).toEqual({ target: "accounts", released: 1 });
    conforms("post", "/admin/targets/{name}/release", released);
    // The second deprovision was the one held; once released it reaches the target.
    expect(held.body.held[0].resourceId).toBe(ids["cy@example.com"]);
    await eventually(() =>
      [...target.accounts.values()].every((a) => a.key !== "cy@example.com" || !a.active),
    );
  });

  it("reconciles and imports as a dry run, and follows deliveries from the mark", async () => {
    // An account the store does not know: unmanaged for reconcile, a user to create for import.
    target.accounts.set("stranger-1", {
      id: "stranger-1",
      key: "stranger@example.com",
      fields: {},
      active: true,
      kind: "user",
      members: [],
    });

    const reconciled = await t.request
      .post("/admin/reconcile")
      .set(ADMIN)
      .send({ target: "accounts", apply: false });
    expect(reconciled.status).toBe(200);
    expect(reconciled.body).toMatchObject({ target: "accounts", kind: "test", applied: false });
    expect(reconciled.body.items).toContainEqual(
      expect.objectContaining({ key: "stranger@example.com", status: "unmanaged" }),
    );
    conforms("post", "/admin/reconcile", reconciled);

    const imported = await t.request
      .post("/admin/import")
      .set(ADMIN)
      .send({ from: "accounts", apply: false });
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ from: "accounts", applied: false });
    expect(imported.body.items).toContainEqual(
      expect.objectContaining({ key: "stranger@example.com", targetId: "stranger-1", result: "created" }),
    );
    conforms("post", "/admin/import", imported);

    const deliveries = await t.request
      .get("/admin/deliveries")
      .query({ since: 1, target: "accounts,offline" })
      .set(ADMIN);
    expect(deliveries.body).toEqual({ open: expect.any(Number), done: expect.any(Number), dead: 0, held: 0 });
    expect(deliveries.body.done).toBeGreaterThan(0);
    conforms("get", "/admin/deliveries", deliveries);
    const sinceMark = await t.request.get(`/admin/deliveries?since=${imported.body.mark}`).set(ADMIN);
    expect(sinceMark.body).toEqual({ open: 0, done: 0, dead: 0, held: 0 });
    conforms("get", "/admin/deliveries", sinceMark);
  });

  it("refuses reconcile, import and deliveries requests that name no target or mark", async () => {
    const cases: [string, string, object, number][] = [
      ["/admin/reconcile", "/admin/reconcile", {}, 400],
      ["/admin/reconcile", "/admin/reconcile", { target: "nowhere" }, 404],
      // Import names its source `from`; a `target` field is not read.
      ["/admin/import", "/admin/import", { target: "accounts" }, 400],
      ["/admin/import", "/admin/import", { from: "nowhere" }, 404],
    ];
    for (const [path, template, body, status] of cases) {
      const res = await t.request.post(path).set(ADMIN).send(body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      conforms("post", template, res);
    }
    for (const query of ["", "?since=-1", "?since=abc"]) {
      const res = await t.request.get(`/admin/deliveries${query}`).set(ADMIN);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe("invalidValue");
      conforms("get", "/admin/deliveries", res);
    }
  });

  it("answers ids that are not resource or job ids with 400, not a database error", async () => {
    const cases: [string, string, string][] = [
      ["get", "/admin/resources/{id}/status", "/admin/resources/not-a-uuid/status"],
      ["get", "/admin/resources/{id}/log", "/admin/resources/not-a-uuid/log"],
      ["get", "/admin/audit", "/admin/audit?resourceId=42"],
      ["get", "/admin/jobs", "/admin/jobs?resourceId=x'--"],
    ];
    for (const [method, template, path] of cases) {
      const res = await t.request.get(path).set(ADMIN);
      expect(res.status, path).toBe(400);
      expect(res.body.detail).toMatch(/UUID/);
      conforms(method, template, res);
    }
    const release = await t.request
      .post("/admin/targets/accounts/release")
      .set(ADMIN)
      .send({ ids: ["seven"] });
    expect(release.status).toBe(400);
    conforms("post", "/admin/targets/{name}/release", release);
  });

  it("answers bodies that are not JSON, too large, or in another charset with a SCIM error", async () => {
    const posts = OPERATIONS.filter(([method]) => method === "post");
    for (const [method, template, path] of posts) {
      const cases: [string, string, number][] = [
        ["application/json", "{not json", 400],
        ["application/json", JSON.stringify({ pad: "x".repeat(110_000) }), 413],
        ["application/json; charset=latin1", "{}", 415],
      ];
      for (const [type, body, status] of cases) {
        const res = await t.request.post(path).set(ADMIN).set("Content-Type", type).send(body);
        expect(res.status, `${path} ${type} → ${status}`).toBe(status);
        conforms(method, template, res);
      }
    }
  });

  // Last in this file: every admin operation was checked with every status the spec lists for it (but 500).
  it("checked every status the spec describes for the admin operations", () => {
    const unchecked: string[] = [];
    for (const [path, item] of Object.entries(openApiDocument().paths)) {
      if (!path.startsWith("/admin/")) continue;
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys((op as { responses?: object }).responses ?? {});
        for (const s of statuses.filter((x) => x !== "500")) {
          if (!checkedResponses.has(`${method.toUpperCase()} ${path} ${s}`))
            unchecked.push(`${method.toUpperCase()} ${path} ${s}`);
        }
      }
    }
    expect(unchecked).toEqual([]);
  });
});
