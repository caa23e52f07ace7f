import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningTableauEmulator, startTableauEmulator } from "../../src/emulators/tableau/index.ts";
import { retryPolicy } from "../../src/sync/retry.ts";
import { classifyTableauError, createTableauTarget } from "../../src/targets/tableau/index.ts";
import { emulatorConfig, scimUser, targetIdOf, upsertUser } from "./tableau-fixtures.ts";

describe("classifyTableauError", () => {
  it.each([
    [409, "409017", {}, { status: "done" }],
    [409, "409000", {}, { status: "done" }],
    [409, "409009", {}, { status: "done" }],
    [409, "409011", {}, { status: "done" }],
    [400, "400013", {}, { status: "failed", code: "400013" }],
    [404, "404002", {}, { status: "failed", code: "404002" }],
    [403, "403014", {}, { status: "failed", code: "403014" }],
    [409, "409014", {}, { status: "failed", code: "409014" }],
    [401, "401002", {}, { status: "failed", code: "401002" }],
    [
      429,
      "429000",
      { "Retry-After": "29" },
      { status: "retry", code: "TARGET_RATE_LIMITED", delayMs: 29_000 },
    ],
    [429, "429000", {}, { status: "retry", code: "TARGET_RATE_LIMITED", delayMs: 60_000 }],
    [500, "500000", {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    [502, "502000", {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    [503, "503123", {}, { status: "retry", code: "503123" }],
    [503, "503000", { "Retry-After": "5" }, { status: "retry", code: "TARGET_UNAVAILABLE", delayMs: 5_000 }],
    [0, "TIMEOUT", {}, { status: "retry", code: "TARGET_TIMEOUT" }],
    [0, "NETWORK_ERROR", {}, { status: "retry", code: "TARGET_NETWORK_ERROR" }],
    [408, "408000", {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
  ] as const)("HTTP %i code %s → %o", (status, code, headers, expected) => {
    expect(classifyTableauError(retryPolicy, status, code, headers)).toMatchObject(expected);
  });

  it("keeps Tableau's message", () => {
    expect(classifyTableauError(retryPolicy, 400, "400013", {}, "Invalid site role: 'Overlord'")).toEqual({
      status: "failed",
      code: "400013",
      message: "Invalid site role: 'Overlord'",
    });
  });
});

describe("rate limits, server errors and timeouts against the emulator", () => {
  let clock = Date.parse("2026-03-01T10:00:58Z");
  let e: RunningTableauEmulator;
  beforeAll(async () => {
    e = await startTableauEmulator({ port: 0, now: () => clock });
  });
  afterAll(() => e.close());
  beforeEach(() => e.setFaults({ rateLimitPerMin: 0, errorRate: 0, timeoutRate: 0 }));

  it("waits out a short Retry-After and then succeeds", async () => {
    const waits: number[] = [];
    // The injected sleep moves the emulator's clock, so the wait is exactly what Retry-After said.
    const target = createTableauTarget(emulatorConfig(e), {
      retry: retryPolicy,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    clock = Date.parse("2026-03-01T10:00:58Z");
    e.setFaults({ rateLimitPerMin: 3 }); // serverInfo, sign-in and add fit; the update gets 429
    const [outcome] = await target.apply([upsertUser(scimUser("patient@example.com"))]);
    expect(outcome).toMatchObject({ status: "done" });
    // Retry-After said 2 s; the shared backoff adds up to 10% so that workers do not return together.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits[0]).toBeLessThanOrEqual(2200);
    expect(e.server.site("").user(targetIdOf(outcome)).fullName).toBe("Test patient");
    await target.close?.();
  });

  it("hands a long Retry-After back to the dispatcher as a retry with that delay", async () => {
    const target = createTableauTarget(emulatorConfig(e, { apiVersion: "3.25" }), {
      retry: retryPolicy,
      sleep: async () => {
        throw new Error("must not wait in place");
      },
    });
    clock = Date.parse("2026-03-01T10:05:05Z");
    e.setFaults({ rateLimitPerMin: 1 }); // the sign-in uses the minute's only call
    const [outcome] = await target.apply([upsertUser(scimUser("later@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_RATE_LIMITED", delayMs: 55_000 });
    expect(e.server.site("").userByNameCi("later@example.com")).toBeUndefined();
    await target.close?.();
  });

  it("retries server errors in place, then reports them as retryable", async () => {
    const waits: number[] = [];
    const target = createTableauTarget(emulatorConfig(e, { apiVersion: "3.25" }), {
      retry: retryPolicy,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await target.check();
    e.setFaults({ errorRate: 1 });
    const [outcome] = await target.apply([upsertUser(scimUser("unlucky@example.com"))]);
    expect(outcome).toMatchObject({ status: "retry", code: "TARGET_UNAVAILABLE" });
    expect(waits).toHaveLength(2); // three attempts in all
    await target.close?.();
  });

  it("turns a call Tableau never answers into a retryable timeout", async () => {
    const target = createTableauTarget(emulatorConfig(e, { apiVersion: "3.25", timeoutMs: 100 }), {
      retry: retryPolicy,
      sleep: async () => {},
      maxAttempts: 1,
    });
    await target.check();
    e.setFaults({ timeoutRate: 1 });
    const [outcome] = await target.apply([upsertUser(scimUser("slow@example.com"))]);
    expect(outcome).toMatchObject({
      status: "retry",
      code: "TARGET_TIMEOUT",
      message: expect.stringContaining("100 ms"),
    });
    e.setFaults({ timeoutRate: 0 });
    await target.close?.();
  });
});
