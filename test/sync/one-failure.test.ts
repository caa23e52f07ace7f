// A resource that keeps failing in a target is one failure there, however many times it was retried, written,
// provisioned on demand or reconciled: its attempt count and last error change, the failed list and its counts
// ("dead N", "Retry all N matching") count resources, and a delivery that succeeds settles the failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listJobs } from "../../src/store/index.ts";
import { user } from "../support/app.ts";
import { ADMIN, ADMIN_TOKEN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { BACKENDS } from "../support/store.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("one failure per resource and target on %s", (backend) => {
  let target: RunningTestTarget;
  let t: TestBridge;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({ backend, targets: [{ name: "acct", kind: "test", url: target.url }] });
    const signedIn = await t.request.post("/console/sign-in").type("form").send({ token: ADMIN_TOKEN });
    cookie = String(signedIn.headers["set-cookie"]?.[0]).split(";")[0]!;
    csrf = /name="_csrf" value="([^"]+)"/.exec(
      (await t.request.get("/console").set("Cookie", cookie)).text,
    )![1]!;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.close();
  });

  const jobs = (id: string) => listJobs(t.store.db, { resourceId: id, target: "acct" });
  const settled = (id: string) =>
    eventually(async () => (await jobs(id)).every((j) => j.state === "dead" || j.state === "done"));
  const dead = async () =>
    (await t.request.get("/admin/jobs?state=dead").set(ADMIN)).body.jobs as {
      id: number;
      resourceId: string;
      attempts: number;
      lastErrorMessage: string;
    }[];
  const deadCount = async () =>
    (
      (await t.request.get("/admin/queue").set(ADMIN)).body.queue as {
        target: string;
        state: string;
        count: number;
      }[]
    )
      .filter((q) => q.target === "acct" && q.state === "dead")
      .reduce((n, q) => n + q.count, 0);

  it("keeps one failure per user through retries, writes, Provision now and reconcile", async () => {
    const ids: string[] = [];
    for (const name of ["refused1", "refused2"]) {
      target.rejectKeys.add(`${name}@example.com`);
      ids.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`${name}@example.com`))
        ).body.id,
      );
    }
    for (const id of ids) await settled(id);
    expect(await deadCount()).toBe(2);

    for (const id of ids) {
      // A retry of the failed job, a write of the user, "provision now" and reconcile apply: each fails again.
      const [job] = (await jobs(id)).filter((j) => j.state === "dead");
      await t.request.post(`/admin/jobs/${job!.id}/retry`).set(ADMIN).expect(200);
      await settled(id);
      await t.request
        .patch(`/scim/v2/Users/${id}`)
        .set(AUTH)
        .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "Again" }] })
        .expect(200);
      await settled(id);
      await t.request
        .post(`/console/users/${id}/provision`)
        .set("Cookie", cookie)
        .type("form")
        .send({ _csrf: csrf, target: "acct" })
        .expect(303);
      await settled(id);
    }
    await t.request.post("/admin/reconcile").set(ADMIN).send({ target: "acct", apply: true }).expect(200);
    for (const id of ids) await settled(id);

    const failures = await dead();
    expect(failures.map((j) => j.resourceId).sort()).toEqual([...ids].sort());
    // Retried (1), written (+1), provisioned now (+1), reconciled (+1): every attempt counted on the one failure.
    for (const f of failures) {
      expect(f.attempts).toBe(4);
      expect(f.lastErrorMessage).toMatch(/refused by policy/);
    }
    expect(await deadCount()).toBe(2);
    const page = await t.request.get("/console/work").set("Cookie", cookie);
    expect(page.text).toContain("Retry all 2 matching");

    // Fixed in the target: "Retry all" delivers both, and nothing is left failed.
    target.rejectKeys.clear();
    await t.request
      .post("/console/work/retry-all")
      .set("Cookie", cookie)
      .type("form")
      .send({ _csrf: csrf, target: "", code: "" })
      .expect(303);
    await eventually(() => target.accounts.size === 2);
    for (const id of ids) await settled(id);
    expect(await deadCount()).toBe(0);
  });

  it("a write that delivers settles the failure it follows", async () => {
    target.rejectKeys.add("late@example.com");
    const id = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("late@example.com"))).body
      .id as string;
    await settled(id);
    expect((await dead()).map((j) => j.resourceId)).toContain(id);
    target.rejectKeys.delete("late@example.com");
    await t.request
      .patch(`/scim/v2/Users/${id}`)
      .set(AUTH)
      .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "Fixed" }] })
      .expect(200);
    await settled(id);
    expect((await jobs(id)).map((j) => j.state)).not.toContain("dead");
    expect(await deadCount()).toBe(0);
  });
});
