import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningSalesforceEmulator } from "../../src/emulators/salesforce/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { SubrequestError } from "../../src/targets/salesforce/composite.ts";
import { classifySalesforceError } from "../../src/targets/salesforce/index.ts";
import { doneId, salesforceTarget, scimUser, startOrg, upsert } from "./salesforce-fixtures.ts";

const SF_URN = "urn:ietf:params:scim:schemas:extension:salesforce:2.0:User";

describe("classifySalesforceError", () => {
  const parkMs = 3_600_000;
  const cases: [
    string,
    Parameters<typeof classifySalesforceError>[0],
    { retry: boolean; code: string; delayMs?: number; blocked?: string },
  ][] = [
    [
      "duplicate username",
      { errorCode: "DUPLICATE_USERNAME", message: "Duplicate Username." },
      { retry: false, code: "DUPLICATE_USERNAME" },
    ],
    [
      "collection record error",
      { statusCode: "STRING_TOO_LONG", message: "Title: data value too large" },
      { retry: false, code: "STRING_TOO_LONG" },
    ],
    [
      "required field",
      { statusCode: "REQUIRED_FIELD_MISSING", message: "Required fields are missing" },
      { retry: false, code: "REQUIRED_FIELD_MISSING" },
    ],
    [
      "licence",
      { statusCode: "LICENSE_LIMIT_EXCEEDED", message: "License Limit Exceeded" },
      { retry: false, code: "LICENSE_LIMIT_EXCEEDED" },
    ],
    [
      "budget",
      { errorCode: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded." },
      { retry: true, code: "REQUEST_LIMIT_EXCEEDED", delayMs: parkMs },
    ],
    [
      "row lock",
      { statusCode: "UNABLE_TO_LOCK_ROW", message: "unable to obtain exclusive access" },
      { retry: true, code: "UNABLE_TO_LOCK_ROW", delayMs: 5000 },
    ],
    [
      "500",
      { errorCode: "UNKNOWN_EXCEPTION", message: "An unexpected error occurred" },
      { retry: true, code: "UNKNOWN_EXCEPTION" },
    ],
    [
      "503",
      { errorCode: "SERVER_UNAVAILABLE", message: "Server temporarily unavailable" },
      { retry: true, code: "SERVER_UNAVAILABLE" },
    ],
    [
      "a /composite subrequest answered 503 with a code of its own",
      new SubrequestError(503, [{ errorCode: "SOME_GATEWAY_CODE", message: "try later" }]),
      { retry: true, code: "SOME_GATEWAY_CODE" },
    ],
    [
      "non-JSON 502 (jsforce's ERROR_HTTP_502)",
      { errorCode: "ERROR_HTTP_502", message: "<html>Bad gateway", status: 502 },
      { retry: true, code: "TARGET_UNAVAILABLE" },
    ],
    [
      "failure 3: a 503 HTML page is retried whatever the body",
      { errorCode: "ERROR_HTTP_503", message: "HTTP response contains html content." },
      { retry: true, code: "TARGET_UNAVAILABLE" },
    ],
    [
      "failure 3: a gateway's JSON 5xx without a Salesforce code is retried",
      { errorCode: "Error", name: "Error", message: "Service Unavailable", status: 503 },
      { retry: true, code: "TARGET_UNAVAILABLE" },
    ],
    [
      "a 5xx keeps Salesforce's own code when there is one",
      { errorCode: "SERVER_UNAVAILABLE", message: "down", status: 503 },
      { retry: true, code: "SERVER_UNAVAILABLE" },
    ],
    [
      "failure 7: 429 waits for Retry-After in seconds",
      { errorCode: "Error", message: "Too Many Requests", status: 429, retryAfter: "7" },
      { retry: true, code: "TARGET_RATE_LIMITED", delayMs: 7000 },
    ],
    [
      "a permanent code on a 4xx",
      { errorCode: "INVALID_FIELD", message: "No such column", status: 400 },
      { retry: false, code: "INVALID_FIELD" },
    ],
    [
      "session after re-auth",
      { errorCode: "INVALID_SESSION_ID", message: "Session expired or invalid", status: 401 },
      { retry: true, code: "INVALID_SESSION_ID" },
    ],
    [
      "login refused: parked, shown as a credentials problem",
      { name: "SalesforceAuthError", code: "invalid_grant", status: 400, message: "authentication failure" },
      { retry: true, code: "TARGET_CREDENTIALS_REJECTED", blocked: "credentials" },
    ],
    [
      "wrong client secret",
      {
        name: "SalesforceAuthError",
        code: "invalid_client",
        status: 400,
        message: "invalid client credentials",
      },
      { retry: true, code: "TARGET_CREDENTIALS_REJECTED", blocked: "credentials" },
    ],
    [
      "failure 6: a connection reset during re-login gets the ordinary backoff",
      {
        name: "SalesforceAuthError",
        code: "NETWORK_ERROR",
        status: 0,
        message: "token request failed: ECONNRESET",
      },
      { retry: true, code: "TARGET_NETWORK_ERROR" },
    ],
    [
      "failure 3: a 503 page at login is transient",
      {
        name: "SalesforceAuthError",
        code: "HTTP_503",
        status: 503,
        message: "login refused (HTTP_503)",
        retryAfterMs: 2000,
      },
      { retry: true, code: "TARGET_UNAVAILABLE", delayMs: 2000 },
    ],
    [
      "connection reset",
      { name: "FetchError", code: "ECONNRESET", message: "socket hang up" },
      { retry: true, code: "TARGET_NETWORK_ERROR" },
    ],
    [
      "jsforce timeout",
      { name: "Error", message: "Request Timeout" },
      { retry: true, code: "TARGET_TIMEOUT" },
    ],
    [
      "not Salesforce's answer: retried until the attempts run out, never dead at once",
      { name: "TypeError", message: "x is not a function" },
      { retry: true, code: "TARGET_ERROR" },
    ],
  ];
  it.each(cases)("%s", (_, error, expected) => {
    expect(classifySalesforceError(error, { parkMs, retry: retryPolicy })).toMatchObject(expected);
  });
});

describe("Salesforce target: errors from the org", () => {
  let emu: RunningSalesforceEmulator;
  beforeAll(async () => {
    emu = await startOrg({ licenses: { "Chatter Free": 1 } });
  });
  afterAll(() => emu.close());
  afterEach(() => emu.setFaults({ errorRate: 0, timeoutRate: 0 }));

  it("fails each refused record with Salesforce's own code and message, and creates the others", async () => {
    const target = salesforceTarget(emu);
    const ops = [
      upsert(scimUser("taken@another-org.example")),
      upsert(scimUser("noprofile@example.com", {}, {})),
      upsert(scimUser("bad.email@example.com", { emails: [{ value: "not-an-email", primary: true }] })),
      upsert(scimUser("badref@example.com", { [SF_URN]: { ProfileId: "00e000000000000AAA" } })),
      upsert(scimUser("long@example.com", { title: "T".repeat(81) })),
      upsert(scimUser("mars@example.com", { [SF_URN]: { TimeZoneSidKey: "Mars/Olympus_Mons" } })),
      upsert(scimUser("ok@example.com")),
    ];
    // This one user has no profile at all: no mapped profile and no default profile.
    const noProfile = salesforceTarget(emu, { mapping: { fields: {} }, defaultProfile: null });
    const [missing] = await noProfile.apply([ops[1] as (typeof ops)[number]]);
    expect(missing).toMatchObject({
      status: "failed",
      code: "REQUIRED_FIELD_MISSING",
      message: expect.stringContaining("ProfileId"),
    });

    const outcomes = await target.apply(ops.filter((_, i) => i !== 1));
    expect(outcomes.map((o) => (o.status === "done" ? "done" : o.code))).toEqual([
      "DUPLICATE_USERNAME",
      "INVALID_EMAIL_ADDRESS",
      "INVALID_CROSS_REFERENCE_KEY",
      "STRING_TOO_LONG",
      "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
      "done",
    ]);
    expect(outcomes.every((o) => o.status === "done" || o.status === "failed")).toBe(true);
    // Salesforce's <br> between sentences is text in the outcome, not markup shown literally in the console.
    expect(outcomes[0]).toMatchObject({
      message: expect.stringContaining("Duplicate Username. The username already exists"),
    });
    expect(JSON.stringify(outcomes)).not.toMatch(/<br/i);
  });

  it("fails with LICENSE_LIMIT_EXCEEDED when the licence has no free seat", async () => {
    const target = salesforceTarget(emu, {
      mapping: { fields: { ProfileId: { const: "Chatter Free User" } } },
    });
    const [first, second] = await target.apply([
      upsert(scimUser("seat1@example.com")),
      upsert(scimUser("seat2@example.com")),
    ]);
    expect(first?.status).toBe("done");
    expect(second).toMatchObject({ status: "failed", code: "LICENSE_LIMIT_EXCEEDED" });
  });

  it("returns retry for 5xx answers and creates exactly once when retried", async () => {
    const target = salesforceTarget(emu);
    const ops = [upsert(scimUser("flaky1@example.com")), upsert(scimUser("flaky2@example.com"))];
    emu.setFaults({ errorRate: 1 });
    const outcomes = await target.apply(ops);
    expect(outcomes).toHaveLength(2);
    for (const o of outcomes) {
      expect(o.status).toBe("retry");
      expect(["UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE"]).toContain(o.status === "retry" ? o.code : "");
    }
    emu.setFaults({ errorRate: 0 });
    const again = await target.apply(ops);
    expect(again.map((o) => o.status)).toEqual(["done", "done"]);
    expect(emu.org.users().filter((u) => String(u.Username).startsWith("flaky"))).toHaveLength(2);
  });

  it("returns retry (TARGET_TIMEOUT) when Salesforce does not answer within timeoutMs", async () => {
    const target = salesforceTarget(emu, { timeoutMs: 300 });
    await target.check(); // log in first: the fault only hangs data calls
    emu.setFaults({ timeoutRate: 1 });
    const [outcome] = await target.apply([upsert(scimUser("slow@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_TIMEOUT" });
  });
});

describe("Salesforce target: API budget", () => {
  let emu: RunningSalesforceEmulator;
  beforeAll(async () => {
    emu = await startOrg();
  });
  afterAll(() => emu.close());

  it("parks the rest of the batch with a delay once Sforce-Limit-Info shows 95% used, without further calls", async () => {
    let clock = 1_000_000;
    const target = salesforceTarget(
      emu,
      { budget: { maxUsage: 0.95, parkMs: 3_600_000 } },
      { now: () => clock },
    );
    emu.setFaults({ apiBudget: 100 });
    emu.stats.apiCalls = 95; // the org's other integrations used most of today's allocation
    const outcomes = await target.apply([
      upsert(scimUser("late1@example.com")),
      upsert(scimUser("late2@example.com")),
    ]);
    expect(outcomes).toHaveLength(2);
    for (const o of outcomes)
      expect(o).toMatchObject({ status: "retry", code: "REQUEST_LIMIT_EXCEEDED", delayMs: 3_600_000 });
    const used = emu.stats.apiCalls;
    clock += 600_000;
    const later = await target.apply([upsert(scimUser("late1@example.com"))]);
    expect(later[0]).toMatchObject({ status: "retry", delayMs: 3_000_000 });
    expect(emu.stats.apiCalls).toBe(used);
    expect(emu.org.users().filter((u) => String(u.Username).startsWith("late"))).toHaveLength(0);
  });

  it("parks work on 403 REQUEST_LIMIT_EXCEEDED", async () => {
    const target = salesforceTarget(emu, { budget: { maxUsage: 1, parkMs: 120_000 } });
    emu.setFaults({ apiBudget: 10 });
    emu.stats.apiCalls = 10;
    const [outcome] = await target.apply([upsert(scimUser("over@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "REQUEST_LIMIT_EXCEEDED" });
    expect(outcome?.status === "retry" && outcome.delayMs).toBeGreaterThan(100_000);
    emu.setFaults({ apiBudget: 100_000 });
    emu.stats.apiCalls = 0;
    // Still parked: the allocation's refill time is unknown, so the target waits out parkMs.
    expect((await target.apply([upsert(scimUser("over@example.com"))]))[0]?.status).toBe("retry");
    expect(doneId((await salesforceTarget(emu).apply([upsert(scimUser("over@example.com"))]))[0])).toMatch(
      /^005/,
    );
  });
});
