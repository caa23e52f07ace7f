import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, createTestApp, type TestApp, TOKEN, user } from "../support/app.ts";

const expectScimError = (
  res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
  status: number,
) => {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
  expect(res.body).toMatchObject({
    schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
    status: String(status),
  });
  expect(typeof res.body.detail).toBe("string");
  expect(JSON.stringify(res.body)).not.toMatch(/at .+\.ts:\d+|<html|<!DOCTYPE/i);
};

describe("authentication, limits and error bodies", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      bodyLimit: "2kb",
      tokens: [
        { name: "okta", token: TOKEN },
        { name: "rotated", token: "second-token-abcdefghijklmnop" },
      ],
    });
  });
  afterAll(() => t.close());

  it("answers a missing or wrong token with 401, a SCIM body and WWW-Authenticate: Bearer", async () => {
    for (const headers of [{}, { Authorization: "Bearer nope" }, { Authorization: `Basic ${TOKEN}` }]) {
      const res = await t.request.get("/scim/v2/Users").set(headers);
      expectScimError(res, 401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
  });

  it("protects discovery endpoints too, and accepts every configured token (rotation)", async () => {
    expectScimError(await t.request.get("/scim/v2/ServiceProviderConfig"), 401);
    await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH).expect(200);
    await t.request
      .get("/scim/v2/Users")
      .set({ Authorization: "Bearer second-token-abcdefghijklmnop" })
      .expect(200);
  });

  it("answers a body over the limit with 413", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("big@example.com", { title: "x".repeat(4000) }));
    expectScimError(res, 413);
  });

  it("answers malformed JSON with 400 invalidSyntax", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", "application/scim+json")
      .send('{"userName": ');
    expectScimError(res, 400);
    expect(res.body.scimType).toBe("invalidSyntax");
  });

  it("answers a non-JSON content type with 415", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .set("Content-Type", "text/plain")
      .send("userName=x");
    expectScimError(res, 415);
  });

  it("answers unknown endpoints with a SCIM 404 and unsupported methods with 405", async () => {
    expectScimError(await t.request.get("/scim/v2/Widgets").set(AUTH), 404);
    expectScimError(await t.request.get("/nowhere"), 404);
    expectScimError(
      await t.request.post("/scim/v2/Users/6f1c1d7e-0000-4000-8000-000000000000").set(AUTH).send({}),
      405,
    );
  });

  it("honours If-Match (412 on mismatch) and If-None-Match (304)", async () => {
    const u = (await t.request.post("/scim/v2/Users").set(AUTH).send(user("etag@example.com"))).body;
    const stale = await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .set("If-Match", 'W/"7"')
      .send(user("etag@example.com", { displayName: "E" }));
    expectScimError(stale, 412);
    await t.request
      .put(`/scim/v2/Users/${u.id}`)
      .set(AUTH)
      .set("If-Match", u.meta.version)
      .send(user("etag@example.com", { displayName: "E" }))
      .expect(200);
    const cached = await t.request.get(`/scim/v2/Users/${u.id}`).set(AUTH).set("If-None-Match", 'W/"2"');
    expect(cached.status).toBe(304);
    expect(cached.headers.etag).toBe('W/"2"');
    await t.request.delete(`/scim/v2/Users/${u.id}`).set(AUTH).set("If-Match", 'W/"1"').expect(412);
  });

  it("returns X-Request-Id, echoing a valid one from the client", async () => {
    const mine = await t.request.get("/scim/v2/Users").set(AUTH).set("X-Request-Id", "trace-123");
    expect(mine.headers["x-request-id"]).toBe("trace-123");
    const generated = await t.request.get("/scim/v2/Users").set(AUTH);
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("never writes the Authorization header, tokens or passwords to the logs", async () => {
    await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send({ ...user("logs@example.com"), password: "Hunter2-very-secret" })
      .expect(201);
    await t.request.get("/scim/v2/Users").set({ Authorization: "Bearer wrong-token-value-xyz" }).expect(401);
    const all = t.logs.join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).toContain("/scim/v2/Users");
    for (const secret of [TOKEN, "wrong-token-value-xyz", "Hunter2-very-secret", "Bearer"])
      expect(all).not.toContain(secret);
  });
});

describe("per-token rate limit", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerMinute: 3 });
  });
  afterAll(() => t.close());

  it("answers 429 with an integer Retry-After once a token exceeds its budget", async () => {
    for (let i = 0; i < 3; i++) await t.request.get("/scim/v2/Users").set(AUTH).expect(200);
    const res = await t.request.get("/scim/v2/Users").set(AUTH);
    expectScimError(res, 429);
    expect(res.headers["retry-after"]).toMatch(/^\d+$/);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });
});
