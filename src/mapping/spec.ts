// The mapping of one target as written in the YAML config file:
//   mapping:
//     fields: { Alias: { substring: { of: "userName", length: 8 } }, TimeZoneSidKey: { const: "Europe/Paris" } }
//     groupRules:
//       - { group: "Tableau Creators", set: { siteRole: Creator } }
//       - { group: { regex: "^Sales( EMEA)?$" }, set: { ProfileId: "Standard User", permissionSets: [Sales_Cloud] } }
import { z } from "zod";
import { TABLEAU_WRITABLE_SITE_ROLES } from "../targets/tableau/roles.ts";
import { type Expr, exprIssues, regexProblem } from "./expr.ts";

export const ExprSchema: z.ZodType<Expr, unknown> = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const issue of exprIssues(value))
      ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  })
  .transform((value) => value as Expr);

/** Names the allowed keys when an object has an unknown one, and explains a missing/odd object. */
function objectErrors(what: string, allowed: readonly string[]) {
  return {
    error: (issue: z.core.$ZodRawIssue) => {
      if (issue.code === "unrecognized_keys") {
        return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} in ${what}; allowed: ${allowed.join(", ")}`;
      }
      if (issue.code === "invalid_type") return `${what} must be an object with keys ${allowed.join(", ")}`;
      return undefined;
    },
  };
}

const nonEmptyName = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, { error: `${what} must not be empty` });

/** Which SCIM groups (by displayName, ignoring case) a rule applies to. */
export const GroupMatcherSchema = z.union(
  [
    nonEmptyName("group"),
    z.strictObject({ regex: z.string().superRefine((v, ctx) => addRegexIssue(v, ctx)) }),
    z.strictObject({ pattern: nonEmptyName("pattern") }),
  ],
  {
    error: () =>
      'group must be a group displayName ("Tableau Creators"), { pattern: "Tableau *" } (with * wildcards) or { regex: "^Tableau (Creators|Admins)$" }',
  },
);

function addRegexIssue(v: string, ctx: z.RefinementCtx): void {
  const problem = regexProblem(v, "regex");
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

const SiteRoleSchema = z.enum(TABLEAU_WRITABLE_SITE_ROLES, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a Tableau site role that can be assigned; use one of: ${TABLEAU_WRITABLE_SITE_ROLES.join(", ")}`,
});

const nameList = (what: string) => z.array(nonEmptyName(what), { error: `${what}s must be a list of names` });

const RULE_SET_KEYS = ["siteRole", "ProfileId", "permissionSets", "publicGroups"] as const;

export const GroupRuleSetSchema = z
  .strictObject(
    {
      siteRole: SiteRoleSchema.optional(),
      ProfileId: nonEmptyName("ProfileId").optional(),
      permissionSets: nameList("permission set").optional(),
      publicGroups: nameList("public group").optional(),
    },
    objectErrors("set", RULE_SET_KEYS),
  )
  .refine((s) => Object.values(s).some((v) => v !== undefined), {
    error: "set must set at least one of: siteRole, ProfileId, permissionSets, publicGroups",
  });

export const GroupRuleSchema = z.strictObject(
  { group: GroupMatcherSchema, set: GroupRuleSetSchema },
  objectErrors("a group rule", ["group", "set"]),
);

export const MappingSpec = z.strictObject(
  {
    fields: z
      .record(nonEmptyName("a field name"), ExprSchema, {
        error:
          "fields must map target field names to expressions, like { Alias: { substring: { of: userName, length: 8 } } }",
      })
      .default({}),
    groupRules: z
      .array(GroupRuleSchema, { error: "groupRules must be a list of { group, set } rules" })
      .default([]),
  },
  objectErrors("a mapping", ["fields", "groupRules"]),
);

export type GroupMatcher = z.output<typeof GroupMatcherSchema>;
export type GroupRule = z.output<typeof GroupRuleSchema>;
export type MappingSpec = z.output<typeof MappingSpec>;
/** A spec as written in the config file (every part optional). */
export type MappingSpecInput = z.input<typeof MappingSpec>;

/** The user spec laid over a default, field by field; the user's groupRules replace the default's when given. */
export function mergeMapping(base: MappingSpec, override?: MappingSpecInput | MappingSpec): MappingSpec {
  if (!override) return base;
  const parsed = MappingSpec.parse(override);
  return {
    fields: { ...base.fields, ...parsed.fields },
    groupRules: override.groupRules === undefined ? base.groupRules : parsed.groupRules,
  };
}
