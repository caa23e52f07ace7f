import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import {
  DEMO,
  doneId,
  jwtPrivateKeyPem,
  routeDelta,
  salesforceTarget,
  scimUser,
  startOrg,
  upsert,
} from "./salesforce-fixtures.ts";

let emu: RunningSalesforceEmulator;
beforeAll(async () => {
  emu = await startOrg();
});
afterAll(() => emu.close());

const tokenCalls = () => emu.stats.byRoute["POST /oauth2/token"] ?? 0;

const FLOWS = {
  password: undefined,
  clientCredentials: { clientCredentials: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret } },
  jwt: { jwt: { clientId: DEMO.clientId, username: DEMO.username, privateKey: jwtPrivateKeyPem } },
} as const;

describe("Salesforce target: sessions", () => {
  it.each(Object.entries(FLOWS))(
    "logs in again with the %s flow after the session is revoked",
    async (flow, auth) => {
      const target = salesforceTarget(emu, auth ? { auth } : {});
      doneId((await target.apply([upsert(scimUser(`before.${flow}@example.com`))]))[0]);
      const logins = tokenCalls();
      emu.revokeSessions();
      // Three batches at once all meet the dead session; they share one new login.
      const outcomes = await Promise.all(
        [1, 2, 3].map((n) => target.apply([upsert(scimUser(`after${n}.${flow}@example.com`))])),
      );
      expect(outcomes.flat().map((o) => o.status)).toEqual(["done", "done", "done"]);
      expect(tokenCalls() - logins).toBe(1);
    },
  );

  it("reports a failed login in check() with what to fix, and passes with good credentials", async () => {
    const good = await salesforceTarget(emu).check();
    expect(good.map((c) => [c.check, c.ok])).toEqual([
      ["login", true],
      ["api access", true],
      ["create users", true],
      ["read profiles", true],
      ["mapping references", true],
    ]);
    const bad = await salesforceTarget(emu, {
      auth: { clientCredentials: { clientId: DEMO.clientId, clientSecret: "wrong" } },
    }).check();
    expect(bad).toEqual([
      expect.objectContaining({
        check: "login",
        ok: false,
        fix: expect.stringContaining("client credentials flow"),
      }),
    ]);
  });

  it("reports profiles and permission sets the mapping names but the org lacks", async () => {
    const results = await salesforceTarget(emu, {
      mapping: {
        fields: { ProfileId: { const: "Standard User" } },
        groupRules: [{ group: "X", set: { ProfileId: "Missing Profile", permissionSets: ["Gone_Set"] } }],
      },
    }).check();
    expect(results.at(-1)).toMatchObject({
      check: "mapping references",
      ok: false,
      detail: expect.stringContaining('profile "Missing Profile", permission set "Gone_Set"'),
    });
  });
});

describe("Salesforce target: batching", () => {
  it("creates 500 users in batches of 200: per batch one /composite for correlation and one collection call", async () => {
    const target = salesforceTarget(emu);
    await target.check(); // warm up: login and the Profile lookup are once per target, not per batch
    await target.apply([upsert(scimUser("warmup@example.com"))]);
    const before = { ...emu.stats.byRoute };
    const calls = emu.stats.apiCalls;
    const users = Array.from({ length: 500 }, (_, i) => scimUser(`bulk${i}@example.com`));
    const outcomes = [];
    for (let i = 0; i < users.length; i += target.batchSize) {
      outcomes.push(...(await target.apply(users.slice(i, i + target.batchSize).map((u) => upsert(u)))));
    }
    expect(outcomes.filter((o) => o.status === "done")).toHaveLength(500);
    const delta = routeDelta(before, emu.stats.byRoute);
    expect(delta["POST /composite/sobjects"]).toBe(3);
    // The IN queries for FederationIdentifier, Username and Email travel in one /composite call per batch.
    expect(delta["POST /composite"]).toBe(3);
    expect(delta["GET /query"]).toBeUndefined();
    const perUser = (emu.stats.apiCalls - calls) / 500;
    expect(perUser).toBe(0.012);
    console.info(
      `Salesforce bulk create: ${emu.stats.apiCalls - calls} API calls for 500 users = ${perUser} per user`,
      delta,
    );
  });
});
