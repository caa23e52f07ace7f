// Drift: which fields of a target account differ from what the target would make of the store's user.
// Reconcile never knows a target's kind: a target that holds a mapping answers itself (DriftTarget);
// for any other, only the active state is compared.
import { type DesiredUser, detectsDrift, type TargetAccount } from "../../targets/target.ts";
import type { ConfiguredTarget } from "./types.ts";

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

export function driftCheckFor(t: ConfiguredTarget): DriftCheck {
  const target = t.target;
  return detectsDrift(target) ? target.driftedFields.bind(target) : activeDrift;
}
