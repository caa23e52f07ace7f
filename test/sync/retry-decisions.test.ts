import { describe, expect, it } from "vitest";
import { backoffDelay, decideRetry, parseRetryAfter } from "../../src/sync/retry.ts";
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

  it.each([
    [1, "retry"],
    [4, "retry"],
    [5, "dead"],
    [9, "dead"],
  ])("after %i attempts of 5 the job is %s", (attempts, kind) => {
    expect(decideRetry(attempts, policy, undefined, () => 0.5).kind).toBe(kind);
  });

  it.each([
    ["120", 120_000],
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
    expect(classifyTestTargetResponse(status, body, retryAfter)).toMatchObject(expected);
  });
});
