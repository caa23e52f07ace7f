// Evaluates a target's mapping for one user: the field expressions first, then the group rules.
import { evaluateExpr, isEmpty } from "./expr.ts";
import type { GroupMatcher, GroupRule, MappingSpec, RuleKey, RuleKeys } from "./spec.ts";

/** A SCIM User as plain JSON: core attributes plus extension objects keyed by their schema URN. */
export type ScimUser = Record<string, unknown>;

export type MappingInput = {
  user: ScimUser;
  /** displayNames of the groups the user is a member of. */
  groups: readonly string[];
};

/**
 * Target fields by name. A field the mapping defines but that resolves to nothing is null
 * ("omit on create, clear on update"); list-valued derived keys (permissionSets, publicGroups) are arrays.
 */
export type MappedFields = Record<string, unknown>;

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`, "iu");
}

const matcherCache = new WeakMap<object, RegExp>();

function matcherRegExp(m: Exclude<GroupMatcher, string>): RegExp {
  let re = matcherCache.get(m);
  if (!re) {
    // Group displayNames are case-insensitive in SCIM, so regex rules are too.
    re = "regex" in m ? new RegExp(m.regex, "iu") : globToRegExp(m.pattern);
    matcherCache.set(m, re);
  }
  return re;
}

export function groupMatches(matcher: GroupMatcher, displayName: string): boolean {
  if (typeof matcher === "string") return matcher.toLowerCase() === displayName.trim().toLowerCase();
  return matcherRegExp(matcher).test(displayName);
}

export function matchingRules(rules: readonly GroupRule[], groups: readonly string[]): GroupRule[] {
  return rules.filter((rule) => groups.some((g) => groupMatches(rule.group, g)));
}

/** Adds names to a list, keeping the first spelling and dropping case-insensitive duplicates. */
export function unionNames(into: string[], names: Iterable<unknown>): string[] {
  const seen = new Set(into.map((n) => n.toLowerCase()));
  for (const name of names) {
    if (typeof name !== "string" || name.trim() === "") continue;
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      into.push(name);
    }
  }
  return into;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : isEmpty(v) ? [] : [v]);

/** Sets `key` from the matching rules as the kind says they combine (RuleCombine); leaves it when none applies. */
function applyRules(
  out: MappedFields,
  key: string,
  rule: RuleKey,
  spec: MappingSpec,
  matched: GroupRule[],
): void {
  const values = matched.flatMap((r) => (r.set[key] === undefined ? [] : [r.set[key]]));
  if (rule.combine === "union") {
    // Present (possibly empty) whenever a rule manages the list, so a target can also remove.
    if (!(key in out) && !spec.groupRules.some((r) => r.set[key] !== undefined)) return;
    out[key] = unionNames(unionNames([], asList(out[key])), values.flatMap(asList));
    return;
  }
  const value = rule.combine === "first" ? values[0] : rule.combine(values);
  if (value !== undefined) out[key] = value;
}

/**
 * Fields, then group rules: each key the kind lets a rule set, in the kind's order, combined as the kind says
 * (the highest Tableau role, the first Salesforce profile, the union of permission sets…).
 */
export function evaluate(spec: MappingSpec, input: MappingInput, ruleKeys: RuleKeys): MappedFields {
  const out: MappedFields = {};
  for (const [field, expr] of Object.entries(spec.fields)) {
    const value = evaluateExpr(expr, input.user);
    out[field] = isEmpty(value) ? null : value;
  }
  const matched = matchingRules(spec.groupRules, input.groups);
  for (const [key, rule] of Object.entries(ruleKeys)) applyRules(out, key, rule, spec, matched);
  return out;
}
