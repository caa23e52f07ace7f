import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  rawCall,
  startTableauEmulator,
} from "../../src/emulators/tableau/index.ts";

let clock = Date.parse("2026-03-01T10:00:30Z");
let e: RunningTableauEmulator;
let token = "";
let siteId = "";
const V = "/api/3.25";

async function signIn() {
  const r = await rawCall(e.url, "POST", `${V}/auth/signin`, {
    body: {
      credentials: {
        personalAccessTokenName: e.options.patName,
        personalAccessTokenSecret: e.options.patSecret,
        site: { contentUrl: "" },
      },
    },
  });
  expect(r.status).toBe(200);
  const c = (r.json as { credentials: { token: string; site: { id: string } } }).credentials;
  token = c.token;
  siteId = c.site.id;
}

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0, now: () => clock });
});
afterAll(() => e.close());
beforeEach(async () => {
  e.setFaults({ latencyMs: 0, errorRate: 0, timeoutRate: 0, rateLimitPerMin: 0 });
  await signIn();
});

describe("rate limit", () => {
  it("answers 429000 with Retry-After once the per-minute budget is spent, and recovers next minute", async () => {
    e.setFaults({ rateLimitPerMin: 3 });
    clock = Date.parse("2026-03-01T10:05:15Z");
    const statuses: number[] = [];
    let last = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token });
    statuses.push(last.status);
    for (let i = 0; i < 3; i++) {
      last = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, {
        token,
        accept: i === 2 ? "xml" : "json",
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last.headers.get("retry-after")).toBe("45");
    expect(last.text).toContain('<error code="429000"><summary>Too Many Requests</summary>');
    clock = Date.parse("2026-03-01T10:06:00Z");
    expect((await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token })).status).toBe(200);
  });
});

describe("fault injection", () => {
  it("answers 500 at error rate 1", async () => {
    e.setFaults({ errorRate: 1 });
    const r = await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ error: { code: "500000" } });
  });

  it("never answers at timeout rate 1, so the client times out", async () => {
    e.setFaults({ timeoutRate: 1 });
    await expect(
      rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
  });

  it("adds latency without serialising concurrent calls", async () => {
    e.setFaults({ latencyMs: 50 });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        rawCall(e.url, "GET", `${V}/sites/${siteId}/users?pageSize=1`, { token }),
      ),
    );
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(49);
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe("call statistics", () => {
  it("counts calls per route and resets", async () => {
    e.stats.reset();
    await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token });
    await rawCall(e.url, "GET", `${V}/sites/${siteId}/users`, { token });
    await rawCall(e.url, "POST", `${V}/sites/${siteId}/groups`, {
      token,
      body: { group: { name: "Counted" } },
    });
    await rawCall(e.url, "GET", `${V}/nowhere`, { token });
    expect(e.stats.apiCalls).toBe(4);
    expect(e.stats.byRoute).toEqual({
      "GET /sites/:siteId/users": 2,
      "POST /sites/:siteId/groups": 1,
      unmatched: 1,
    });
    e.stats.reset();
    expect(e.stats.apiCalls).toBe(0);
    expect(e.stats.byRoute).toEqual({});
  });

  it("answers 405000 for a wrong method and 404 for an unknown path", async () => {
    const wrong = await rawCall(e.url, "PATCH", `${V}/sites/${siteId}/users`, { token });
    expect(wrong.json).toMatchObject({ error: { code: "405000" } });
    expect((await rawCall(e.url, "GET", `${V}/nowhere`, { token })).status).toBe(404);
  });
});

describe("grant licence on sign-in", () => {
  it("raises a user to the highest minimumSiteRole of their onLogin groups when they sign in", () => {
    const site = e.server.site("");
    const u = site.addUser({ name: "grant@x.com", siteRole: "Unlicensed" });
    const viewers = site.createGroup({
      name: "Grant Viewers",
      minimumSiteRole: "Viewer",
      grantLicenseMode: "onLogin",
    });
    const creators = site.createGroup({
      name: "Grant Creators",
      minimumSiteRole: "Creator",
      grantLicenseMode: "onLogin",
    });
    site.addMember(viewers.id, u.id);
    site.addMember(creators.id, u.id);
    site.signInUser(u.id, new Date("2026-03-01T12:00:00Z"));
    expect(u.siteRole).toBe("Creator");
    expect(u.lastLogin).toBe("2026-03-01T12:00:00Z");
  });
});

describe("scale", () => {
  it("answers name lookups and full pages quickly on a 10,000-user site", async () => {
    const site = e.server.site("");
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) site.addUser({ name: `scale${i}@x.com`, siteRole: "Viewer" });
    const g = site.createGroup({ name: "Scale" });
    for (let i = 0; i < 10_000; i += 2) site.addMember(g.id, site.userByNameCi(`scale${i}@x.com`)!.id);
    const lookups = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        rawCall(e.url, "GET", `${V}/sites/${siteId}/users?filter=name:eq:scale${i * 37}@x.com`, { token }),
      ),
    );
    expect(lookups.every((r) => (r.json as { users: { user: unknown[] } }).users.user.length === 1)).toBe(
      true,
    );
    const page = await rawCall(
      e.url,
      "GET",
      `${V}/sites/${siteId}/groups/${g.id}/users?pageSize=1000&pageNumber=5`,
      { token },
    );
    expect((page.json as { pagination: { totalAvailable: string } }).pagination.totalAvailable).toBe("5000");
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe("empty collections", () => {
  it('can emit an empty list as "users":{} like some Tableau builds', async () => {
    const other = await startTableauEmulator({ port: 0, emptyCollection: "object" });
    try {
      const s = await rawCall(other.url, "POST", `${V}/auth/signin`, {
        body: {
          credentials: {
            personalAccessTokenName: other.options.patName,
            personalAccessTokenSecret: other.options.patSecret,
            site: { contentUrl: "" },
          },
        },
      });
      const c = (s.json as { credentials: { token: string; site: { id: string } } }).credentials;
      const r = await rawCall(other.url, "GET", `${V}/sites/${c.site.id}/users?filter=name:eq:nobody`, {
        token: c.token,
      });
      expect(r.json).toEqual({
        pagination: { pageNumber: "1", pageSize: "100", totalAvailable: "0" },
        users: {},
      });
    } finally {
      await other.close();
    }
  });
});
