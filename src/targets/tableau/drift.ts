// Reconcile's question to this target: which fields of a listed user differ from what the target would write.
import { diffFields, type MappedFields } from "../../mapping/index.ts";
import { driftedField } from "../shared/sent-fields.ts";
import type { DesiredUser, DriftedField, TargetAccount } from "../target.ts";
import type { TableauContext } from "./context.ts";
import { TABLEAU_FIELDS } from "./field-semantics.ts";
import { mapTableauUser } from "./mapping.ts";
import { highestSiteRole } from "./roles.ts";
import { heldFields } from "./users.ts";

const COMPARED = ["fullName", "email", "siteRole", "authSetting"];

export function driftedFields(
  ctx: TableauContext,
  user: DesiredUser,
  account: TargetAccount,
  sent?: Record<string, unknown>,
): DriftedField[] {
  // A user to be deprovisioned only has to be unlicensed; the rest of the account is left as it is.
  if (!user.active) return account.active ? [driftedField("active", true, false)] : [];
  const mapped = mapTableauUser(ctx.mapping, { user: user.data, groups: user.groups });
  const desired: MappedFields = {};
  for (const f of COMPARED) {
    if (mapped[f] !== undefined && mapped[f] !== null) desired[f] = mapped[f];
  }
  // With licence-on-sign-in, a role Tableau granted at sign-in is not drift.
  const granted = String(account.fields.siteRole ?? "");
  if (
    ctx.config.policies.grantLicenseOnSignIn &&
    highestSiteRole([String(desired.siteRole), granted]) === granted
  )
    desired.siteRole = granted;
  // A field the site kept after the bridge sent this very value (Tableau Cloud's fullName) is not drift.
  const differ = diffFields(desired, account.fields, TABLEAU_FIELDS);
  const held = heldFields(differ, desired, sent);
  return differ.filter((f) => !held.includes(f)).map((f) => driftedField(f, account.fields[f], desired[f]));
}
