// Named SCIM credentials: bearer tokens given as their SHA-256, Basic logins, read-only and per-type permissions,
// address allow-lists (as TRUST_PROXY says), what /ServiceProviderConfig advertises, and the existing tokens unchanged.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScimCredentialInput } from "../../src/config/scim-auth.ts";
import { AUTH, createTestApp, type TestApp, user } from "../support/app.ts";
import { expectResponseMatchesSpec as conforms } from "../support/openapi.ts";
import { BACKENDS } from "../support/store.ts";

const run = promisify(execFile);
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const basic = (u: string, p: string) => ({
  Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
});
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

const OKTA_PASSWORD = "okta-password-0123456789abcdef";
const HASHED_TOKEN = "hashed-token-0123456789abcdef";
const READER = "reader-token-0123456789abcdef";
const GROUPS_ONLY = "groups-token-0123456789abcdef";
const OFFICE = "office-token-0123456789abcdef";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

describe.each(BACKENDS)("named SCIM credentials on %s", (backend) => {
  let t: TestApp;
  let proxied: TestApp;
  const auth: ScimCredentialInput[] = [
    { name: "okta", kind: "basic", username: "okta", passwordSha256: sha256(OKTA_PASSWORD) },
    { name: "ci", kind: "bearer", tokenSha256: sha256(HASHED_TOKEN) },
    { name: "auditor", kind: "bearer", token: READER, permissions: "read" },
    { name: "groups-sync", kind: "bearer", token: GROUPS_ONLY, resourceTypes: ["Groups"] },
    { name: "office", kind: "bearer", token: OFFICE, allow: ["10.0.0.0/8", "2001:db8::/32"] },
  ];
  beforeAll(async () => {
    t = await createTestApp({ backend, auth, authFailuresPerMinute: 10_000 });
    proxied = await createTestApp({ backend, auth, trustProxy: true, authFailuresPerMinute: 3 });
  });
  afterAll(async () => {
    await t.close();
    await proxied.close();
  });

  const expectScimError = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
    detail: RegExp,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers["content-type"]).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: String(status),
    });
    expect(res.body.detail).toMatch(detail);
  };
  const actorOf = async (id: string) =>
    (
      await t.store.db.query<{ actor: string }>("SELECT actor FROM audit WHERE resource_id = $1", [id])
    ).rows.map((r) => r.actor);

  it("keeps SCIM_BEARER_TOKEN(S) working unchanged, as write credentials named as before", async () => {
    const res = await t.request.post("/scim/v2/Users").set(AUTH).send(user("legacy@example.com"));
    expect(res.status).toBe(201);
    expect(await actorOf(res.body.id)).toContain("test");
  });

  it("accepts a bearer token configured only by its SHA-256", async () => {
    const res = await t.request
      .post("/scim/v2/Users")
      .set(bearer(HASHED_TOKEN))
      .send(user("hashed@example.com"));
    expect(res.status).toBe(201);
    expect(await actorOf(res.body.id)).toContain("ci");
    expectScimError(
      await t.request.get("/scim/v2/Users").set(bearer(sha256(HASHED_TOKEN))),
      401,
      /not valid/,
    );
  });

  it("accepts Basic with the right password and refuses a wrong one (401, nothing stored)", async () => {
    const ok = await t.request
      .post("/scim/v2/Users")
      .set(basic("okta", OKTA_PASSWORD))
      .send(user("basic@example.com"));
    expect(ok.status).toBe(201);
    expect(await actorOf(ok.body.id)).toContain("okta");
    for (const headers of [
      basic("okta", `${OKTA_PASSWORD}x`),
      basic("other", OKTA_PASSWORD),
      basic("okta", ""),
    ]) {
      const res = await t.request.post("/scim/v2/Users").set(headers).send(user("basic-refused@example.com"));
      expectScimError(res, 401, /Basic username or password/);
    }
    const found = await t.request
      .get('/scim/v2/Users?filter=userName eq "basic-refused@example.com"')
      .set(AUTH);
    expect(found.body.totalResults).toBe(0);
  });

  it("lets a read-only credential GET and search, and refuses its POST, PUT, PATCH and DELETE with 403", async () => {
    const { body: u } = await t.request
      .post("/scim/v2/Users")
      .set(AUTH)
      .send(user("read-target@example.com"));
    const r = t.request;
    expect((await r.get(`/scim/v2/Users/${u.id}`).set(bearer(READER))).status).toBe(200);
    expect(
      (await r.get('/scim/v2/Users?filter=userName eq "read-target@example.com"').set(bearer(READER))).body
        .totalResults,
    ).toBe(1);
    const search = { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], count: 1 };
    expect((await r.post("/scim/v2/Users/.search").set(bearer(READER)).send(search)).status).toBe(200);
    expect((await r.post("/scim/v2/.search").set(bearer(READER)).send(search)).status).toBe(200);
    const writes = [
      r.post("/scim/v2/Users").set(bearer(READER)).send(user("read-only@example.com")),
      r
        .put(`/scim/v2/Users/${u.id}`)
        .set(bearer(READER))
        .send(user("read-target@example.com", { title: "x" })),
      r
        .patch(`/scim/v2/Users/${u.id}`)
        .set(bearer(READER))
        .send({ schemas: [PATCH], Operations: [{ op: "replace", path: "title", value: "x" }] }),
      r.delete(`/scim/v2/Users/${u.id}`).set(bearer(READER)),
      r
        .post("/scim/v2/Bulk")
        .set(bearer(READER))
        .send({ schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [] }),
    ];
    const [post, put, patch, del, bulk] = await Promise.all(writes);
    for (const res of [post, put, patch, del, bulk])
      expectScimError(res!, 403, /"auditor" has read permission only; \w+ needs write permission/);
    conforms("post", "/scim/v2/Users", post!);
    conforms("put", "/scim/v2/Users/{id}", put!);
    conforms("patch", "/scim/v2/Users/{id}", patch!);
    conforms("delete", "/scim/v2/Users/{id}", del!);
    conforms("post", "/scim/v2/Bulk", bulk!);
    const after = await r.get(`/scim/v2/Users/${u.id}`).set(AUTH);
    expect(after.status).toBe(200);
    expect(after.body.title).toBeUndefined();
    expect(
      (await r.get('/scim/v2/Users?filter=userName eq "read-only@example.com"').set(AUTH)).body.totalResults,
    ).toBe(0);
  });

  it("keeps a credential limited to Groups out of Users, root searches and Bulk operations on Users", async () => {
    const r = t.request;
    expect(
      (
        await r
          .post("/scim/v2/Groups")
          .set(bearer(GROUPS_ONLY))
          .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Only groups" })
      ).status,
    ).toBe(201);
    expectScimError(
      await r.get("/scim/v2/Users").set(bearer(GROUPS_ONLY)),
      403,
      /may use only Groups; this request is on Users/,
    );
    expectScimError(
      await r.post("/scim/v2/users").set(bearer(GROUPS_ONLY)).send(user("groups-only@example.com")),
      403,
      /only Groups/,
    );
    const search = { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], count: 1 };
    expectScimError(
      await r.post("/scim/v2/.search").set(bearer(GROUPS_ONLY)).send(search),
      403,
      /\/Groups\/\.search/,
    );
    const bulk = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      Operations: [
        {
          method: "POST",
          path: "/Groups",
          bulkId: "g",
          data: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Bulk group" },
        },
        { method: "POST", path: "/Users", bulkId: "u", data: user("bulk-user@example.com") },
      ],
    };
    expectScimError(
      await r.post("/scim/v2/Bulk").set(bearer(GROUPS_ONLY)).send(bulk),
      403,
      /Bulk operation on \/Users/,
    );
    expect(
      (await r.get('/scim/v2/Groups?filter=displayName eq "Bulk group"').set(AUTH)).body.totalResults,
    ).toBe(0);
    // Discovery stays open to every credential: IdPs read it to test a connection.
    expect((await r.get("/scim/v2/ServiceProviderConfig").set(bearer(GROUPS_ONLY))).status).toBe(200);
  });

  it("refuses a credential used from outside its allow-list with 403, and accepts it from inside (TRUST_PROXY)", async () => {
    expectScimError(
      await t.request.get("/scim/v2/Users").set(bearer(OFFICE)),
      403,
      /"office" may not be used from .*127\.0\.0\.1/,
    );
    // Behind a trusted proxy the client address is X-Forwarded-For's.
    const from = (address: string) =>
      proxied.request.get("/scim/v2/Users?count=1").set(bearer(OFFICE)).set("X-Forwarded-For", address);
    expect((await from("10.20.30.40")).status).toBe(200);
    expect((await from("2001:db8::7")).status).toBe(200);
    expect((await from("192.0.2.1")).status).toBe(403);
    expect((await from("2001:db9::1")).status).toBe(403);
    // Without TRUST_PROXY the header is ignored.
    expect(
      (await t.request.get("/scim/v2/Users").set(bearer(OFFICE)).set("X-Forwarded-For", "10.0.0.1")).status,
    ).toBe(403);
  });

  it("slows Basic guessing from one address (429 past the limit) while the right password still passes", async () => {
    const from = (headers: Record<string, string>) =>
      proxied.request.get("/scim/v2/Users?count=1").set(headers).set("X-Forwarded-For", "198.51.100.9");
    for (let i = 0; i < 3; i++) expect((await from(basic("okta", `guess-${i}`))).status).toBe(401);
    const limited = await from(basic("okta", "guess-4"));
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
    expect((await from(basic("okta", OKTA_PASSWORD))).status).toBe(200);
  });

  it("lists the configured schemes in /ServiceProviderConfig: bearer tokens and Basic", async () => {
    const res = await t.request.get("/scim/v2/ServiceProviderConfig").set(AUTH);
    expect(res.body.authenticationSchemes.map((s: { type: string }) => s.type)).toEqual([
      "oauthbearertoken",
      "httpbasic",
    ]);
    const only = await createTestApp({ backend });
    try {
      const plain = await only.request.get("/scim/v2/ServiceProviderConfig").set(AUTH);
      expect(plain.body.authenticationSchemes.map((s: { type: string }) => s.type)).toEqual([
        "oauthbearertoken",
      ]);
    } finally {
      await only.close();
    }
  });

  it("challenges a 401 with every configured scheme, so curl --anyauth can answer with Basic", async () => {
    const refused = await t.request.get("/scim/v2/Users");
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toBe(
      'Bearer realm="scim-bridge", Basic realm="scim-bridge", charset="UTF-8"',
    );
    // A client that sends credentials only once challenged, as curl --anyauth does.
    const { stdout } = await run("curl", [
      "-sS",
      "--anyauth",
      "-u",
      `okta:${OKTA_PASSWORD}`,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `http://127.0.0.1:${t.port}/scim/v2/Users?count=1`,
    ]);
    expect(stdout).toBe("200");
    const only = await createTestApp({ backend });
    try {
      const plain = await only.request.get("/scim/v2/Users");
      expect(plain.headers["www-authenticate"]).toBe('Bearer realm="scim-bridge"');
    } finally {
      await only.close();
    }
  });

  it("counts refusals per reason in /metrics and never logs the presented secret", async () => {
    const metrics = (await t.request.get("/metrics")).text;
    for (const reason of [
      "wrong_password",
      "write_not_allowed",
      "resource_type_not_allowed",
      "address_not_allowed",
      "unknown_token",
    ])
      expect(metrics).toMatch(
        new RegExp(`scim_bridge_auth_failures_total\\{door="scim",reason="${reason}"\\} [1-9]`),
      );
    const logs = t.logs.join("\n");
    expect(logs).toMatch(/authentication refused/);
    for (const secret of [
      OKTA_PASSWORD,
      HASHED_TOKEN,
      READER,
      OFFICE,
      Buffer.from(`okta:${OKTA_PASSWORD}x`).toString("base64"),
    ])
      expect(logs).not.toContain(secret);
  });
});
