// Failures 2, 3, 4, 6 and 7 of issue #10, each reproduced with one fault from our own proxy between a target and
// its emulator: what the target reports must lead to a retry (never a dead job) for a transient fault, honour
// Retry-After, and park (not kill) work when the credentials are refused.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { DEFAULT_BACKOFF, nextJobState, retryPolicy } from "../../src/sync/retry.ts";
import { createSalesforceTarget } from "../../src/targets/salesforce/index.ts";
import { createTableauTarget } from "../../src/targets/tableau/index.ts";
import type { Outcome } from "../../src/targets/target.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { scimUser as sfUser, startOrg, targetConfig, upsert } from "./salesforce-fixtures.ts";
import { emulatorConfig, jwtAuth, scimUser as tUser, upsertUser } from "./tableau-fixtures.ts";

/** What the dispatcher makes of an outcome on the job's last allowed attempt. */
const onLastAttempt = (o: Outcome | undefined) =>
  nextJobState(o!, DEFAULT_BACKOFF.maxAttempts, DEFAULT_BACKOFF).state;

describe("Tableau through a faulty network", () => {
  let e: RunningTableauEmulator;
  let proxy: FaultProxy;
  beforeAll(async () => {
    e = await startTableauEmulator({ port: 0 });
    proxy = await startFaultProxy(e.url);
  });
  afterAll(async () => {
    await proxy.close();
    await e.close();
  });
  afterEach(() => proxy.off());
  const viaProxy = (over: Parameters<typeof emulatorConfig>[1] = {}) => ({
    ...emulatorConfig(e, { apiVersion: "3.25", ...over }),
    serverUrl: proxy.url,
  });

  it("failure 2: a connected-app sign-in whose answer was lost is retried with a fresh JWT, not refused as a replay", async () => {
    const target = createTableauTarget(viaProxy({ auth: jwtAuth(e) }), {
      retry: retryPolicy,
      sleep: async () => {},
    });
    proxy.once({ method: "POST", path: /\/auth\/signin$/ }, "reset-after");
    const [outcome] = await target.apply([upsertUser(tUser("replay@example.com"))]);
    expect(outcome).toMatchObject({ status: "done" });
    expect(e.server.site("").userByNameCi("replay@example.com")).toBeDefined();
    await target.close?.();
  });

  it("failure 4: a 401 again right after re-sign-in (a PAT shared with another process) is retried, never dead", async () => {
    const target = createTableauTarget(viaProxy(), { retry: retryPolicy, sleep: async () => {} });
    await target.check();
    proxy.once({ path: /\/sites\/[^/]+\/users/ }, "401-tableau", 3);
    const [outcome] = await target.apply([upsertUser(tUser("evicted@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_SESSION_LOST", blocked: "session" });
    expect(onLastAttempt(outcome)).toBe("pending");
    await target.close?.();
  });

  it("a wrong PAT parks the work as a credentials failure instead of killing it", async () => {
    const target = createTableauTarget(
      viaProxy({ auth: { pat: { name: e.options.patName, secret: "wrong" } } }),
      { retry: retryPolicy },
    );
    const [outcome] = await target.apply([upsertUser(tUser("nope@example.com"))]);
    expect(outcome).toMatchObject({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      blocked: "credentials",
    });
    expect(onLastAttempt(outcome)).toBe("pending");
  });

  it("a transient failure during sign-in gets the ordinary backoff, not the credentials delay", async () => {
    const target = createTableauTarget(viaProxy(), {
      retry: retryPolicy,
      sleep: async () => {},
      maxAttempts: 1,
    });
    proxy.once({ method: "POST", path: /\/auth\/signin$/ }, "502-html");
    const [outcome] = await target.apply([upsertUser(tUser("gateway@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_UNAVAILABLE" });
    expect(outcome).not.toHaveProperty("blocked");
    await target.close?.();
  });
});

describe("Salesforce through a faulty network", () => {
  let emu: RunningSalesforceEmulator;
  let proxy: FaultProxy;
  beforeAll(async () => {
    emu = await startOrg();
    proxy = await startFaultProxy(emu.url);
  });
  afterAll(async () => {
    await proxy.close();
    await emu.close();
  });
  afterEach(() => proxy.off());
  const target = () =>
    createSalesforceTarget(targetConfig(emu, { loginUrl: proxy.url }), { retry: retryPolicy });

  it("failure 3: a 5xx HTML page at login is retried, not a dead UNEXPECTED_ERROR", async () => {
    proxy.once({ method: "POST", path: /\/services\/oauth2\/token$/ }, "502-html");
    const [outcome] = await target().apply([upsert(sfUser("html-login@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_UNAVAILABLE" });
    expect(outcome).not.toHaveProperty("blocked");
  });

  it("failure 3: a gateway's JSON 5xx without a Salesforce errorCode is retried", async () => {
    const t = target();
    await t.check();
    proxy.once({ method: "POST", path: /\/composite\/sobjects$/ }, "503-json");
    const [outcome] = await t.apply([upsert(sfUser("gateway-json@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_UNAVAILABLE" });
  });

  it("failure 3: a group member that cannot be added fails the group instead of a note on a synced group", async () => {
    const [outcome] = await target().apply([
      {
        kind: "group.upsert",
        key: "g",
        group: { scimId: "g", displayName: "Unaddable", memberTargetIds: ["005000000000000AAA"] },
      },
    ]);
    expect(outcome?.status).not.toBe("done");
    expect(outcome).toMatchObject({ message: expect.stringContaining("005000000000000AAA") });
  });

  it("failure 6: a connection reset during re-login is retried with the ordinary backoff", async () => {
    const t = target();
    await t.check();
    emu.revokeSessions();
    proxy.once({ method: "POST", path: /\/services\/oauth2\/token$/ }, "reset-before");
    const [outcome] = await t.apply([upsert(sfUser("relogin@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_NETWORK_ERROR" });
    // No 5-minute park: the dispatcher's own backoff decides.
    expect(outcome).not.toHaveProperty("delayMs");
    expect(outcome).not.toHaveProperty("blocked");
  });

  it("wrong credentials are parked as a credentials failure", async () => {
    const t = createSalesforceTarget(
      targetConfig(emu, {
        loginUrl: proxy.url,
        auth: {
          password: { clientId: "x", clientSecret: "y", username: "nobody@example.com", password: "no" },
        },
      }),
      { retry: retryPolicy },
    );
    const [outcome] = await t.apply([upsert(sfUser("creds@example.com"))]);
    expect(outcome).toMatchObject({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      blocked: "credentials",
    });
  });

  it.each(["429", "429-date"] as const)(
    "failure 7: Retry-After (%s) is handed to the dispatcher; jsforce does not retry behind its back",
    async (fault) => {
      const t = target();
      const before = proxy.requests;
      // The first GET of a fresh target is the Profile name lookup (after the token request).
      proxy.once({ method: "GET", path: /\/query/ }, fault);
      const [outcome] = await t.apply([upsert(sfUser(`limited-${fault}@example.com`))]);
      expect(outcome).toMatchObject({ status: "retry", code: "TARGET_RATE_LIMITED" });
      // The proxy said "1" or a date about a second ahead.
      expect(outcome).toHaveProperty("delayMs");
      expect((outcome as { delayMs: number }).delayMs).toBeLessThanOrEqual(1000);
      // The token request, then one query that was refused; nothing was sent again in place.
      expect(proxy.requests - before).toBe(2);
    },
  );
});
