// Drift: which fields of a target account differ from what the target would make of the store's user.
// Reconcile never knows a target's kind: a target answers itself (Target.driftedFields, e.g. Tableau and
// Salesforce, which hold the mapping), or says what it would write (the optional Reconcilable capability).
import { diffFields, type MappedFields } from "../../mapping/index.ts";
import type { DesiredUser, Target, TargetAccount } from "../../targets/target.ts";
import type { ReconcileTarget } from "./types.ts";

/** A target that can say which fields it would write for a user, so reconcile can name drifted fields. */
export interface Reconcilable {
  desiredFields(user: DesiredUser): Record<string, unknown>;
}

export const isReconcilable = (t: Target): t is Target & Reconcilable =>
  typeof (t as Partial<Reconcilable>).desiredFields === "function";

/**
 * Names of drifted fields of a linked, in-scope user's account ([] = in sync). `sent` is what the link
 * remembers of fields the target may hold back (not drift while they are what was sent).
 */
export type DriftCheck = (
  user: DesiredUser,
  account: TargetAccount,
  sent?: Record<string, unknown>,
) => string[];

const activeDrift = (user: DesiredUser, account: TargetAccount) =>
  user.active === account.active ? [] : ["active"];

export function driftCheckFor(t: ReconcileTarget): DriftCheck {
  const target = t.target;
  const own = target.driftedFields?.bind(target);
  if (own) return own;
  if (isReconcilable(target)) {
    return (user, account) => [
      ...diffFields(target.desiredFields(user) as MappedFields, account.fields),
      ...activeDrift(user, account),
    ];
  }
  return activeDrift;
}
