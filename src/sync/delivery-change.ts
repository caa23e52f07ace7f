// Which kind of change a delivery makes (or tried to make) in its target, as the delivery log and the overview's
// last hour count it: from the plan and whether the bridge knew an account there before.
import type { DeliveryChange } from "../store/index.ts";
import type { UnitFacts, UnitPlan } from "./plan.ts";

/**
 * created: no account was known in the target (the delivery makes one, or links the one its correlation key finds);
 * updated: the known account is brought in line (a deactivated one is enabled again); deactivated: a user is
 * deprovisioned (deleted, out of scope, or active=false); deleted: a group is removed. A pre-flight refusal is the
 * change it stopped; a group waiting for its members has none yet.
 */
export function deliveryChange(plan: UnitPlan, link: UnitFacts["link"]): DeliveryChange | undefined {
  const known = !!link?.targetId;
  if (plan.kind === "skip") return plan.refusal ? (known ? "updated" : "created") : undefined;
  switch (plan.op.kind) {
    case "user.upsert":
      return plan.deprovisioning ? "deactivated" : known ? "updated" : "created";
    case "user.deprovision":
      return "deactivated";
    case "group.upsert":
      return known ? "updated" : "created";
    case "group.delete":
      return "deleted";
  }
}
