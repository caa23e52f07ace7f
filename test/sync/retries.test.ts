import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { user } from "../support/app.ts";
import { ADMIN, AUTH, eventually, startTestBridge, type TestBridge } from "../support/bridge.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

const PROV = "urn:ietf:params:scim:schemas:extension:scim-bridge:2.0:Provisioning";

describe("retries and permanent failures", () => {
  let target: RunningTestTarget;
  let t: TestBridge;
  beforeAll(async () => {
    target = await startTestTarget();
    t = await startTestBridge({
      targets: [{ name: "flaky", kind: "test", url: target.url, batchSize: 20 }],
      config: {
        sync: { pollMs: 20, backoffBaseMs: 10, backoffMaxMs: 100, maxAttempts: 30, waitForDeliveryMs: 0 },
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await target.close();
  });

  it("converges when the target fails 30% of calls with retryable errors", async () => {
    target.setFaults({ errorRate: 0.3 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(
        (
          await t.request
            .post("/scim/v2/Users")
            .set(AUTH)
            .send(user(`flaky${i}@example.com`))
        ).body.id,
      );
    }
    await eventually(async () => {
      const { rows } = await t.store.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM links WHERE state = 'synced' AND target_id IS NOT NULL",
      );
      return Number(rows[0]?.n) === 60;
    }, 30_000);
    target.setFaults({ errorRate: 0 });
    const users = [...target.accounts.values()].filter((a) => a.key.startsWith("flaky"));
    expect(users).toHaveLength(60);
    expect(new Set(users.map((a) => a.key)).size).toBe(60);
    const retried = (await t.request.get("/admin/audit?limit=1000").set(ADMIN)).body.events.filter(
      (e: { outcome: string }) => e.outcome === "retry",
    );
    expect(retried.length).toBeGreaterThan(0);
  });

  it("reports a permanent failure with the target's code, does not retry it, and lets an admin retry it", async () => {
    target.rejectKeys.add("refused@example.com");
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("refused@example.com"))).body;
    const status = await eventually(async () => {
      const s = (await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH)).body[PROV]?.targets?.[0];
      return s?.state === "failed" ? s : undefined;
    });
    expect(status).toMatchObject({
      target: "flaky",
      errorCode: "REJECTED",
      errorMessage: expect.stringContaining("refused"),
    });
    const dead = (await t.request.get("/admin/jobs?state=dead&target=flaky").set(ADMIN)).body.jobs;
    expect(dead).toEqual([
      expect.objectContaining({ resourceId: u.id, attempts: 1, lastErrorCode: "REJECTED" }),
    ]);

    // Not retried on its own...
    const before = target.log.length;
    await new Promise((r) => setTimeout(r, 200)); // several poll intervals: nothing may happen
    expect(target.log.length).toBe(before);
    // ...but an admin can, once the cause is fixed.
    target.rejectKeys.delete("refused@example.com");
    await t.request.post(`/admin/jobs/${dead[0].id}/retry`).set(ADMIN).expect(200);
    await eventually(
      async () =>
        (await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH)).body[PROV].targets[0].state === "synced",
    );
    expect([...target.accounts.values()].filter((a) => a.key === "refused@example.com")).toHaveLength(1);
  });

  it("gives up after the configured number of attempts and shows the job as dead", async () => {
    const small = await startTestTarget({ faults: { errorRate: 1 } });
    const t2 = await startTestBridge({
      targets: [{ name: "down", kind: "test", url: small.url }],
      config: {
        sync: { pollMs: 20, backoffBaseMs: 5, backoffMaxMs: 20, maxAttempts: 3, waitForDeliveryMs: 0 },
      },
    });
    try {
      const u = (await t2.request.post("/scim/v2/Users").set(AUTH).send(user("never@example.com"))).body;
      const job = await eventually(
        async () => (await t2.request.get("/admin/jobs?state=dead").set(ADMIN)).body.jobs[0],
      );
      expect(job).toMatchObject({ resourceId: u.id, attempts: 3, lastErrorCode: "HTTP_503" });
      const s = (await t2.request.get(`/scim/v2/Users/${u.id}`).set(AUTH)).body[PROV].targets[0];
      expect(s).toMatchObject({ state: "failed", errorCode: "HTTP_503" });
    } finally {
      await t2.stop();
      await small.close();
    }
  });
});
