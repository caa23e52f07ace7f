// Drift: which fields of a target account differ from what the target's mapping makes of the store's user.
// A target can say so itself (the optional Reconcilable capability); for Tableau and Salesforce the mapping is
// rebuilt from the target's parsed config, the same way their targets build it.
import {
  defaultSalesforceMapping,
  defaultTableauMapping,
  diffFields,
  highestSiteRole,
  isSalesforceProfileId,
  type MappedFields,
  type MappingSpec,
  mapSalesforceUser,
  mapTableauUser,
  mergeMapping,
} from "../../mapping/index.ts";
import type { DesiredUser, Target, TargetAccount } from "../../targets/target.ts";
import type { ReconcileTarget } from "./types.ts";

/** A target that can say which fields it would write for a user, so reconcile can name drifted fields. */
export interface Reconcilable {
  desiredFields(user: DesiredUser): Record<string, unknown>;
}

export const isReconcilable = (t: Target): t is Target & Reconcilable =>
  typeof (t as Partial<Reconcilable>).desiredFields === "function";

/** Names of drifted fields of a linked, in-scope user's account ([] = in sync). */
export type DriftCheck = (user: DesiredUser, account: TargetAccount) => string[];

const activeDrift = (user: DesiredUser, account: TargetAccount) =>
  user.active === account.active ? [] : ["active"];

type TableauPolicies = {
  deprovision?: string;
  defaultSiteRole?: string;
  grantLicenseOnSignIn?: { minimumSiteRole: string };
};

function tableauCheck(config: Record<string, unknown>): DriftCheck {
  const policies = (config.policies ?? {}) as TableauPolicies;
  const base: MappingSpec = {
    ...defaultTableauMapping,
    fields: {
      ...defaultTableauMapping.fields,
      siteRole: {
        const: policies.grantLicenseOnSignIn ? "Unlicensed" : (policies.defaultSiteRole ?? "Viewer"),
      },
    },
  };
  const mapping = mergeMapping(base, config.mapping as never);
  return (user, account) => {
    if (!user.active) return activeDrift(user, account);
    const mapped = mapTableauUser(mapping, { user: user.data, groups: user.groups });
    const desired: MappedFields = {};
    for (const f of ["fullName", "email", "siteRole", "authSetting"]) {
      if (mapped[f] !== undefined && mapped[f] !== null) desired[f] = mapped[f];
    }
    // With licence-on-sign-in, a role Tableau granted at sign-in is not drift.
    const granted = String(account.fields.siteRole ?? "");
    if (policies.grantLicenseOnSignIn && highestSiteRole([String(desired.siteRole), granted]) === granted)
      desired.siteRole = granted;
    return diffFields(desired, account.fields);
  };
}

/** Keys a Salesforce mapping derives that are not User fields (assignments, names resolved to ids). */
const SALESFORCE_DERIVED = new Set([
  "ProfileName",
  "permissionSets",
  "publicGroups",
  "siteRole",
  "authSetting",
]);

function salesforceCheck(config: Record<string, unknown>): DriftCheck {
  const mapping = mergeMapping(defaultSalesforceMapping, config.mapping as never);
  return (user, account) => {
    const mapped = mapSalesforceUser(mapping, { user: user.data, groups: user.groups });
    const desired: MappedFields = {};
    for (const [k, v] of Object.entries(mapped)) {
      // Only what the listing read can be compared; a profile given by name is resolved to an id on write.
      if (SALESFORCE_DERIVED.has(k) || !Object.hasOwn(account.fields, k)) continue;
      if (k === "ProfileId" && !(typeof v === "string" && isSalesforceProfileId(v))) continue;
      desired[k] = v;
    }
    desired.IsActive = user.active;
    return diffFields(desired, { ...account.fields, IsActive: account.active });
  };
}

export function driftCheckFor(t: ReconcileTarget): DriftCheck {
  const target = t.target;
  if (isReconcilable(target)) {
    return (user, account) => [
      ...diffFields(target.desiredFields(user) as MappedFields, account.fields),
      ...activeDrift(user, account),
    ];
  }
  if (target.kind === "tableau" && t.config) return tableauCheck(t.config);
  if (target.kind === "salesforce" && t.config) return salesforceCheck(t.config);
  return activeDrift;
}
