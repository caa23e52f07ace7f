import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type RunningTableauEmulator,
  rawCall,
  startTableauEmulator,
} from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { createTableauTarget, TABLEAU_JWT_SCOPES } from "../../src/targets/tableau/index.ts";
import type { Outcome } from "../../src/targets/target.ts";
import { emulatorConfig, jwtAuth, scimUser, upsertUser } from "./tableau-fixtures.ts";

let e: RunningTableauEmulator;
const signIns = () => e.stats.byRoute["POST /auth/signin"] ?? 0;
const users = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => upsertUser(scimUser(`${prefix}${i}@example.com`)));

beforeAll(async () => {
  e = await startTableauEmulator({ port: 0 });
});
afterAll(() => e.close());
beforeEach(() => {
  e.stats.reset();
  e.setFaults({ latencyMs: 0 });
});

describe("personal access token", () => {
  it("detects the API version once and shares one session across concurrent operations", async () => {
    const target = createTableauTarget(emulatorConfig(e, { concurrency: 8 }), { retry: retryPolicy });
    const outcomes = await target.apply(users("shared", 30));
    expect(outcomes.every((o) => o.status === "done")).toBe(true);
    expect(signIns()).toBe(1);
    expect(e.stats.byRoute["GET /serverInfo"]).toBe(1);
    await target.close?.();
  });

  it("signs in again only once when another sign-in with the same PAT ends the session mid-batch", async () => {
    const target = createTableauTarget(emulatorConfig(e, { concurrency: 8 }), { retry: retryPolicy });
    await target.check();
    // Someone else (another process, a script) signs in with the same PAT: our token is now dead.
    const other = await rawCall(e.url, "POST", "/api/3.25/auth/signin", {
      body: {
        credentials: {
          personalAccessTokenName: e.options.patName,
          personalAccessTokenSecret: e.options.patSecret,
          site: { contentUrl: "" },
        },
      },
    });
    expect(other.status).toBe(200);
    e.stats.reset();
    const outcomes = await target.apply(users("evicted", 30));
    expect(outcomes.filter((o) => o.status !== "done")).toEqual([]);
    expect(signIns()).toBe(1); // eight concurrent 401s, one re-sign-in
    expect(target.client.auth.signIns).toBe(2);
    await target.close?.();
  });

  it("keeps two bridge processes sharing one PAT working: every operation ends done after retries", async () => {
    e.setFaults({ latencyMs: 3 });
    const a = createTableauTarget(emulatorConfig(e, { concurrency: 6 }), { retry: retryPolicy });
    const b = createTableauTarget(emulatorConfig(e, { concurrency: 6 }), { retry: retryPolicy });
    const opsA = users("proc-a-", 40);
    const opsB = users("proc-b-", 40);
    let [outA, outB] = await Promise.all([a.apply(opsA), b.apply(opsB)]);
    const all = () => [...outA, ...outB];
    expect(all().filter((o) => o.status === "failed")).toEqual([]);
    // What the dispatcher does with "retry": apply those operations again.
    for (let round = 0; round < 5 && all().some((o) => o.status !== "done"); round++) {
      const again = async (t: typeof a, ops: typeof opsA, out: Outcome[]) => {
        const redo = ops.filter((_, i) => out[i]?.status !== "done");
        const res = await t.apply(redo);
        let k = 0;
        return out.map((o) => (o.status === "done" ? o : (res[k++] as Outcome)));
      };
      [outA, outB] = await Promise.all([again(a, opsA, outA), again(b, opsB, outB)]);
    }
    expect(all().map((o) => o.status)).toEqual(Array(80).fill("done"));
    expect(e.server.site("").userByNameCi("proc-b-39@example.com")).toBeDefined();
    // Sign-ins are shared per process: far fewer than the 80 operations.
    expect(signIns()).toBeLessThan(40);
    await a.close?.();
    await b.close?.();
  });

  it("parks every operation as a credentials failure (401001) with a clear check when the PAT is wrong", async () => {
    const target = createTableauTarget(
      emulatorConfig(e, { auth: { pat: { name: e.options.patName, secret: "wrong" } } }),
      { retry: retryPolicy },
    );
    const [outcome] = await target.apply(users("nope", 1));
    expect(outcome).toMatchObject({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      blocked: "credentials",
      message: expect.stringContaining("401001"),
    });
    const checks = await target.check();
    expect(checks.find((c) => c.check.endsWith("sign-in"))).toMatchObject({
      ok: false,
      fix: expect.stringContaining("PAT name and secret"),
    });
  });
});

describe("connected app (JWT)", () => {
  it("signs in with a fresh JWT each time, without ending other sessions", async () => {
    const a = createTableauTarget(emulatorConfig(e, { auth: jwtAuth(e) }), { retry: retryPolicy });
    const b = createTableauTarget(emulatorConfig(e, { auth: jwtAuth(e) }), { retry: retryPolicy });
    const [ra, rb] = await Promise.all([a.apply(users("jwt-a-", 10)), b.apply(users("jwt-b-", 10))]);
    expect([...ra, ...rb].every((o) => o.status === "done")).toBe(true);
    expect(signIns()).toBe(2);
    await a.close?.();
    await b.close?.();
  });

  it("parks an operation whose scope the JWT lacks as a credentials failure, and check() names the missing scopes", async () => {
    const readOnly = ["tableau:users:read", "tableau:groups:read"];
    const target = createTableauTarget(emulatorConfig(e, { auth: jwtAuth(e, readOnly) }), {
      retry: retryPolicy,
    });
    const [outcome] = await target.apply(users("unscoped", 1));
    expect(outcome).toMatchObject({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      message: expect.stringContaining("401002"),
    });
    expect(e.server.site("").userByNameCi("unscoped0@example.com")).toBeUndefined();
    const checks = await target.check();
    const scopes = checks.find((c) => c.check.endsWith("jwt scopes"));
    expect(scopes).toMatchObject({ ok: false, detail: expect.stringContaining("tableau:users:create") });
    expect(checks.find((c) => c.check.endsWith("list users"))?.ok).toBe(true);
    await target.close?.();
  });

  it("check() says what to fix when the JWT cannot even list groups", async () => {
    const target = createTableauTarget(emulatorConfig(e, { auth: jwtAuth(e, ["tableau:users:read"]) }), {
      retry: retryPolicy,
    });
    const checks = await target.check();
    expect(checks.find((c) => c.check.endsWith("list groups"))).toMatchObject({
      ok: false,
      fix: expect.stringContaining("tableau:groups:read"),
    });
    await target.close?.();
  });
});

describe("check()", () => {
  it("passes every check for a site administrator's PAT and describes the site", async () => {
    const target = createTableauTarget(emulatorConfig(e), { retry: retryPolicy });
    const checks = await target.check();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.check.replace("tableau-test: ", ""))).toEqual([
      "server",
      "sign-in",
      "site",
      "list users",
      "list groups",
      "site role",
    ]);
    expect(checks[0]?.detail).toContain("REST API 3.25");
    await target.close?.();
  });

  it("passes with a JWT carrying every scope", async () => {
    const target = createTableauTarget(emulatorConfig(e, { auth: jwtAuth(e, [...TABLEAU_JWT_SCOPES]) }), {
      retry: retryPolicy,
    });
    expect((await target.check()).filter((c) => !c.ok)).toEqual([]);
    await target.close?.();
  });

  it("fails the site-role check when the JWT user is not a site administrator", async () => {
    e.server.site("").addUser({ name: "viewer-bot@example.com", siteRole: "Viewer" });
    const target = createTableauTarget(
      emulatorConfig(e, { auth: jwtAuth(e, undefined, "viewer-bot@example.com") }),
      { retry: retryPolicy },
    );
    const role = (await target.check()).find((c) => c.check.endsWith("site role"));
    expect(role).toMatchObject({ ok: false, detail: expect.stringContaining("Viewer") });
    await target.close?.();
  });

  it("fails the first check with a fix when the server cannot be reached", async () => {
    const gone = await startTableauEmulator({ port: 0 });
    const cfg = emulatorConfig(gone, { timeoutMs: 1000 });
    await gone.close();
    const target = createTableauTarget(cfg, { retry: retryPolicy, sleep: async () => {} });
    const checks = await target.check();
    expect(checks).toEqual([
      expect.objectContaining({ ok: false, fix: expect.stringContaining("serverUrl") }),
    ]);
  });
});
