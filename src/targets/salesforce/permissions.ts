// Assignments a mapping derives for a user: permission sets (PermissionSetAssignment) and public
// groups (GroupMember). Only what the mapping manages is touched: sets named by a group rule are
// removed when no rule grants them any more; anything an admin assigned by hand stays.
import type { GroupRule } from "../../mapping/index.ts";
import type { Outcome } from "../target.ts";
import { writeCollections } from "./composite.ts";
import { errorOutcome, onlyErrors, type SalesforceContext, saveOutcome } from "./context.ts";
import type { NameLookup } from "./lookups.ts";
import type { SyncedUser, UserPlan } from "./users.ts";

interface GrantKind {
  label: string;
  object: string;
  userField: string;
  refField: string;
  planKey: "permissionSets" | "publicGroups";
  lookup: (ctx: SalesforceContext) => NameLookup;
}

const PERMISSION_SETS: GrantKind = {
  label: "permission set",
  object: "PermissionSetAssignment",
  userField: "AssigneeId",
  refField: "PermissionSetId",
  planKey: "permissionSets",
  lookup: (ctx) => ctx.permissionSets,
};

const PUBLIC_GROUPS: GrantKind = {
  label: "public group",
  object: "GroupMember",
  userField: "UserOrGroupId",
  refField: "GroupId",
  planKey: "publicGroups",
  lookup: (ctx) => ctx.publicGroups,
};

/** Names the group rules grant for this kind: the only ones the target may also take away. */
export function ruleManagedNames(rules: readonly GroupRule[], key: GrantKind["planKey"]): string[] {
  const names = rules.flatMap((r) => r.set[key] ?? []).filter((n): n is string => typeof n === "string");
  return [...new Set(names)];
}

type Assignment = { Id: string } & Record<string, string>;

/** Problems per plan index, so one user's unknown permission set does not hold up the others. */
type Notes = Map<number, string[]>;

async function syncKind(
  ctx: SalesforceContext,
  kind: GrantKind,
  users: SyncedUser[],
  outcomes: Outcome[],
  notes: Notes,
) {
  // Inactive users keep what they had: a reactivation restores it as it was.
  const managedUsers = users.filter(
    (u) => u.plan[kind.planKey] !== undefined && u.plan.fields.IsActive !== false,
  );
  if (managedUsers.length === 0) return;
  const ruleNames = ruleManagedNames(ctx.mapping.groupRules, kind.planKey);
  const allNames = new Set([...ruleNames, ...managedUsers.flatMap((u) => u.plan[kind.planKey] ?? [])]);
  const ids = await kind.lookup(ctx).resolve(allNames);
  const idOf = (name: string) => ids.get(name.toLowerCase());
  const managedIds = new Set([...allNames].flatMap((n) => idOf(n) ?? []));

  // New users have no assignments yet, so only linked users need a look at what they have.
  const existing = managedUsers.filter((u) => !u.created).map((u) => u.userId);
  const current =
    existing.length > 0 && managedIds.size > 0
      ? await ctx.client.queryIn<Assignment>(
          `SELECT Id, ${kind.userField}, ${kind.refField} FROM ${kind.object} WHERE ${kind.refField} IN (${[...managedIds].map((i) => `'${i}'`).join(", ")}) AND ${kind.userField} IN {IN}`,
          existing,
        )
      : [];
  const key = (userId: string, refId: string) => `${userId.slice(0, 15)}:${refId.slice(0, 15)}`;
  const have = new Map(current.map((a) => [key(a[kind.userField] ?? "", a[kind.refField] ?? ""), a.Id]));
  const ruleIds = new Set(ruleNames.flatMap((n) => idOf(n) ?? []));

  const adds: { user: SyncedUser; record: Record<string, string> }[] = [];
  const removes: { user: SyncedUser; id: string }[] = [];
  for (const user of managedUsers) {
    const wanted = user.plan[kind.planKey] ?? [];
    const unknown = wanted.filter((n) => !idOf(n));
    if (unknown.length > 0) note(notes, user.plan, missing(kind, unknown));
    const wantedIds = new Set(wanted.flatMap((n) => idOf(n) ?? []));
    for (const refId of wantedIds) {
      if (!have.has(key(user.userId, refId)))
        adds.push({ user, record: { [kind.userField]: user.userId, [kind.refField]: refId } });
    }
    for (const refId of ruleIds) {
      const assignmentId = have.get(key(user.userId, refId));
      if (assignmentId && !wantedIds.has(refId)) removes.push({ user, id: assignmentId });
    }
  }
  const [added = [], removed = []] = await writeCollections(ctx, [
    { op: "create", type: kind.object, records: adds.map((a) => a.record) },
    { op: "delete", ids: removes.map((r) => r.id) },
  ]);
  const settle = (user: SyncedUser, result: Parameters<typeof saveOutcome>[1], okCodes: string[]) => {
    if (onlyErrors(result, okCodes)) return;
    const failure = saveOutcome(ctx, result);
    if (!failure) return;
    if (failure.status === "retry") outcomes[user.plan.index] = failure;
    else note(notes, user.plan, `${kind.label} ${failure.code}: ${failure.message}`);
  };
  // Already assigned (a concurrent run, or our read was stale) is what we wanted.
  adds.forEach((a, i) => {
    settle(a.user, added[i], ["DUPLICATE_VALUE"]);
  });
  removes.forEach((r, i) => {
    settle(r.user, removed[i], ["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY"]);
  });
}

function missing(kind: GrantKind, names: string[]): string {
  return `no ${kind.label} named ${names.map((n) => `"${n}"`).join(", ")} in Salesforce`;
}

function note(notes: Notes, plan: UserPlan, text: string) {
  notes.set(plan.index, [...(notes.get(plan.index) ?? []), text]);
}

/**
 * Brings permission sets and public groups of synced users in line with the mapping. A retryable
 * failure turns the user's outcome into a retry; a permanent one (an unknown name, a licence that
 * does not allow the set) keeps it done — the user exists and must stay linked — with the problem
 * in `detail` and the log.
 */
export async function syncAssignments(
  ctx: SalesforceContext,
  users: SyncedUser[],
  outcomes: Outcome[],
): Promise<void> {
  const notes: Notes = new Map();
  for (const kind of [PERMISSION_SETS, PUBLIC_GROUPS]) {
    try {
      await syncKind(ctx, kind, users, outcomes, notes);
    } catch (e) {
      for (const u of users)
        if (u.plan[kind.planKey] !== undefined) outcomes[u.plan.index] = errorOutcome(ctx, e);
    }
  }
  for (const [index, texts] of notes) {
    const outcome = outcomes[index];
    if (outcome?.status !== "done") continue;
    outcomes[index] = { ...outcome, detail: texts.join("; ") };
    ctx.logger?.warn({ targetId: outcome.targetId, problems: texts }, "Salesforce assignments incomplete");
  }
}
