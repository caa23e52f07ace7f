import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  rawCall,
  signConnectedAppJwt,
  startTableauEmulator,
} from "../../src/emulators/tableau/index.ts";

let clock = Date.parse("2026-03-01T10:00:00Z");
let e: RunningTableauEmulator;
const V = "/api/3.25";

const patBody = (secret = "demo-pat-secret", contentUrl = "") => ({
  credentials: {
    personalAccessTokenName: "scim-bridge-demo",
    personalAccessTokenSecret: secret,
    site: { contentUrl },
  },
});

async function signIn(contentUrl = "") {
  const r = await rawCall(e.url, "POST", `${V}/auth/signin`, { body: patBody(undefined, contentUrl) });
  expect(r.status).toBe(200);
  const c = (r.json as { credentials: { token: string; site: { id: string }; user: { id: string } } })
    .credentials;
  return { token: c.token, siteId: c.site.id, userId: c.user.id };
}

function jwt(over: Partial<Parameters<typeof signConnectedAppJwt>[0]> = {}) {
  return signConnectedAppJwt({
    clientId: e.options.clientId,
    secretId: e.options.secretId,
    secretValue: e.options.secretValue,
    username: e.options.adminName,
    scopes: ["tableau:users:read", "tableau:groups:read"],
    nowS: Math.floor(clock / 1000),
    ...over,
  });
}

const jwtSignIn = (token: string, version = "3.25") =>
  rawCall(e.url, "POST", `/api/${version}/auth/signin`, {
    body: { credentials: { jwt: token, site: { contentUrl: "" } } },
  });

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0, sites: ["", "marketing"], tokenTtlS: 600, now: () => clock });
});
afterAll(() => e.close());

describe("serverInfo", () => {
  it("answers without auth in XML by default and in JSON on request", async () => {
    const xml = await rawCall(e.url, "GET", `${V}/serverInfo`, { accept: "xml" });
    expect(xml.status).toBe(200);
    expect(xml.text).toMatch(/<restApiVersion>3\.25<\/restApiVersion>/);
    expect(xml.text).toMatch(/<productVersion build="[^"]+">2025\.1\.0<\/productVersion>/);
    const json = await rawCall(e.url, "GET", `/api/3.4/serverInfo`);
    expect(json.json).toMatchObject({ serverInfo: { restApiVersion: "3.25" } });
  });

  it("refuses a version newer than the server's or not 3.x", async () => {
    expect((await rawCall(e.url, "GET", `/api/3.99/serverInfo`)).status).toBe(400);
    expect((await rawCall(e.url, "GET", `/api/2.8/serverInfo`)).status).toBe(400);
  });
});

describe("PAT sign-in", () => {
  it("returns a token, the site and the user, with an H:MM:SS expiry estimate", async () => {
    const r = await rawCall(e.url, "POST", `${V}/auth/signin`, { body: patBody() });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      credentials: {
        site: { contentUrl: "" },
        user: { id: expect.any(String) },
        estimatedTimeToExpiration: "0:10:00",
      },
    });
  });

  it("accepts an XML sign-in and answers in XML", async () => {
    const body = `<tsRequest><credentials personalAccessTokenName="scim-bridge-demo" personalAccessTokenSecret="demo-pat-secret"><site contentUrl="marketing"/></credentials></tsRequest>`;
    const r = await rawCall(e.url, "POST", `${V}/auth/signin`, { body, accept: "xml" });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(
      /<credentials token="[^"]+" estimatedTimeToExpiration="0:10:00"><site id="[^"]+" contentUrl="marketing"\/><user id="[^"]+"\/><\/credentials>/,
    );
  });

  it("rejects a wrong secret or an unknown site with 401001", async () => {
    const bad = await rawCall(e.url, "POST", `${V}/auth/signin`, { body: patBody("nope") });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ error: { code: "401001", summary: "Signin Error" } });
    const noSite = await rawCall(e.url, "POST", `${V}/auth/signin`, {
      body: patBody(undefined, "nosuchsite"),
    });
    expect(noSite.json).toMatchObject({ error: { code: "401001" } });
  });

  it("ends the earlier session when the same PAT signs in again", async () => {
    const first = await signIn();
    expect(
      (await rawCall(e.url, "GET", `${V}/sites/${first.siteId}/users`, { token: first.token })).status,
    ).toBe(200);
    const second = await signIn("marketing");
    const old = await rawCall(e.url, "GET", `${V}/sites/${first.siteId}/users`, { token: first.token });
    expect(old.status).toBe(401);
    expect(old.json).toMatchObject({ error: { code: "401002" } });
    expect(
      (await rawCall(e.url, "GET", `${V}/sites/${second.siteId}/users`, { token: second.token })).status,
    ).toBe(200);
  });

  it("signs out with 204, after which the token is refused", async () => {
    const s = await signIn();
    expect((await rawCall(e.url, "POST", `${V}/auth/signout`, { token: s.token })).status).toBe(204);
    expect((await rawCall(e.url, "GET", `${V}/sites/${s.siteId}/users`, { token: s.token })).status).toBe(
      401,
    );
  });

  it("answers 401000 with no token and 401002 with an unknown one, in XML too", async () => {
    const s = await signIn();
    const none = await rawCall(e.url, "GET", `${V}/sites/${s.siteId}/users`);
    expect(none.json).toMatchObject({ error: { code: "401000" } });
    const unknown = await rawCall(e.url, "GET", `${V}/sites/${s.siteId}/users`, {
      token: "x|y|z",
      accept: "xml",
    });
    expect(unknown.status).toBe(401);
    expect(unknown.text).toContain(
      '<error code="401002"><summary>Unauthorized Access</summary><detail>Invalid authentication credentials were provided.</detail></error>',
    );
  });

  it("expires sessions after the token TTL", async () => {
    const s = await signIn();
    clock += 599_000;
    expect((await rawCall(e.url, "GET", `${V}/sites/${s.siteId}/users`, { token: s.token })).status).toBe(
      200,
    );
    clock += 2_000;
    const r = await rawCall(e.url, "GET", `${V}/sites/${s.siteId}/users`, { token: s.token });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: { code: "401002" } });
  });
});

describe("sites", () => {
  it("binds a session to its site: another site's id is refused, an unknown one is 404000", async () => {
    const s = await signIn("marketing");
    const def = e.server.site("");
    const other = await rawCall(e.url, "GET", `${V}/sites/${def.id}/users`, { token: s.token });
    expect(other.status).toBe(401);
    const unknown = await rawCall(e.url, "GET", `${V}/sites/00000000-0000-0000-0000-000000000000/users`, {
      token: s.token,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: "404000" } });
    const site = await rawCall(e.url, "GET", `${V}/sites/${s.siteId}`, { token: s.token });
    expect(site.json).toMatchObject({ site: { id: s.siteId, contentUrl: "marketing" } });
  });

  it("keeps users apart per site", async () => {
    const m = await signIn("marketing");
    await rawCall(e.url, "POST", `${V}/sites/${m.siteId}/users`, {
      token: m.token,
      body: { user: { name: "only-marketing@x.com", siteRole: "Viewer" } },
    });
    expect(e.server.site("marketing").userByNameCi("only-marketing@x.com")).toBeDefined();
    expect(e.server.site("").userByNameCi("only-marketing@x.com")).toBeUndefined();
  });
});

describe("connected app JWT sign-in", () => {
  it("signs in as the JWT subject and allows what the scopes allow", async () => {
    const r = await jwtSignIn(jwt());
    expect(r.status).toBe(200);
    const c = (r.json as { credentials: { token: string; site: { id: string }; user: { id: string } } })
      .credentials;
    expect(c.user.id).toBe(e.server.site("").userByNameCi(e.options.adminName)?.id);
    const list = await rawCall(e.url, "GET", `${V}/sites/${c.site.id}/users`, { token: c.token });
    expect(list.status).toBe(200);
    const add = await rawCall(e.url, "POST", `${V}/sites/${c.site.id}/users`, {
      token: c.token,
      body: { user: { name: "scoped@x.com", siteRole: "Viewer" } },
    });
    expect(add.status).toBe(401);
    expect(add.json).toMatchObject({ error: { code: "401002" } });
    expect(add.headers.get("x-emulator-missing-scope")).toBe("tableau:users:create");
    expect(e.server.site("").userByNameCi("scoped@x.com")).toBeUndefined();
  });

  it("accepts wildcard scopes", async () => {
    const r = await jwtSignIn(jwt({ scopes: ["tableau:users:*"] }));
    const c = (r.json as { credentials: { token: string; site: { id: string } } }).credentials;
    const add = await rawCall(e.url, "POST", `${V}/sites/${c.site.id}/users`, {
      token: c.token,
      body: { user: { name: "wild@x.com", siteRole: "Viewer" } },
    });
    expect(add.status).toBe(201);
    const groups = await rawCall(e.url, "GET", `${V}/sites/${c.site.id}/groups`, { token: c.token });
    expect(groups.status).toBe(401);
  });

  it("does not end other JWT sessions (unlike PATs)", async () => {
    const a = (await jwtSignIn(jwt())).json as { credentials: { token: string; site: { id: string } } };
    await jwtSignIn(jwt());
    const r = await rawCall(e.url, "GET", `${V}/sites/${a.credentials.site.id}/users`, {
      token: a.credentials.token,
    });
    expect(r.status).toBe(200);
  });

  it.each([
    ["a bad signature", () => jwt({ secretValue: "wrong" }), /signature/],
    ["an unknown kid", () => jwt({ secretId: "other" }), /kid/],
    ["an unknown issuer", () => jwt({ clientId: "other" }), /iss/],
    ["an expired token", () => jwt({ nowS: Math.floor(clock / 1000) - 1000 }), /expired/],
    ["an unknown subject", () => jwt({ username: "ghost@x.com" }), /subject/],
    ["a garbage token", () => "not.a.jwt", /malformed/],
  ])("rejects %s with 401001", async (_name, make, detail) => {
    const r = await jwtSignIn(make());
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: { code: "401001", detail: expect.stringMatching(detail) } });
  });

  it("rejects a replayed jti", async () => {
    const token = jwt({ jti: "once-only" });
    expect((await jwtSignIn(token)).status).toBe(200);
    const again = await jwtSignIn(token);
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ error: { code: "401001", detail: expect.stringMatching(/replay/) } });
  });

  it("is not available before REST API 3.17", async () => {
    const r = await jwtSignIn(jwt(), "3.16");
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { code: "400000", detail: expect.stringMatching(/3\.17/) } });
  });
});
