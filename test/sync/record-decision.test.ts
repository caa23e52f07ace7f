// recordDecision: what recording one unit's delivery writes (its jobs, its link row, its audit row, whether its
// groups are queued), one row per case; attemptOutcome: what nextJobState decides from.
import { describe, expect, it } from "vitest";
import { CREATED_EMPTY_AT, type UnitPlan } from "../../src/sync/plan.ts";
import {
  attemptOutcome,
  type RecordOptions,
  recordDecision,
  type UnitAttempt,
} from "../../src/sync/record-decision.ts";
import type { JobDecision } from "../../src/sync/retry.ts";
import { vendorCode } from "../../src/targets/codes.ts";
import type { Operation, Outcome } from "../../src/targets/target.ts";

const ID = "7d3e5b0c-8a51-4b0e-9d52-2f1f6f5c9a10";
const ann = { scimId: ID, data: { userName: "ann@example.com" }, active: true, groups: [] };
const upsert: Operation = { kind: "user.upsert", key: ID, user: ann };
const apply = (deprovisioning = false, op: Operation = upsert): UnitPlan => ({
  kind: "apply",
  op,
  deprovisioning,
});
const user = (a: Partial<UnitAttempt>): UnitAttempt => ({
  resourceType: "User",
  resourceId: ID,
  requestId: "req-1",
  attempts: 1,
  plan: apply(),
  outcome: { status: "done" },
  ...a,
});
const linked = { targetId: "u1", deprovisioned: false };
const waitForMembers = {
  status: "retry" as const,
  code: "WAITING_FOR_MEMBERS" as const,
  message: "1 member(s) not provisioned yet",
  delayMs: 0,
};
const createGroup: UnitPlan = {
  kind: "apply",
  op: {
    kind: "group.upsert",
    key: ID,
    group: { scimId: ID, displayName: "Sales", memberTargetIds: [], membersLater: true },
  },
  deprovisioning: false,
  thenWait: waitForMembers,
};
const group = (a: Partial<UnitAttempt>): UnitAttempt => user({ resourceType: "Group", ...a });

const done: JobDecision = { state: "done" };
const counted: JobDecision = { state: "pending", delayMs: 2_000, countAttempt: true };
const givenBack: JobDecision = { state: "pending", delayMs: 500, countAttempt: false };
const dead: JobDecision = { state: "dead" };
const networkError: Outcome = { status: "retry", code: "TARGET_NETWORK_ERROR", message: "socket hang up" };
const deliverRow = (outcome: string, detail: string) => ({
  action: "target.deliver",
  target: "site",
  resourceType: "User",
  resourceId: ID,
  outcome,
  detail: { detail },
  actor: "dispatcher",
  requestId: "req-1",
});

describe("recordDecision", () => {
  it.each<[string, UnitAttempt, JobDecision, Partial<RecordOptions>, object]>([
    [
      "an update: the audit row keeps the fields it sent, with the target's values before, as its changes",
      user({
        link: linked,
        outcome: { status: "done", targetId: "u1", fields: [{ path: "Title", old: "A", new: "B" }] },
      }),
      done,
      {},
      {
        job: { state: "done" },
        link: { resourceType: "User", resourceId: ID, state: "synced", targetId: "u1", deprovisioned: false },
        audit: { ...deliverRow("synced", "user.upsert"), changes: [{ path: "Title", old: "A", new: "B" }] },
        queueGroups: false,
      },
    ],
    [
      "a new account: the link takes its id, the audit says synced, and its groups are queued (a new member)",
      user({ outcome: { status: "done", targetId: "u1" } }),
      done,
      {},
      {
        job: { state: "done" },
        link: { resourceType: "User", resourceId: ID, state: "synced", targetId: "u1", deprovisioned: false },
        audit: deliverRow("synced", "user.upsert"),
        queueGroups: true,
      },
    ],
    [
      "a new account in a target without groups queues no groups",
      user({ outcome: { status: "done", targetId: "u1" } }),
      done,
      { handlesGroups: false },
      { job: { state: "done" }, queueGroups: false },
    ],
    [
      "an update of a linked account: its membership is as it was, no groups queued",
      user({ link: linked, outcome: { status: "done", targetId: "u1" } }),
      done,
      {},
      { link: { state: "synced", targetId: "u1" }, queueGroups: false },
    ],
    [
      "an update whose answer carries no id keeps the link's (recorded as null: the store keeps the old id)",
      user({ link: linked, outcome: { status: "done" } }),
      done,
      {},
      { link: { state: "synced", targetId: null }, queueGroups: false },
    ],
    [
      "a deactivation: the link is deprovisioned, and the groups lose the member",
      user({ link: linked, plan: apply(true), outcome: { status: "done", targetId: "u1" } }),
      done,
      {},
      { link: { state: "synced", deprovisioned: true }, queueGroups: true },
    ],
    [
      "a reactivation brings the member back to its groups",
      user({ link: { targetId: "u1", deprovisioned: true }, outcome: { status: "done", targetId: "u1" } }),
      done,
      {},
      { link: { deprovisioned: false }, queueGroups: true },
    ],
    [
      "the target's own detail and what it sent are kept",
      user({
        outcome: { status: "done", targetId: "u1", detail: "matched by email", sent: { Email: "a@x" } },
      }),
      done,
      {},
      {
        link: { sent: { Email: "a@x" } },
        audit: { outcome: "synced", detail: { detail: "matched by email" } },
      },
    ],
    [
      "nothing to send (nothing to find the account by): synced, not audited",
      user({ plan: { kind: "skip", outcome: { status: "done", detail: "nothing to find the account by" } } }),
      done,
      {},
      { job: { state: "done" }, link: { state: "synced", targetId: null }, queueGroups: false },
    ],
    [
      "a retry that counts: pending with the target's code, audited as a retry",
      user({ outcome: networkError }),
      counted,
      {},
      {
        job: {
          state: "pending",
          delayMs: 2_000,
          countAttempt: true,
          code: "TARGET_NETWORK_ERROR",
          message: "socket hang up",
        },
        link: { state: "pending", errorCode: "TARGET_NETWORK_ERROR", errorMessage: "socket hang up" },
        audit: deliverRow("retry", "TARGET_NETWORK_ERROR: socket hang up"),
        queueGroups: false,
      },
    ],
    [
      "an attempt given back (the target is blocked): pending, not audited",
      user({
        outcome: { status: "retry", code: "TARGET_RATE_LIMITED", message: "budget used", blocked: "budget" },
      }),
      givenBack,
      {},
      {
        job: { state: "pending", countAttempt: false },
        link: { state: "pending", errorCode: "TARGET_RATE_LIMITED" },
      },
    ],
    [
      "a sign-in refused once among successes shows the decision's code, not the outcome's",
      user({
        outcome: {
          status: "retry",
          code: "TARGET_CREDENTIALS_REJECTED",
          message: "401",
          blocked: "credentials",
        },
      }),
      { ...counted, code: "TARGET_SIGNIN_REFUSED" },
      {},
      {
        job: { code: "TARGET_SIGNIN_REFUSED" },
        link: { errorCode: "TARGET_SIGNIN_REFUSED", errorMessage: "401" },
        audit: { detail: { detail: "TARGET_SIGNIN_REFUSED: 401" } },
      },
    ],
    [
      "an engine message is shown as the bridge's failure, not as the target's answer",
      user({
        outcome: {
          status: "retry",
          code: "TARGET_ERROR",
          message: "Cannot read properties of undefined (reading 'id')",
        },
      }),
      counted,
      {},
      {
        link: {
          errorMessage: "the bridge failed unexpectedly while delivering; the bridge's log has the details",
        },
      },
    ],
    [
      "the target's permanent refusal: dead, the link failed, audited as failed",
      user({ outcome: { status: "failed", code: vendorCode("400000"), message: "bad email" } }),
      dead,
      {},
      {
        job: { state: "dead", code: vendorCode("400000"), message: "bad email" },
        link: { state: "failed", errorCode: "400000", errorMessage: "bad email" },
        audit: deliverRow("failed", "400000: bad email"),
        queueGroups: false,
      },
    ],
    [
      "a pre-flight refusal is audited as a write's: target.preflight with the fields to fix",
      user({
        plan: {
          kind: "skip",
          outcome: { status: "failed", code: "REQUIRED_FIELD_MISSING", message: "Email is required" },
          refusal: [{ field: "Email", code: "REQUIRED_FIELD_MISSING", detail: "Email is required" }],
        },
        outcome: { status: "failed", code: "REQUIRED_FIELD_MISSING", message: "Email is required" },
      }),
      dead,
      {},
      {
        job: { state: "dead", code: "REQUIRED_FIELD_MISSING" },
        link: { state: "failed", errorCode: "REQUIRED_FIELD_MISSING" },
        audit: {
          action: "target.preflight",
          outcome: "failed",
          actor: "dispatcher",
          requestId: "req-1",
          detail: { detail: "REQUIRED_FIELD_MISSING: Email is required", fields: ["Email"] },
        },
      },
    ],
    [
      "a later write refused by the pre-flight while this ran keeps the failed status; the delivery is still audited",
      user({ outcome: { status: "done", targetId: "u1" } }),
      done,
      { refused: { code: "REQUIRED_FIELD_MISSING", message: "Email is required" } },
      {
        job: { state: "done" },
        link: {
          state: "failed",
          targetId: "u1",
          errorCode: "REQUIRED_FIELD_MISSING",
          errorMessage: "Email is required",
        },
        audit: { outcome: "synced" },
      },
    ],
    [
      "a group created empty while its members wait: linked, marked created empty at this attempt, back to waiting",
      group({
        attempts: 3,
        plan: createGroup,
        outcome: { status: "done", targetId: "g1", createdEmpty: true },
      }),
      givenBack,
      {},
      {
        job: { state: "pending", countAttempt: false, code: "WAITING_FOR_MEMBERS" },
        link: {
          state: "pending",
          targetId: "g1",
          errorCode: "WAITING_FOR_MEMBERS",
          sent: { [CREATED_EMPTY_AT]: 3 },
        },
        audit: { action: "target.deliver", outcome: "synced", detail: { detail: "group.upsert" } },
      },
    ],
    [
      "a group created (not known empty) while its members wait: linked, no mark",
      group({ plan: createGroup, outcome: { status: "done", targetId: "g1", detail: "created" } }),
      givenBack,
      {},
      { link: { targetId: "g1", sent: {} }, audit: { outcome: "synced", detail: { detail: "created" } } },
    ],
    [
      "any other attempt of a group marked created empty clears the mark (it may have sent members)",
      group({
        link: { targetId: "g1", deprovisioned: false, sent: { [CREATED_EMPTY_AT]: 1 } },
        plan: apply(false, { kind: "group.delete", key: ID, targetId: "g1" }),
        outcome: networkError,
      }),
      counted,
      {},
      { link: { state: "pending", sent: {} } },
    ],
  ])("%s", (_why, attempt, decision, opts, expected) => {
    expect(recordDecision(attempt, decision, { target: "site", handlesGroups: true, ...opts })).toMatchObject(
      expected,
    );
  });

  it("a group that only waits keeps its created-empty mark, and its wait is not audited", () => {
    const r = recordDecision(
      group({
        link: { targetId: "g1", deprovisioned: false, sent: { [CREATED_EMPTY_AT]: 1 } },
        plan: { kind: "skip", waiting: true, outcome: waitForMembers },
        outcome: waitForMembers,
      }),
      givenBack,
      { target: "site", handlesGroups: true },
    );
    expect(r.link).not.toHaveProperty("sent");
    expect(r).not.toHaveProperty("audit");
  });

  it("a done attempt without the mark leaves what was sent alone, and a skipped one is not audited", () => {
    const r = recordDecision(user({ link: linked }), done, { target: "site", handlesGroups: true });
    expect(r.link).not.toHaveProperty("sent");
    const skipped = recordDecision(user({ plan: { kind: "skip", outcome: { status: "done" } } }), done, {
      target: "site",
      handlesGroups: true,
    });
    expect(skipped).not.toHaveProperty("audit");
  });

  it("an audit row without a request id says null", () => {
    const r = recordDecision(user({ requestId: null }), done, { target: "site", handlesGroups: true });
    expect(r.audit?.requestId).toBeNull();
  });
});

describe("attemptOutcome", () => {
  it.each<[string, UnitPlan, Outcome, object]>([
    [
      "an applied outcome is decided as it is",
      apply(),
      { status: "done" },
      { outcome: { status: "done" }, waiting: false },
    ],
    ["a failed attempt counts", apply(), networkError, { outcome: networkError, waiting: false }],
    [
      "a group created while its members wait goes back to waiting, its attempt given back",
      createGroup,
      { status: "done", targetId: "g1" },
      { outcome: waitForMembers, waiting: true },
    ],
    [
      "a group whose create failed is decided by the failure",
      createGroup,
      networkError,
      { outcome: networkError, waiting: false },
    ],
    [
      "a group waiting for members gives its attempt back",
      { kind: "skip", waiting: true, outcome: waitForMembers },
      waitForMembers,
      { outcome: waitForMembers, waiting: true },
    ],
  ])("%s", (_why, plan, outcome, expected) => {
    expect(attemptOutcome(plan, outcome)).toEqual(expected);
  });
});
