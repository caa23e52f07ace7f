// Reconcile's question to this target: which fields of a listed user differ from what the target would write.
import { diffFields, type MappedFields } from "../../mapping/index.ts";
import { driftedField } from "../shared/sent-fields.ts";
import type { DesiredUser, DriftedField, TargetAccount } from "../target.ts";
import type { SalesforceContext } from "./context.ts";
import { SALESFORCE_FIELDS } from "./field-semantics.ts";
import { isSalesforceProfileId, mapSalesforceUser } from "./mapping.ts";
import { isPending } from "./memory.ts";

/** Keys the mapping derives that are not User fields (assignments, names resolved to ids). */
const DERIVED = new Set(["ProfileName", "permissionSets", "publicGroups", "siteRole", "authSetting"]);

export function driftedFields(
  ctx: SalesforceContext,
  user: DesiredUser,
  account: TargetAccount,
  sent?: Record<string, unknown>,
): DriftedField[] {
  const mapped = mapSalesforceUser(ctx.mapping, { user: user.data, groups: user.groups });
  const desired: MappedFields = {};
  for (const [k, v] of Object.entries(mapped)) {
    // Only what the listing read can be compared; a profile given by name is resolved to an id on write.
    if (DERIVED.has(k) || !Object.hasOwn(account.fields, k)) continue;
    if (k === "ProfileId" && !(typeof v === "string" && isSalesforceProfileId(v))) continue;
    desired[k] = v;
  }
  desired.IsActive = user.active;
  // An Email change Salesforce holds until the user confirms it is not drift while it is what was sent.
  const plan = { fields: desired, op: sent ? { sent } : {} };
  const held: Record<string, unknown> = { ...account.fields, IsActive: account.active };
  return diffFields(desired, held, SALESFORCE_FIELDS)
    .filter((f) => !isPending(plan, f))
    .map((f) => driftedField(f, held[f], desired[f]));
}
