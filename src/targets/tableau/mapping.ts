// Tableau: the default mapping, what group rules may set, the per-user extension override, and pre-flight.
import { z } from "zod";
import {
  emailProblem,
  evaluate,
  type FieldContext,
  getIgnoringCase,
  howToFix,
  isEmpty,
  type MappedFields,
  type MappingInput,
  type MappingSpec,
  mappingSpecSchema,
  primaryOrFirst,
  type RuleKeys,
  requiredProblem,
  scimEmailExpr,
  show,
  type ValidateOptions,
} from "../../mapping/index.ts";
import type { Problem } from "../target.ts";
import { TABLEAU_CLOUD_BODY_URN, TABLEAU_USER_URN } from "./extension.ts";
import {
  canonicalSiteRole,
  highestSiteRole,
  TABLEAU_AUTH_SETTINGS,
  TABLEAU_WRITABLE_SITE_ROLES,
  type TableauAuthSetting,
} from "./roles.ts";

/**
 * Built-in Tableau mapping. siteRole is the target's default role (override it with
 * fields.siteRole, e.g. { const: "Unlicensed" } for grant-licence-on-sign-in sites); group rules
 * and the extension raise it per user. authSetting is left to Tableau's site default unless mapped.
 */
export const defaultTableauMapping: MappingSpec = {
  fields: {
    name: "userName",
    fullName: {
      firstOf: [
        "displayName",
        {
          replace: {
            of: { concat: ["name.givenName", { const: " " }, "name.familyName"] },
            pattern: "^\\s+|\\s+$",
            with: "",
          },
        },
        "name.formatted",
      ],
    },
    email: scimEmailExpr,
    siteRole: { const: "Viewer" },
  },
  groupRules: [],
};

/** What a Tableau group rule may set: siteRole, the highest among matching rules (Tableau keeps only the
 * highest-privileged grant too). */
export const TABLEAU_RULE_KEYS: RuleKeys = {
  siteRole: {
    value: z.enum(TABLEAU_WRITABLE_SITE_ROLES, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a Tableau site role that can be assigned; use one of: ${TABLEAU_WRITABLE_SITE_ROLES.join(", ")}`,
    }),
    combine: (roles) => highestSiteRole(roles as string[]),
  },
};

/** A Tableau target's `mapping:` in the config file. */
export const TableauMappingSpec = mappingSpecSchema(TABLEAU_RULE_KEYS);

function firstValue(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.length === 0 ? undefined : getIgnoringCase(primaryOrFirst(v), "value");
}

/** The attributes mapTableauUser reads beside its mapping's expressions (lower-cased, for mappingUntouched). */
export const TABLEAU_MAPPING_READS = [TABLEAU_CLOUD_BODY_URN, TABLEAU_USER_URN].map((u) => u.toLowerCase());

/**
 * The Tableau site user for one SCIM user. The Tableau extension wins over the mapping and group
 * rules; it is read under ":User" and under the key Tableau Cloud's SCIM documents, in the forms
 * siteRole, siteRoles[].value or entitlements[].value. Known roles are spelled as Tableau spells them.
 */
export function mapTableauUser(spec: MappingSpec, input: MappingInput): MappedFields {
  const fields = evaluate(spec, input, TABLEAU_RULE_KEYS);
  for (const urn of [TABLEAU_CLOUD_BODY_URN, TABLEAU_USER_URN]) {
    const ext = getIgnoringCase(input.user, urn);
    const role = [
      getIgnoringCase(ext, "siteRole"),
      getIgnoringCase(ext, "siteRoles"),
      getIgnoringCase(ext, "entitlements"),
    ]
      .map(firstValue)
      .find((v) => !isEmpty(v));
    if (role !== undefined) fields.siteRole = role;
    const auth = getIgnoringCase(ext, "authSetting");
    if (!isEmpty(auth)) fields.authSetting = auth;
  }
  if (typeof fields.siteRole === "string")
    fields.siteRole = canonicalSiteRole(fields.siteRole) ?? fields.siteRole;
  if (typeof fields.authSetting === "string") {
    const wanted = fields.authSetting.toLowerCase();
    fields.authSetting = TABLEAU_AUTH_SETTINGS.find((a) => a.toLowerCase() === wanted) ?? fields.authSetting;
  }
  return fields;
}

function contextFor(field: string, options: ValidateOptions): FieldContext {
  const overridable = field === "siteRole" || field === "authSetting";
  return {
    targetLabel: "Tableau",
    mapping: options.mapping ?? defaultTableauMapping,
    ...(overridable ? { extensionUrn: TABLEAU_USER_URN } : {}),
  };
}

/** Every reason Tableau would refuse to add this site user (400013 for a bad role, and so on). */
export function validateTableauUser(fields: MappedFields, options: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  for (const field of ["name", "siteRole"]) {
    if (isEmpty(fields[field])) problems.push(requiredProblem(field, contextFor(field, options)));
  }
  const role = fields.siteRole;
  const roles = TABLEAU_WRITABLE_SITE_ROLES as readonly string[];
  if (!isEmpty(role) && !(typeof role === "string" && roles.includes(role))) {
    const why =
      role === "ServerAdministrator"
        ? "ServerAdministrator cannot be assigned through the REST API"
        : `not a Tableau site role that can be assigned (${roles.join(", ")})`;
    problems.push({
      field: "siteRole",
      code: "INVALID_SITE_ROLE",
      detail: `Tableau field siteRole is ${show(role)} — ${why}; ${howToFix("siteRole", contextFor("siteRole", options), "correct")}, or fix the group rule that sets it`,
    });
  }
  const auth = fields.authSetting;
  if (!isEmpty(auth) && !(TABLEAU_AUTH_SETTINGS as readonly unknown[]).includes(auth as TableauAuthSetting)) {
    problems.push({
      field: "authSetting",
      code: "INVALID_AUTH_SETTING",
      detail: `Tableau field authSetting is ${show(auth)} — use one of ${TABLEAU_AUTH_SETTINGS.join(", ")}; ${howToFix("authSetting", contextFor("authSetting", options), "correct")}`,
    });
  }
  const email = emailProblem("email", fields, contextFor("email", options));
  if (email) problems.push(email);
  return problems;
}
