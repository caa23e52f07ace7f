// Drift: which fields of a target account differ from what the target would make of the store's user.
// Reconcile never knows a target's kind: a target that holds a mapping answers itself (DriftTarget);
// for any other, only the active state is compared.
import {
  type DesiredUser,
  type DriftedField,
  detectsDrift,
  type TargetAccount,
} from "../../targets/target.ts";
import type { ConfiguredTarget } from "./types.ts";

/**
 * The drifted fields of a linked, in-scope user's account ([] = in sync). `sent` is what the link
 * remembers of fields the target may hold back (not drift while they are what was sent).
 */
export type DriftCheck = (
  user: DesiredUser,
  account: TargetAccount,
  sent?: Record<string, unknown>,
) => DriftedField[];

const activeDrift = (user: DesiredUser, account: TargetAccount): DriftedField[] =>
  user.active === account.active ? [] : [{ field: "active", target: account.active, store: user.active }];

export function driftCheckFor(t: ConfiguredTarget): DriftCheck {
  const target = t.target;
  return detectsDrift(target) ? target.driftedFields.bind(target) : activeDrift;
}
