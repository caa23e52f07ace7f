// The retry policy every kind receives (sync/retry.ts): which answers are transient, the short backoff, and the
// short-retry wrapper, here and as the test kind uses it against its accounts API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backoffDelay,
  credentialsRejected,
  retryPolicy,
  SHORT_RETRY_BACKOFF,
  shortRetry,
  transientStatus,
  transportRetry,
} from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import type { RetryPolicy, TransportFacts } from "../../src/targets/kind.ts";
import type { Operation, Outcome } from "../../src/targets/target.ts";
import { TestTargetConfig, testKind } from "../support/test-kind.ts";
import { type RunningTestTarget, startTestTarget } from "../support/test-target.ts";

describe("transport classification", () => {
  it.each<[number, TransportFacts, Partial<Outcome> | undefined]>([
    [0, {}, { status: "retry", code: "TARGET_NETWORK_ERROR" }],
    [0, { timedOut: true }, { status: "retry", code: "TARGET_TIMEOUT" }],
    [408, {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    [429, {}, { status: "retry", code: "TARGET_RATE_LIMITED" }],
    [429, { retryAfterMs: 2_000 }, { status: "retry", code: "TARGET_RATE_LIMITED", delayMs: 2_000 }],
    [500, {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    [
      503,
      { targetCode: vendorCode("SERVER_UNAVAILABLE") },
      { status: "retry", code: vendorCode("SERVER_UNAVAILABLE") },
    ],
    [599, {}, { status: "retry", code: "TARGET_UNAVAILABLE" }],
    // Any other 4xx is the target's own answer: the kind decides (permanent, or a refused sign-in).
    [400, {}, undefined],
    [401, {}, undefined],
    [403, {}, undefined],
    [404, { retryAfterMs: 1_000 }, undefined],
    [409, {}, undefined],
    [422, {}, undefined],
  ])("HTTP %i %o → %o", (status, facts, expected) => {
    const got = transportRetry(status, "what the target said", facts);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject({ ...expected, message: "what the target said" });
    expect(transientStatus(status)).toBe(expected !== undefined);
  });

  it("names the status when the target said nothing", () => {
    expect(transportRetry(503, "")).toMatchObject({ message: "HTTP 503" });
  });

  it("parks a refused sign-in, keeping the target's code in the message", () => {
    expect(credentialsRejected("invalid_grant", "authentication failure")).toEqual({
      status: "retry",
      code: "TARGET_CREDENTIALS_REJECTED",
      message: "invalid_grant: authentication failure",
      blocked: "credentials",
    });
  });

  it("is what every kind receives", () => {
    expect(retryPolicy.transient(429)).toBe(true);
    expect(retryPolicy.retryAfterMs("3")).toBe(3_000);
    expect(retryPolicy.transport(502, "bad gateway")).toEqual(transportRetry(502, "bad gateway"));
  });
});

describe("short backoff in place", () => {
  it.each([
    // attempt, random, Retry-After, wait: min(2 s, 250 ms × 2^(attempt−1)), jitter in [half, all]
    [1, 0, undefined, 125],
    [1, 1, undefined, 250],
    [2, 1, undefined, 500],
    [4, 1, undefined, 2_000],
    [9, 0, undefined, 1_000],
    // The target's Retry-After, spread by up to 10%.
    [1, 0, 1_000, 1_000],
    [1, 1, 1_000, 1_100],
  ])("attempt %i, random %f, Retry-After %s ms → %i ms", (attempt, r, after, wait) => {
    expect(backoffDelay(attempt, SHORT_RETRY_BACKOFF, after, () => r)).toBe(wait);
  });
});

class Answer extends Error {
  readonly outcome: Outcome;
  constructor(outcome: Outcome) {
    super("answer");
    this.outcome = outcome;
  }
}
const retryAfter = (ms?: number): Outcome => ({
  status: "retry",
  code: "TARGET_RATE_LIMITED",
  message: "slow down",
  ...(ms === undefined ? {} : { delayMs: ms }),
});

/** Runs `shortRetry` over a call that fails with `failures` in turn, then succeeds. */
async function run(failures: Outcome[], options: { maxAttempts?: number; maxWaitMs?: number } = {}) {
  const waits: number[] = [];
  let calls = 0;
  const result = await shortRetry(
    async () => {
      const f = failures[calls++];
      if (f) throw new Answer(f);
      return "ok";
    },
    {
      classify: (e) => (e instanceof Answer ? e.outcome : undefined),
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...options,
    },
  ).catch((e: unknown) => e);
  return { result, calls, waits };
}

describe("the short-retry wrapper", () => {
  it("tries a transient failure again after the short backoff", async () => {
    const { result, calls, waits } = await run([retryAfter(), retryAfter()]);
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(waits[0]).toBeGreaterThanOrEqual(125);
    expect(waits[0]).toBeLessThanOrEqual(250);
    expect(waits[1]).toBeGreaterThanOrEqual(250);
    expect(waits[1]).toBeLessThanOrEqual(500);
  });

  it("waits as long as Retry-After says", async () => {
    const { result, waits } = await run([retryAfter(3_000)]);
    expect(result).toBe("ok");
    expect(waits[0]).toBeGreaterThanOrEqual(3_000);
    expect(waits[0]).toBeLessThanOrEqual(3_300);
  });

  it("hands a Retry-After beyond its cap back at once, for the dispatcher to wait out", async () => {
    const { result, calls, waits } = await run([retryAfter(30_000)]);
    expect((result as Answer).outcome).toMatchObject({ delayMs: 30_000 });
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it("hands the failure back after maxAttempts calls", async () => {
    const { result, calls } = await run([retryAfter(), retryAfter(), retryAfter(0)], { maxAttempts: 3 });
    expect((result as Answer).outcome).toMatchObject({ delayMs: 0 });
    expect(calls).toBe(3);
  });

  it("never repeats a permanent answer or an error it cannot classify", async () => {
    const refused = await run([{ status: "failed", code: vendorCode("409017"), message: "taken" }]);
    expect(refused.calls).toBe(1);
    expect((refused.result as Answer).outcome.status).toBe("failed");
    let calls = 0;
    const bug = await shortRetry(
      async () => {
        calls++;
        throw new TypeError("x is not a function");
      },
      { classify: () => undefined, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(bug).toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });
});

describe("the test kind through the shared wrapper", () => {
  let accounts: RunningTestTarget;
  beforeAll(async () => {
    accounts = await startTestTarget();
  });
  afterAll(() => accounts.close());

  /** The policy as the bridge hands it, with the wrapper's waits recorded instead of slept. */
  function recordingPolicy(waits: number[]): RetryPolicy {
    return {
      ...retryPolicy,
      shortRetry: (fn, options) =>
        retryPolicy.shortRetry(fn, {
          ...options,
          sleep: async (ms) => {
            waits.push(ms);
          },
        }),
    };
  }
  const target = (waits: number[], attemptsInPlace?: number) =>
    testKind.create(TestTargetConfig.parse({ name: "t", kind: "test", url: accounts.url, attemptsInPlace }), {
      retry: recordingPolicy(waits),
    });
  const upsert = (userName: string): Operation => ({
    kind: "user.upsert",
    key: userName,
    user: { scimId: userName, data: { userName }, active: true, groups: [] },
  });

  it("retries a 429 in place after its Retry-After, and creates the account once", async () => {
    const waits: number[] = [];
    accounts.setFaults({ rateLimitNext: 1, retryAfter: "1" });
    const [outcome] = await target(waits, 3).apply([upsert("limited@example.com")]);
    expect(outcome).toMatchObject({ status: "done" });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(waits[0]).toBeLessThanOrEqual(1_100);
    expect([...accounts.accounts.values()].filter((a) => a.key === "limited@example.com")).toHaveLength(1);
  });

  it("hands a 429 that goes on back to the dispatcher with the policy's outcome", async () => {
    const waits: number[] = [];
    accounts.setFaults({ rateLimitNext: 5, retryAfter: "2" });
    const [outcome] = await target(waits, 3).apply([upsert("still-limited@example.com")]);
    expect(outcome).toMatchObject({ status: "retry", code: "HTTP_429", delayMs: 2_000 });
    expect(waits).toHaveLength(2);
    accounts.setFaults({ rateLimitNext: 0 });
  });

  it("by default makes one call and leaves the retry to the dispatcher", async () => {
    const waits: number[] = [];
    accounts.setFaults({ rateLimitNext: 1, retryAfter: "1" });
    const [outcome] = await target(waits).apply([upsert("once@example.com")]);
    expect(outcome).toMatchObject({ status: "retry", code: "HTTP_429", delayMs: 1_000 });
    expect(waits).toEqual([]);
    accounts.setFaults({ rateLimitNext: 0 });
  });
});
