// The bridge's own OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4): tokens for `clientCredentials`
// credentials, used on /scim/v2, verified by every bridge process on the store from memory; RFC 6749 §5.2 errors.
import type { Server } from "node:http";
import { decodeProtectedHeader } from "jose";
import { pino } from "pino";
import supertest from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ScimCredentialInput, ScimCredentialsSchema } from "../../src/config/scim-auth.ts";
import { createApp } from "../../src/http/app.ts";
import { CredentialSet, ScimAuth, TokenKeys } from "../../src/http/scim-auth/index.ts";
import type { Queryable } from "../../src/store/index.ts";
import { createTestApp, type TestApp, user } from "../support/app.ts";
import { expectResponseMatchesSpec as conforms } from "../support/openapi.ts";
import { BACKENDS } from "../support/store.ts";

const SECRET = "entra-client-secret-0123456789";
const AUTH_CONFIG: ScimCredentialInput[] = [
  { name: "entra", kind: "clientCredentials", clientId: "entra-provisioning", clientSecret: SECRET },
  {
    name: "office",
    kind: "clientCredentials",
    clientId: "office",
    clientSecret: SECRET,
    allow: ["10.0.0.0/8"],
  },
  {
    name: "short",
    kind: "clientCredentials",
    clientId: "short-lived",
    clientSecret: SECRET,
    accessTokenSeconds: 600,
    scopes: ["scim"],
    permissions: "read",
  },
];

describe.each(BACKENDS)("POST /oauth/token on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend, auth: AUTH_CONFIG, authFailuresPerMinute: 10_000 });
  });
  afterAll(() => t.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  const tokenRequest = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.request.post("/oauth/token").set(headers).type("form").send(form);
  const basicClient = (id: string, secret: string) => ({
    Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`,
  });
  const expectOAuthError = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
    error: string,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body.error).toBe(error);
    expect(typeof res.body.error_description).toBe("string");
    expect(res.body.access_token).toBeUndefined();
    conforms("post", "/oauth/token", res as never);
  };

  it("issues an access token (client_secret_post) that then writes on /scim/v2 as the credential", async () => {
    const res = await tokenRequest({
      grant_type: "client_credentials",
      client_id: "entra-provisioning",
      client_secret: SECRET,
    });
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 3600 });
    conforms("post", "/oauth/token", res);
    const created = await t.request
      .post("/scim/v2/Users")
      .set({ Authorization: `Bearer ${res.body.access_token}` })
      .send(user("oauth-client@example.com"));
    expect(created.status).toBe(201);
    const { rows } = await t.store.db.query<{ actor: string }>(
      "SELECT actor FROM audit WHERE resource_id = $1",
      [created.body.id],
    );
    expect(rows.map((r) => r.actor)).toContain("entra");
  });

  it("accepts client_secret_basic, and a configured lifetime and scope; the token keeps the credential's permissions", async () => {
    const res = await tokenRequest(
      { grant_type: "client_credentials", scope: "scim" },
      basicClient("short-lived", SECRET),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "scim" });
    const auth = { Authorization: `Bearer ${res.body.access_token}` };
    expect((await t.request.get("/scim/v2/Users?count=1").set(auth)).status).toBe(200);
    const write = await t.request.post("/scim/v2/Users").set(auth).send(user("read-only-client@example.com"));
    expect(write.status).toBe(403);
    expect(write.body.detail).toMatch(/"short" has read permission only/);
  });

  it("refuses a wrong secret with 401 invalid_client (WWW-Authenticate: Basic when Basic was used)", async () => {
    const viaBasic = await tokenRequest(
      { grant_type: "client_credentials" },
      basicClient("entra-provisioning", `${SECRET}x`),
    );
    expectOAuthError(viaBasic, 401, "invalid_client");
    expect(viaBasic.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    expectOAuthError(
      await tokenRequest({
        grant_type: "client_credentials",
        client_id: "entra-provisioning",
        client_secret: "nope",
      }),
      401,
      "invalid_client",
    );
    expectOAuthError(
      await tokenRequest({ grant_type: "client_credentials", client_id: "nobody", client_secret: SECRET }),
      401,
      "invalid_client",
    );
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }), 401, "invalid_client");
    const metrics = (await t.request.get("/metrics")).text;
    expect(metrics).toMatch(/scim_bridge_auth_failures_total\{door="token",reason="wrong_secret"\} [1-9]/);
    expect(metrics).toMatch(/scim_bridge_auth_failures_total\{door="token",reason="unknown_client"\} [1-9]/);
    expect(t.logs.join("\n")).not.toContain(`${SECRET}x`);
  });

  it("audits every token issued and refused: who, from where, why; never the secret", async () => {
    const ok = await tokenRequest({ ...good, grant_type: "client_credentials" });
    await tokenRequest({
      grant_type: "client_credentials",
      client_id: "entra-provisioning",
      client_secret: "wrong-one",
    });
    const { rows } = await t.store.db.query<{
      request_id: string;
      actor: string | null;
      outcome: string;
      detail: unknown;
    }>(
      "SELECT request_id, actor, outcome, detail FROM audit WHERE action = 'oauth.token' ORDER BY id DESC LIMIT 2",
    );
    expect(rows[1]).toMatchObject({
      request_id: ok.headers["x-request-id"],
      actor: "entra",
      outcome: "issued",
      detail: { address: expect.stringContaining("127.0.0.1") },
    });
    expect(rows[0]).toMatchObject({ actor: null, outcome: "refused", detail: { reason: "wrong_secret" } });
    expect(JSON.stringify(rows)).not.toMatch(/wrong-one|entra-client-secret/);
  });

  const good = { client_id: "entra-provisioning", client_secret: SECRET };
  const malformed: [string, () => Promise<supertest.Response>, number, string][] = [
    [
      "another grant type",
      () => tokenRequest({ ...good, grant_type: "password" }),
      400,
      "unsupported_grant_type",
    ],
    ["no grant type", () => tokenRequest(good), 400, "invalid_request"],
    [
      "a JSON body",
      () => t.request.post("/oauth/token").send({ ...good, grant_type: "client_credentials" }),
      400,
      "invalid_request",
    ],
    [
      "a parameter sent twice",
      () =>
        t.request
          .post("/oauth/token")
          .type("form")
          .send(
            `grant_type=client_credentials&grant_type=client_credentials&client_id=entra-provisioning&client_secret=${SECRET}`,
          ),
      400,
      "invalid_request",
    ],
    [
      "both Basic and a client_secret in the body",
      () =>
        tokenRequest(
          { ...good, grant_type: "client_credentials" },
          basicClient("entra-provisioning", SECRET),
        ),
      400,
      "invalid_request",
    ],
    [
      "a scope not configured for the client",
      () => tokenRequest({ ...good, grant_type: "client_credentials", scope: "admin" }),
      400,
      "invalid_scope",
    ],
    [
      "a client outside its allow-list",
      () => tokenRequest({ grant_type: "client_credentials", client_id: "office", client_secret: SECRET }),
      400,
      "unauthorized_client",
    ],
    ["GET", () => t.request.get("/oauth/token"), 405, "invalid_request"],
  ];
  it.each(malformed)("answers %s with an RFC 6749 error body", async (_what, send, status, error) => {
    expectOAuthError(await send(), status, error);
  });

  it("refuses its own token once expired (401 SCIM error)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    const { body } = await tokenRequest({ ...good, grant_type: "client_credentials" });
    vi.setSystemTime(Date.now() + 3600_000 + 61_000);
    const res = await t.request.get("/scim/v2/Users").set({ Authorization: `Bearer ${body.access_token}` });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/expired/);
  });

  it("is verified by another bridge process on the store from memory, and survives a key rotation", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    // A second process: its own app and key cache on the same store, counting its reads of the signing keys.
    let keyReads = 0;
    const db: Queryable = {
      query: ((sql: string, params?: unknown[]) => {
        if (/signing_keys/.test(sql)) keyReads++;
        return t.store.db.query(sql, params);
      }) as Queryable["query"],
      exec: (sql: string) => t.store.db.exec(sql),
    } as Queryable;
    const configs = ScimCredentialsSchema.parse(AUTH_CONFIG);
    const app = createApp({
      directory: t.directory,
      logger: pino({ level: "silent" }),
      tokens: () => [],
      scimAuth: new ScimAuth({ credentials: new CredentialSet(configs, []), configs, db }),
      bodyLimit: "1mb",
      rateLimitPerMinute: 100_000,
      filterMaxResults: 100,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const other = supertest(server);
      const first = (await tokenRequest({ ...good, grant_type: "client_credentials" })).body
        .access_token as string;
      for (let i = 0; i < 10; i++)
        expect(
          (await other.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${first}` })).status,
        ).toBe(200);
      expect(keyReads).toBe(1);

      // A third process rotates the key (as one does when its key is 30 days old); within a minute every process
      // signs with the new key, and tokens signed before stay valid everywhere.
      await new TokenKeys(t.store.db, { maxLifetimeSeconds: 3600 }).rotate();
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 61_000);
      const second = (await tokenRequest({ ...good, grant_type: "client_credentials" })).body
        .access_token as string;
      expect(decodeProtectedHeader(second).kid).not.toBe(decodeProtectedHeader(first).kid);
      for (const token of [first, second]) {
        expect(
          (await other.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${token}` })).status,
        ).toBe(200);
        expect(
          (await t.request.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${token}` })).status,
        ).toBe(200);
      }
      expect(keyReads).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("signs with a new key once the current one is 30 days old; tokens signed before keep working", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
    const issue = async () =>
      (await tokenRequest({ ...good, grant_type: "client_credentials" })).body.access_token as string;
    const before = await issue();
    vi.setSystemTime(Date.now() + 31 * 86_400_000);
    const after = await issue();
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    expect(
      (await t.request.get("/scim/v2/Users?count=1").set({ Authorization: `Bearer ${after}` })).status,
    ).toBe(200);
  });

  it("refuses the tokens of a credential removed from the configuration", async () => {
    const token = (await tokenRequest({ ...good, grant_type: "client_credentials" })).body
      .access_token as string;
    // The same store behind a process configured without the "entra" client.
    const configs = ScimCredentialsSchema.parse(AUTH_CONFIG.filter((c) => c.name !== "entra"));
    const app = createApp({
      directory: t.directory,
      logger: pino({ level: "silent" }),
      tokens: () => [],
      scimAuth: new ScimAuth({ credentials: new CredentialSet(configs, []), configs, db: t.store.db }),
      bodyLimit: "1mb",
      rateLimitPerMinute: 100_000,
      filterMaxResults: 100,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    try {
      const res = await supertest(server)
        .get("/scim/v2/Users")
        .set({ Authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/no longer configured/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
