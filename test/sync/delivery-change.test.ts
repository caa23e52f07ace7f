// deliveryChange: the kind of change a delivery is counted as in the delivery log and the overview's last hour.
import { describe, expect, it } from "vitest";
import { deliveryChange } from "../../src/sync/delivery-change.ts";
import { planUnit, type UnitFacts } from "../../src/sync/plan.ts";
import type { Problem } from "../../src/targets/target.ts";

const ID = "7d3e5b0c-8a51-4b0e-9d52-2f1f6f5c9a10";
const ann = { userName: "ann@example.com", active: true };
const linked = { targetId: "u1", deprovisioned: false };
const user = (f: Partial<UnitFacts>): UnitFacts => ({ resourceType: "User", resourceId: ID, ...f });
const group = (f: Partial<UnitFacts>): UnitFacts => ({ resourceType: "Group", resourceId: ID, ...f });
const refuse = (): Problem[] => [
  { field: "Email", code: "REQUIRED_FIELD_MISSING", detail: "Email is required" },
];

describe("deliveryChange", () => {
  it.each<[string, UnitFacts, ReturnType<typeof deliveryChange>, Parameters<typeof planUnit>[1]?]>([
    [
      "a user no account is known for is created (made, or linked by its key)",
      user({ current: ann, inScope: true }),
      "created",
    ],
    ["a linked user is updated", user({ current: ann, inScope: true, link: linked }), "updated"],
    [
      "a deprovisioned account enabled again is updated",
      user({ current: ann, inScope: true, link: { targetId: "u1", deprovisioned: true } }),
      "updated",
    ],
    [
      "active=false is a deactivation",
      user({ current: { ...ann, active: false }, inScope: true, link: linked }),
      "deactivated",
    ],
    ["a deleted user is deactivated", user({ tombstone: ann, link: linked }), "deactivated"],
    [
      "a user out of scope is deactivated",
      user({ current: ann, inScope: false, link: linked }),
      "deactivated",
    ],
    [
      "a pre-flight refusal counts as the create it stopped",
      user({ current: ann, inScope: true }),
      "created",
      { preflight: refuse },
    ],
    [
      "a pre-flight refusal counts as the update it stopped",
      user({ current: ann, inScope: true, link: linked }),
      "updated",
      { preflight: refuse },
    ],
    ["a new group is created", group({ current: { displayName: "Sales" } }), "created"],
    ["a linked group is updated", group({ current: { displayName: "Sales" }, link: linked }), "updated"],
    [
      "a group waiting for its members has no change yet",
      group({ current: { displayName: "Sales" }, members: { linked: [], waiting: 2 } }),
      undefined,
    ],
    ["a deleted group is deleted", group({ tombstone: { displayName: "Sales" }, link: linked }), "deleted"],
  ])("%s", (_why, facts, change, opts) => {
    expect(deliveryChange(planUnit(facts, opts), facts.link)).toBe(change);
  });
});
