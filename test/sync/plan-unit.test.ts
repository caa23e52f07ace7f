// planUnit: what a resource's current state and link call for in one target, one row per case.
import { describe, expect, it } from "vitest";
import {
  CREATED_EMPTY_AT,
  type PlanOptions,
  planOptions,
  planUnit,
  type UnitFacts,
} from "../../src/sync/plan.ts";
import type { DesiredUser, Problem, Target } from "../../src/targets/target.ts";

const ID = "7d3e5b0c-8a51-4b0e-9d52-2f1f6f5c9a10";
const ann = { userName: "ann@example.com", active: true };
const user = (f: Partial<UnitFacts>): UnitFacts => ({ resourceType: "User", resourceId: ID, ...f });
const group = (f: Partial<UnitFacts>): UnitFacts => ({ resourceType: "Group", resourceId: ID, ...f });

describe("planUnit", () => {
  it.each<[string, UnitFacts, object]>([
    [
      "a new user in scope: upsert without a link (the target correlates)",
      user({ current: ann, inScope: true, groups: ["Sales"] }),
      {
        kind: "apply",
        deprovisioning: false,
        op: { kind: "user.upsert", user: { active: true, groups: ["Sales"] } },
      },
    ],
    [
      "a linked user in scope: upsert on the link",
      user({ current: ann, inScope: true, link: { targetId: "u1", deprovisioned: false } }),
      { kind: "apply", op: { kind: "user.upsert", targetId: "u1" } },
    ],
    [
      "a linked user whose target held a field back: the upsert carries what was sent",
      user({
        current: ann,
        inScope: true,
        link: { targetId: "u1", deprovisioned: false, sent: { Email: "new@example.com" } },
      }),
      { kind: "apply", op: { kind: "user.upsert", targetId: "u1", sent: { Email: "new@example.com" } } },
    ],
    [
      "a deactivated user: upsert inactive, the link becomes deprovisioned",
      user({
        current: { ...ann, active: false },
        inScope: true,
        link: { targetId: "u1", deprovisioned: false },
      }),
      { kind: "apply", deprovisioning: true, op: { kind: "user.upsert", user: { active: false } } },
    ],
    [
      "a reactivated user: upsert on the deprovisioned link brings the account back",
      user({ current: ann, inScope: true, link: { targetId: "u1", deprovisioned: true } }),
      { kind: "apply", deprovisioning: false, op: { kind: "user.upsert", targetId: "u1" } },
    ],
    [
      "a deleted user with a link: deprovision the linked account",
      user({ tombstone: ann, link: { targetId: "u1", deprovisioned: false } }),
      { kind: "apply", deprovisioning: true, op: { kind: "user.deprovision", targetId: "u1" } },
    ],
    [
      "failure 1: deleted before the create's answer was seen: deprovision by lookup from the tombstone",
      user({ tombstone: ann, link: { targetId: null, deprovisioned: false } }),
      {
        kind: "apply",
        deprovisioning: true,
        op: { kind: "user.deprovision", user: { data: ann, active: false } },
      },
    ],
    [
      "a user who left the scope before any answer: deprovision by lookup from the current body",
      user({ current: ann, inScope: false }),
      { kind: "apply", op: { kind: "user.deprovision", user: { data: ann } } },
    ],
    [
      "an earlier deprovision's outcome is not trusted: deprovisioned again (idempotent)",
      user({ tombstone: ann, link: { targetId: "u1", deprovisioned: true } }),
      { kind: "apply", op: { kind: "user.deprovision", targetId: "u1" } },
    ],
    ["nothing to find the account by: done", user({}), { kind: "skip", outcome: { status: "done" } }],
    [
      "a group with linked members: upsert with exactly them",
      group({ current: { displayName: "Sales" }, members: { linked: ["u1", "u2"], waiting: 0 } }),
      {
        kind: "apply",
        op: { kind: "group.upsert", group: { displayName: "Sales", memberTargetIds: ["u1", "u2"] } },
      },
    ],
    [
      "a group whose members are still being provisioned waits, without using an attempt",
      group({ current: { displayName: "Sales" }, members: { linked: ["u1"], waiting: 1 } }),
      { kind: "skip", waiting: true, outcome: { status: "retry", code: "WAITING_FOR_MEMBERS" } },
    ],
    [
      "a group that waited a minute goes with the members it has: one stuck member never delays removing others",
      group({
        current: { displayName: "Sales" },
        members: { linked: ["u1"], waiting: 1 },
        queuedForMs: 60_001,
      }),
      { kind: "apply", op: { kind: "group.upsert", group: { memberTargetIds: ["u1"] } } },
    ],
    [
      "a deleted linked group: delete it",
      group({ tombstone: { displayName: "Sales" }, link: { targetId: "g1", deprovisioned: false } }),
      { kind: "apply", op: { kind: "group.delete", targetId: "g1" } },
    ],
    [
      "a deleted group whose create answer was lost: delete by name",
      group({ tombstone: { displayName: "Sales" } }),
      { kind: "apply", op: { kind: "group.delete", displayName: "Sales" } },
    ],
  ])("%s", (_why, facts, expected) => {
    expect(planUnit(facts)).toMatchObject(expected);
  });

  const waiting = { current: { displayName: "Sales" }, members: { linked: ["u1"], waiting: 1 } };
  it.each<[string, UnitFacts, object]>([
    [
      "a new group whose members are still being provisioned is created meanwhile, members left for later, then waits",
      group(waiting),
      {
        kind: "apply",
        op: { kind: "group.upsert", group: { memberTargetIds: [], membersLater: true } },
        thenWait: { status: "retry", code: "WAITING_FOR_MEMBERS", delayMs: 0 },
      },
    ],
    [
      "a linked group whose members are still being provisioned just waits (nothing to create)",
      group({ ...waiting, link: { targetId: "g1", deprovisioned: false } }),
      { kind: "skip", waiting: true, outcome: { code: "WAITING_FOR_MEMBERS" } },
    ],
    [
      "a new group that waited a minute goes with the members it has, in one delivery",
      group({ ...waiting, queuedForMs: 60_001 }),
      { kind: "apply", op: { kind: "group.upsert", group: { memberTargetIds: ["u1"] } } },
    ],
    [
      "the group created empty, claimed at the attempt it was created in: nothing sent since, members need no read",
      group({
        current: { displayName: "Sales" },
        members: { linked: ["u1"], waiting: 0 },
        link: { targetId: "g1", deprovisioned: false, sent: { [CREATED_EMPTY_AT]: 1 } },
        attempt: 1,
      }),
      { kind: "apply", op: { kind: "group.upsert", targetId: "g1", group: { knownEmpty: true } } },
    ],
  ])("when the target creates groups apart from members: %s", (_why, facts, expected) => {
    expect(planUnit(facts, { createsGroupsApart: true })).toMatchObject(expected);
  });

  it("a later attempt (a takeover after a crash may have sent members) reads the members again", () => {
    const p = planUnit(
      group({
        current: { displayName: "Sales" },
        members: { linked: ["u1"], waiting: 0 },
        link: { targetId: "g1", deprovisioned: false, sent: { [CREATED_EMPTY_AT]: 1 } },
        attempt: 2,
      }),
      { createsGroupsApart: true },
    );
    expect(p.kind === "apply" && p.op.kind === "group.upsert" && p.op.group.knownEmpty).toBeFalsy();
  });

  describe("with the target's pre-flight", () => {
    const objection: Problem = {
      field: "Email",
      code: "REQUIRED_FIELD_MISSING",
      detail: "Email is required",
    };
    const preflight = (u: DesiredUser): Problem[] => (u.data.emails ? [] : [objection]);
    it.each<[string, UnitFacts, object]>([
      [
        "a user it objects to fails with its reason, and nothing is sent",
        user({ current: ann, inScope: true, link: { targetId: null, deprovisioned: false } }),
        {
          kind: "skip",
          outcome: { status: "failed", code: "REQUIRED_FIELD_MISSING", message: "Email is required" },
        },
      ],
      [
        "a user it accepts is sent",
        user({ current: { ...ann, emails: [{ value: "ann@example.com" }] }, inScope: true }),
        { kind: "apply", op: { kind: "user.upsert" } },
      ],
      [
        "a deactivation is never judged: the account loses its access whatever else the record says",
        user({
          current: { ...ann, active: false },
          inScope: true,
          link: { targetId: "u1", deprovisioned: false },
        }),
        { kind: "apply", deprovisioning: true, op: { kind: "user.upsert", user: { active: false } } },
      ],
      [
        "a deleted user is deprovisioned, not judged",
        user({ tombstone: ann, link: { targetId: "u1", deprovisioned: false } }),
        { kind: "apply", op: { kind: "user.deprovision" } },
      ],
    ])("%s", (_, facts, expected) => {
      expect(planUnit(facts, { preflight })).toMatchObject(expected);
    });
  });

  describe("whose the unit is to deliver", () => {
    it.each<[string, UnitFacts, PlanOptions, object]>([
      [
        "a unit taken over by another worker while its facts were read is not sent: an old active would undo a deactivation",
        user({ claimLost: true, current: { ...ann, active: true }, inScope: true }),
        {},
        {
          kind: "skip",
          outcome: { status: "retry", code: "CLAIM_LOST", message: "taken over by another worker" },
        },
      ],
      [
        "a lost claim is not sent even when the target would take the group",
        group({ claimLost: true, current: { displayName: "Sales" }, members: { linked: [], waiting: 0 } }),
        { handlesGroups: true },
        { kind: "skip", outcome: { status: "retry", code: "CLAIM_LOST" } },
      ],
      [
        "group work queued before the target stopped handling groups is done without a call",
        group({ current: { displayName: "Sales" }, members: { linked: ["u1"], waiting: 0 } }),
        { handlesGroups: false },
        { kind: "skip", outcome: { status: "done", detail: "this target does not handle groups" } },
      ],
      [
        "a deleted group in a target without groups: done, nothing deleted",
        group({ tombstone: { displayName: "Sales" }, link: { targetId: "g1", deprovisioned: false } }),
        { handlesGroups: false },
        { kind: "skip", outcome: { status: "done" } },
      ],
      [
        "a target without groups still takes users",
        user({ current: ann, inScope: true }),
        { handlesGroups: false },
        { kind: "apply", op: { kind: "user.upsert" } },
      ],
      [
        "a target that handles groups takes the group",
        group({ current: { displayName: "Sales" }, members: { linked: ["u1"], waiting: 0 } }),
        { handlesGroups: true },
        { kind: "apply", op: { kind: "group.upsert", group: { memberTargetIds: ["u1"] } } },
      ],
    ])("%s", (_why, facts, opts, expected) => {
      expect(planUnit(facts, opts)).toMatchObject(expected);
    });
  });

  it("plans with what the target can do: groups, groups created apart, its pre-flight", () => {
    const noGroups = { kind: "test", apply: async () => [] } as unknown as Target;
    expect(planOptions(noGroups)).toEqual({ handlesGroups: false, createsGroupsApart: false });
    const objection: Problem = {
      field: "Email",
      code: "REQUIRED_FIELD_MISSING",
      detail: "Email is required",
    };
    const full = {
      ...noGroups,
      listGroups: async function* () {},
      createsGroupsApart: true,
      preflight: () => [objection],
    } as unknown as Target;
    const opts = planOptions(full);
    expect(opts).toMatchObject({ handlesGroups: true, createsGroupsApart: true });
    expect(planUnit(user({ current: ann, inScope: true }), opts)).toMatchObject({
      kind: "skip",
      refusal: [objection],
    });
  });

  it("never sends a link id for a user that has none", () => {
    const p = planUnit(user({ tombstone: ann, link: { targetId: null, deprovisioned: false } }));
    expect(p.kind === "apply" && "targetId" in p.op).toBe(false);
  });
});
