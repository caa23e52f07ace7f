// What the console tells an admin to do about a resource's state in a target, by state and the target's code.
import { describe, expect, it } from "vitest";
import { whatToDo } from "../../src/http/console/advice.ts";

describe("what to do about a resource's state in a target", () => {
  it.each([
    [{ state: "synced" }, /^Nothing: the target matches/],
    [{ state: "synced", deprovisioned: true }, /account is deprovisioned/],
    [{ state: "pending" }, /queued/],
    [{ state: "pending", errorCode: "REQUEST_LIMIT_EXCEEDED" }, /retries on its own/],
    [{ state: "pending", errorCode: "INVALID_SESSION_ID" }, /cannot sign in .* health checks/],
    [{ state: "held" }, /circuit breaker: review it under Failed & held/],
    [
      { state: "failed", errorCode: "DUPLICATE_USERNAME" },
      /refused this change permanently.*Fix the value in the IdP/,
    ],
    [{ state: "failed", errorCode: "400013" }, /refused this change permanently/],
    [{ state: "failed", errorCode: "403004" }, /credentials or permissions/],
    [{ state: "failed", errorCode: "503" }, /retries ran out.*Retry now/],
    [{ state: "failed", errorCode: "TIMEOUT" }, /retries ran out/],
  ])("%o → %s", (facts, advice) => {
    expect(whatToDo(facts)).toMatch(advice);
  });
});
