import { describe, expect, it } from "vitest";
import { backoffDelay, nextJobState, parseRetryAfter, retryPolicy } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import type { Outcome } from "../../src/targets/target.ts";
import { classifyTestTargetResponse } from "../support/test-kind.ts";

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 };

describe("retry timing", () => {
  it.each([
    // attempt, random, expected delay: ceiling = min(max, base * 2^(attempt-1)), jitter in [ceiling/2, ceiling]
    [1, 0, 500],
    [1, 1, 1000],
    [3, 0.5, 3000],
    [10, 1, 60_000],
    [10, 0, 30_000],
  ])("attempt %i with random %f waits %i ms", (attempt, r, expected) => {
    expect(backoffDelay(attempt, policy, undefined, () => r)).toBe(expected);
  });

  it("never retries earlier than the target asked (Retry-After, exhausted budget)", () => {
    expect(backoffDelay(1, policy, 30_000, () => 0)).toBe(30_000);
    expect(backoffDelay(1, policy, 30_000, () => 1)).toBe(31_000);
    expect(backoffDelay(8, policy, 2_000, () => 0)).toBe(2_000);
  });

  const retry: Outcome = { status: "retry", code: vendorCode("HTTP_503"), message: "unavailable" };
  it.each<[string, Outcome, number, { waiting?: boolean }, object]>([
    ["done", { status: "done", targetId: "x" }, 1, {}, { state: "done" }],
    [
      "the target's permanent answer",
      { status: "failed", code: vendorCode("409017"), message: "taken" },
      1,
      {},
      { state: "dead" },
    ],
    [
      "a transient failure, attempts left",
      retry,
      4,
      {},
      { state: "pending", delayMs: 6000, countAttempt: true },
    ],
    ["a transient failure, last attempt", retry, 5, {}, { state: "dead" }],
    ["Retry-After honoured", { ...retry, delayMs: 30_000 }, 1, {}, { state: "pending", delayMs: 30_500 }],
    [
      "a group waiting for members",
      { ...retry, code: "WAITING_FOR_MEMBERS", delayMs: 500 },
      9,
      { waiting: true },
      { state: "pending", delayMs: 500, countAttempt: false },
    ],
    [
      "refused credentials: parked long, never dead",
      { ...retry, code: "TARGET_CREDENTIALS_REJECTED", blocked: "credentials" },
      9,
      {},
      { state: "pending", delayMs: 300_500, countAttempt: false },
    ],
    [
      "an exhausted API budget: parked until it refills",
      { ...retry, delayMs: 60_000, blocked: "budget" },
      9,
      {},
      { state: "pending", delayMs: 60_500, countAttempt: false },
    ],
    [
      "a session ended after a fresh sign-in: backoff, never dead",
      { ...retry, blocked: "session" },
      12,
      {},
      { state: "pending", delayMs: 45_000, countAttempt: true },
    ],
  ])("%s → %o", (_why, outcome, attempts, opts, expected) => {
    expect(nextJobState(outcome, attempts, policy, { ...opts, random: () => 0.5 })).toMatchObject(expected);
  });

  it.each([
    ["120", 120_000],
    ["1.5", 1_500],
    ["0", 0],
    [" 7 ", 7_000],
    ["Wed, 21 Oct 2015 07:28:10 GMT", 10_000],
    ["soon", undefined],
    [null, undefined],
  ])("Retry-After %s is %s ms", (value, ms) => {
    expect(parseRetryAfter(value as string | null, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(ms);
  });
});

describe("test target failure classification", () => {
  it.each([
    [503, '{"error":"injected fault"}', null, { status: "retry", code: "HTTP_503" }],
    [429, "slow down", "3", { status: "retry", code: "HTTP_429", delayMs: 3000 }],
    [500, "boom", null, { status: "retry", code: "HTTP_500" }],
    [
      422,
      '{"error":"REJECTED","message":"refused by policy"}',
      null,
      { status: "failed", code: "REJECTED", message: "refused by policy" },
    ],
    [404, '{"error":"no such account"}', null, { status: "failed", code: "no such account" }],
    [400, "not json", null, { status: "failed", code: "HTTP_400", message: "not json" }],
  ])("HTTP %i %s → %o", (status, body, retryAfter, expected) => {
    expect(classifyTestTargetResponse(retryPolicy, status, body, retryAfter)).toMatchObject(expected);
  });
});
