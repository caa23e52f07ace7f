// `jwt` credentials: tokens issued by someone else, verified against the issuer's keys (found by OIDC discovery or
// jwksUri) and the configured claims. Every refusal is a 401 SCIM error and stores nothing; the keys are fetched
// again only for an unknown kid, at most once a minute.
import { base64url, exportSPKI, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { makeKey, signToken, startIssuer, type TestIssuer, type TestKey } from "../support/jwt-issuer.ts";
import { BACKENDS } from "../support/store.ts";

const AUDIENCE = "api://scim-bridge-test";

describe.each(BACKENDS)("SCIM credentials of kind jwt on %s", (backend) => {
  let t: TestApp;
  let idp: TestIssuer;
  let k1: TestKey;
  let k2: TestKey;
  let stranger: TestKey;
  beforeAll(async () => {
    idp = await startIssuer();
    [k1, k2, stranger] = await Promise.all([makeKey("k1"), makeKey("k2"), makeKey("k1")]);
    for (const tenant of ["main", "rotating", "cooldown"]) idp.setKeys(tenant, [k1]);
    t = await createTestApp({
      backend,
      authFailuresPerMinute: 10_000,
      auth: [
        // Keys by OIDC discovery.
        {
          name: "idp",
          kind: "jwt",
          issuer: idp.issuer("main"),
          audience: AUDIENCE,
          requiredClaims: { roles: "provisioner" },
        },
        // Keys at an explicit jwksUri.
        {
          name: "rotating",
          kind: "jwt",
          issuer: idp.issuer("rotating"),
          jwksUri: idp.jwksUri("rotating"),
          audience: AUDIENCE,
        },
        { name: "cooldown", kind: "jwt", issuer: idp.issuer("cooldown"), audience: AUDIENCE },
        // Issuers whose keys cannot be fetched: an outage (503), and nothing listening at all.
        {
          name: "outage",
          kind: "jwt",
          issuer: idp.issuer("outage"),
          jwksUri: idp.jwksUri("outage"),
          audience: AUDIENCE,
        },
        {
          name: "down",
          kind: "jwt",
          issuer: "http://127.0.0.1:9/down",
          jwksUri: "http://127.0.0.1:9/down/keys",
          audience: AUDIENCE,
        },
      ],
    });
  });
  afterAll(async () => {
    await t.close();
    await idp.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const valid = (over: Record<string, unknown> = {}, key = k1) =>
    signToken(key, { iss: idp.issuer("main"), aud: AUDIENCE, roles: ["provisioner"], ...over });
  const usersStored = async () =>
    (await t.request.get("/scim/v2/Users?count=0").set(AUTH)).body.totalResults as number;
  const expect401 = async (token: string, reason: RegExp) => {
    const before = await usersStored();
    const res = await t.request
      .post("/scim/v2/Users")
      .set({ Authorization: `Bearer ${token}` })
      .send(user(`refused-${Math.random().toString(36).slice(2)}@example.com`));
    expect(res.status).toBe(401);
    expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "401",
    });
    expect(res.body.detail).toMatch(reason);
    expect(await usersStored()).toBe(before);
    // The presented token is never logged.
    expect(t.logs.join("\n")).not.toContain(token.split(".")[2] || token);
  };

  it("accepts a token from the issuer (keys through OIDC discovery) and records its credential as the actor", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set({ Authorization: `Bearer ${await valid()}` })
      .send(user("jwt-valid@example.com"));
    expect(res.status).toBe(201);
    const { rows } = await t.store.db.query<{ actor: string }>(
      "SELECT actor FROM audit WHERE resource_id = $1",
      [res.body.id],
    );
    expect(rows.map((r) => r.actor)).toContain("idp");
  });

  const noneToken = async () => {
    const payload = base64url.encode(
      JSON.stringify({
        iss: idp.issuer("main"),
        aud: AUDIENCE,
        roles: ["provisioner"],
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    );
    return `${base64url.encode(JSON.stringify({ alg: "none", kid: "k1" }))}.${payload}.`;
  };
  const hmacWithPublicKey = async () => {
    // The classic confusion: HS256 with the issuer's RSA public key (which anyone can fetch) as the secret.
    const pem = await exportSPKI(
      (await import("node:crypto")).createPublicKey({ key: k1.publicJwk as never, format: "jwk" }) as never,
    );
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: idp.issuer("main"),
      aud: AUDIENCE,
      roles: ["provisioner"],
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(new TextEncoder().encode(pem));
  };
  const tampered = async () => {
    const [h, p, s] = (await valid()).split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
    return `${h}.${base64url.encode(JSON.stringify({ ...claims, sub: "someone-else" }))}.${s}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ["a wrong issuer", () => valid({ iss: "https://evil.example.com/" }), /issuer/],
    ["a wrong audience", () => valid({ aud: "api://someone-else" }), /audience/],
    [
      "an expired token (beyond the minute of clock skew)",
      () => valid({ exp: now() - 120, iat: now() - 900 }),
      /expired/,
    ],
    ["a token not yet valid", () => valid({ nbf: now() + 600 }), /not valid yet/],
    ["alg: none", noneToken, /not a valid JWT|algorithm/],
    ["HS256 signed with the issuer's RSA public key", hmacWithPublicKey, /algorithm/],
    ["an unknown kid", () => valid({}, { ...stranger, kid: "k9" }), /key the issuer does not publish/],
    ["a key of the right kid that the issuer does not hold", () => valid({}, stranger), /signature/],
    ["a tampered payload", tampered, /signature/],
    ["a missing required claim", () => valid({ roles: ["reader"] }), /roles claim/],
  ];
  it.each(refusals)(
    "refuses %s with 401, a SCIM error body, and stores nothing",
    async (_what, make, reason) => {
      await expect401(await make(), reason);
    },
  );

  it("counts refusals per door and reason in /metrics", async () => {
    const metrics = (await t.request.get("/metrics")).text;
    for (const reason of ["expired", "wrong_audience", "wrong_issuer", "bad_signature", "unknown_key"])
      expect(metrics).toMatch(
        new RegExp(`scim_bridge_auth_failures_total\\{door="scim",reason="${reason}"\\} [1-9]`),
      );
  });

  it("refuses tokens of a key the issuer rotated out, and accepts its new key (fetched for the new kid)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    const rotating = (key: TestKey) => signToken(key, { iss: idp.issuer("rotating"), aud: AUDIENCE });
    const get = async (token: string) =>
      (await t.request.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${token}` })).status;
    expect(await get(await rotating(k1))).toBe(200);
    idp.setKeys("rotating", [k2]);
    vi.setSystemTime(Date.now() + 61_000);
    expect(await get(await rotating(k2))).toBe(200);
    await expect401(await rotating(k1), /key the issuer does not publish/);
    expect(idp.jwksHits("rotating")).toBe(2);
  });

  it("fetches the keys again for an unknown kid at most once a minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    const tok = (key: TestKey) => signToken(key, { iss: idp.issuer("cooldown"), aud: AUDIENCE });
    const get = async (token: string) =>
      (await t.request.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${token}` })).status;
    expect(await get(await tok(k1))).toBe(200);
    expect(idp.jwksHits("cooldown")).toBe(1);
    // Valid tokens are verified from the cached keys: no fetch per request.
    for (let i = 0; i < 5; i++) expect(await get(await tok(k1))).toBe(200);
    const unknown = { ...stranger, kid: "rolled" };
    for (let i = 0; i < 5; i++) expect(await get(await tok(unknown))).toBe(401);
    expect(idp.jwksHits("cooldown")).toBe(1);
    vi.setSystemTime(Date.now() + 61_000);
    for (let i = 0; i < 5; i++) expect(await get(await tok(unknown))).toBe(401);
    expect(idp.jwksHits("cooldown")).toBe(2);
  });

  it("answers 503 with Retry-After when the issuer's keys cannot be fetched, trying again at most once a minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    idp.setKeys("outage", "down");
    const tok = () => signToken(k1, { iss: idp.issuer("outage"), aud: AUDIENCE });
    const post = async () =>
      t.request
        .post("/scim/v2/Users")
        .set({ Authorization: `Bearer ${await tok()}` })
        .send(user("keys-down@example.com"));
    for (let i = 0; i < 3; i++) {
      const res = await post();
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBeDefined();
      expect(res.body).toMatchObject({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: "503",
      });
    }
    expect(idp.jwksHits("outage")).toBe(1);
    // Nothing listens at the other issuer's jwksUri at all: also a 503.
    const unreachable = await signToken(k1, { iss: "http://127.0.0.1:9/down", aud: AUDIENCE });
    expect(
      (await t.request.get("/scim/v2/Users").set({ Authorization: `Bearer ${unreachable}` })).status,
    ).toBe(503);
    expect(
      (await t.request.get('/scim/v2/Users?filter=userName eq "keys-down@example.com"').set(AUTH)).body
        .totalResults,
    ).toBe(0);
    // The issuer is back: the next fetch, a minute later, succeeds.
    idp.setKeys("outage", [k1]);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await post()).status).toBe(201);
    expect(idp.jwksHits("outage")).toBe(2);
  });
});
