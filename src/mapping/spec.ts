// The mapping of one target as written in the YAML config file:
//   mapping:
//     fields: { Alias: { substring: { of: "userName", length: 8 } }, TimeZoneSidKey: { const: "Europe/Paris" } }
//     groupRules:
//       - { group: { regex: "^Sales( EMEA)?$" }, set: { ProfileId: "Standard User", permissionSets: [Sales_Cloud] } }
// The keys a group rule may `set`, and how several matching rules combine, are the target kind's (RuleKeys).
import { z } from "zod";
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

/** A rule value that is one name (a profile, say), with messages naming `what`. */
export const nonEmptyName = (what: string) =>
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

/** A rule value that is a list of names (permission sets, say), with messages naming `what`. */
export const nameList = (what: string) =>
  z.array(nonEmptyName(what), { error: `${what}s must be a list of names` });

/**
 * How the values of several matching group rules for one key combine: "first" — the first matching rule in
 * order; "union" — a list: the names of every matching rule added to the mapped ones, present (maybe empty)
 * whenever a rule manages the key, so a target can also remove; or a function that picks one value from those
 * of all matching rules (the highest role, say), undefined keeping the mapped value.
 * A rule's value replaces the field's mapped value, which thus acts as the default.
 */
export type RuleCombine = "first" | "union" | ((values: unknown[]) => unknown);

/** One key a group rule may set: its value's schema (whose messages say what to fix) and how rules combine. */
export interface RuleKey {
  value: z.ZodType;
  combine: RuleCombine;
}

/** The keys a kind's group rules may set, in the order they are applied. */
export type RuleKeys = Readonly<Record<string, RuleKey>>;

export type GroupMatcher = z.output<typeof GroupMatcherSchema>;
export type GroupRule = { group: GroupMatcher; set: Record<string, unknown> };
export type MappingSpec = { fields: Record<string, Expr>; groupRules: GroupRule[] };
/** A spec as written in the config file (every part optional). */
export type MappingSpecInput = {
  fields?: Record<string, unknown>;
  groupRules?: { group: unknown; set: Record<string, unknown> }[];
};

function ruleSetSchema(keys: RuleKeys) {
  const names = Object.keys(keys);
  return z
    .strictObject(
      Object.fromEntries(Object.entries(keys).map(([k, key]) => [k, key.value.optional()])),
      objectErrors("set", names),
    )
    .refine((s) => Object.values(s).some((v) => v !== undefined), {
      error: names.length
        ? `set must set at least one of: ${names.join(", ")}`
        : "this kind of target has no keys a group rule may set",
    });
}

/** The `mapping:` schema of a target kind whose group rules may set `keys`. */
export function mappingSpecSchema(keys: RuleKeys): z.ZodType<MappingSpec, MappingSpecInput> {
  const rule = z.strictObject(
    { group: GroupMatcherSchema, set: ruleSetSchema(keys) },
    objectErrors("a group rule", ["group", "set"]),
  );
  return z.strictObject(
    {
      fields: z
        .record(nonEmptyName("a field name"), ExprSchema, {
          error:
            "fields must map target field names to expressions, like { Alias: { substring: { of: userName, length: 8 } } }",
        })
        .default({}),
      groupRules: z.array(rule, { error: "groupRules must be a list of { group, set } rules" }).default([]),
    },
    objectErrors("a mapping", ["fields", "groupRules"]),
  );
}

/** The target's (parsed) spec laid over a default, field by field; its groupRules replace the default's. */
export function mergeMapping(base: MappingSpec, override?: MappingSpec): MappingSpec {
  if (!override) return base;
  return { fields: { ...base.fields, ...override.fields }, groupRules: override.groupRules };
}
