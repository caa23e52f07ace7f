import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";

describe("health and metrics", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("reports liveness and store readiness without a token", async () => {
    expect((await t.request.get("/healthz")).body).toEqual({ status: "ok" });
    expect((await t.request.get("/readyz")).body).toEqual({ status: "ready", store: "pglite" });
  });

  it("counts requests and latency by method, resource type and status", async () => {
    await t.request.post("/scim/v2/Users").set(AUTH).send(user("metrics@example.com")).expect(201);
    await t.request.get("/scim/v2/Groups").set(AUTH).expect(200);
    const text = (await t.request.get("/metrics")).text;
    expect(text).toMatch(/scim_bridge_http_requests_total\{method="POST",resource="Users",status="201"\} 1/);
    expect(text).toMatch(
      /scim_bridge_http_request_duration_seconds_bucket\{[^}]*method="GET",resource="Groups",status="200"/,
    );
  });

  it("answers readyz with 503 when the store is gone", async () => {
    const t2 = await createTestApp();
    await t2.store.db.close();
    const res = await t2.request.get("/readyz");
    expect(res.status).toBe(503);
    await t2.close().catch(() => {});
  });
});
