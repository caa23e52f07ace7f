// What a refused sign-in does to the work, from the target's sign-in history (every process's sign-ins): one row
// per case. A refusal among successes is retried with the ordinary backoff; credentials that never worked, or that
// are refused again and again for a while, park the work (and only then does the target show unhealthy).
import { describe, expect, it } from "vitest";
import type { SignInHistory } from "../../src/store/index.ts";
import { nextJobState, signInVerdict } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import type { Outcome } from "../../src/targets/target.ts";

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 };
const refused: Outcome = {
  status: "retry",
  code: "TARGET_CREDENTIALS_REJECTED",
  message: "401001: sign-in refused",
  blocked: "credentials",
};
const history = (h: Partial<SignInHistory>): SignInHistory => ({
  sinceOkMs: undefined,
  refusals: 0,
  refusingForMs: 0,
  ...h,
});

describe("signInVerdict", () => {
  it.each<[string, SignInHistory | undefined, "park" | "retry"]>([
    ["no history known: parked, as before", undefined, "park"],
    ["credentials that never worked: parked at once", history({ refusals: 1 }), "park"],
    ["never worked, refused for long: parked", history({ refusals: 9, refusingForMs: 600_000 }), "park"],
    [
      "one refusal right after a success: retried",
      history({ sinceOkMs: 2_000, refusals: 1, refusingForMs: 0 }),
      "retry",
    ],
    [
      "worked long ago, refused once: retried (a rotated secret parks after the run below)",
      history({ sinceOkMs: 86_400_000, refusals: 1 }),
      "retry",
    ],
    [
      "three refusals in a row within seconds: still retried (a burst, not yet a pattern)",
      history({ sinceOkMs: 20_000, refusals: 3, refusingForMs: 5_000 }),
      "retry",
    ],
    [
      "two refusals over minutes: retried (not enough of them)",
      history({ sinceOkMs: 300_000, refusals: 2, refusingForMs: 240_000 }),
      "retry",
    ],
    [
      "three refusals in a row over a minute: parked",
      history({ sinceOkMs: 90_000, refusals: 3, refusingForMs: 60_000 }),
      "park",
    ],
    ["a success since cleared the run: retried", history({ sinceOkMs: 100, refusals: 0 }), "retry"],
  ])("%s", (_why, h, expected) => {
    expect(signInVerdict(h)).toBe(expected);
  });
});

describe("nextJobState for a refused sign-in", () => {
  const worked = history({ sinceOkMs: 1_000, refusals: 1 });
  it.each<[string, Outcome, number, SignInHistory | undefined, object]>([
    [
      "credentials that worked lately: the ordinary backoff, shown as TARGET_SIGNIN_REFUSED",
      refused,
      2,
      worked,
      { state: "pending", delayMs: 1500, countAttempt: true, code: "TARGET_SIGNIN_REFUSED" },
    ],
    [
      "the job's last attempt: parked rather than dead",
      refused,
      5,
      worked,
      { state: "pending", delayMs: 300_500, countAttempt: false },
    ],
    [
      "credentials that never worked: parked, the attempt given back",
      refused,
      1,
      history({ refusals: 1 }),
      { state: "pending", delayMs: 300_500, countAttempt: false },
    ],
    [
      "refused again and again for a minute: parked, after the target's own delay when it gave one",
      { ...refused, delayMs: 120_000 },
      1,
      history({ sinceOkMs: 70_000, refusals: 4, refusingForMs: 65_000 }),
      { state: "pending", delayMs: 120_500, countAttempt: false },
    ],
    [
      "no history passed: parked, as before",
      refused,
      1,
      undefined,
      { state: "pending", delayMs: 300_500, countAttempt: false },
    ],
    [
      "another kind of retry is not affected by the history",
      { status: "retry", code: vendorCode("HTTP_503"), message: "unavailable" },
      2,
      worked,
      { state: "pending", delayMs: 1500, countAttempt: true },
    ],
  ])("%s", (_why, outcome, attempts, signIns, expected) => {
    const decision = nextJobState(outcome, attempts, policy, {
      random: () => 0.5,
      ...(signIns ? { signIns } : {}),
    });
    expect(decision).toEqual(expected);
  });
});
